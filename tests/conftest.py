"""Shared fixtures: isolated cache and run folders, and synthetic image folders."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # before anything imports pyplot, so no test needs a display

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
from PIL import Image

# The models in these tests are tiny, so a second thread gains little. When other
# processes also load the CPU, OpenMP threads spin-waiting on each other made this suite
# four times slower (170 s against 44 s wall time, 2-core machine at load average 7).
torch.set_num_threads(1)


@pytest.fixture(scope="session")
def session_cache_dir(tmp_path_factory) -> Path:
    """Return one decoded-photo cache folder for the whole run.

    Cache keys hash the photos' bytes and the transform, so tests never read each other's entries.
    """
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(autouse=True)
def isolated_environment(monkeypatch, tmp_path_factory, session_cache_dir):
    """Keep every cache and run record under a temporary folder and ignore the user's settings."""
    monkeypatch.setenv("GARBAGE_CACHE_DIR", str(session_cache_dir))
    monkeypatch.setenv("GARBAGE_RUNS_DIR", str(tmp_path_factory.mktemp("runs")))
    monkeypatch.delenv("GARBAGE_DATA_DIR", raising=False)
    monkeypatch.delenv("GARBAGE_PROFILE", raising=False)
    monkeypatch.delenv("GARBAGE_DATA_URL", raising=False)
    yield
    plt.close("all")


def write_photo(path: Path, size: int = 32, seed: int = 0, mode: str = "RGB", image_format: str | None = None) -> Path:
    """Write a random-noise photo, so that every seed gives different pixels and bytes."""
    rng = np.random.default_rng(seed)
    pixels = rng.integers(0, 256, size=(size, size, 3), dtype=np.uint8)
    image = Image.fromarray(pixels, mode="RGB")
    if mode != "RGB":
        image = image.convert(mode)
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, format=image_format)
    return path


def write_sha256sums(image_root: Path, checksums_file: Path) -> Path:
    """Write ``<digest>  <class>/<file>`` for every JPEG, as ``sha256sum`` does in text mode."""
    from garbage_classifier.data import sha256_of

    lines = [
        f"{sha256_of(path)}  {path.relative_to(image_root).as_posix()}"
        for path in sorted(image_root.rglob("*.jpg"))
    ]
    checksums_file.write_text("\n".join(lines) + "\n")
    return checksums_file


@pytest.fixture
def write_checksums():
    """Return :func:`write_sha256sums`."""
    return write_sha256sums


@pytest.fixture
def write_image():
    """Return :func:`write_photo`, for tests that build files one by one."""
    return write_photo


def build_image_folder(
    root: Path,
    classes=("cardboard", "glass", "metal"),
    per_class: int = 3,
    size: int = 32,
) -> Path:
    """Write ``<root>/<class>/<class><i>.jpg`` and return ``root``.

    Photos get distinct seeds across classes, so no two photos share their pixels.
    """
    root.mkdir(parents=True, exist_ok=True)
    for class_index, name in enumerate(classes):
        for i in range(per_class):
            write_photo(root / name / f"{name}{i + 1}.jpg", size=size, seed=1000 * class_index + i)
    return root


@pytest.fixture
def make_image_folder(tmp_path):
    """Return a factory for :func:`build_image_folder`, with ``tmp_path / "images"`` as default root."""

    def make(classes=("cardboard", "glass", "metal"), per_class: int = 3, size: int = 32, root: Path | None = None) -> Path:
        return build_image_folder(root or tmp_path / "images", classes=classes, per_class=per_class, size=size)

    return make


@pytest.fixture(scope="session")
def image_folder_builder():
    """Return :func:`build_image_folder`, for fixtures wider than one test."""
    return build_image_folder
