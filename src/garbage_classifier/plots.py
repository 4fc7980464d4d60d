"""Figures from datasets and run records. Nothing here trains a model.

Every function returns a ``matplotlib.figure.Figure`` so that a notebook can show it,
glue it into a page or save it.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Sequence

import matplotlib.pyplot as plt
import torch
from matplotlib import ticker
from matplotlib.figure import Figure

if TYPE_CHECKING:
    from .data import DecodedDataset
    from .experiments import RunRecord


def _as_image(tensor: torch.Tensor):
    """Turn a 3 x H x W uint8 or [0, 1] float tensor into an H x W x 3 array for imshow."""
    if tensor.dtype == torch.uint8:
        tensor = tensor.float() / 255
    return tensor.permute(1, 2, 0).clamp(0, 1).cpu().numpy()


def show_sample(dataset: "DecodedDataset", index: int) -> Figure:
    """Show one photo titled with its class name and file."""
    figure, axis = plt.subplots(figsize=(3.2, 3.4))
    axis.imshow(_as_image(dataset.images[index]))
    label = dataset.classes[int(dataset.labels[index])]
    axis.set_title(f"{label}\n{dataset.paths[index]}", fontsize=9)
    axis.axis("off")
    figure.tight_layout()
    return figure


def show_batch(
    images: torch.Tensor,
    labels: torch.Tensor,
    classes: Sequence[str],
    predicted: torch.Tensor | None = None,
    columns: int = 8,
) -> Figure:
    """Show a grid of photos titled with their labels, and predictions when given."""
    count = len(images)
    rows = math.ceil(count / columns)
    # Two-line titles (true and predicted class) need more height, or they overlap the row above.
    row_height = 1.8 if predicted is None else 2.2
    figure, axes = plt.subplots(rows, columns, figsize=(1.6 * columns, row_height * rows), squeeze=False)
    for position, axis in enumerate(axes.flat):
        axis.axis("off")
        if position >= count:
            continue
        axis.imshow(_as_image(images[position]))
        title = classes[int(labels[position])]
        if predicted is not None:
            title = f"true: {title}\npred: {classes[int(predicted[position])]}"
        axis.set_title(title, fontsize=8)
    figure.tight_layout()
    return figure


def _plot_series(axis, epochs, values, label, **style):
    """Plot values, leaving gaps where a value is missing or not finite."""
    cleaned = [value if value is not None and math.isfinite(value) else math.nan for value in values]
    return axis.plot(epochs, cleaned, marker="o", markersize=3, label=label, **style)


LOG_SCALE_SPAN = 10.0  # largest / smallest loss above which the loss axis is logarithmic


def loss_scale(records: Sequence["RunRecord"]) -> str:
    """Return ``"log"`` if the runs' losses span more than :data:`LOG_SCALE_SPAN`, else ``"linear"``.

    A run at a huge learning rate has losses from about 1 to 1e8, which only a log axis shows.
    Over a narrow span a log axis labels its ticks like ``1.792 x 10^0``, which is hard to read.
    """
    losses = [
        value
        for record in records
        for column in ("train_loss", "val_loss")
        for value in record.history.column(column)
        if value is not None and math.isfinite(value) and value > 0
    ]
    return "log" if losses and max(losses) / min(losses) > LOG_SCALE_SPAN else "linear"


def compare_runs(records: Sequence["RunRecord"], title: str = "") -> Figure:
    """Overlay the loss (left) and validation accuracy (right) per epoch of several runs.

    A run that diverged gets a cross at the epoch where its loss became NaN or infinite,
    at the top of the loss axis, and ends its curves there.
    """
    figure, (loss_axis, accuracy_axis) = plt.subplots(1, 2, figsize=(10, 3.8))
    for record in records:
        history = record.history
        epochs = history.column("epoch")
        (line,) = _plot_series(loss_axis, epochs, history.column("train_loss"), f"{record.name} train")
        _plot_series(loss_axis, epochs, history.column("val_loss"), f"{record.name} val", color=line.get_color(), linestyle="--")
        _plot_series(accuracy_axis, epochs, history.column("val_accuracy"), record.name, color=line.get_color())
        if history.diverged_at is not None:
            loss_axis.annotate(
                f"{record.name} diverged", xy=(history.diverged_at, 1.0), xycoords=("data", "axes fraction"),
                xytext=(0, -14), textcoords="offset points", ha="center", fontsize=8, color=line.get_color(),
            )
            loss_axis.plot([history.diverged_at], [1.0], marker="x", markersize=9, color=line.get_color(),
                           transform=loss_axis.get_xaxis_transform(), clip_on=False)

    loss_axis.set(xlabel="epoch", ylabel="cross-entropy loss", title="Loss (solid: train, dashed: validation)")
    scale = loss_scale(records)
    loss_axis.set_yscale(scale)
    if scale == "linear":
        # Without this, close losses get tick labels such as "+1.79" plus an offset note.
        loss_axis.ticklabel_format(axis="y", useOffset=False)
    accuracy_axis.set(xlabel="epoch", ylabel="validation accuracy", title="Validation accuracy", ylim=(0, 1))
    for axis in (loss_axis, accuracy_axis):
        axis.xaxis.set_major_locator(ticker.MaxNLocator(integer=True))  # no epoch 1.5
    loss_axis.legend(fontsize=7)
    accuracy_axis.legend(fontsize=7)
    if title:
        figure.suptitle(title)
    figure.tight_layout()
    return figure


def plot_history(record: "RunRecord") -> Figure:
    """Learning curves of one run."""
    return compare_runs([record], title=record.name)


def plot_confusion_matrix(matrix: torch.Tensor, classes: Sequence[str], title: str = "") -> Figure:
    """Plot a confusion matrix with counts in each cell. Rows are true classes."""
    figure, axis = plt.subplots(figsize=(5.2, 4.6))
    image = axis.imshow(matrix.cpu().numpy(), cmap="Blues")
    axis.set_xticks(range(len(classes)), classes, rotation=45, ha="right")
    axis.set_yticks(range(len(classes)), classes)
    axis.set(xlabel="predicted class", ylabel="true class")
    threshold = matrix.max().item() / 2
    for row in range(len(classes)):
        for column in range(len(classes)):
            count = int(matrix[row, column])
            axis.text(column, row, str(count), ha="center", va="center", fontsize=8,
                      color="white" if count > threshold else "black")
    figure.colorbar(image, ax=axis, fraction=0.046)
    if title:
        axis.set_title(title)
    figure.tight_layout()
    return figure


def show_class_examples(dataset: "DecodedDataset") -> Figure:
    """Show the first photo of each class, titled with the class name."""
    firsts = [int((dataset.labels == label).nonzero()[0]) for label in range(len(dataset.classes))
              if (dataset.labels == label).any()]
    return show_batch(dataset.images[firsts], dataset.labels[firsts], dataset.classes, columns=len(firsts))


def show_misclassified(
    dataset: "DecodedDataset",
    predicted: torch.Tensor,
    limit: int = 12,
    columns: int = 6,
) -> Figure:
    """Show photos whose prediction differs from their label, titled with both.

    ``predicted`` is in the dataset's order, as ``evaluation.predict`` returns it for an
    unshuffled loader.
    """
    wrong = (predicted.cpu() != dataset.labels).nonzero().flatten()[:limit]
    if len(wrong) == 0:
        figure, axis = plt.subplots(figsize=(4, 1))
        axis.text(0.5, 0.5, "No misclassified photos.", ha="center", va="center")
        axis.axis("off")
        return figure
    return show_batch(dataset.images[wrong], dataset.labels[wrong], dataset.classes,
                      predicted=predicted.cpu()[wrong], columns=min(columns, len(wrong)))


def show_activation_maps(
    images: torch.Tensor,
    maps: torch.Tensor,
    labels: torch.Tensor,
    predicted: torch.Tensor,
    classes: Sequence[str],
) -> Figure:
    """Show each photo above its class activation map. Bright regions raised the score."""
    count = len(images)
    figure, axes = plt.subplots(2, count, figsize=(1.9 * count, 4.2), squeeze=False)
    for index in range(count):
        photo = _as_image(images[index])
        axes[0, index].imshow(photo)
        axes[0, index].set_title(f"true: {classes[int(labels[index])]}\npred: {classes[int(predicted[index])]}", fontsize=8)
        axes[1, index].imshow(photo)
        axes[1, index].imshow(maps[index].numpy(), cmap="jet", alpha=0.45, vmin=0, vmax=1)
        for row in (0, 1):
            axes[row, index].axis("off")
    figure.tight_layout()
    return figure
