"""Pin the assignment notebook's set-up cell to one commit, for the copies students open.

The stored notebook installs the course package and fetches the photos from
``COURSE_REVISION = "main"``. A published site must hand students a notebook that installs
the very commit the site was built from, or a later push to main would change what the
notebook runs under an older site. Colab opens notebooks from GitHub only, so the publishing
workflow commits a pinned copy to a branch of the repository (``colab`` by default) and the
site's launch button points at that commit.

Usage::

    # print the pinned notebook
    python scripts/pin_notebook.py --revision COMMIT
    # write it to a file
    python scripts/pin_notebook.py --revision COMMIT --output pinned.ipynb
    # add a commit holding the pinned notebook to branch BRANCH; prints that commit
    python scripts/pin_notebook.py --revision COMMIT --commit-to BRANCH

``--commit-to`` writes git objects and moves the branch only: the working tree, the index
and the checked-out branch stay as they are. Pushing the branch is left to the caller.

Only the standard library is used, so the script runs on a bare CI runner.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = Path("book") / "assignment_notebook.ipynb"
DEFAULT_BRANCH = "colab"
# A full commit hash: 40 hex digits for SHA-1 repositories, 64 for SHA-256 ones. Branch and
# tag names are rejected because they move, and pinning exists to prevent that.
COMMIT_PATTERN = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")
REVISION_LINE = re.compile(r'^COURSE_REVISION = "[^"\n]*"', re.MULTILINE)
BRANCH_README = """\
# Pinned copies of the assignment notebook

This branch is written by the publishing workflow (`.github/workflows/publish.yml` on
`main`). Each commit holds the notebook of one published build, with its set-up cell
pinned to the commit the site was built from, so that a student who opens it in Colab
installs the same package and photos the site shows. The site's launch button points at
one of these commits.

