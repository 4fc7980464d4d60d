"""Students get a notebook pinned to the commit the site was built from.

scripts/pin_notebook.py rewrites the set-up cell's COURSE_REVISION and commits the copy to
the `colab` branch. scripts/build_book.py points the launch buttons at that commit and pins
the site's downloads. The last tests run the publishing workflow's own pin step against a
bare repository on disk in place of GitHub.
"""

from __future__ import annotations

import difflib
import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "book" / "assignment_notebook.ipynb"
COMMIT = "0123456789abcdef0123456789abcdef01234567"
GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "Test Publisher",
    "GIT_AUTHOR_EMAIL": "publisher@example.invalid",
    "GIT_COMMITTER_NAME": "Test Publisher",
    "GIT_COMMITTER_EMAIL": "publisher@example.invalid",
}


@pytest.fixture
def scripts(monkeypatch):
    """Import scripts/pin_notebook.py and scripts/build_book.py as modules."""
    monkeypatch.syspath_prepend(str(ROOT / "scripts"))
    import build_book
    import pin_notebook

    return pin_notebook, build_book


@pytest.fixture
def git_env(monkeypatch):
    for name, value in GIT_IDENTITY.items():
        monkeypatch.setenv(name, value)
    # A user's global git settings (hooks, signing, default branch) must not change the result.
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", os.devnull)
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    return dict(os.environ)


def git(repository: Path, *arguments: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repository), *arguments], capture_output=True, text=True, check=True
    ).stdout.strip()


def setup_cell(notebook_text: str) -> str:
    cells = json.loads(notebook_text)["cells"]
    return "".join(next(cell for cell in cells if cell["cell_type"] == "code")["source"])


def make_repository(path: Path) -> Path:
    """Return a git repository with one commit on main holding a file that is not a notebook."""
    path.mkdir(parents=True)
    git(path, "init", "--quiet", "--initial-branch=main")
    (path / "notes.txt").write_text("course material\n")
    git(path, "add", "notes.txt")
    git(path, "commit", "--quiet", "-m", "Start")
    return path


# --------------------------------------------------------------------------- the pinned text


def test_pinning_changes_only_the_revision_line(scripts):
    pin_notebook, _ = scripts
    stored = NOTEBOOK.read_text(encoding="utf-8")

    pinned = pin_notebook.pin_notebook_text(stored, COMMIT)

    changed = [
        line
        for line in difflib.unified_diff(stored.splitlines(), pinned.splitlines(), lineterm="", n=0)
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]
    assert changed == ['-    "COURSE_REVISION = \\"main\\"\\n",', f'+    "COURSE_REVISION = \\"{COMMIT}\\"\\n",']


@pytest.mark.parametrize("revision", ["main", "v2026.1", "0123456", COMMIT.upper(), COMMIT + "0", "", None])
def test_moving_revisions_are_rejected(scripts, revision):
    pin_notebook, _ = scripts

    with pytest.raises(pin_notebook.PinError, match="not a full commit hash") as caught:
        pin_notebook.pin_notebook_text(NOTEBOOK.read_text(), revision)
    assert repr(revision) in str(caught.value)


@pytest.mark.parametrize(
    ("source", "problem"),
    [
        ('COURSE_REPOSITORY = "x"\n', "found 0 such lines"),
        ('COURSE_REVISION = "main"\nCOURSE_REVISION = "main"\n', "found 2 such lines"),
        ('if True:\n    COURSE_REVISION = "main"\n', "found 0 such lines"),
    ],
)
def test_setup_cell_needs_one_revision_line(scripts, source, problem):
    pin_notebook, _ = scripts
    notebook = {"cells": [{"cell_type": "code", "source": source, "metadata": {}, "outputs": []}], "metadata": {}}

    with pytest.raises(pin_notebook.PinError, match=problem) as caught:
        pin_notebook.pin_notebook_text(json.dumps(notebook), COMMIT, name="course.ipynb")
    assert "course.ipynb" in str(caught.value)


