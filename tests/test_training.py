"""The training loop: optimizers, divergence, interruption and the history record."""

from __future__ import annotations

import io
import json
import math
import re
import warnings

import numpy as np
import pytest
import torch
from torch import nn

from garbage_classifier.data import BatchLoader, load_dataset
from garbage_classifier.experiments import RunConfig, RunRecord
from garbage_classifier.models import build_model
from garbage_classifier.plots import compare_runs, plot_history
from garbage_classifier.profiles import get_profile
from garbage_classifier.training import DIVERGENCE_CHECK_INTERVAL, EpochRecord, History, fit, make_optimizer

FIT_OPTIONS = {"device": "cpu", "precision": "float32", "progress": False}


def tiny_batches(count: int = 3, batch_size: int = 4, seed: int = 0) -> list[tuple[torch.Tensor, torch.Tensor]]:
    generator = torch.Generator().manual_seed(seed)
    return [
        (torch.rand(batch_size, 3, 2, 2, generator=generator), torch.randint(0, 3, (batch_size,), generator=generator))
        for _ in range(count)
    ]


def tiny_network() -> nn.Module:
    return nn.Sequential(nn.Flatten(), nn.Linear(12, 16), nn.ReLU(), nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 3))


class NaNModel(nn.Module):
    """A linear layer whose outputs are all NaN, so the loss is NaN from the first batch."""

    def __init__(self) -> None:
        super().__init__()
        self.linear = nn.Linear(12, 3)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.linear(images.flatten(1)) * math.nan


class CountingLoader:
    """Yield the same batches each epoch and count how many were taken."""

    def __init__(self, batches) -> None:
        self.batches = batches
        self.taken = 0

    def __len__(self) -> int:
        return len(self.batches)

    def __iter__(self):
        for batch in self.batches:
            self.taken += 1
            yield batch


class InterruptingLoader:
    """Yield the batches, but raise KeyboardInterrupt when epoch ``interrupt_epoch`` starts."""

    def __init__(self, batches, interrupt_epoch: int) -> None:
        self.batches = batches
        self.interrupt_epoch = interrupt_epoch
        self.epoch = 0

    def __len__(self) -> int:
        return len(self.batches)

    def __iter__(self):
        self.epoch += 1
        if self.epoch == self.interrupt_epoch:
            raise KeyboardInterrupt
        yield from self.batches


