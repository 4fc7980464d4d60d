"""The repository address and revision agree between the book, the package and the notebook."""

import json
import re
from pathlib import Path

import yaml

from garbage_classifier import data

REPOSITORY = Path(__file__).resolve().parents[1]


def book_repository():
    config = yaml.safe_load((REPOSITORY / "_config.yml").read_text())
    return config["repository"]["url"], config["repository"]["branch"]


def notebook_constant(name):
    notebook = json.loads((REPOSITORY / "book" / "assignment_notebook.ipynb").read_text())
    setup = next(cell for cell in notebook["cells"] if cell["cell_type"] == "code")
    match = re.search(rf'^{name} = "([^"]+)"$', "".join(setup["source"]), flags=re.MULTILINE)
    assert match, f"{name} is missing from the notebook's first code cell"
    return match.group(1)


def test_package_matches_book_config():
    url, branch = book_repository()
    assert data.COURSE_REPOSITORY == url, "change COURSE_REPOSITORY in src/garbage_classifier/data.py to _config.yml's repository.url"
    assert data.COURSE_REVISION == branch, "change COURSE_REVISION in src/garbage_classifier/data.py to _config.yml's repository.branch"


def test_notebook_setup_cell_matches_book_config():
    url, branch = book_repository()
    assert notebook_constant("COURSE_REPOSITORY") == url, "change COURSE_REPOSITORY in the notebook's set-up cell to _config.yml's repository.url"
    assert notebook_constant("COURSE_REVISION") == branch, "change COURSE_REVISION in the notebook's set-up cell to _config.yml's repository.branch"


def test_default_data_url_points_at_repository_archive(monkeypatch):
    monkeypatch.delenv(data.DATA_URL_ENV_VAR, raising=False)
    url, branch = book_repository()
    assert data.default_data_url() == f"{url}/archive/{branch}.zip"