@pytest.mark.parametrize(
    ("contents", "reason"),
    [
        (b"{ not json", "it is not valid JSON"),
        (b"[1, 2]", "it has no list of cells"),
        (b'{"metadata": {}}', "it has no list of cells"),
        (b"\xff\xfe\x00\x00", "it is not UTF-8 text"),
    ],
)
def test_non_notebook_file_is_rejected(scripts, tmp_path, capsys, contents, reason):
    pin_notebook, _ = scripts
    broken = tmp_path / "broken.ipynb"
    broken.write_bytes(contents)

    assert pin_notebook.main(["--revision", COMMIT, "--notebook", str(broken)]) == 2
    assert f"{broken} is not a Jupyter notebook: {reason}" in capsys.readouterr().err


def test_output_into_missing_folder_is_reported(scripts, tmp_path, capsys):
    pin_notebook, _ = scripts
    target = tmp_path / "missing" / "pinned.ipynb"

    assert pin_notebook.main(["--revision", COMMIT, "--output", str(target)]) == 2
    assert f"cannot write {target}: No such file or directory" in capsys.readouterr().err


def test_output_never_overwrites_a_file(scripts, tmp_path, capsys):
    pin_notebook, _ = scripts
    existing = tmp_path / "mine.ipynb"
    existing.write_text("my own work")

    assert pin_notebook.main(["--revision", COMMIT, "--output", str(existing)]) == 2
    assert existing.read_text() == "my own work"
    assert "already exists" in capsys.readouterr().err


def test_pinned_setup_cell_uses_commit(scripts, monkeypatch):
    """Run the pinned set-up cell with pip and the download replaced by recorders."""
    pin_notebook, _ = scripts
    from garbage_classifier import data

    cell = setup_cell(pin_notebook.pin_notebook_text(NOTEBOOK.read_text(), COMMIT))
    installs, fetches = [], []
    real_find_spec = importlib.util.find_spec
    monkeypatch.delenv("GARBAGE_PACKAGE_SOURCE", raising=False)
    monkeypatch.delenv(data.DATA_URL_ENV_VAR, raising=False)
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *rest: None if name == "garbage_classifier" else real_find_spec(name, *rest)
    )
    monkeypatch.setattr(subprocess, "run", lambda command, **options: installs.append(command))
    monkeypatch.setattr(data, "ensure_dataset", lambda url=None, *, revision: fetches.append(revision) or Path("photos"))

    exec(compile(cell, "setup cell", "exec"), {"__name__": "__main__"})

    repository = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]["url"]
    assert installs == [[sys.executable, "-m", "pip", "install", "--quiet", f"git+{repository}@{COMMIT}"]]
    assert fetches == [COMMIT]
    assert data.default_data_url(COMMIT) == f"{repository}/archive/{COMMIT}.zip"


class FakeDistribution:
    """Stand-in for importlib.metadata's record of an installed course package."""

    def __init__(self, direct_url):
        self.direct_url = direct_url

    def read_text(self, name):
        return self.direct_url if name == "direct_url.json" else None


def run_setup_cell_over_install(pin_notebook, monkeypatch, capsys, revision, direct_url):
    """Run the set-up cell with a course package already installed, and return what it printed."""
    from importlib import metadata

    from garbage_classifier import data

    def distribution(name):
        if direct_url is metadata.PackageNotFoundError:
            raise metadata.PackageNotFoundError(name)
        return FakeDistribution(direct_url)

    installs = []
    monkeypatch.setattr(metadata, "distribution", distribution)
    monkeypatch.setattr(subprocess, "run", lambda command, **options: installs.append(command))
    monkeypatch.setattr(data, "ensure_dataset", lambda url=None, *, revision: Path("photos"))
    source = NOTEBOOK.read_text()
    if revision != "main":
        source = pin_notebook.pin_notebook_text(source, revision)

    exec(compile(setup_cell(source), "setup cell", "exec"), {"__name__": "__main__"})

    assert installs == [], "an installed package is kept"
    printed = capsys.readouterr()
    return printed.out + printed.err


def git_install(commit):
    return json.dumps({"url": "https://example.invalid/course.git", "vcs_info": {"vcs": "git", "commit_id": commit}})


