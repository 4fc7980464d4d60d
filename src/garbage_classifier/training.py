"""The training loop: epochs in, a history of per-epoch metrics out.

The book teaches this on the assignment page, section "The training pipeline".
"""

from __future__ import annotations

import logging
import math
import numbers
import os
import sys
import time
import warnings
from dataclasses import asdict, dataclass, field
from typing import Callable, Iterable, TextIO

import torch
from torch import nn
from torch.nn import functional as F

from .devices import autocast, pick_device, resolve_precision
from .evaluation import Metrics, MetricSums, evaluate

logger = logging.getLogger(__name__)

OPTIMIZERS: dict[str, Callable[..., torch.optim.Optimizer]] = {
    "sgd": lambda params, lr, momentum: torch.optim.SGD(params, lr=lr, momentum=momentum),
    "adam": lambda params, lr, momentum: torch.optim.Adam(params, lr=lr),
}

# "bar" (default): a progress bar and a summary line per epoch; "summary": the line only,
# which keeps the pages of a built book readable; "off": neither.
PROGRESS_ENV_VAR = "GARBAGE_PROGRESS"
PROGRESS_MODES = ("bar", "summary", "off")

# Checking the loss for NaN forces the host to wait for the device, so it happens every
# this many steps rather than every step. A diverged run then stops within a few batches.
DIVERGENCE_CHECK_INTERVAL = 10

# Losses are shown with four significant digits. "#" keeps trailing zeros, so losses side by
# side line up (1.780 next to 1.792, not 1.78).
LOSS_FORMAT = "#.4g"


def make_optimizer(name: str, parameters: Iterable[nn.Parameter], lr: float, momentum: float = 0.0) -> torch.optim.Optimizer:
    """Create an optimizer by name (``"sgd"`` or ``"adam"``).

    Raises:
        ValueError: Unknown name, or a learning rate that is not a positive finite number.
    """
    if name not in OPTIMIZERS:
        raise ValueError(f"Unknown optimizer {name!r}; expected one of: {', '.join(OPTIMIZERS)}.")
    if isinstance(lr, bool) or not isinstance(lr, numbers.Real) or not (math.isfinite(lr) and lr > 0):
        raise ValueError(f"The learning rate must be a positive number, got {lr!r}.")
    lr = float(lr)
    if momentum < 0:
        raise ValueError(f"momentum must be zero or positive, got {momentum}.")
    return OPTIMIZERS[name](parameters, lr, momentum)


@dataclass
class EpochRecord:
    """Metrics of one epoch. Losses are NaN or infinite once a run has diverged."""

    epoch: int
    train_loss: float
    train_accuracy: float | None
    val_loss: float
    val_accuracy: float | None
    seconds: float
    diverged: bool = False

    def summary(self) -> str:
        def show(value: float | None, spec: str) -> str:
            return "n/a" if value is None else format(value, spec)

        # A fixed number of decimals would print a loss of 1e22 (learning rate 12) with 23 digits.
        text = (
            f"epoch {self.epoch:>2}: train loss {self.train_loss:{LOSS_FORMAT}}, acc {show(self.train_accuracy, '.3f')} | "
            f"val loss {self.val_loss:{LOSS_FORMAT}}, acc {show(self.val_accuracy, '.3f')} | {self.seconds:.1f} s"
        )
        return text + (" | DIVERGED (loss is NaN or infinite)" if self.diverged else "")


