"""The answers' claims: their logic on hand-made records, and the scale-free ones on real runs."""

import math

import pytest

from garbage_classifier import claims, data, experiments, profiles
from garbage_classifier.training import EpochRecord, History

SMOKE = profiles.get_profile("smoke")


def make_record(name, train_losses, val_losses=None, val_accuracies=None, diverged_at=None, environment=None):
    val_losses = val_losses or train_losses
    val_accuracies = val_accuracies or [0.5] * len(train_losses)
    rows = [
        EpochRecord(epoch=i + 1, train_loss=t, train_accuracy=0.5, val_loss=v, val_accuracy=a, seconds=1.0,
                    diverged=not math.isfinite(t) or not math.isfinite(v))
        for i, (t, v, a) in enumerate(zip(train_losses, val_losses, val_accuracies))
    ]
    return experiments.RunRecord(
        config=experiments.get_run_config(name), profile=SMOKE,
        history=History(records=rows, diverged_at=diverged_at), environment=environment or {},
    )


def by_name(results):
    return {result.name: result for result in results}


def test_adam_claim_compares_final_val_loss():
    sgd = make_record("task3_sgd", [1.8, 1.7], val_losses=[1.8, 1.6])
    adam = make_record("task3_adam", [1.5, 1.0], val_losses=[1.4, 1.2])
    assert by_name(claims.check_claims({"task3_sgd": sgd, "task3_adam": adam}))["adam_beats_sgd"].held is True
    adam_worse = make_record("task3_adam", [1.5, 1.0], val_losses=[1.4, 1.65])
    assert by_name(claims.check_claims({"task3_sgd": sgd, "task3_adam": adam_worse}))["adam_beats_sgd"].held is False


def test_tiny_lr_claim_uses_stated_fraction():
    flat = make_record("task4_lr_1e-8", [1.7918, 1.7917])
    moving = make_record("task4_lr_1e-8", [1.79, 1.70])
    assert by_name(claims.check_claims({"task4_lr_1e-8": flat}))["tiny_lr_flat"].held is True
    assert by_name(claims.check_claims({"task4_lr_1e-8": moving}))["tiny_lr_flat"].held is False


def test_huge_lr_claim_accepts_divergence_or_oscillation():
    diverged = make_record("task4_lr_12", [900.0, math.nan], diverged_at=2)
    oscillating = make_record("task4_lr_12", [5.0, 400.0, 3.0])
    calm = make_record("task4_lr_12", [1.8, 1.5, 1.2])
    for record, expected in ((diverged, True), (oscillating, True), (calm, False)):
        result = by_name(claims.check_claims({"task4_lr_12": record}))["huge_lr_unstable"]
        assert result.held is expected, result.evidence


def test_zero_init_claim_needs_majority_share_and_flat_loss():
    environment = {"train_class_counts": {"glass": 3, "paper": 7}, "val_class_counts": {"glass": 1, "paper": 4}}
    majority = make_record("task5_zero", [1.79, 1.78], val_accuracies=[0.8, 0.8], environment=environment)
    learned = make_record("task5_zero", [1.79, 1.78], val_accuracies=[0.8, 1.0], environment=environment)
    assert by_name(claims.check_claims({"task5_zero": majority}))["zero_init_majority"].held is True
    assert by_name(claims.check_claims({"task5_zero": learned}))["zero_init_majority"].held is False


def test_missing_runs_are_not_checked():
    results = claims.check_claims({})
    assert all(result.held is None for result in results)
    assert "task3_sgd" in by_name(results)["adam_beats_sgd"].evidence


def test_claims_command_reports_each_claim(tmp_path, capsys):
    from garbage_classifier import cli

    environment = {"train_class_counts": {"glass": 3, "paper": 7}, "val_class_counts": {"glass": 1, "paper": 4}}
    experiments.save_record(make_record("task4_lr_1e-8", [1.7918, 1.7917]), tmp_path)
    experiments.save_record(make_record("task5_zero", [1.79, 1.78], val_accuracies=[0.8, 0.8], environment=environment), tmp_path)

    exit_code = cli.main(["claims", "--records", str(tmp_path)])
    output = capsys.readouterr().out
    assert exit_code == 1  # three claims have no records
    assert "held         Task 4: At lr 1e-8" in output
    assert "2 held, 0 not held, 3 not checked." in output


@pytest.fixture(scope="module")
def smoke_splits(tmp_path_factory):
    dataset = data.load_dataset(resize=SMOKE.resize, crop=SMOKE.crop, images_per_class=SMOKE.images_per_class,
                                cache_dir=tmp_path_factory.mktemp("cache"), progress=False)
    return data.split_dataset(dataset, seed=23)