def test_warns_about_older_install(scripts, monkeypatch, capsys):
    other = "f" * 40
    printed = run_setup_cell_over_install(scripts[0], monkeypatch, capsys, COMMIT, git_install(other))

    assert f"comes from commit {other[:12]}" in printed
    assert f"belongs to commit {COMMIT[:12]}" in printed
    repository = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]["url"]
    assert f"\n    %pip install --force-reinstall --no-deps git+{repository}@{COMMIT}\n" in printed


@pytest.mark.parametrize(
    ("revision", "direct_url"),
    [
        (COMMIT, git_install(COMMIT)),  # the matching commit
        ("main", git_install("f" * 40)),  # an unpinned notebook has nothing to compare
        (COMMIT, json.dumps({"url": "file:///home/student/course", "dir_info": {"editable": True}})),
        (COMMIT, None),  # installed without a record of its origin
        (COMMIT, "not json"),
        (COMMIT, "PackageNotFoundError"),  # importable from a clone's src/ without an install
    ],
)
def test_quiet_without_comparable_commit(scripts, monkeypatch, capsys, revision, direct_url):
    from importlib import metadata

    if direct_url == "PackageNotFoundError":
        direct_url = metadata.PackageNotFoundError
    printed = run_setup_cell_over_install(scripts[0], monkeypatch, capsys, revision, direct_url)

    assert "WARNING" not in printed


# --------------------------------------------------------------------------- the pinned branch


def test_commit_to_creates_a_branch_of_pinned_copies(scripts, git_env, tmp_path, capsys):
    pin_notebook, _ = scripts
    repository = make_repository(tmp_path / "repository")
    head, status = git(repository, "rev-parse", "HEAD"), git(repository, "status", "--porcelain")

    assert pin_notebook.main(["--revision", head, "--commit-to", "colab", "--repository", str(repository)]) == 0

    assert "branch 'colab' is new here" in capsys.readouterr().err

    tip = git(repository, "rev-parse", "refs/heads/colab")
    assert git(repository, "ls-tree", "-r", "--name-only", tip).splitlines() == ["README.md", "book/assignment_notebook.ipynb"]
    assert f'COURSE_REVISION = "{head}"' in setup_cell(git(repository, "show", f"{tip}:book/assignment_notebook.ipynb"))
    assert git(repository, "log", "--format=%P", "-1", tip) == ""
    # Nothing of the checked-out branch moved: HEAD, index and working tree are as before.
    assert git(repository, "rev-parse", "HEAD") == head
    assert git(repository, "status", "--porcelain") == status
    assert git(repository, "symbolic-ref", "HEAD") == "refs/heads/main"


def test_commit_to_keeps_history(scripts, git_env, tmp_path, capsys):
    pin_notebook, _ = scripts
    repository = make_repository(tmp_path / "repository")

    def pin(revision):
        assert pin_notebook.main(["--revision", revision, "--commit-to", "colab", "--repository", str(repository)]) == 0
        return capsys.readouterr().out.strip()

    older = git(repository, "rev-parse", "HEAD")
    (repository / "notes.txt").write_text("course material, revised\n")
    git(repository, "commit", "--quiet", "-am", "Revise")
    newer = git(repository, "rev-parse", "HEAD")

    first = pin(older)
    again = pin(older)
    second = pin(newer)

    assert again == first
    assert git(repository, "log", "--format=%P", "-1", second) == first
    assert git(repository, "rev-parse", "refs/heads/colab") == second


def test_commit_to_rejects_foreign_branch(scripts, git_env, tmp_path, capsys):
    pin_notebook, _ = scripts
    repository = make_repository(tmp_path / "repository")
    main_before = git(repository, "rev-parse", "refs/heads/main")

    assert pin_notebook.main(["--revision", main_before, "--commit-to", "main", "--repository", str(repository)]) == 2

    assert git(repository, "rev-parse", "refs/heads/main") == main_before
    error = capsys.readouterr().err
    assert "branch 'main'" in error
    assert "notes.txt" in error


