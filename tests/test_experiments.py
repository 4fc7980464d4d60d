"""Named assignment runs, run profiles and run records."""

from __future__ import annotations

import json
import math
import warnings

import pytest
import torch

from garbage_classifier.data import load_dataset, split_dataset
from garbage_classifier.experiments import (
    ASSIGNMENT_RUNS,
    RunConfig,
    get_run_config,
    load_records,
    run_experiment,
    save_record,
)
from garbage_classifier.profiles import PROFILES, Profile, get_profile

TINY_PROFILE = Profile(
    name="tiny", resize=36, crop=32, epochs=2, images_per_class=None, batch_size=4, is_real_scale=False
)
RUN_OPTIONS = {"device": "cpu", "precision": "float32", "progress": False, "save": False}


@pytest.fixture(scope="module")
def tiny_splits(image_folder_builder, tmp_path_factory):
    """Twelve 32 px photos of three classes: eight for training, four for validation."""
    root = image_folder_builder(tmp_path_factory.mktemp("photos"), per_class=4)
    dataset = load_dataset(root, resize=36, crop=32, use_cache=False, progress=False)
    return split_dataset(dataset, sizes=(8, 4, 0), seed=23)


@pytest.fixture(scope="module")
def seeded_runs(tiny_splits):
    """The same run twice with seed 23 and once with seed 24, two epochs each."""
    return {
        "first": run_experiment("task3_adam", tiny_splits, TINY_PROFILE, **RUN_OPTIONS),
        "repeat": run_experiment("task3_adam", tiny_splits, TINY_PROFILE, **RUN_OPTIONS),
        "other_seed": run_experiment("task3_adam", tiny_splits, TINY_PROFILE, seed=24, **RUN_OPTIONS),
    }


@pytest.fixture(scope="module")
def saved_run(tiny_splits, tmp_path_factory):
    """One epoch of ``task5_zero`` with a learning rate override, saved to a folder."""
    records_dir = tmp_path_factory.mktemp("records")
    options = dict(RUN_OPTIONS, save=True)
    record = run_experiment("task5_zero", tiny_splits, TINY_PROFILE, lr=1e-3, epochs=1, records_dir=records_dir, **options)
    return record, records_dir


def history_columns(record) -> dict[str, list]:
    return {name: record.history.column(name) for name in ("train_loss", "val_loss", "val_accuracy")}


def test_run_experiment_same_seed_same_history(seeded_runs):
    assert len(seeded_runs["first"].history.records) == 2
    assert history_columns(seeded_runs["first"]) == history_columns(seeded_runs["repeat"])


def test_run_experiment_seed_changes_history(seeded_runs):
    first = seeded_runs["first"].history.column("train_loss")
    other = seeded_runs["other_seed"].history.column("train_loss")

    assert first != other


def test_run_experiment_same_seed_same_weights(seeded_runs):
    first = seeded_runs["first"].model.state_dict()
    repeat = seeded_runs["repeat"].model.state_dict()

    for name, value in first.items():
        assert torch.equal(value, repeat[name]), name


def test_run_experiment_applies_overrides(saved_run):
    record, _ = saved_run

    assert record.config.lr == 1e-3
    assert record.config.init == "zero"
    assert len(record.history.records) == 1
    assert record.environment["precision"] == "float32"
    assert record.environment["device"].startswith("cpu")


def test_run_experiment_zero_init_weights(saved_run):
    record, _ = saved_run

    # With every weight zero, only the head's bias can change, so the convolutions stay zero.
    assert torch.count_nonzero(record.model.conv1.weight) == 0


def test_run_experiment_saves_record(saved_run):
    record, records_dir = saved_run

    loaded = load_records(records_dir)

    assert list(loaded) == ["task5_zero"]
    assert loaded["task5_zero"].config == record.config
    assert loaded["task5_zero"].profile == TINY_PROFILE
    assert loaded["task5_zero"].history.column("train_loss") == record.history.column("train_loss")


def test_save_record_writes_json(saved_run, tmp_path):
    record, _ = saved_run

    path = save_record(record, tmp_path / "records")

    assert path == tmp_path / "records" / "task5_zero.json"
    assert json.loads(path.read_text())["config"]["name"] == "task5_zero"


def test_run_experiment_lr_12_never_raises(tiny_splits):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        record = run_experiment("task4_lr_12", tiny_splits, TINY_PROFILE, epochs=3, **RUN_OPTIONS)
    history = record.history
    losses = history.column("train_loss") + history.column("val_loss")

    assert history.diverged_at is not None or all(math.isfinite(loss) for loss in losses)
    assert json.dumps(record.to_dict(), allow_nan=False)


def test_run_experiment_lr_1e8_finite(tiny_splits):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        record = run_experiment("task4_lr_1e-8", tiny_splits, TINY_PROFILE, epochs=1, **RUN_OPTIONS)
    losses = record.history.column("train_loss") + record.history.column("val_loss")

    assert record.history.diverged_at is None
    assert not any("diverged" in str(warning.message) for warning in caught)
    assert all(math.isfinite(loss) for loss in losses)


def test_run_experiment_rejects_unknown_run(tiny_splits):
    with pytest.raises(ValueError, match="Unknown run 'task9'; expected one of: task3_sgd, task3_adam"):
        run_experiment("task9", tiny_splits, TINY_PROFILE, **RUN_OPTIONS)


def test_get_run_config_lists_names():
    with pytest.raises(ValueError, match="expected one of: .*task6_recommended"):
        get_run_config("task9")


def test_get_run_config_known():
    assert get_run_config("task4_lr_12").lr == 12.0


def test_assignment_runs_keyed_by_name():
    for name, config in ASSIGNMENT_RUNS.items():
        assert config.name == name


def test_epochs_capped_in_small_profile():
    config = RunConfig("long", "test", epochs=15)

    assert config.epochs_for(PROFILES["smoke"]) == 2
    assert config.epochs_for(PROFILES["full"]) == 15
    assert RunConfig("default", "test").epochs_for(PROFILES["full"]) == 10


def test_load_records_rejects_missing_dir(tmp_path):
    with pytest.raises(FileNotFoundError, match="the folder does not exist"):
        load_records(tmp_path / "nowhere")


def test_load_records_rejects_foreign_json(tmp_path):
    (tmp_path / "other.json").write_text('{"name": "not a run record"}')

    with pytest.raises(ValueError, match="other.json is not a run record written by this package"):
        load_records(tmp_path)



# --------------------------------------------------------------------------- profiles


def test_get_profile_by_name():
    assert get_profile("smoke") is PROFILES["smoke"]
    assert get_profile(" Smoke ") is PROFILES["smoke"]


def test_get_profile_default_full():
    assert get_profile().name == "full"


def test_get_profile_from_env(monkeypatch):
    monkeypatch.setenv("GARBAGE_PROFILE", "smoke")

    assert get_profile().name == "smoke"


def test_get_profile_rejects_unknown():
    with pytest.raises(ValueError, match="Unknown run profile 'fast' .* expected one of: full, smoke"):
        get_profile("fast")


def test_get_profile_rejects_unknown_env(monkeypatch):
    monkeypatch.setenv("GARBAGE_PROFILE", "quick")

    with pytest.raises(ValueError, match=r"Unknown run profile 'quick' \(from the argument or \$GARBAGE_PROFILE\)"):
        get_profile()