@pytest.mark.parametrize("run_name, claim_name", [
    ("task4_lr_1e-8", "tiny_lr_flat"),
    ("task4_lr_12", "huge_lr_unstable"),
    ("task5_zero", "zero_init_majority"),
])
def test_scale_free_claims_hold_on_real_photos(smoke_splits, run_name, claim_name):
    """These claims follow from the arithmetic alone, so they hold even on 48 tiny photos."""
    record = experiments.run_experiment(run_name, smoke_splits, SMOKE, device="cpu", progress=False, save=False)
    result = by_name(claims.check_claims({run_name: record}))[claim_name]
    assert result.held is True, result.evidence


@pytest.mark.slow
def test_real_scale_claims_hold_on_full_profile(tmp_path):
    """Adam vs SGD and Kaiming vs Gaussian at the assignment's settings: hours on a CPU."""
    full = profiles.get_profile("full")
    dataset = data.load_dataset(resize=full.resize, crop=full.crop, cache_dir=tmp_path)
    splits = data.split_dataset(dataset, seed=23)
    names = ("task3_sgd", "task3_adam", "task5_kaiming")
    records = {name: experiments.run_experiment(name, splits, full, save=False) for name in names}
    results = by_name(claims.check_claims(records))
    for claim_name in ("adam_beats_sgd", "kaiming_beats_gaussian"):
        assert results[claim_name].held is True, results[claim_name].evidence


def write_all_runs(directory, profile, adam_final_val_loss):
    environment = {"train_class_counts": {"glass": 3, "paper": 7}, "val_class_counts": {"glass": 1, "paper": 4}}
    records = [
        make_record("task3_sgd", [1.8, 1.7], val_losses=[1.8, 1.6]),
        make_record("task3_adam", [1.5, 1.0], val_losses=[1.4, adam_final_val_loss]),
        make_record("task4_lr_1e-8", [1.7918, 1.7917]),
        make_record("task4_lr_12", [900.0, math.nan], diverged_at=2),
        make_record("task5_zero", [1.79, 1.78], val_accuracies=[0.8, 0.8], environment=environment),
        make_record("task5_kaiming", [1.6, 1.2], val_losses=[1.5, 1.1]),
    ]
    for record in records:
        record.profile = profile
        experiments.save_record(record, directory)


def test_claims_command_excuses_full_scale_claims_in_smoke(tmp_path, capsys):
    from garbage_classifier import cli

    write_all_runs(tmp_path, SMOKE, adam_final_val_loss=1.65)
    exit_code = cli.main(["claims", "--records", str(tmp_path)])
    output = capsys.readouterr().out
    assert exit_code == 0
    assert "NOT HELD     Task 3" in output
    assert "4 held, 0 not held, 0 not checked. 1 more not held" in output


def test_claims_command_fails_full_scale_claim_at_full_scale(tmp_path, capsys):
    from garbage_classifier import cli

    write_all_runs(tmp_path, profiles.get_profile("full"), adam_final_val_loss=1.65)
    exit_code = cli.main(["claims", "--records", str(tmp_path)])
    output = capsys.readouterr().out
    assert exit_code == 1
    assert "4 held, 1 not held, 0 not checked." in output


def test_claims_command_names_records_made_at_another_scale(tmp_path, capsys):
    """A `train --image-size 64 --epochs 5` record keeps the name `full`, so the command must name it."""
    from dataclasses import replace

    from garbage_classifier import cli

    full = profiles.get_profile("full")
    write_all_runs(tmp_path, full, adam_final_val_loss=1.0)
    record = experiments.load_records(tmp_path)["task3_sgd"]
    record.profile = replace(full, crop=64, resize=73, epochs=5)
    experiments.save_record(record, tmp_path)

    cli.main(["claims", "--records", str(tmp_path)])
    output = capsys.readouterr().out

    assert "task3_sgd: crop 64 instead of 224, resize 73 instead of 256, epochs 5 instead of 10" in output
    assert "task3_adam:" not in output


def test_evidence_separates_close_losses():
    sgd = make_record("task3_sgd", [1.8, 1.7], val_losses=[1.8, 1.79183])
    adam = make_record("task3_adam", [1.8, 1.7], val_losses=[1.8, 1.79251])

    evidence = by_name(claims.check_claims({"task3_sgd": sgd, "task3_adam": adam}))["adam_beats_sgd"].evidence

    assert evidence == "final validation loss: Adam 1.7925, SGD 1.7918"


def test_zero_init_evidence_compares_with_majority_share():
    environment = {"train_class_counts": {"glass": 3, "paper": 7}, "val_class_counts": {"glass": 1, "paper": 4}}
    record = make_record("task5_zero", [1.79, 1.78], val_accuracies=[0.8, 0.8], environment=environment)

    evidence = by_name(claims.check_claims({"task5_zero": record}))["zero_init_majority"].evidence

    assert evidence.startswith("validation accuracy 80.00% equals the share of 'paper' photos in validation (80.00%)")