@dataclass
class History:
    """Per-epoch records of one run, plus how it ended."""

    records: list[EpochRecord] = field(default_factory=list)
    diverged_at: int | None = None
    interrupted: bool = False

    @property
    def last(self) -> EpochRecord:
        if not self.records:
            raise ValueError("The history is empty: no epoch finished.")
        return self.records[-1]

    def column(self, name: str) -> list[float | None]:
        return [getattr(record, name) for record in self.records]

    def to_dict(self) -> dict:
        """Return a JSON-safe dict: NaN and infinite values become ``None``."""
        def clean(value):
            return None if isinstance(value, float) and not math.isfinite(value) else value

        return {
            "records": [{key: clean(value) for key, value in asdict(r).items()} for r in self.records],
            "diverged_at": self.diverged_at,
            "interrupted": self.interrupted,
        }

    @classmethod
    def from_dict(cls, payload: dict) -> "History":
        records = []
        for row in payload["records"]:
            row = dict(row)
            for key in ("train_loss", "val_loss"):
                if row[key] is None:
                    row[key] = math.nan
            records.append(EpochRecord(**row))
        return cls(records=records, diverged_at=payload.get("diverged_at"), interrupted=payload.get("interrupted", False))


def _progress_modes(progress: bool) -> tuple[bool, bool]:
    """Return (show the bar, show summary lines) from ``progress`` and ``$GARBAGE_PROGRESS``."""
    mode = os.environ.get(PROGRESS_ENV_VAR, "").strip().lower() or "bar"
    if mode not in PROGRESS_MODES:
        raise ValueError(f"${PROGRESS_ENV_VAR} is {mode!r}; expected one of: {', '.join(PROGRESS_MODES)}.")
    return progress and mode == "bar", progress and mode != "off"


def train_one_epoch(
    model: nn.Module,
    loader: Iterable[tuple[torch.Tensor, torch.Tensor]],
    device: torch.device,
    precision: str,
    optimizer: torch.optim.Optimizer,
    scaler: torch.amp.GradScaler | None = None,
    progress_bar=None,
) -> Metrics:
    """Run one optimizer step per batch and return the sample-weighted training metrics.

    Stops early, returning a NaN or infinite loss, once the loss is no longer finite.
    """
    model.train()
    sums = MetricSums(device)
    for step, (images, labels) in enumerate(loader, start=1):
        images, labels = images.to(device, non_blocking=True), labels.to(device, non_blocking=True)

        with autocast(device, precision):
            logits = model(images)
        loss_sum = F.cross_entropy(logits.float(), labels, reduction="sum")
        loss = loss_sum / labels.numel()

        optimizer.zero_grad(set_to_none=True)
        if scaler is not None:
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
        else:
            loss.backward()
            optimizer.step()

        sums.add(logits, labels, loss_sum)
        if progress_bar is not None:
            progress_bar.update(1)
        # Once the loss is NaN the weights are NaN too: further steps cannot recover.
        if step % DIVERGENCE_CHECK_INTERVAL == 0 and not torch.isfinite(sums.loss).item():
            break
    return sums.result()


