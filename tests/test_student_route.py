"""Play the student who opens only the notebook: it installs the package and fetches the photos.

The notebook is copied alone into an empty folder and run in a fresh virtual environment
that can see torch and Jupyter from the test environment but not the course package. The
set-up cell is pointed at a local copy of the repository (as pip source) and at a zip of
photos served on 127.0.0.1, the stand-ins for GitHub in Colab.
"""

import functools
import hashlib
import http.server
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import threading
import zipfile
from pathlib import Path

import pytest

REPOSITORY = Path(__file__).resolve().parents[1]
NOTEBOOK = REPOSITORY / "book" / "assignment_notebook.ipynb"
PHOTOS = REPOSITORY / "data" / "trashnet" / "images"
PHOTOS_PER_CLASS = 8  # the smoke profile's images_per_class

RUN_NOTEBOOK = """
import sys, nbformat
from nbclient import NotebookClient
notebook = nbformat.read(sys.argv[1], as_version=4)
NotebookClient(notebook, timeout=None, kernel_name="python3").execute()
nbformat.write(notebook, sys.argv[1])
"""


class CountingHandler(http.server.SimpleHTTPRequestHandler):
    requests: list[str] = []

    def do_GET(self):
        CountingHandler.requests.append(self.path)
        super().do_GET()

    def log_message(self, format, *args):
        pass


def make_photo_zip(target: Path) -> None:
    """Zip 8 real photos per class the way GitHub lays out a repository archive."""
    lines = []
    with zipfile.ZipFile(target, "w") as bundle:
        for class_dir in sorted(PHOTOS.iterdir()):
            for photo in sorted(class_dir.glob("*.jpg"))[:PHOTOS_PER_CLASS]:
                relative = f"{class_dir.name}/{photo.name}"
                bundle.write(photo, f"course-main/data/trashnet/images/{relative}")
                lines.append(f"{hashlib.sha256(photo.read_bytes()).hexdigest()}  {relative}")
        bundle.writestr("course-main/data/trashnet/SHA256SUMS", "\n".join(lines) + "\n")


def make_fresh_venv(path: Path) -> Path:
    """Create a venv that sees the test environment's packages except the course package."""
    # No pip or setuptools of its own: pip, setuptools and wheel come from the test
    # environment, so the package builds without downloading anything.
    subprocess.run([sys._base_executable, "-m", "venv", "--without-pip", str(path)], check=True)
    python = path / "bin" / "python"
    visible = path / "visible-packages"
    visible.mkdir()
    for entry in Path(sysconfig.get_paths()["purelib"]).iterdir():
        if "garbage_classifier" not in entry.name and not entry.name.endswith(".pth"):
            (visible / entry.name).symlink_to(entry)
    site_packages = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()
    (Path(site_packages) / "test_environment.pth").write_text(f"{visible}\n")
    return python


def copy_package_source(target: Path) -> Path:
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPOSITORY / name, target / name)
    shutil.copytree(REPOSITORY / "src", target / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    return target


def setup_cell_output(notebook_path: Path) -> str:
    notebook = json.loads(notebook_path.read_text())
    setup = next(cell for cell in notebook["cells"] if cell["cell_type"] == "code")
    return "".join("".join(output.get("text", "")) for output in setup["outputs"])


@pytest.fixture()
def photo_server(tmp_path):
    served = tmp_path / "served"
    served.mkdir()
    make_photo_zip(served / "course.zip")
    CountingHandler.requests = []
    handler = functools.partial(CountingHandler, directory=str(served))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/course.zip"
    server.shutdown()


def test_notebook_sets_itself_up_in_empty_folder(tmp_path, photo_server):
    workdir = tmp_path / "student"
    workdir.mkdir()
    notebook = workdir / NOTEBOOK.name
    shutil.copy(NOTEBOOK, notebook)
    (tmp_path / "source").mkdir()
    source = copy_package_source(tmp_path / "source")
    python = make_fresh_venv(tmp_path / "venv")
    cache = tmp_path / "cache"
    environment = {key: value for key, value in os.environ.items() if not key.startswith("GARBAGE_")}
    environment.update(
        GARBAGE_PROFILE="smoke",
        GARBAGE_PACKAGE_SOURCE=str(source),
        GARBAGE_DATA_URL=photo_server,
        GARBAGE_CACHE_DIR=str(cache),
        GARBAGE_RUNS_DIR=str(tmp_path / "runs"),
        MPLBACKEND="Agg",
        PIP_DISABLE_PIP_VERSION_CHECK="1",
        PIP_NO_INDEX="1",  # everything pip needs is already visible; never reach a package index
        PIP_NO_BUILD_ISOLATION="0",  # build with the venv's own setuptools, no download
    )
    imported_before = subprocess.run([str(python), "-c", "import garbage_classifier"], env=environment, capture_output=True)
    assert imported_before.returncode != 0, "the fresh venv must start without the course package"

    subprocess.run([str(python), "-c", RUN_NOTEBOOK, str(notebook)], cwd=workdir, env=environment, check=True, timeout=900)
    first_output = setup_cell_output(notebook)

    installed = subprocess.run(
        [str(python), "-c", "import garbage_classifier; print(garbage_classifier.__file__)"],
        env=environment, capture_output=True, text=True, check=True,
    ).stdout
    assert str(tmp_path / "venv") in installed
    assert "Installing the course package" in first_output
    assert "verified photos" in first_output
    assert (cache / "trashnet" / "SHA256SUMS").is_file()
    assert len(list((cache / "trashnet" / "images").glob("*/*.jpg"))) == 6 * PHOTOS_PER_CLASS
    assert CountingHandler.requests == ["/course.zip"]
    assert list(workdir.iterdir()) == [notebook], "the notebook must not leave files in the student's folder"

    shutil.copy(NOTEBOOK, notebook)
    subprocess.run([str(python), "-c", RUN_NOTEBOOK, str(notebook)], cwd=workdir, env=environment, check=True, timeout=900)
    second_output = setup_cell_output(notebook)
    assert CountingHandler.requests == ["/course.zip"], "the second run must fetch nothing"
    assert "Installing" not in second_output
    assert "Fetching" not in second_output
