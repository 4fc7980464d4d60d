"""The GitHub Actions workflows: schema, zizmor's security audit, and what they run.

The workflows must run the README's own commands (`make test`, `make book-smoke`,
`make book`), so that CI checks what a maintainer runs and never a drifting copy.
check-jsonschema and zizmor come from requirements.txt.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = ROOT / ".github" / "workflows"
WORKFLOW_FILES = sorted(WORKFLOWS.glob("*.yml")) + sorted(WORKFLOWS.glob("*.yaml"))

# Commands that only the Makefile may run. A workflow that runs them itself is a copy of
# the README's commands that can drift from them.
COPIED_COMMANDS = ("pytest", "jupyter-book", "jupyter_book", "scripts/build_book.py", "pip install")


def find_tool(name: str) -> str:
    """Return the path of a tool from requirements.txt, or fail the test with how to install it."""
    beside_python = Path(sys.executable).with_name(name)
    if beside_python.is_file():
        return str(beside_python)
    on_path = shutil.which(name)
    if on_path is None:
        pytest.fail(f"{name} is not installed; install the pinned environment with `pip install -r requirements.txt`")
    return on_path


def load_workflow(name: str) -> dict:
    path = WORKFLOWS / name
    assert path.is_file(), f"{path.relative_to(ROOT)} is missing"
    workflow = yaml.safe_load(path.read_text())
    # YAML 1.1, which PyYAML implements, reads the key `on` as the boolean True.
    if True in workflow:
        workflow["on"] = workflow.pop(True)
    return workflow


def run_commands(job: dict) -> list[str]:
    return [step["run"] for step in job.get("steps", []) if "run" in step]


def step_using(job: dict, action: str) -> dict | None:
    """Return the first step of ``job`` that uses ``action`` (``owner/name``, any version)."""
    for step in job.get("steps", []):
        if step.get("uses", "").split("@")[0] == action:
            return step
    return None


def test_workflow_files_exist():
    names = {path.name for path in WORKFLOW_FILES}

    assert "ci.yml" in names
    assert "publish.yml" in names


@pytest.mark.parametrize("path", WORKFLOW_FILES, ids=lambda path: path.name)
def test_workflow_matches_schema(path):
    tool = find_tool("check-jsonschema")

    result = subprocess.run(
        [tool, "--builtin-schema", "vendor.github-workflows", str(path)],
        capture_output=True,
        text=True,
    )

    assert result.returncode == 0, result.stdout + result.stderr


def test_zizmor_finds_nothing():
    tool = find_tool("zizmor")

    # --offline skips the audits that query the GitHub API, so zizmor needs no network.
    result = subprocess.run(
        [tool, "--offline", "--no-progress", "--color", "never", str(WORKFLOWS)],
        capture_output=True,
        text=True,
    )

    assert result.returncode == 0, result.stdout + result.stderr


def test_readme_lists_the_make_targets():
    readme = (ROOT / "README.md").read_text()

    for command in ("make test", "make book-smoke", "make book"):
        assert command in readme, f"README.md no longer mentions `{command}`"


def test_ci_runs_make_test_then_smoke_build():
    workflow = load_workflow("ci.yml")
    triggers = workflow["on"]
    job = workflow["jobs"]["test-and-smoke-build"]
    commands = run_commands(job)

    assert "push" in triggers
    assert "pull_request" in triggers
    assert job["runs-on"] == "ubuntu-latest"
    assert "make test" in commands
    assert "make book-smoke" in commands
    assert commands.index("make test") < commands.index("make book-smoke")


def test_ci_uses_python_311_with_pip_cache():
    job = load_workflow("ci.yml")["jobs"]["test-and-smoke-build"]
    setup = step_using(job, "actions/setup-python")

    assert setup is not None
    assert str(setup["with"]["python-version"]) == "3.11"
    assert setup["with"]["cache"] == "pip"


def test_ci_uploads_reports_on_failure():
    job = load_workflow("ci.yml")["jobs"]["test-and-smoke-build"]
    upload = step_using(job, "actions/upload-artifact")

    assert upload is not None
    assert upload.get("if") == "failure()"
    assert "_build/html/reports" in upload["with"]["path"]
    assert "_build/**/*.log" in upload["with"]["path"]


def test_publish_builds_with_warnings_as_errors():
    workflow = load_workflow("publish.yml")
    build_commands = [command for command in run_commands(workflow["jobs"]["build"]) if command.startswith("make book")]

    assert len(build_commands) == 1
    assert re.fullmatch(r'make book BUILD_OPTIONS="-W -n --keep-going( .*)?"', build_commands[0])


def test_publish_launch_buttons_open_the_pinned_notebook():
    """The build gets the pin job's commit for the launch buttons and pins the download to the built commit."""
    jobs = load_workflow("publish.yml")["jobs"]
    build = jobs["build"]
    (command,) = [command for command in run_commands(build) if command.startswith("make book")]

    assert build["needs"] == "pin"
    assert build["env"]["LAUNCH_REVISION"] == "${{ needs.pin.outputs.launch-revision }}"
    assert "--launch-revision ${LAUNCH_REVISION}" in command
    assert "--pin-revision ${GITHUB_SHA}" in command
    assert jobs["pin"]["outputs"]["launch-revision"] == "${{ steps.pin.outputs.launch-revision }}"