def fit(
    model: nn.Module,
    train_loader,
    val_loader,
    *,
    optimizer: str = "sgd",
    lr: float = 1e-4,
    epochs: int = 10,
    momentum: float = 0.0,
    device: str | torch.device | None = None,
    precision: str = "auto",
    channels_last: bool = True,
    progress: bool = True,
    progress_stream: TextIO | None = None,
    description: str = "",
) -> History:
    """Train ``model`` for ``epochs`` epochs and validate after each.

    A run whose loss becomes NaN or infinite stops at that epoch; the record of that epoch
    has ``diverged=True``, no accuracy, and ``History.diverged_at`` is set. Pressing
    interrupt (Ctrl+C, or the stop button in a notebook) ends training and returns the
    epochs finished so far with ``History.interrupted=True``.

    Args:
        model: The network; moved to ``device`` in place.
        train_loader: Batches of (images, labels) for training, reshuffled each epoch.
        val_loader: Batches for validation.
        optimizer: ``"sgd"`` or ``"adam"``.
        lr: Learning rate; must be positive.
        epochs: Number of passes over the training split; at least 1.
        momentum: SGD momentum (the assignment uses plain SGD, momentum 0).
        device: Device name; chosen by :func:`~garbage_classifier.devices.pick_device` if ``None``.
        precision: ``"auto"``, ``"float32"``, ``"bfloat16"`` or ``"float16"`` (autocast).
        channels_last: Store the model's weights in channels-last memory format, which
            oneDNN and cuDNN convolutions run faster on.
        progress: Show a progress bar and one summary line per epoch, as
            ``$GARBAGE_PROGRESS`` allows (``bar``, ``summary`` or ``off``).
        progress_stream: Where the bar and summary lines go (default: standard output).
        description: A name put in front of the bar and the summary lines, such as the run's.
    """
    if not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"epochs must be a whole number of at least 1, got {epochs!r}.")
    for split, loader in (("training", train_loader), ("validation", val_loader)):
        if len(loader) == 0:
            raise ValueError(f"The {split} split is empty; add photos or change the split sizes.")
    device = pick_device(device)
    precision = resolve_precision(precision, device)
    model.to(device)
    if channels_last:
        model.to(memory_format=torch.channels_last)
    optimizer_ = make_optimizer(optimizer, model.parameters(), lr, momentum)
    # float16 needs loss scaling to keep small gradients from flushing to zero; bfloat16
    # has float32's exponent range and does not.
    scaler = torch.amp.GradScaler(device.type) if precision == "float16" else None
    stream = progress_stream or sys.stdout
    show_bar, show_summary = _progress_modes(progress)
    history = History()

    from tqdm import tqdm  # the plain text bar: it renders in terminals, Jupyter and Colab alike

    try:
        for epoch in range(1, epochs + 1):
            started = time.perf_counter()
            with tqdm(
                total=len(train_loader),
                desc=f"{description} epoch {epoch}/{epochs}".strip(),
                unit="batch",
                file=stream,
                disable=not show_bar,
                leave=False,
                mininterval=2.0,
            ) as bar:
                train_metrics = train_one_epoch(model, train_loader, device, precision, optimizer_, scaler, bar)
            val_metrics = evaluate(model, val_loader, device, precision)

            record = EpochRecord(
                epoch=epoch,
                train_loss=train_metrics.loss,
                train_accuracy=train_metrics.accuracy,
                val_loss=val_metrics.loss,
                val_accuracy=val_metrics.accuracy,
                seconds=time.perf_counter() - started,
                diverged=train_metrics.diverged or val_metrics.diverged,
            )
            history.records.append(record)
            if show_summary:
                print(f"{description} {record.summary()}".strip(), file=stream, flush=True)
            logger.info("%s", record.summary())
            if record.diverged:
                history.diverged_at = epoch
                warnings.warn(
                    f"Training diverged in epoch {epoch}: the loss became NaN or infinite, so the "
                    "remaining epochs were skipped. A lower learning rate usually fixes this.",
                    stacklevel=2,
                )
                break
    except KeyboardInterrupt:
        history.interrupted = True
        warnings.warn(
            f"Training was interrupted; returning the {len(history.records)} finished epoch(s).",
            stacklevel=2,
        )
    return history


def estimate_epoch_seconds(
    model: nn.Module,
    loader,
    *,
    device: str | torch.device | None = None,
    precision: str = "auto",
    steps: int = 2,
) -> float:
    """Estimate the seconds of one training epoch by timing a few steps on a copy of ``model``.

    One untimed warm-up step comes first, because the first step pays for memory
    allocation and kernel selection. The estimate leaves out validation, which costs
    roughly a third of a training step per validation image.
    """
    import copy

    device = pick_device(device)
    precision = resolve_precision(precision, device)
    trial = copy.deepcopy(model).to(device).to(memory_format=torch.channels_last)
    optimizer = make_optimizer("sgd", trial.parameters(), lr=1e-12)
    batches = iter(loader)
    images, labels = next(batches)

    def step() -> None:
        with autocast(device, precision):
            loss = F.cross_entropy(trial(images.to(device)).float(), labels.to(device))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    trial.train()
    step()
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    started = time.perf_counter()
    for _ in range(steps):
        step()
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    return (time.perf_counter() - started) / steps * len(loader)