Do not edit this branch: change `book/assignment_notebook.ipynb` on `main` instead.
"""


class PinError(ValueError):
    """The revision, the notebook or the branch cannot be used for a pinned copy."""


def check_commit(revision: str) -> str:
    """Return ``revision`` if it is a full commit hash, else raise :class:`PinError`."""
    if not isinstance(revision, str) or not COMMIT_PATTERN.fullmatch(revision):
        raise PinError(
            f"revision {revision!r} is not a full commit hash: expected 40 (or 64) lowercase hex "
            "digits, such as the output of `git rev-parse HEAD`. Branch and tag names move, "
            "so they cannot pin the notebook."
        )
    return revision


def pin_notebook_text(text: str, revision: str, *, name: str = str(NOTEBOOK)) -> str:
    """Return the notebook ``text`` with its set-up cell's ``COURSE_REVISION`` set to ``revision``.

    ``name`` is only used in error messages. Every other byte of the notebook is kept, because the
    result is written the way nbformat writes notebooks (one-space indent, sorted keys).
    """
    check_commit(revision)
    try:
        notebook = json.loads(text)
    except json.JSONDecodeError as error:
        raise PinError(f"{name} is not a Jupyter notebook: it is not valid JSON ({error}).") from error
    cells = notebook.get("cells") if isinstance(notebook, dict) else None
    if not isinstance(cells, list):
        raise PinError(f"{name} is not a Jupyter notebook: it has no list of cells.")
    code_cells = [cell for cell in cells if isinstance(cell, dict) and cell.get("cell_type") == "code"]
    if not code_cells:
        raise PinError(f"{name} has no code cell, so it has no set-up cell to pin.")
    setup = code_cells[0]
    source = "".join(setup["source"]) if isinstance(setup["source"], list) else setup["source"]
    found = REVISION_LINE.findall(source)
    if len(found) != 1:
        raise PinError(
            f"the first code cell of {name} must assign COURSE_REVISION exactly once, on a line of "
            f'its own such as COURSE_REVISION = "main"; found {len(found)} such lines.'
        )
    pinned = REVISION_LINE.sub(f'COURSE_REVISION = "{revision}"', source)
    setup["source"] = pinned.splitlines(keepends=True)
    return json.dumps(notebook, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def _git(repository: Path, *arguments: str, stdin: bytes | None = None, env: dict | None = None) -> str:
    completed = subprocess.run(
        ["git", "-C", str(repository), *arguments],
        input=stdin,
        capture_output=True,
        env=env,
    )
    if completed.returncode != 0:
        message = completed.stderr.decode(errors="replace").strip()
        raise PinError(f"`git {' '.join(arguments)}` failed in {repository}: {message}")
    return completed.stdout.decode().strip()


def _git_probe(repository: Path, *arguments: str) -> subprocess.CompletedProcess:
    """Run a git command whose failure is an expected result (no such ref, not a repository)."""
    return subprocess.run(["git", "-C", str(repository), *arguments], capture_output=True, text=True)


def is_git_repository(folder: Path) -> bool:
    """Return whether ``folder`` is inside a git repository."""
    return _git_probe(folder, "rev-parse", "--git-dir").returncode == 0


def has_commit(repository: Path, revision: str) -> bool:
    """Return whether ``revision`` names a commit in ``repository``."""
    return _git_probe(repository, "cat-file", "-e", f"{revision}^{{commit}}").returncode == 0


def check_repository(repository: Path) -> None:
    """Raise :class:`PinError` unless ``repository`` is a git repository."""
    if not is_git_repository(repository):
        raise PinError(f"{repository} is not a git repository. Pass the repository's folder with --repository.")


def check_commit_exists(repository: Path, revision: str) -> None:
    """Raise :class:`PinError` unless ``revision`` is a commit in ``repository``.

    A mistyped hash would otherwise be pinned, and students' installs would fail in Colab.
    """
    check_repository(repository)
    if not has_commit(repository, revision):
        raise PinError(
            f"revision {revision} is not a commit in {repository}. Pass the commit the site is built "
            "from (`git rev-parse HEAD`), or point --repository at the repository that contains it."
        )


def commit_files(repository: Path, branch: str, files: dict[str, bytes], message: str) -> str:
    """Commit ``files`` (path -> contents) as the whole tree of ``branch``; return the commit.

    The new commit's parent is the branch's current tip, so no earlier pinned copy is lost.
    If the tip already contains exactly these files, the tip is returned and nothing is written.
    Raises :class:`PinError` for a branch that contains any other file, because such a branch
    is not a branch of pinned copies and replacing its tree would hide its contents.
    """
    check_repository(repository)
    valid_name = _git_probe(repository, "check-ref-format", "--branch", branch).returncode == 0
    if not branch or branch.startswith("refs/") or not valid_name:
        raise PinError(f"{branch!r} is not a valid branch name. Pass a short name such as 'colab' with --commit-to.")
    reference = f"refs/heads/{branch}"
    verify = _git_probe(repository, "rev-parse", "--verify", "--quiet", f"{reference}^{{commit}}")
    parent = verify.stdout.strip() if verify.returncode == 0 else None

    # Without the remote's branch, the new commit would start a second history that the
    # push then rejects. Say so before writing anything.
    remote = _git_probe(repository, "for-each-ref", "--format=%(refname:short)", f"refs/remotes/*/{branch}").stdout.split()
    if parent is None and remote:
        raise PinError(
            f"branch {branch!r} does not exist in {repository}, but {remote[0]} does. Fetch it first, "
            f"for example `git fetch {remote[0].split('/')[0]} {branch}:{branch}`, so that the new copy builds on it."
        )
    if parent is None:
        # A shallow or single-branch clone has no refs of the remote's other branches, so
        # only the remote itself could tell whether the branch exists there.
        print(
            f"pin_notebook: branch {branch!r} is new here, so the copy starts a new history. If a remote already "
            f"has {branch!r}, fetch it first (`git fetch origin {branch}:{branch}`), or pushing will be rejected.",
            file=sys.stderr,
        )
    if parent:
        present = set(_git(repository, "ls-tree", "-r", "--name-only", parent).splitlines())
        foreign = sorted(present - set(files))
        if foreign:
            raise PinError(
                f"branch {branch!r} in {repository} contains files other than pinned notebooks "
                f"({', '.join(foreign[:3])}{', ...' if len(foreign) > 3 else ''}); committing there "
                "would replace them. Pass the name of a branch used only for pinned copies with --commit-to."
            )

    # A throwaway index, so the repository's own index and working tree are never touched.
    with tempfile.TemporaryDirectory(prefix="pin-notebook-") as scratch:
        environment = dict(os.environ, GIT_INDEX_FILE=str(Path(scratch) / "index"))
        for path, contents in sorted(files.items()):
            blob = _git(repository, "hash-object", "-w", "--stdin", stdin=contents)
            _git(repository, "update-index", "--add", "--cacheinfo", f"100644,{blob},{path}", env=environment)
        tree = _git(repository, "write-tree", env=environment)

    if parent and _git(repository, "rev-parse", f"{parent}^{{tree}}") == tree:
        return parent
    commit = _git(repository, "commit-tree", tree, *(["-p", parent] if parent else []), "-m", message)
    # The old value makes the update fail, instead of dropping a commit, if the branch moved meanwhile.
    _git(repository, "update-ref", "-m", "pin_notebook", reference, commit, parent or "0" * len(commit))
    return commit


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], allow_abbrev=False)
    parser.add_argument("--revision", required=True, help="full commit hash the notebook installs from")
    parser.add_argument("--notebook", type=Path, default=ROOT / NOTEBOOK, help=f"notebook to pin (default: {NOTEBOOK})")
    target = parser.add_mutually_exclusive_group()
    target.add_argument(
        "--output", type=Path, help="write the pinned notebook to this file, which must not exist (default: standard output)"
    )
    target.add_argument(
        "--commit-to",
        metavar="BRANCH",
        help="commit the pinned notebook to BRANCH of --repository and print the new commit; nothing is pushed",
    )
    parser.add_argument(
        "--repository", type=Path, default=ROOT, help="git repository for --commit-to (default: the one holding this script)"
    )
    arguments = parser.parse_args(argv)

    try:
        try:
            text = arguments.notebook.read_text(encoding="utf-8")
        except OSError as error:
            raise PinError(f"cannot read the notebook {arguments.notebook}: {error.strerror}.") from error
        except UnicodeDecodeError as error:
            raise PinError(f"{arguments.notebook} is not a Jupyter notebook: it is not UTF-8 text ({error.reason}).") from error
        pinned = pin_notebook_text(text, arguments.revision, name=str(arguments.notebook))
        if arguments.output is not None:
            if arguments.output.exists():
                raise PinError(f"{arguments.output} already exists. Remove it or choose another --output.")
            try:
                arguments.output.write_text(pinned, encoding="utf-8")
            except OSError as error:
                raise PinError(f"cannot write {arguments.output}: {error.strerror}.") from error
        elif arguments.commit_to is not None:
            check_commit_exists(arguments.repository, arguments.revision)
            files = {NOTEBOOK.as_posix(): pinned.encode(), "README.md": BRANCH_README.encode()}
            message = f"Pin the assignment notebook to {arguments.revision}"
            print(commit_files(arguments.repository, arguments.commit_to, files, message))
        else:
            sys.stdout.write(pinned)
    except PinError as error:
        print(f"pin_notebook: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
