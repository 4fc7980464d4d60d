"""The book's notebooks are stored clean, and scripts/strip_notebooks.py keeps them clean.

Jupyter Book executes the notebooks at build time, so stored outputs, execution counts and
widget state would only be stale numbers from some earlier run.
"""

from __future__ import annotations

import copy
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "book").rglob("*.ipynb"))
STRIP_SCRIPT = ROOT / "scripts" / "strip_notebooks.py"
SAMPLE_NOTEBOOK = ROOT / "book" / "assignment_notebook.ipynb"
WIDGET_STATE = {"application/vnd.jupyter.widget-state+json": {"state": {}, "version_major": 2, "version_minor": 0}}


def notebook_id(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def write_dirty_copy(source: Path, target: Path) -> None:
    """Write ``source`` to ``target`` with outputs, execution counts and widget state added."""
    notebook = nbformat.read(source, as_version=nbformat.NO_CONVERT)
    notebook.metadata["widgets"] = copy.deepcopy(WIDGET_STATE)
    code_cells = [cell for cell in notebook.cells if cell.cell_type == "code"]
    for count, cell in enumerate(code_cells, start=1):
        cell.execution_count = count
        cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=f"output {count}\n")]
    code_cells[0].metadata["widgets"] = copy.deepcopy(WIDGET_STATE)
    nbformat.write(notebook, target)


def run_strip_script(*arguments: str | Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(STRIP_SCRIPT), *map(str, arguments)],
        capture_output=True,
        text=True,
    )


def test_book_has_notebooks():
    assert SAMPLE_NOTEBOOK in NOTEBOOKS


@pytest.mark.parametrize("path", NOTEBOOKS, ids=notebook_id)
def test_notebook_is_valid(path):
    notebook = nbformat.read(path, as_version=nbformat.NO_CONVERT)

    nbformat.validate(notebook)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=notebook_id)
def test_notebook_has_no_outputs(path):
    notebook = nbformat.read(path, as_version=nbformat.NO_CONVERT)

    for index, cell in enumerate(notebook.cells):
        assert not cell.get("outputs"), f"cell {index} has outputs; run scripts/strip_notebooks.py {notebook_id(path)}"
        assert cell.get("execution_count") is None, f"cell {index} has an execution count"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=notebook_id)
def test_notebook_has_no_widget_state(path):
    notebook = nbformat.read(path, as_version=nbformat.NO_CONVERT)

    assert "widgets" not in notebook.metadata
    for index, cell in enumerate(notebook.cells):
        assert "widgets" not in cell.get("metadata", {}), f"cell {index} metadata has 'widgets'"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=notebook_id)
def test_notebook_kernel_is_python3(path):
    notebook = nbformat.read(path, as_version=nbformat.NO_CONVERT)

    assert notebook.metadata["kernelspec"]["name"] == "python3"


def test_strip_check_reports_dirty_notebook(tmp_path):
    dirty = tmp_path / "dirty.ipynb"
    write_dirty_copy(SAMPLE_NOTEBOOK, dirty)
    before = dirty.read_bytes()

    result = run_strip_script("--check", dirty)

    assert result.returncode == 1
    assert "notebook metadata has 'widgets'" in result.stdout
    assert "cell 2 has 1 output(s)" in result.stdout
    assert "cell 2 has execution count 1" in result.stdout
    assert "cell 2 metadata has 'widgets'" in result.stdout
    assert dirty.read_bytes() == before, "--check changed the file"


def test_strip_check_passes_clean_notebook(tmp_path):
    clean = tmp_path / "clean.ipynb"
    shutil.copy(SAMPLE_NOTEBOOK, clean)

    result = run_strip_script("--check", clean)

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == ""


def test_strip_restores_clean_notebook(tmp_path):
    dirty = tmp_path / "dirty.ipynb"
    write_dirty_copy(SAMPLE_NOTEBOOK, dirty)

    result = run_strip_script(dirty)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "stripped" in result.stdout
    # The stored notebook is clean, so stripping the dirty copy must give its exact bytes.
    assert dirty.read_bytes() == SAMPLE_NOTEBOOK.read_bytes()
    assert run_strip_script("--check", dirty).returncode == 0


def test_strip_leaves_clean_file_untouched(tmp_path):
    clean = tmp_path / "clean.ipynb"
    shutil.copy(SAMPLE_NOTEBOOK, clean)
    os.utime(clean, ns=(0, 0))

    result = run_strip_script(clean)

    assert result.returncode == 0
    assert clean.stat().st_mtime_ns == 0, "a clean notebook was rewritten"


def test_strip_rejects_non_notebook(tmp_path):
    broken = tmp_path / "broken.ipynb"
    broken.write_text("this is not JSON")

    result = run_strip_script("--check", broken)

    assert result.returncode == 2
    assert "broken.ipynb: invalid notebook" in result.stderr


def find_pre_commit() -> str:
    beside_python = Path(sys.executable).with_name("pre-commit")
    if beside_python.is_file():
        return str(beside_python)
    on_path = shutil.which("pre-commit")
    if on_path is None:
        pytest.fail("pre-commit is not installed; install the pinned environment with `pip install -r requirements.txt`")
    return on_path


def test_pre_commit_hook_strips_notebook(tmp_path):
    """Run the repository's .pre-commit-config.yaml in a scratch git repository."""
    pre_commit = find_pre_commit()
    repository = tmp_path / "repository"
    (repository / "scripts").mkdir(parents=True)
    (repository / "book").mkdir()
    shutil.copy(ROOT / ".pre-commit-config.yaml", repository)
    shutil.copy(STRIP_SCRIPT, repository / "scripts")
    dirty = repository / "book" / "assignment_notebook.ipynb"
    write_dirty_copy(SAMPLE_NOTEBOOK, dirty)
    # The hook runs .venv/bin/python, as in a checkout where `make test` created .venv.
    python = repository / ".venv" / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
    python.chmod(python.stat().st_mode | stat.S_IXUSR)
    environment = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home")}
    subprocess.run(["git", "init", "--quiet"], cwd=repository, check=True)
    subprocess.run(["git", "add", "."], cwd=repository, check=True)

    first = subprocess.run(
        [pre_commit, "run", "--files", "book/assignment_notebook.ipynb"],
        cwd=repository,
        env=environment,
        capture_output=True,
        text=True,
    )
    second = subprocess.run(
        [pre_commit, "run", "--files", "book/assignment_notebook.ipynb"],
        cwd=repository,
        env=environment,
        capture_output=True,
        text=True,
    )

    assert first.returncode == 1, first.stdout + first.stderr
    assert "files were modified by this hook" in first.stdout
    assert dirty.read_bytes() == SAMPLE_NOTEBOOK.read_bytes()
    assert second.returncode == 0, second.stdout + second.stderr
