"""Sample-weighted loss and accuracy, predictions, confusion matrix and per-class metrics.

Averages are sums over samples divided by the number of samples, never means of batch
means: with 5 validation photos in batches of 4, a batch with 2 of 4 correct and one with
1 of 1 correct give an accuracy of 3/5 = 0.6, not (0.5 + 1.0) / 2 = 0.75.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterable

import torch
from torch import nn
from torch.nn import functional as F

from .devices import autocast


@dataclass(frozen=True)
class Metrics:
    """Values of one pass over a split.

    ``accuracy`` is ``None`` when the loss is NaN or infinite: an argmax over NaN outputs
    returns class 0 for every photo, which would look like a real accuracy.
    """

    loss: float
    accuracy: float | None
    samples: int

    @property
    def diverged(self) -> bool:
        return not math.isfinite(self.loss)


class MetricSums:
    """Running sums of loss and correct predictions, kept on the device.

    Summing on the device avoids a host synchronisation per batch; :meth:`result` moves
    the totals to the host once.
    """

    def __init__(self, device: torch.device) -> None:
        self.loss = torch.zeros((), dtype=torch.float64, device=device)
        self.correct = torch.zeros((), dtype=torch.long, device=device)
        self.samples = 0

    def add(self, logits: torch.Tensor, labels: torch.Tensor, batch_loss_sum: torch.Tensor) -> None:
        self.loss += batch_loss_sum.detach().double()
        self.correct += (logits.detach().argmax(dim=1) == labels).sum()
        self.samples += labels.numel()

    def result(self) -> Metrics:
        if self.samples == 0:
            raise ValueError("Cannot compute metrics over zero samples; the split is empty.")
        loss = self.loss.item() / self.samples
        accuracy = self.correct.item() / self.samples if math.isfinite(loss) else None
        return Metrics(loss=loss, accuracy=accuracy, samples=self.samples)


def evaluate(
    model: nn.Module,
    loader: Iterable[tuple[torch.Tensor, torch.Tensor]],
    device: torch.device,
    precision: str = "float32",
) -> Metrics:
    """Compute the cross-entropy loss and accuracy of ``model`` over every batch of ``loader``."""
    model.eval()
    sums = MetricSums(device)
    with torch.inference_mode():
        for images, labels in loader:
            images, labels = images.to(device, non_blocking=True), labels.to(device, non_blocking=True)
            with autocast(device, precision):
                logits = model(images)
            loss_sum = F.cross_entropy(logits.float(), labels, reduction="sum")
            sums.add(logits, labels, loss_sum)
    return sums.result()


def predict(
    model: nn.Module,
    loader: Iterable[tuple[torch.Tensor, torch.Tensor]],
    device: torch.device,
    precision: str = "float32",
) -> tuple[torch.Tensor, torch.Tensor]:
    """Return (predicted labels, true labels) on the CPU, in the loader's order."""
    model.eval()
    predicted, actual = [], []
    with torch.inference_mode():
        for images, labels in loader:
            with autocast(device, precision):
                logits = model(images.to(device))
            predicted.append(logits.argmax(dim=1).cpu())
            actual.append(labels.cpu())
    return torch.cat(predicted), torch.cat(actual)


def confusion_matrix(predicted: torch.Tensor, actual: torch.Tensor, num_classes: int) -> torch.Tensor:
    """Count matrix with true classes as rows and predicted classes as columns."""
    flat = actual.long() * num_classes + predicted.long()
    return torch.bincount(flat, minlength=num_classes * num_classes).reshape(num_classes, num_classes)


def per_class_metrics(matrix: torch.Tensor, classes: list[str]) -> list[dict]:
    """Precision, recall and support per class from a confusion matrix.

    A class that is never predicted has no defined precision; it is reported as ``None``.
    """
    rows = []
    for index, name in enumerate(classes):
        true_positive = matrix[index, index].item()
        predicted = matrix[:, index].sum().item()
        support = matrix[index, :].sum().item()
        rows.append(
            {
                "class": name,
                "precision": true_positive / predicted if predicted else None,
                "recall": true_positive / support if support else None,
                "support": support,
            }
        )
    return rows
