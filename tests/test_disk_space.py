"""The first `make` step stops with a plain message when the disk cannot hold .venv."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "check_disk_space.py"


def run_check(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args], capture_output=True, text=True, check=False
    )


def test_short_space_names_folder_and_amount(tmp_path):
    venv = tmp_path / "not-yet" / ".venv"
    result = run_check(str(venv), "1e9")  # more than any disk here has
    assert result.returncode == 1
    assert str(venv) in result.stderr
    assert "GB free, 1000000000.0 GB more needed (about 1000000000.0 GB in all;" in result.stderr
    assert "Free some space" in result.stderr
    assert not venv.exists(), "the check must not create the folder it measures"


def test_enough_space_passes_quietly(tmp_path):
    result = run_check(str(tmp_path / ".venv"), "0.001")
    assert result.returncode == 0
    assert result.stderr == ""


def test_existing_venv_counts_towards_need(tmp_path):
    """A reinstall after requirements.txt changed only needs room for what is not there yet."""
    venv = tmp_path / ".venv"
    venv.mkdir()
    # A sparse file: 50 GB by its size, almost nothing on disk.
    with open(venv / "big.bin", "wb") as handle:
        handle.truncate(50 * 10**9)
    free = shutil.disk_usage(tmp_path).free / 1e9
    # More than is free, but less than free space plus what the folder already holds.
    assert run_check(str(venv), str(free + 10)).returncode == 0
    # For a much larger request, the message reports how much is already there.
    assert "of which 50.0 GB are already there" in run_check(str(venv), str(free + 100)).stderr
    (venv / "big.bin").unlink()
    assert run_check(str(venv), str(free + 10)).returncode == 1


@pytest.mark.parametrize("args", [(), ("a", "1", "extra")])
def test_wrong_number_of_arguments_prints_usage(args):
    result = run_check(*args)
    assert result.returncode == 2
    assert "Usage: python scripts/check_disk_space.py FOLDER [GIGABYTES]" in result.stderr


@pytest.mark.parametrize("amount", ["lots", "-3", "nan", "inf"])
def test_bad_amount_is_named(tmp_path, amount):
    result = run_check(str(tmp_path), amount)
    assert result.returncode == 2
    assert f"GIGABYTES must be a finite number of 0 or more, got '{amount}'" in result.stderr


def test_help_prints_the_usage():
    result = run_check("--help")
    assert result.returncode == 0
    assert "Usage: python scripts/check_disk_space.py FOLDER [GIGABYTES]" in result.stdout
    # The help text states the default; it must follow the constant.
    spec = importlib.util.spec_from_file_location("check_disk_space", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert f"{module.DEFAULT_NEEDED_GB:g} by default" in result.stdout


def test_makefile_checks_before_venv():
    recipe = (ROOT / "Makefile").read_text(encoding="utf-8")
    check = recipe.index("scripts/check_disk_space.py $(VENV)")
    assert check < recipe.index("-m venv $(VENV)")
