"""Strip outputs, execution counts and widget state from Jupyter notebooks.

The book's notebooks are stored without outputs: Jupyter Book executes them at build time,
and stored outputs would show numbers from some earlier run. Widget state (``widgets`` in
the notebook's or a cell's metadata) is saved by ipywidgets and is just as stale.

Usage::

    python scripts/strip_notebooks.py book/*.ipynb          # strip in place
    python scripts/strip_notebooks.py --check book/*.ipynb  # only report, exit 1 if dirty

Exit status: 0 when every notebook is clean (or was stripped), 1 when ``--check`` found a
notebook to strip, 2 when a file could not be read as a notebook.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat


def find_problems(notebook: nbformat.NotebookNode) -> list[str]:
    """Return one line for each output, execution count or widget state in ``notebook``."""
    problems = []
    if "widgets" in notebook.metadata:
        problems.append("notebook metadata has 'widgets'")
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type == "code" and cell.get("outputs"):
            problems.append(f"cell {index} has {len(cell.outputs)} output(s)")
        if cell.cell_type == "code" and cell.get("execution_count") is not None:
            problems.append(f"cell {index} has execution count {cell.execution_count}")
        if "widgets" in cell.get("metadata", {}):
            problems.append(f"cell {index} metadata has 'widgets'")
    return problems


def strip(notebook: nbformat.NotebookNode) -> None:
    """Remove outputs, execution counts and widget state from ``notebook`` in place."""
    notebook.metadata.pop("widgets", None)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        cell.get("metadata", {}).pop("widgets", None)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="notebook files (.ipynb) to check or strip")
    parser.add_argument(
        "--check",
        action="store_true",
        help="change no file; list what would be stripped and exit 1 if anything would be",
    )
    arguments = parser.parse_args(argv)

    status = 0
    for path in arguments.notebooks:
        try:
            notebook = nbformat.read(path, as_version=nbformat.NO_CONVERT)
        except (OSError, ValueError) as error:
            # nbformat raises NotJSONError, a ValueError, for a file that is not JSON.
            print(f"{path}: invalid notebook: {error}", file=sys.stderr)
            status = 2
            continue

        problems = find_problems(notebook)
        if not problems:
            continue
        if arguments.check:
            for problem in problems:
                print(f"{path}: {problem}")
            status = max(status, 1)
        else:
            strip(notebook)
            nbformat.write(notebook, path)
            print(f"{path}: stripped ({len(problems)} item(s))")

    if arguments.check and status == 1:
        print("Strip them with: python scripts/strip_notebooks.py FILES", file=sys.stderr)
    return status


if __name__ == "__main__":
    raise SystemExit(main())
