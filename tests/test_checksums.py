"""SHA256SUMS parsing and comparison with the photos on disk."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from garbage_classifier.data import checksums_file_for, read_checksums, verify_checksums


@pytest.fixture
def dataset_with_checksums(make_image_folder, write_checksums, tmp_path) -> tuple[Path, Path]:
    """``trashnet/images/<class>/*.jpg`` with ``trashnet/SHA256SUMS`` beside ``images``."""
    image_root = make_image_folder(root=tmp_path / "trashnet" / "images")
    checksums_file = tmp_path / "trashnet" / "SHA256SUMS"
    write_checksums(image_root, checksums_file)
    return image_root, checksums_file


def test_checksums_file_found_beside_images(dataset_with_checksums):
    image_root, checksums_file = dataset_with_checksums

    assert checksums_file_for(image_root) == checksums_file


def test_verify_unchanged_folder_ok(dataset_with_checksums):
    image_root, checksums_file = dataset_with_checksums

    report = verify_checksums(image_root, checksums_file)

    assert report.ok
    assert report.checked == 9


def test_verify_reports_each_difference(dataset_with_checksums, write_image):
    image_root, checksums_file = dataset_with_checksums
    write_image(image_root / "glass" / "glass2.jpg", seed=999)
    (image_root / "metal" / "metal3.jpg").unlink()
    write_image(image_root / "cardboard" / "cardboard9.jpg", seed=998)

    report = verify_checksums(image_root, checksums_file)

    assert report.changed == ["glass/glass2.jpg"]
    assert report.missing == ["metal/metal3.jpg"]
    assert report.extra == ["cardboard/cardboard9.jpg"]
    assert report.checked == 9
    assert not report.ok


def test_verify_ignores_hidden_folders(dataset_with_checksums, write_image):
    image_root, checksums_file = dataset_with_checksums
    write_image(image_root / "glass" / ".ipynb_checkpoints" / "glass1-checkpoint.jpg", seed=5)
    write_image(image_root / ".ipynb_checkpoints" / "x.jpg", seed=6)

    report = verify_checksums(image_root, checksums_file)

    assert report.extra == []


def test_read_checksums_parses_lines(tmp_path):
    digest = "ab" * 32
    checksums_file = tmp_path / "SHA256SUMS"
    checksums_file.write_text(f"{digest.upper()}  glass/glass 1.jpg\n\n{digest}  metal/metal1.jpg\n")

    assert read_checksums(checksums_file) == {"glass/glass 1.jpg": digest, "metal/metal1.jpg": digest}


def test_read_checksums_rejects_malformed_line(tmp_path):
    checksums_file = tmp_path / "SHA256SUMS"
    checksums_file.write_text(f"{'ab' * 32}  glass/glass1.jpg\n{'cd' * 32}  glass/glass2.jpg\nnot a checksum line\n")

    with pytest.raises(ValueError, match=re.escape(f"{checksums_file}, line 3:")):
        read_checksums(checksums_file)


def test_read_checksums_rejects_short_digest(tmp_path):
    checksums_file = tmp_path / "SHA256SUMS"
    checksums_file.write_text("abc123  glass/glass1.jpg\n")

    with pytest.raises(ValueError, match=re.escape(f"{checksums_file}, line 1:")):
        read_checksums(checksums_file)


def test_read_checksums_rejects_non_hex(tmp_path):
    checksums_file = tmp_path / "SHA256SUMS"
    checksums_file.write_text(f"{'z' * 64}  glass/glass1.jpg\n")

    with pytest.raises(ValueError, match=re.escape(f"{checksums_file}, line 1:")):
        read_checksums(checksums_file)


def test_read_checksums_binary_mode(tmp_path):
    digest = "ab" * 32
    checksums_file = tmp_path / "SHA256SUMS"
    checksums_file.write_text(f"{digest} *glass/glass1.jpg\n")

    assert read_checksums(checksums_file) == {"glass/glass1.jpg": digest}