def test_publish_write_access_only_in_pin_job():
    jobs = load_workflow("publish.yml")["jobs"]

    assert jobs["pin"]["permissions"] == {"contents": "write"}
    assert jobs["pin"]["runs-on"] == "ubuntu-latest"
    for name, job in jobs.items():
        if name != "pin":
            assert job["permissions"].get("contents", "none") in ("read", "none"), name
    # The pin job runs nothing but its own script: no setup-python, no installed packages.
    assert [step.get("uses", "").split("@")[0] for step in jobs["pin"]["steps"] if "uses" in step] == ["actions/checkout"]


def test_makefile_forwards_build_options():
    """publish.yml's BUILD_OPTIONS reach jupyter-book only if the book target passes them on."""
    makefile = (ROOT / "Makefile").read_text()
    recipe = re.search(r"^book:.*\n((?:\t.*\n)+)", makefile, flags=re.MULTILINE)

    assert recipe is not None, "Makefile has no `book:` target"
    assert "$(BUILD_OPTIONS)" in recipe.group(1), (
        "the Makefile's book target ignores BUILD_OPTIONS, so publish.yml's full build "
        "would not treat warnings as errors; pass $(BUILD_OPTIONS) to scripts/build_book.py"
    )


def test_publish_triggers():
    triggers = load_workflow("publish.yml")["on"]

    assert triggers["push"]["branches"] == ["main"]
    assert triggers["schedule"][0]["cron"]
    assert "workflow_dispatch" in triggers


def test_publish_gpu_runner_from_repository_variable():
    runs_on = load_workflow("publish.yml")["jobs"]["build"]["runs-on"]

    assert isinstance(runs_on, str)
    assert re.fullmatch(r"\$\{\{\s*vars\.[A-Z_]+\s*(\|\|\s*'[\w-]+'\s*)?\}\}", runs_on), runs_on


def test_publish_deploys_with_pages_actions():
    jobs = load_workflow("publish.yml")["jobs"]
    deploy = jobs["deploy"]

    assert step_using(jobs["build"], "actions/upload-pages-artifact") is not None
    assert step_using(deploy, "actions/deploy-pages") is not None
    assert deploy["needs"] == "build"
    assert deploy["environment"]["name"] == "github-pages"
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}


def test_publish_has_concurrency_group():
    concurrency = load_workflow("publish.yml")["concurrency"]

    assert concurrency["group"]
    # Cancelling would stop a deployment halfway.
    assert concurrency["cancel-in-progress"] is False


def test_publish_uploads_reports_on_failure():
    build = load_workflow("publish.yml")["jobs"]["build"]
    upload = step_using(build, "actions/upload-artifact")

    assert upload is not None
    assert upload.get("if") == "failure()"
    assert "_build/html/reports" in upload["with"]["path"]


def test_publish_cache_key_covers_every_input():
    build = load_workflow("publish.yml")["jobs"]["build"]
    cache = step_using(build, "actions/cache")

    assert cache is not None
    assert "_build/.jupyter_cache" in cache["with"]["path"]
    key = cache["with"]["key"]
    for pattern in ("src/**", "data/trashnet/SHA256SUMS", "requirements.txt", "pyproject.toml", "book/**/*.ipynb"):
        assert f"'{pattern}'" in key, f"cache key does not hash {pattern}"
    assert "env.GARBAGE_PROFILE" in key
    assert build["env"]["GARBAGE_PROFILE"] == "full"
    # A prefix match would restore results of other inputs, i.e. stale numbers.
    assert "restore-keys" not in cache["with"]


def test_cache_key_patterns_match_files():
    for pattern in ("src/**/*", "data/trashnet/SHA256SUMS", "requirements.txt", "pyproject.toml", "book/**/*.ipynb"):
        assert any(ROOT.glob(pattern)), f"{pattern} matches no file, so the cache key would not change with it"


@pytest.mark.parametrize("name", ["ci.yml", "publish.yml"])
def test_workflow_permissions_are_minimal(name):
    workflow = load_workflow(name)

    assert workflow["permissions"] == {}
    for job_name, job in workflow["jobs"].items():
        permissions = job.get("permissions")
        assert permissions is not None, f"{name}: job {job_name} states no permissions"
        # deploy and pin are tested on their own: each needs write access to one thing.
        if job_name not in ("deploy", "pin"):
            assert permissions == {"contents": "read"}, f"{name}: job {job_name}: {permissions}"


@pytest.mark.parametrize("name", ["ci.yml", "publish.yml"])
def test_workflow_runs_no_copied_commands(name):
    workflow = load_workflow(name)

    for job in workflow["jobs"].values():
        for command in run_commands(job):
            for copied in COPIED_COMMANDS:
                assert copied not in command, f"{name} runs `{copied}` itself instead of a make target: {command!r}"


@pytest.mark.parametrize("name", ["ci.yml", "publish.yml"])
def test_checkout_keeps_no_credentials(name):
    for job in load_workflow(name)["jobs"].values():
        checkout = step_using(job, "actions/checkout")
        if checkout is not None:
            assert checkout["with"]["persist-credentials"] is False
