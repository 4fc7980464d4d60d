"""Build the book with ``jupyter-book build .``, re-executing whenever results could be stale.

Jupyter Book's execution cache is keyed on a notebook's code cells only. A change in the
package under ``src/``, in the photos, in the requirements or in the run profile would
otherwise leave old numbers on the pages. This script hashes all of those. When the hash
differs from the one stored by the last successful build, it clears the cache and builds
with ``--all``.

Usage: ``python scripts/build_book.py [extra jupyter-book build options, e.g. -W -n --keep-going]``
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUILD_DIR = ROOT / "_build"
CACHE_DIR = BUILD_DIR / ".jupyter_cache"
FINGERPRINT_FILE = BUILD_DIR / ".execution-fingerprint"
# Environment variables that change what the notebooks compute.
ENVIRONMENT_INPUTS = ("GARBAGE_PROFILE", "GARBAGE_DATA_DIR")


def execution_fingerprint(root: Path = ROOT) -> str:
    """Hash every input of notebook execution that the execution cache does not see."""
    digest = hashlib.sha256()
    files = sorted((root / "src").rglob("*.py"))
    files += [root / name for name in ("requirements.txt", "pyproject.toml")]
    for path in files:
        if path.is_file():
            digest.update(path.relative_to(root).as_posix().encode())
            digest.update(path.read_bytes())
    # The photos' contents, not their modification times, which every fresh clone resets.
    # Hashing the 47 MB takes well under a second.
    for path in sorted((root / "data" / "trashnet").rglob("*")):
        if path.is_file():
            digest.update(path.relative_to(root).as_posix().encode())
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    for name in ENVIRONMENT_INPUTS:
        digest.update(f"{name}={os.environ.get(name, '')}\n".encode())
    return digest.hexdigest()


def main(extra_arguments: list[str]) -> int:
    fingerprint = execution_fingerprint()
    previous = FINGERPRINT_FILE.read_text().strip() if FINGERPRINT_FILE.is_file() else None
    arguments = list(extra_arguments)
    if fingerprint != previous:
        reason = "first build" if previous is None else "the package, data, requirements or profile changed"
        print(f"build_book: re-executing every notebook ({reason}).", file=sys.stderr)
        shutil.rmtree(CACHE_DIR, ignore_errors=True)
        if "--all" not in arguments:
            arguments.append("--all")
    profile = os.environ.get("GARBAGE_PROFILE") or "full"
    print(f"build_book: run profile {profile} (set GARBAGE_PROFILE to change it).", file=sys.stderr)

    # Built pages show one summary line per epoch; progress bars would leave their
    # intermediate states in the captured output.
    os.environ.setdefault("GARBAGE_PROGRESS", "summary")
    jupyter_book = Path(sys.executable).with_name("jupyter-book")
    command = [str(jupyter_book if jupyter_book.exists() else "jupyter-book"), "build", str(ROOT), *arguments]
    print("build_book: " + " ".join(command), file=sys.stderr)
    result = subprocess.run(command, cwd=ROOT)
    if result.returncode == 0 and "--help" not in arguments:
        FINGERPRINT_FILE.parent.mkdir(parents=True, exist_ok=True)
        FINGERPRINT_FILE.write_text(fingerprint + "\n")
        # Publish the run records with the site, so readers can check the numbers.
        runs = BUILD_DIR / "runs"
        if runs.is_dir() and (BUILD_DIR / "html").is_dir():
            shutil.copytree(runs, BUILD_DIR / "html" / "runs", dirs_exist_ok=True)
    return result.returncode


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
