"""Build the book in the smoke profile inside a temporary copy of the repository.

tests/test_site.py builds into a copy so that it never touches the working tree's
_build/ folder, and so that a test can edit the copy's package and rebuild.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# The same options as `make book-smoke`: warnings are errors, and --keep-going lists them all.
BUILD_OPTIONS = ("-W", "-n", "--keep-going")
# A smoke build took 2.5 to 4.5 minutes on a busy 2-core machine. The limit only stops a hung kernel.
BUILD_TIMEOUT_S = 1200


@dataclass(frozen=True)
class BuildResult:
    returncode: int
    output: str
    seconds: float

    def tail(self, characters: int = 4000) -> str:
        """Return the end of the build's output, for assertion messages."""
        return self.output[-characters:]


def repository_files(root: Path = ROOT) -> list[str]:
    """Return the files git tracks plus the untracked ones it does not ignore."""
    listing = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=root,
        capture_output=True,
        check=True,
    )
    return [name for name in listing.stdout.decode().split("\0") if name]


def copy_repository(destination: Path, root: Path = ROOT) -> Path:
    """Copy the repository's files (see :func:`repository_files`) into ``destination``."""
    for name in repository_files(root):
        source = root / name
        # `git ls-files --cached` still lists a tracked file deleted in the working tree.
        if not source.exists() and not source.is_symlink():
            continue
        target = destination / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target, follow_symlinks=False)
    return destination


def build_environment(repository: Path, photo_cache: Path) -> dict[str, str]:
    """Return the environment of a smoke build that imports the copy's package."""
    environment = dict(os.environ)
    # Settings of the caller's shell or of the unit-test fixtures must not leak in. Runs go
    # to the copy's _build/runs and photos come from the copy's data/trashnet.
    # NOTE: MPLBACKEND=Agg (which .ci/run exports) keeps the kernel from using the inline
    # backend, so figures get no image/png output and the pages show "<Figure size ...>".
    for name in ("GARBAGE_DATA_DIR", "GARBAGE_RUNS_DIR", "PYTHONPATH", "MPLBACKEND"):
        environment.pop(name, None)
    environment.update(
        GARBAGE_PROFILE="smoke",
        GARBAGE_CACHE_DIR=str(photo_cache),
        # Ahead of the editable install's path, so the notebook kernel imports the copy's src.
        PYTHONPATH=str(repository / "src"),
    )
    return environment


def build_book(repository: Path, photo_cache: Path, extra_options: tuple[str, ...] = ()) -> BuildResult:
    """Run ``scripts/build_book.py -W -n --keep-going [extra_options]`` in ``repository``."""
    command = [sys.executable, str(repository / "scripts" / "build_book.py"), *BUILD_OPTIONS, *extra_options]
    started = time.monotonic()
    try:
        completed = subprocess.run(
            command,
            cwd=repository,
            env=build_environment(repository, photo_cache),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=BUILD_TIMEOUT_S,
        )
    except subprocess.TimeoutExpired as error:
        output = error.stdout.decode(errors="replace") if isinstance(error.stdout, bytes) else error.stdout or ""
        return BuildResult(returncode=-1, output=output + f"\ntimed out after {BUILD_TIMEOUT_S} s", seconds=BUILD_TIMEOUT_S)
    return BuildResult(completed.returncode, completed.stdout, time.monotonic() - started)