@pytest.mark.parametrize("branch", ["bad..name", "", "refs/heads/colab", "has space"])
def test_commit_to_rejects_invalid_branch(scripts, git_env, tmp_path, capsys, branch):
    pin_notebook, _ = scripts
    repository = make_repository(tmp_path / "repository")
    head = git(repository, "rev-parse", "HEAD")

    assert pin_notebook.main(["--revision", head, "--commit-to", branch, "--repository", str(repository)]) == 2
    assert f"{branch!r} is not a valid branch name" in capsys.readouterr().err
    assert git(repository, "for-each-ref", "--format=%(refname)") == "refs/heads/main"


def test_commit_to_rejects_unknown_commit(scripts, git_env, tmp_path, capsys):
    pin_notebook, _ = scripts
    repository = make_repository(tmp_path / "repository")

    assert pin_notebook.main(["--revision", COMMIT, "--commit-to", "colab", "--repository", str(repository)]) == 2
    assert f"revision {COMMIT} is not a commit in {repository}" in capsys.readouterr().err
    assert git(repository, "branch", "--list", "colab") == ""


def test_commit_to_rejects_plain_folder(scripts, git_env, tmp_path, capsys):
    pin_notebook, _ = scripts

    assert pin_notebook.main(["--revision", COMMIT, "--commit-to", "colab", "--repository", str(tmp_path)]) == 2
    assert f"{tmp_path} is not a git repository" in capsys.readouterr().err


def test_commit_to_needs_fetched_remote_branch(scripts, git_env, tmp_path, capsys):
    """A clone without the remote's colab branch would start a second history that the push rejects."""
    pin_notebook, _ = scripts
    upstream = make_repository(tmp_path / "upstream")
    head = git(upstream, "rev-parse", "HEAD")
    assert pin_notebook.main(["--revision", head, "--commit-to", "colab", "--repository", str(upstream)]) == 0
    capsys.readouterr()
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "--quiet", str(upstream), str(clone)], check=True)

    assert pin_notebook.main(["--revision", head, "--commit-to", "colab", "--repository", str(clone)]) == 2
    error = capsys.readouterr().err
    assert "but origin/colab does" in error
    assert "git fetch origin colab:colab" in error
    assert git(clone, "branch", "--list", "colab") == ""


# --------------------------------------------------------------------------- the publishing workflow's pin step


def pin_step() -> dict:
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "publish.yml").read_text())
    (step,) = [step for step in workflow["jobs"]["pin"]["steps"] if step.get("id") == "pin"]
    return step


def run_pin_step(origin: Path, workspace: Path, ref: str, git_env: dict) -> str:
    """Clone ``origin`` the way actions/checkout does, run the pin step there; return its output."""
    subprocess.run(["git", "clone", "--quiet", "--depth=1", f"file://{origin}", str(workspace)], check=True, env=git_env)
    step = pin_step()
    output = workspace.parent / f"{workspace.name}-output"
    environment = dict(git_env)
    # The step's own settings, except the token expression, which only GitHub can fill in.
    environment.update({name: value for name, value in step["env"].items() if "${{" not in value})
    environment.update(
        GITHUB_TOKEN="not-a-real-token",
        GITHUB_SHA=git(workspace, "rev-parse", "HEAD"),
        GITHUB_REF=ref,
        GITHUB_OUTPUT=str(output),
    )
    # GitHub runs `run:` scripts with `bash -e`.
    completed = subprocess.run(["bash", "-e", "-c", step["run"]], cwd=workspace, env=environment, capture_output=True, text=True)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    (line,) = output.read_text().splitlines()
    name, value = line.split("=", 1)
    assert name == "launch-revision"
    return value


@pytest.fixture
def origin(git_env, tmp_path):
    """A bare repository in place of GitHub, whose main contains the real notebook and script."""
    source = make_repository(tmp_path / "source")
    for relative in ("book/assignment_notebook.ipynb", "scripts/pin_notebook.py"):
        (source / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / relative, source / relative)
    git(source, "add", ".")
    git(source, "commit", "--quiet", "-m", "Add the notebook")
    bare = tmp_path / "origin.git"
    subprocess.run(["git", "clone", "--quiet", "--bare", str(source), str(bare)], check=True)
    return bare, source


