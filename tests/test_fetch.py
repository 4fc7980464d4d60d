"""Fetching the photo archive: verified before it is installed, with clear errors otherwise.

The end-to-end route over a local web server is in test_student_route.py; these tests use
zip files on disk.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest

from garbage_classifier import data


def zip_folder(folder: Path, archive: Path, prefix: str = "course-main/data/trashnet/") -> Path:
    """Zip ``folder`` under ``prefix``, the layout of a repository archive."""
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr("course-main/README.md", "not part of the dataset\n")
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                bundle.write(path, prefix + path.relative_to(folder).as_posix())
    return archive


@pytest.fixture
def dataset_folder(make_image_folder, write_checksums, tmp_path):
    """``<tmp>/trashnet/{SHA256SUMS,images/<class>/...}`` with two classes of two photos."""
    root = tmp_path / "trashnet"
    images = make_image_folder(classes=("glass", "paper"), per_class=2, root=root / "images")
    write_checksums(images, root / "SHA256SUMS")
    return root


def test_archive_installs_verified_photos(dataset_folder, tmp_path, capsys):
    archive = zip_folder(dataset_folder, tmp_path / "course.zip")
    destination = tmp_path / "cache" / "trashnet"

    installed = data.fetch_dataset(archive.as_uri(), destination)

    assert installed == destination
    assert sorted(p.relative_to(destination).as_posix() for p in destination.rglob("*.jpg")) == [
        "images/glass/glass1.jpg", "images/glass/glass2.jpg", "images/paper/paper1.jpg", "images/paper/paper2.jpg",
    ]
    assert "Installed 4 verified photos" in capsys.readouterr().out
    assert [p.name for p in destination.parent.iterdir()] == ["trashnet"], "the scratch folder is left behind"


def test_changed_photo_installs_nothing(dataset_folder, tmp_path):
    (dataset_folder / "images" / "paper" / "paper2.jpg").write_bytes(b"not the original photo")
    archive = zip_folder(dataset_folder, tmp_path / "course.zip")
    destination = tmp_path / "cache" / "trashnet"

    with pytest.raises(ValueError, match=re.escape("do not match their SHA256SUMS: 1 changed (paper/paper2.jpg)")):
        data.fetch_dataset(str(archive), destination)

    assert list(destination.parent.iterdir()) == []


def test_archive_without_dataset_is_named(tmp_path):
    archive = tmp_path / "other.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr("project/README.md", "no photos here\n")

    with pytest.raises(ValueError, match=re.escape(f"{archive} contains no dataset: expected a SHA256SUMS file")):
        data.fetch_dataset(str(archive), tmp_path / "cache" / "trashnet")


def test_unsafe_archive_path_is_refused(dataset_folder, tmp_path):
    archive = zip_folder(dataset_folder, tmp_path / "course.zip")
    with zipfile.ZipFile(archive, "a") as bundle:
        bundle.writestr("course-main/data/trashnet/../../escaped.txt", "outside the target\n")

    with pytest.raises(ValueError, match="contains an unsafe path"):
        data.fetch_dataset(str(archive), tmp_path / "cache" / "trashnet")

    assert not (tmp_path / "cache" / "escaped.txt").exists()


def test_web_page_instead_of_zip_is_named(tmp_path):
    page = tmp_path / "login.html"
    page.write_text("<html><body>Please sign in</body></html>")

    with pytest.raises(ValueError, match=re.escape(f"{page} is not a zip archive (40 bytes received)")) as caught:
        data.fetch_dataset(str(page), tmp_path / "cache" / "trashnet")

    assert data.DATA_ENV_VAR in str(caught.value)


@pytest.mark.parametrize("kind", ["path", "file URL"])
def test_unreadable_source_explains_next_steps(tmp_path, kind):
    missing = tmp_path / "no-such.zip"
    source = str(missing) if kind == "path" else missing.as_uri()

    with pytest.raises(data.PhotoFetchError, match=re.escape(f"Could not fetch the photos from {source}: ")) as caught:
        data.fetch_dataset(source, tmp_path / "cache" / "trashnet")

    assert "Check the internet connection" in str(caught.value)
    assert f"set ${data.DATA_ENV_VAR}" in str(caught.value)
    assert not (tmp_path / "cache" / "trashnet").exists()


def test_existing_destination_is_kept(dataset_folder, tmp_path):
    destination = tmp_path / "cache" / "trashnet"
    destination.mkdir(parents=True)
    (destination / "notes.txt").write_text("mine")

    with pytest.raises(FileExistsError, match=re.escape(f"{destination} already exists")):
        data.fetch_dataset(str(zip_folder(dataset_folder, tmp_path / "course.zip")), destination)

    assert (destination / "notes.txt").read_text() == "mine"
