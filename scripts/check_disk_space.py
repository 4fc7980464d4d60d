"""Stop early, with a plain message, when the disk cannot hold the build environment.

The pinned torch build for Linux carries CUDA libraries, so the virtual environment grows to
about 6 GB. On a nearly full disk pip stops partway through the install with "No space left
on device" and leaves a half-built environment. A check beforehand takes a second and names
the folder and the space to free.

FOLDER is where the environment goes (it need not exist yet); GIGABYTES is the space it needs
in all, 7 by default. Exit status: 0 enough space, 1 too little, 2 bad arguments.

Usage: python scripts/check_disk_space.py FOLDER [GIGABYTES]
"""

from __future__ import annotations

import math
import shutil
import sys
from pathlib import Path

# `du -sh .venv` after `pip install -r requirements.txt` on Linux x86_64 reported 5.9G. The
# extra gigabyte is an estimated margin for pip's temporary files and the photo cache.
DEFAULT_NEEDED_GB = 7.0


def free_gigabytes(folder: Path) -> float:
    """Return the free space, in GB (10**9 bytes), on the file system that contains ``folder``."""
    probe = folder
    while not probe.exists():  # the venv folder itself does not exist before the first install
        probe = probe.parent
    return shutil.disk_usage(probe).free / 1e9


def folder_gigabytes(folder: Path) -> float:
    """Return the size of the files already in ``folder`` (0 if it does not exist), in GB."""
    if not folder.is_dir():
        return 0.0
    total = 0
    for path in folder.rglob("*"):
        if path.is_file() and not path.is_symlink():
            total += path.stat().st_size
    return total / 1e9


def main(argv: list[str]) -> int:
    if argv[:1] in (["-h"], ["--help"]):
        print(__doc__.strip())
        return 0

    if not 1 <= len(argv) <= 2:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    folder = Path(argv[0]).resolve()
    try:
        needed = float(argv[1]) if len(argv) == 2 else DEFAULT_NEEDED_GB
    except ValueError:
        needed = math.nan
    if not (math.isfinite(needed) and needed >= 0):
        print(f"check_disk_space: GIGABYTES must be a finite number of 0 or more, got {argv[1]!r}", file=sys.stderr)
        return 2

    # A reinstall into an existing environment (requirements.txt changed) replaces files that
    # are already there, so only the part not yet on disk has to fit.
    present = folder_gigabytes(folder)
    missing = max(0.0, needed - present)
    free = free_gigabytes(folder)
    if free < missing:
        already = f", of which {present:.1f} GB are already there" if present >= 0.05 else ""
        print(
            f"Not enough disk space for the build environment in {folder}: "
            f"{free:.1f} GB free, {missing:.1f} GB more needed (about {needed:.1f} GB in all{already}; "
            "torch and torchvision for Linux bring CUDA libraries even without a GPU). Free some "
            "space, for example old clones with their own .venv, and run the command again.",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