def test_pin_step_pushes_from_main(origin, git_env, tmp_path):
    bare, source = origin
    built = git(source, "rev-parse", "HEAD")

    first = run_pin_step(bare, tmp_path / "run1", "refs/heads/main", git_env)

    assert git(bare, "rev-parse", "refs/heads/colab") == first
    notebook = git(bare, "show", f"{first}:book/assignment_notebook.ipynb")
    assert f'COURSE_REVISION = "{built}"' in setup_cell(notebook)

    # A scheduled rebuild of the same commit, in a fresh checkout, reuses the pinned copy.
    assert run_pin_step(bare, tmp_path / "run2", "refs/heads/main", git_env) == first

    # A new commit on main gets a new copy on top of the old one.
    (source / "notes.txt").write_text("course material, revised\n")
    git(source, "commit", "--quiet", "-am", "Revise")
    git(source, "push", "--quiet", str(bare), "main")
    second = run_pin_step(bare, tmp_path / "run3", "refs/heads/main", git_env)

    assert git(bare, "rev-parse", "refs/heads/colab") == second
    assert git(bare, "log", "--format=%P", "-1", second) == first
    revised = git(bare, "show", f"{second}:book/assignment_notebook.ipynb")
    assert f'COURSE_REVISION = "{git(source, "rev-parse", "HEAD")}"' in setup_cell(revised)


def test_pin_step_skips_push_elsewhere(origin, git_env, tmp_path):
    bare, _ = origin

    launch = run_pin_step(bare, tmp_path / "run", "refs/heads/try-a-change", git_env)

    assert len(launch) == 40
    assert git(bare, "branch", "--list", "colab") == ""


# --------------------------------------------------------------------------- the build's launch buttons


def test_launch_config_changes_only_the_launch_branch(scripts, tmp_path):
    _, build_book = scripts
    from jupyter_book.config import get_final_config

    def sphinx_config(path):
        config, _ = get_final_config(user_yaml=path, cli_config={"latex_individualpages": False}, sourcedir=ROOT)
        return config

    launch = build_book.write_launch_config(COMMIT, output=tmp_path / "launch.yml")
    pinned, stored = sphinx_config(launch), sphinx_config(ROOT / "_config.yml")

    assert pinned["html_theme_options"].pop("repository_branch") == COMMIT
    assert stored["html_theme_options"].pop("repository_branch") == "main"
    assert pinned == stored


@pytest.mark.parametrize("option", ["--launch-revision", "--pin-revision"])
def test_build_rejects_moving_revision(scripts, capsys, option):
    _, build_book = scripts

    assert build_book.main([option, "main"]) == 2
    assert f"build_book: {option}: revision 'main' is not a full commit hash" in capsys.readouterr().err


def test_build_rejects_unknown_pin_commit(scripts, git_env, tmp_path):
    _, build_book = scripts
    repository = make_repository(tmp_path / "course")

    build_book.check_pin_revision_exists(git(repository, "rev-parse", "HEAD"), repository)
    with pytest.raises(build_book.PinError, match=f"{COMMIT} is not a commit in {repository}"):
        build_book.check_pin_revision_exists(COMMIT, repository)


def test_build_notes_unchecked_pin_outside_git(scripts, tmp_path, capsys):
    _, build_book = scripts

    build_book.check_pin_revision_exists(COMMIT, tmp_path)

    assert f"{tmp_path} is not a git repository, so --pin-revision {COMMIT} was not checked" in capsys.readouterr().err


def test_build_help_keeps_the_cache(tmp_path):
    """`--help` prints the options and must not clear the execution cache of a copy's _build."""
    scripts_folder = tmp_path / "scripts"
    scripts_folder.mkdir()
    for name in ("build_book.py", "pin_notebook.py"):
        shutil.copy2(ROOT / "scripts" / name, scripts_folder / name)
    cached = tmp_path / "_build" / ".jupyter_cache" / "marker"
    cached.parent.mkdir(parents=True)
    cached.write_text("cached outputs")

    completed = subprocess.run(
        [sys.executable, str(scripts_folder / "build_book.py"), "--help"], capture_output=True, text=True, timeout=120
    )

    assert completed.returncode == 0, completed.stderr
    assert "--launch-revision" in completed.stdout
    assert "--keep-going" in completed.stdout
    assert cached.read_text() == "cached outputs"
