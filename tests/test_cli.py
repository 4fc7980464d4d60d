"""The ``check-data`` and ``train`` commands, called through ``cli.main``."""

from __future__ import annotations

import json
import math

import pytest

from garbage_classifier.cli import main


def test_check_data_clean_folder(make_image_folder, capsys):
    root = make_image_folder()

    status = main(["check-data", "--data", str(root)])
    output = capsys.readouterr().out

    assert status == 0
    assert "OK: every image decodes" in output
    assert "glass" in output


def test_check_data_names_bad_photos(make_image_folder, write_image, capsys):
    root = make_image_folder()
    truncated = write_image(root / "glass" / "truncated.jpg", size=64, seed=77)
    content = truncated.read_bytes()
    truncated.write_bytes(content[: int(len(content) * 0.6)])
    empty = root / "metal" / "x.jpg"
    empty.write_bytes(b"")

    status = main(["check-data", "--data", str(root)])
    output = capsys.readouterr().out

    assert status != 0
    assert f"UNREADABLE {truncated}" in output
    assert f"UNREADABLE {empty}" in output


def test_check_data_reports_checksums(make_image_folder, write_image, write_checksums, tmp_path, capsys):
    image_root = make_image_folder(root=tmp_path / "trashnet" / "images")
    write_checksums(image_root, tmp_path / "trashnet" / "SHA256SUMS")
    write_image(image_root / "glass" / "glass2.jpg", seed=999)
    (image_root / "metal" / "metal3.jpg").unlink()
    write_image(image_root / "cardboard" / "cardboard9.jpg", seed=998)

    status = main(["check-data", "--data", str(tmp_path / "trashnet")])
    output = capsys.readouterr().out

    assert status != 0
    assert f"CHANGED {image_root / 'glass' / 'glass2.jpg'}" in output
    assert f"MISSING {image_root / 'metal' / 'metal3.jpg'}" in output
    assert f"EXTRA {image_root / 'cardboard' / 'cardboard9.jpg'}" in output
    assert "3 difference(s)" in output


def test_check_data_matching_checksums(make_image_folder, write_checksums, tmp_path, capsys):
    image_root = make_image_folder(root=tmp_path / "trashnet" / "images")
    write_checksums(image_root, tmp_path / "trashnet" / "SHA256SUMS")

    status = main(["check-data", "--data", str(tmp_path / "trashnet")])
    output = capsys.readouterr().out

    assert status == 0
    assert "matches its checksum" in output


def test_check_data_missing_folder(tmp_path, capsys):
    missing = tmp_path / "nowhere"

    status = main(["check-data", "--data", str(missing)])
    captured = capsys.readouterr()

    assert status == 2
    assert captured.err.startswith("error: ")
    assert str(missing) in captured.err


def test_train_smoke_prints_json(make_image_folder, capsys):
    root = make_image_folder(per_class=6)

    status = main([
        "train", "--profile", "smoke", "--quiet", "--data", str(root),
        "--epochs", "1", "--image-size", "32", "--device", "cpu", "--precision", "float32",
    ])
    record = json.loads(capsys.readouterr().out)

    assert status == 0
    assert record["profile"]["name"] == "smoke"
    assert record["profile"]["crop"] == 32
    assert record["config"]["epochs"] == 1
    assert len(record["history"]["records"]) == 1
    assert math.isfinite(record["history"]["records"][0]["train_loss"])
    assert record["environment"]["precision"] == "float32"


def test_train_writes_records_dir(make_image_folder, tmp_path, capsys):
    root = make_image_folder(per_class=6)
    records_dir = tmp_path / "records"

    status = main([
        "train", "--run", "task3_adam", "--profile", "smoke", "--quiet", "--data", str(root),
        "--epochs", "1", "--image-size", "32", "--device", "cpu", "--precision", "float32",
        "--records-dir", str(records_dir),
    ])
    printed = json.loads(capsys.readouterr().out)
    saved = json.loads((records_dir / "task3_adam.json").read_text())

    assert status == 0
    assert saved == printed
    assert saved["config"]["optimizer"] == "adam"


def test_train_rejects_unknown_run(capsys):
    with pytest.raises(SystemExit) as stopped:
        main(["train", "--run", "task9"])

    assert stopped.value.code == 2
    assert "task3_sgd" in capsys.readouterr().err
