"""Build the book with ``jupyter-book build .``, re-executing whenever results could be stale.

Jupyter Book's execution cache is keyed on a notebook's code cells only. A change in the
package under ``src/``, in the photos, in the requirements or in the run profile would
otherwise leave old numbers on the pages. This script hashes all of those. When the hash
differs from the one stored by the last successful build, it clears the cache and builds
with ``--all``.

Usage::

    python scripts/build_book.py [--launch-revision C] [--pin-revision S] [jupyter-book build options]

Options other than the two below go to ``jupyter-book build`` (e.g. ``-W -n --keep-going``).
The publishing workflow uses both; a local build needs neither.

``--launch-revision C``
    Point the launch buttons at commit ``C`` instead of ``repository.branch`` from
    ``_config.yml``. The workflow passes the commit that holds the pinned Colab notebook
    (see ``scripts/pin_notebook.py``).
``--pin-revision S``
    Make the site's downloadable copy of the assignment notebook install commit ``S``. The
    build stops if this folder is a git repository that does not contain ``S``.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from pin_notebook import NOTEBOOK, PinError, check_commit, has_commit, is_git_repository, pin_notebook_text

ROOT = Path(__file__).resolve().parents[1]
BUILD_DIR = ROOT / "_build"
CACHE_DIR = BUILD_DIR / ".jupyter_cache"
FINGERPRINT_FILE = BUILD_DIR / ".execution-fingerprint"
LAUNCH_CONFIG_FILE = BUILD_DIR / "launch-config.yml"
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


def write_launch_config(revision: str, config: Path = ROOT / "_config.yml", output: Path = LAUNCH_CONFIG_FILE) -> Path:
    """Write a copy of ``config`` whose ``repository.branch`` is ``revision``; return its path.

    Jupyter Book builds the launch buttons' addresses from ``repository.branch``. The copy
    leaves ``_config.yml`` itself alone. It contains no relative paths that would resolve
    differently from ``_build/``.
    """
    check_commit(revision)
    settings = yaml.safe_load(config.read_text(encoding="utf-8"))
    settings.setdefault("repository", {})["branch"] = revision
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(
        f"# Written by scripts/build_book.py --launch-revision from {config.name}; edit {config.name} instead.\n"
        + yaml.safe_dump(settings, sort_keys=False),
        encoding="utf-8",
    )
    return output


def write_downloadable_notebook(revision: str | None, html: Path = BUILD_DIR / "html") -> list[Path]:
    """Write the site's downloadable copies of the assignment notebook, pinned to ``revision``.

    The theme's download button serves ``_sources/``, and the assignment page's download link
    serves a copy under ``_downloads/<hash>/``. With ``revision`` of ``None`` the stored
    notebook is written, because Sphinx does not rewrite an unchanged page's copies and an
    earlier pinned build would otherwise leave its pin behind. Returns the files written.
    """
    text = (ROOT / NOTEBOOK).read_text(encoding="utf-8")
    if revision is not None:
        text = pin_notebook_text(text, revision, name=str(NOTEBOOK))
    targets = [html / "_sources" / NOTEBOOK, *sorted((html / "_downloads").glob(f"*/{NOTEBOOK.name}"))]
    if not targets[0].is_file():
        raise PinError(f"the built site has no {targets[0].relative_to(html)} to pin. Check that _toc.yml lists {NOTEBOOK}.")
    for target in targets:
        target.write_text(text, encoding="utf-8")
    return targets


def check_pin_revision_exists(revision: str, root: Path = ROOT) -> None:
    """Raise :class:`PinError` if ``root`` is a git repository without commit ``revision``.

    Students' downloads install this commit, so a mistyped one must stop the build. Outside a
    git repository (a copy of the sources) there is nothing to check against, so it prints a
    note instead. The launch revision is not checked, because it is on the branch of pinned
    copies, which a checkout of the built commit does not fetch.
    """
    if not is_git_repository(root):
        print(f"build_book: {root} is not a git repository, so --pin-revision {revision} was not checked.", file=sys.stderr)
        return
    if not has_commit(root, revision):
        raise PinError(
            f"{revision} is not a commit in {root}. Pass the commit the site is built from (`git rev-parse HEAD`)."
        )


def jupyter_book_command() -> str:
    """Return the jupyter-book next to this Python (a virtual environment's), else the one on PATH."""
    beside_python = Path(sys.executable).with_name("jupyter-book")
    return str(beside_python if beside_python.exists() else "jupyter-book")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(add_help=False, allow_abbrev=False)
    parser.add_argument("--launch-revision")
    parser.add_argument("--pin-revision")
    options, extra_arguments = parser.parse_known_args(argv)
    if "-h" in extra_arguments or "--help" in extra_arguments:
        # Before the fingerprint check, which would clear the execution cache.
        print(__doc__)
        print("Options of jupyter-book build:\n", flush=True)
        return subprocess.run([jupyter_book_command(), "build", "--help"]).returncode
    for option, revision in (("--launch-revision", options.launch_revision), ("--pin-revision", options.pin_revision)):
        if revision is None:
            continue
        try:
            check_commit(revision)
            if option == "--pin-revision":
                check_pin_revision_exists(revision)
        except PinError as error:
            print(f"build_book: {option}: {error}", file=sys.stderr)
            return 2

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
    command = [jupyter_book_command(), "build", str(ROOT), *arguments]
    if options.launch_revision:
        command += ["--config", str(write_launch_config(options.launch_revision))]
        print(f"build_book: launch buttons open commit {options.launch_revision}.", file=sys.stderr)
    print("build_book: " + " ".join(command), file=sys.stderr)
    result = subprocess.run(command, cwd=ROOT)
    if result.returncode != 0 and options.pin_revision:
        print("build_book: the build failed, so the downloads were not pinned.", file=sys.stderr)
    if result.returncode == 0:
        FINGERPRINT_FILE.parent.mkdir(parents=True, exist_ok=True)
        FINGERPRINT_FILE.write_text(fingerprint + "\n")
        # Publish the run records with the site, so readers can check the numbers.
        runs = BUILD_DIR / "runs"
        if runs.is_dir() and (BUILD_DIR / "html").is_dir():
            shutil.copytree(runs, BUILD_DIR / "html" / "runs", dirs_exist_ok=True)
        try:
            written = write_downloadable_notebook(options.pin_revision)
        except PinError as error:
            print(f"build_book: {error}", file=sys.stderr)
            return 2
        if options.pin_revision:
            names = ", ".join(str(path.relative_to(ROOT)) for path in written)
            print(f"build_book: downloads pinned to commit {options.pin_revision}: {names}.", file=sys.stderr)
    return result.returncode


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
