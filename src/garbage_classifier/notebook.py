"""Helpers that keep the assignment notebook's cells short.

``glue`` stores a value for the book's pages when the notebook runs under Jupyter Book
(myst-nb) and does nothing elsewhere, so the same notebook runs in Colab and on a laptop
where myst-nb is not installed.
"""

from __future__ import annotations

import contextlib
import math
import sys
import textwrap
import warnings

import matplotlib.pyplot as plt

from .experiments import RunRecord
from .profiles import Profile
from .tables import Table
from .training import LOSS_FORMAT

try:
    from myst_nb import glue as _myst_glue
except ImportError:  # Colab and plain Jupyter: nothing to glue into
    _myst_glue = None


def glue(name: str, value, display: bool = False) -> None:
    """Store ``value`` under ``name`` for the book's pages; close figures afterwards.

    Pages paste strings with ``{glue:text}`doc::key:s```, which reads the stored ``repr``
    back with ``ast.literal_eval``. A string therefore comes out exactly as glued, while a
    bare number text such as ``2.839e+05`` would come back as ``283900.0``. A figure is
    closed after gluing, because otherwise Jupyter shows it a second time at the end of the cell.
    """
    if _myst_glue is not None:
        _myst_glue(name, value, display=display)
    if isinstance(value, plt.Figure):
        if display and _myst_glue is None:
            from IPython.display import display as show

            show(value)
        plt.close(value)


@contextlib.contextmanager
def plain_warnings(stream=None):
    """Print warnings raised inside the block as ``Category: message``, without file and line.

    Python's default format starts with the package's source path, which means nothing to a
    student and would show the build machine's folders on the published pages.
    """

    def show(message, category, filename, lineno, file=None, line=None):
        print(f"{category.__name__}: {message}", file=stream or sys.stderr, flush=True)

    with warnings.catch_warnings():
        warnings.showwarning = show
        yield


def format_percent(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.1f}%"


def format_loss(value: float | None) -> str:
    if value is None or not math.isfinite(value):
        return "NaN or infinite"
    return f"{value:{LOSS_FORMAT}}"


def glue_run(record: RunRecord) -> None:
    """Glue the headline numbers of one run under ``<run name>_<quantity>``.

    Quantities: ``val_accuracy``, ``val_loss``, ``train_loss_first``, ``train_loss_last``,
    ``epochs`` (finished) and ``status`` (how the run ended).
    """
    history = record.history
    first, last = history.records[0], history.last
    if history.diverged_at is not None:
        status = f"diverged in epoch {history.diverged_at}"
        # The last finite accuracy, if any, is more useful than n/a for the diverged epoch.
        accuracy = format_percent(last.val_accuracy) if last.val_accuracy is not None else f"n/a ({status})"
    else:
        status = "interrupted" if history.interrupted else f"finished {len(history.records)} epochs"
        accuracy = format_percent(last.val_accuracy)
    values = {
        "val_accuracy": accuracy,
        "val_loss": format_loss(last.val_loss),
        "train_loss_first": format_loss(first.train_loss),
        "train_loss_last": format_loss(last.train_loss),
        "epochs": str(len(history.records)),
        "status": status,
    }
    for quantity, text in values.items():
        glue(f"{record.name}_{quantity}", text)


def profile_banner(profile: Profile, width: int | None = None) -> str:
    """Return the sentence naming the profile behind the numbers, loud when it is not real scale.

    With ``width``, the text is wrapped into lines of at most that many characters, because
    output boxes in the built book and in Jupyter do not wrap and the key words would scroll
    out of sight. The book's output boxes show about 68 characters. Glued copies stay on one
    line, because the page wraps them itself.
    """
    if profile.is_real_scale:
        text = (
            f"Profile '{profile.name}': the assignment's real settings ({profile.crop} px crops, "
            f"{profile.epochs} epochs, all photos)."
        )
    else:
        text = (
            f"Profile '{profile.name}': a SMOKE TEST on {profile.images_per_class} photos per class at "
            f"{profile.crop} px for {profile.epochs} epochs. These numbers are NOT the assignment's "
            "results; they only show that every cell runs."
        )
    return text if width is None else textwrap.fill(text, width=width)


def runs_table(records: list[RunRecord]) -> Table:
    """Build a table with one row per run: configuration, final metrics and how it ended."""
    headers = ["run", "optimizer", "lr", "init", "epochs", "final train loss", "final val loss",
               "final val accuracy", "ended"]
    rows = []
    for record in records:
        config, history = record.config, record.history
        last = history.last
        init = config.init if config.init_std is None else f"{config.init} (std {config.init_std:g})"
        ended = f"diverged in epoch {history.diverged_at}" if history.diverged_at else (
            "interrupted" if history.interrupted else "completed")
        rows.append([record.name, config.optimizer, f"{config.lr:g}", init, len(history.records),
                     format_loss(last.train_loss), format_loss(last.val_loss),
                     format_percent(last.val_accuracy), ended])
    return Table(headers, rows)


def counts_table(counts: dict[str, int]) -> Table:
    """Build a table of photos per class, with the total."""
    rows = [[name, count] for name, count in counts.items()]
    rows.append(["**total**", f"**{sum(counts.values())}**"])
    return Table(["class", "photos"], rows)


def library_versions() -> str:
    """Python, torch, torchvision and course-package versions, as one line."""
    import platform

    import torch
    import torchvision

    from . import __version__

    return (f"Python {platform.python_version()}, torch {torch.__version__}, "
            f"torchvision {torchvision.__version__}, garbage_classifier {__version__}")


def device_message(device_type: str, epoch_seconds: float, total_epochs: int, width: int = 64) -> str:
    """Tell students which device trains, how long the runs will take, and how to get a GPU.

    The advice and the estimate are separate paragraphs, each wrapped at ``width`` characters
    so that the output box shows them without scrolling sideways.
    """
    minutes = max(1, round(epoch_seconds * total_epochs / 60))
    estimate = (f"Estimated training time: {epoch_seconds:.0f} s per epoch, about {minutes} "
                f"minute{'s' if minutes != 1 else ''} for all {total_epochs} epochs of this notebook "
                "(validation adds a little).")
    if device_type == "cuda":
        advice = "Training on a GPU."
    elif device_type == "mps":
        advice = "Training on the Apple GPU (MPS)."
    else:
        advice = (
            "No GPU was found, so training runs on the CPU. The notebook works, but slowly. In Google "
            "Colab choose Runtime > Change runtime type > T4 GPU, save, and run the notebook again."
        )
    return "\n".join(textwrap.fill(paragraph, width=width) for paragraph in (advice, estimate))
