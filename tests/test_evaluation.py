"""Sample-weighted metrics, predictions, confusion matrix and per-class metrics."""

from __future__ import annotations

import pytest
import torch
from torch import nn
from torch.nn import functional as F

from garbage_classifier.evaluation import MetricSums, confusion_matrix, evaluate, per_class_metrics, predict

CPU = torch.device("cpu")


class LookupModel(nn.Module):
    """Return fixed logits per input: row ``i`` of ``table`` for an image whose first value is ``i``."""

    def __init__(self, table: torch.Tensor) -> None:
        super().__init__()
        self.register_buffer("table", table)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.table[images[:, 0, 0, 0].long()]


# Five validation images with three classes. The first batch of four has two correct
# (ids 0 and 1) and the second batch of one has its only image correct (id 4).
LOGITS = torch.tensor(
    [
        [2.0, 0.0, 0.0],
        [0.0, 3.0, 0.0],
        [1.0, 0.0, 0.0],
        [0.0, 0.0, 0.5],
        [0.0, 0.0, 4.0],
    ]
)
LABELS = torch.tensor([0, 1, 2, 0, 2])


def five_images() -> torch.Tensor:
    images = torch.zeros(5, 3, 2, 2)
    images[:, 0, 0, 0] = torch.arange(5, dtype=torch.float32)
    return images


def batches_of_four() -> list[tuple[torch.Tensor, torch.Tensor]]:
    images = five_images()
    return [(images[:4], LABELS[:4]), (images[4:], LABELS[4:])]


def test_evaluate_accuracy_per_sample():
    metrics = evaluate(LookupModel(LOGITS), batches_of_four(), CPU)

    assert metrics.accuracy == pytest.approx(0.6)
    assert metrics.samples == 5


def test_evaluate_loss_per_sample():
    expected = F.cross_entropy(LOGITS, LABELS).item()
    mean_of_batch_means = (F.cross_entropy(LOGITS[:4], LABELS[:4]).item() + F.cross_entropy(LOGITS[4:], LABELS[4:]).item()) / 2

    metrics = evaluate(LookupModel(LOGITS), batches_of_four(), CPU)

    assert mean_of_batch_means != pytest.approx(expected, rel=1e-3)
    assert metrics.loss == pytest.approx(expected, rel=1e-6)


def test_evaluate_sets_eval_mode():
    model = LookupModel(LOGITS)
    model.train()

    evaluate(model, batches_of_four(), CPU)

    assert not model.training


def test_evaluate_rejects_empty_loader():
    with pytest.raises(ValueError, match="zero samples; the split is empty"):
        evaluate(LookupModel(LOGITS), [], CPU)


def test_metric_sums_nan_accuracy_none():
    sums = MetricSums(CPU)
    sums.add(LOGITS[:2], LABELS[:2], torch.tensor(float("nan")))

    metrics = sums.result()

    assert metrics.accuracy is None
    assert metrics.diverged


def test_predict_in_loader_order():
    predicted, actual = predict(LookupModel(LOGITS), batches_of_four(), CPU)

    assert predicted.tolist() == [0, 1, 0, 2, 2]
    assert actual.tolist() == LABELS.tolist()


def test_confusion_matrix_counts():
    predicted = torch.tensor([0, 1, 1, 2, 2, 2, 0])
    actual = torch.tensor([0, 1, 2, 2, 2, 0, 0])

    matrix = confusion_matrix(predicted, actual, num_classes=3)

    assert matrix.tolist() == [[2, 0, 1], [0, 1, 0], [0, 1, 2]]
    assert matrix.sum().item() == 7


def test_confusion_matrix_unused_class():
    matrix = confusion_matrix(torch.tensor([0, 0]), torch.tensor([0, 1]), num_classes=4)

    assert tuple(matrix.shape) == (4, 4)
    assert matrix[3].sum().item() == 0


def test_per_class_metrics_values():
    matrix = torch.tensor([[2, 0, 1], [0, 1, 0], [0, 1, 2]])

    rows = per_class_metrics(matrix, ["glass", "metal", "paper"])

    assert [row["class"] for row in rows] == ["glass", "metal", "paper"]
    assert rows[0]["precision"] == pytest.approx(1.0)
    assert rows[0]["recall"] == pytest.approx(2 / 3)
    assert rows[1]["precision"] == pytest.approx(0.5)
    assert rows[1]["recall"] == pytest.approx(1.0)
    assert rows[2]["precision"] == pytest.approx(2 / 3)
    assert rows[2]["recall"] == pytest.approx(2 / 3)
    assert [row["support"] for row in rows] == [3, 1, 3]


def test_per_class_metrics_undefined_none():
    # "metal" is never predicted and "paper" never occurs.
    matrix = torch.tensor([[2, 0, 1], [1, 0, 0], [0, 0, 0]])

    rows = per_class_metrics(matrix, ["glass", "metal", "paper"])

    assert rows[1]["precision"] is None
    assert rows[1]["recall"] == 0.0
    assert rows[2]["recall"] is None
    assert rows[2]["precision"] == 0.0