def fit_quietly(*args, **kwargs) -> tuple[History, list[warnings.WarningMessage]]:
    """Run ``fit`` and return its history with the warnings it emitted."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        history = fit(*args, **kwargs)
    return history, list(caught)


def record_for(history: History) -> RunRecord:
    return RunRecord(config=RunConfig("diverged_run", "test"), profile=get_profile("smoke"), history=history)


# --------------------------------------------------------------------------- a real epoch


def test_fit_resnet18_nine_photos(make_image_folder):
    dataset = load_dataset(make_image_folder(), resize=32, crop=32, use_cache=False, progress=False)
    torch.manual_seed(0)
    model = build_model("resnet18", 3)

    history = fit(
        model,
        BatchLoader(dataset, 4, shuffle=True),
        BatchLoader(dataset, 4, shuffle=False),
        lr=1e-3,
        epochs=1,
        **FIT_OPTIONS,
    )

    assert len(history.records) == 1
    assert math.isfinite(history.last.train_loss)
    assert math.isfinite(history.last.val_loss)
    assert history.diverged_at is None


def test_fit_tiny_network_learns():
    torch.manual_seed(0)
    batches = tiny_batches(count=2)

    history = fit(tiny_network(), batches, batches, optimizer="adam", lr=1e-2, epochs=30, **FIT_OPTIONS)

    assert len(history.records) == 30
    assert history.records[-1].train_loss < history.records[0].train_loss
    assert [record.epoch for record in history.records] == list(range(1, 31))


def test_fit_prints_summary_lines():
    stream = io.StringIO()
    batches = tiny_batches()

    fit(tiny_network(), batches, batches, epochs=2, device="cpu", precision="float32", progress=True, progress_stream=stream)

    assert "epoch  1: train loss" in stream.getvalue()
    assert "epoch  2: train loss" in stream.getvalue()


@pytest.mark.parametrize(
    ("loss", "shown"), [(1.78, "1.780"), (1.79183, "1.792"), (1.2174e22, "1.217e+22"), (math.nan, "nan")]
)
def test_summary_loss_has_four_digits(loss, shown):
    record = EpochRecord(epoch=3, train_loss=loss, train_accuracy=0.5, val_loss=loss, val_accuracy=None, seconds=2.0)

    assert record.summary().startswith(f"epoch  3: train loss {shown}, acc 0.500 | val loss {shown}, acc n/a |")


# --------------------------------------------------------------------------- divergence


def test_fit_nan_stops_at_epoch():
    batches = tiny_batches()

    history, caught = fit_quietly(NaNModel(), batches, batches, lr=0.1, epochs=3, **FIT_OPTIONS)

    assert history.diverged_at == 1
    assert len(history.records) == 1
    assert history.last.diverged
    assert history.last.val_accuracy is None
    assert history.last.train_accuracy is None
    assert any("Training diverged in epoch 1" in str(warning.message) for warning in caught)


def test_fit_nan_warns():
    batches = tiny_batches()

    with pytest.warns(UserWarning, match="Training diverged in epoch 1: the loss became NaN or infinite"):
        fit(NaNModel(), batches, batches, lr=0.1, epochs=3, **FIT_OPTIONS)


def test_fit_huge_lr_diverges():
    torch.manual_seed(0)
    batches = tiny_batches()

    history, caught = fit_quietly(tiny_network(), batches, batches, lr=1e12, epochs=5, **FIT_OPTIONS)

    assert history.diverged_at is not None
    assert len(history.records) == history.diverged_at
    assert history.last.val_accuracy is None
    assert any("diverged" in str(warning.message) for warning in caught)


def test_fit_nan_stops_epoch_early():
    loader = CountingLoader(tiny_batches(count=25))

    fit_quietly(NaNModel(), loader, tiny_batches(), lr=0.1, epochs=1, **FIT_OPTIONS)

    assert loader.taken == DIVERGENCE_CHECK_INTERVAL


def test_diverged_history_json_safe():
    batches = tiny_batches()
    history, _ = fit_quietly(NaNModel(), batches, batches, lr=0.1, epochs=3, **FIT_OPTIONS)

    payload = history.to_dict()
    text = json.dumps(payload, allow_nan=False)

    assert payload["diverged_at"] == 1
    assert payload["records"][0]["train_loss"] is None
    assert json.loads(text) == payload


def test_history_round_trip_keeps_nan():
    batches = tiny_batches()
    history, _ = fit_quietly(NaNModel(), batches, batches, lr=0.1, epochs=3, **FIT_OPTIONS)

    restored = History.from_dict(json.loads(json.dumps(history.to_dict(), allow_nan=False)))

    assert math.isnan(restored.last.train_loss)
    assert restored.last.val_accuracy is None
    assert restored.diverged_at == 1


def test_compare_runs_diverged_record():
    batches = tiny_batches()
    history, _ = fit_quietly(NaNModel(), batches, batches, lr=0.1, epochs=3, **FIT_OPTIONS)
    healthy = fit(tiny_network(), batches, batches, lr=0.1, epochs=2, **FIT_OPTIONS)

    figure = compare_runs([record_for(history), RunRecord(RunConfig("healthy", "test"), get_profile("smoke"), healthy)])

    assert len(figure.axes) == 2


def losses_record(train_losses, val_losses):
    rows = [
        EpochRecord(epoch=i + 1, train_loss=t, train_accuracy=0.5, val_loss=v, val_accuracy=0.5, seconds=1.0)
        for i, (t, v) in enumerate(zip(train_losses, val_losses))
    ]
    return record_for(History(records=rows))


@pytest.mark.parametrize(
    ("train_losses", "val_losses", "scale"),
    [
        ([1.7925, 1.7918], [1.7930, 1.7921], "linear"),  # close losses: plain tick labels
        ([8.9e7, 3.64], [7.5e5, 4.0], "log"),  # learning rate 12
        ([2.3, 1.1], [30.0, 1.2], "log"),  # a wide span in the validation loss alone
        ([math.nan, math.nan], [math.nan, math.nan], "linear"),  # nothing finite to span
    ],
)
def test_loss_axis_scale_follows_span(train_losses, val_losses, scale):
    figure = compare_runs([losses_record(train_losses, val_losses)])

    assert figure.axes[0].get_yscale() == scale


def test_epoch_ticks_are_whole_numbers():
    figure = compare_runs([losses_record([1.8, 1.7], [1.8, 1.75])])

    for axis in figure.axes:
        ticks = [tick for tick in axis.get_xticks() if 1 <= tick <= 2]
        assert ticks and all(float(tick).is_integer() for tick in ticks), ticks


def test_plot_history_restored_record():
    batches = tiny_batches()
    history, _ = fit_quietly(NaNModel(), batches, batches, lr=0.1, epochs=3, **FIT_OPTIONS)
    restored = RunRecord.from_dict(json.loads(json.dumps(record_for(history).to_dict(), allow_nan=False)))

    figure = plot_history(restored)

    assert figure.axes[0].get_title().startswith("Loss")


# --------------------------------------------------------------------------- interruption


def test_fit_interrupt_returns_history():
    batches = tiny_batches()
    loader = InterruptingLoader(batches, interrupt_epoch=2)

    history, caught = fit_quietly(tiny_network(), loader, batches, lr=0.1, epochs=5, **FIT_OPTIONS)

    assert history.interrupted
    assert len(history.records) == 1
    assert history.last.epoch == 1
    assert history.diverged_at is None
    assert any("Training was interrupted; returning the 1 finished epoch(s)" in str(w.message) for w in caught)


def test_fit_interrupt_warns():
    batches = tiny_batches()

    with pytest.warns(UserWarning, match=re.escape("returning the 0 finished epoch(s)")):
        history = fit(tiny_network(), InterruptingLoader(batches, interrupt_epoch=1), batches, lr=0.1, epochs=3, **FIT_OPTIONS)

    assert history.records == []


# --------------------------------------------------------------------------- invalid arguments


def test_make_optimizer_rejects_unknown():
    parameters = tiny_network().parameters()

    with pytest.raises(ValueError, match="Unknown optimizer 'rmsprop'; expected one of: sgd, adam"):
        make_optimizer("rmsprop", parameters, lr=1e-3)


@pytest.mark.parametrize("lr", [0, 0.0, -1e-4, math.nan, math.inf, "0.1"])
def test_make_optimizer_rejects_bad_lr(lr):
    with pytest.raises(ValueError, match=re.escape(f"The learning rate must be a positive number, got {lr!r}")):
        make_optimizer("sgd", tiny_network().parameters(), lr=lr)


def test_make_optimizer_rejects_negative_momentum():
    with pytest.raises(ValueError, match="momentum must be zero or positive, got -0.5"):
        make_optimizer("sgd", tiny_network().parameters(), lr=1e-3, momentum=-0.5)


@pytest.mark.parametrize(("name", "optimizer_type"), [("sgd", torch.optim.SGD), ("adam", torch.optim.Adam)])
def test_make_optimizer_by_name(name, optimizer_type):
    optimizer = make_optimizer(name, tiny_network().parameters(), lr=1e-3)

    assert isinstance(optimizer, optimizer_type)
    assert optimizer.param_groups[0]["lr"] == 1e-3


def test_make_optimizer_numpy_lr():
    optimizer = make_optimizer("sgd", tiny_network().parameters(), lr=np.float32(1e-3))

    assert optimizer.param_groups[0]["lr"] == pytest.approx(1e-3)


@pytest.mark.parametrize("lr", [0.0, -0.01])
def test_fit_rejects_bad_lr(lr):
    batches = tiny_batches()

    with pytest.raises(ValueError, match=re.escape(f"The learning rate must be a positive number, got {lr!r}")):
        fit(tiny_network(), batches, batches, lr=lr, epochs=1, **FIT_OPTIONS)


@pytest.mark.parametrize("epochs", [0, -1, 2.5])
def test_fit_rejects_bad_epochs(epochs):
    batches = tiny_batches()

    with pytest.raises(ValueError, match=re.escape(f"epochs must be a whole number of at least 1, got {epochs!r}")):
        fit(tiny_network(), batches, batches, epochs=epochs, **FIT_OPTIONS)


def test_fit_rejects_unknown_optimizer():
    batches = tiny_batches()

    with pytest.raises(ValueError, match="Unknown optimizer 'adamw'; expected one of: sgd, adam"):
        fit(tiny_network(), batches, batches, optimizer="adamw", epochs=1, **FIT_OPTIONS)


def test_fit_rejects_unknown_precision():
    batches = tiny_batches()

    with pytest.raises(ValueError, match="Unknown precision 'float64'; expected one of: auto, float32, bfloat16, float16"):
        fit(tiny_network(), batches, batches, epochs=1, device="cpu", precision="float64", progress=False)


def test_history_last_rejects_empty():
    with pytest.raises(ValueError, match="The history is empty"):
        History().last


def test_fit_rejects_empty_validation_split():
    network = tiny_network()
    before = [parameter.clone() for parameter in network.parameters()]
    with pytest.raises(ValueError, match="validation split is empty"):
        fit(network, tiny_batches(), [], epochs=1, progress=False, device="cpu")
    assert all(torch.equal(a, b) for a, b in zip(before, network.parameters())), "no step may run first"
