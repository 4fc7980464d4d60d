"""The assignment's named runs, each recorded as configuration plus history.

A notebook cell calls ``run_experiment("task3_adam", splits)`` and gets back a
:class:`RunRecord`; the same call backs the ``train`` command of the CLI. Every record
is written as a small JSON file so that the claims in the book's answers can be checked.
"""

from __future__ import annotations

import json
import os
import platform
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import torch

from . import __version__
from .data import REPOSITORY_ROOT, BatchLoader, DecodedDataset
from .devices import describe_device, pick_device, resolve_precision
from .initialization import initialize
from .models import build_model
from .profiles import Profile, get_profile
from .training import History, fit

RUNS_ENV_VAR = "GARBAGE_RUNS_DIR"


@dataclass(frozen=True)
class RunConfig:
    """One training configuration of the assignment.

    ``epochs`` of ``None`` takes the profile's epochs. A fixed number is used as is in the
    full profile and capped at the profile's epochs in smaller ones.
    """

    name: str
    task: str
    optimizer: str = "sgd"
    lr: float = 1e-4
    init: str | None = "gaussian"
    init_std: float | None = 1e-4
    architecture: str = "resnet18"
    epochs: int | None = None
    momentum: float = 0.0
    seed: int = 23

    def validate(self) -> None:
        """Check names and numbers before any data is loaded.

        Raises:
            ValueError: Unknown optimizer, init scheme or architecture, or a bad learning rate.
        """
        from .initialization import get_init
        from .models import available_architectures
        from .training import make_optimizer

        make_optimizer(self.optimizer, [torch.nn.Parameter(torch.zeros(1))], self.lr, self.momentum)
        if self.init is not None:
            get_init(self.init, std=self.init_std)
        if self.architecture not in available_architectures():
            raise ValueError(f"Unknown architecture {self.architecture!r}; see models.available_architectures().")
        if self.epochs is not None and (not isinstance(self.epochs, int) or self.epochs < 1):
            raise ValueError(f"epochs must be a whole number of at least 1, got {self.epochs!r}.")

    def epochs_for(self, profile: Profile) -> int:
        if self.epochs is None:
            return profile.epochs
        return self.epochs if profile.is_real_scale else min(self.epochs, profile.epochs)


ASSIGNMENT_RUNS: dict[str, RunConfig] = {
    config.name: config
    for config in (
        RunConfig("task3_sgd", "Task 3", optimizer="sgd", lr=1e-4),
        RunConfig("task3_adam", "Task 3", optimizer="adam", lr=1e-4),
        RunConfig("task4_lr_1e-8", "Task 4", optimizer="sgd", lr=1e-8),
        RunConfig("task4_lr_12", "Task 4", optimizer="sgd", lr=12.0),
        RunConfig("task5_zero", "Task 5", optimizer="sgd", lr=1e-4, init="zero", init_std=None),
        RunConfig("task5_kaiming", "Task 5", optimizer="sgd", lr=1e-4, init="kaiming_normal", init_std=None),
        RunConfig(
            "task6_recommended", "Task 6", optimizer="adam", lr=5e-5, init="kaiming_normal",
            init_std=None, epochs=15,
        ),
    )
}


def get_run_config(name: str) -> RunConfig:
    """Look up one of :data:`ASSIGNMENT_RUNS` by name."""
    if name not in ASSIGNMENT_RUNS:
        raise ValueError(f"Unknown run {name!r}; expected one of: {', '.join(ASSIGNMENT_RUNS)}.")
    return ASSIGNMENT_RUNS[name]


@dataclass
class RunRecord:
    """A finished run: what was configured, on what, and what happened each epoch."""

    config: RunConfig
    profile: Profile
    history: History
    environment: dict = field(default_factory=dict)
    model: torch.nn.Module | None = field(default=None, repr=False, compare=False)

    @property
    def name(self) -> str:
        return self.config.name

    def to_dict(self) -> dict:
        return {
            "config": asdict(self.config),
            "profile": self.profile.to_dict(),
            "history": self.history.to_dict(),
            "environment": self.environment,
        }

    @classmethod
    def from_dict(cls, payload: dict) -> "RunRecord":
        return cls(
            config=RunConfig(**payload["config"]),
            profile=Profile(**payload["profile"]),
            history=History.from_dict(payload["history"]),
            environment=payload.get("environment", {}),
        )


def default_records_dir(profile: Profile) -> Path:
    """``$GARBAGE_RUNS_DIR``, else ``_build/runs/<profile>`` in the book, else ``./runs/<profile>``."""
    configured = os.environ.get(RUNS_ENV_VAR)
    if configured:
        return Path(configured).expanduser() / profile.name
    if (REPOSITORY_ROOT / "_config.yml").is_file():
        return REPOSITORY_ROOT / "_build" / "runs" / profile.name
    return Path.cwd() / "runs" / profile.name


def save_record(record: RunRecord, directory: str | os.PathLike) -> Path:
    """Write ``<directory>/<run name>.json`` and return its path."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{record.name}.json"
    path.write_text(json.dumps(record.to_dict(), indent=2) + "\n")
    return path


def load_records(directory: str | os.PathLike) -> dict[str, RunRecord]:
    """Read every ``*.json`` record in ``directory``, keyed by run name."""
    directory = Path(directory)
    if directory.is_file():
        raise NotADirectoryError(f"{directory} is a file; pass the folder that holds the run records (*.json).")
    if not directory.is_dir():
        raise FileNotFoundError(
            f"No run records in {directory}: the folder does not exist. Build the book, or run "
            "`python -m garbage_classifier train --records-dir FOLDER` and pass that folder."
        )
    records = {}
    for path in sorted(directory.glob("*.json")):
        try:
            record = RunRecord.from_dict(json.loads(path.read_text()))
        except (json.JSONDecodeError, KeyError, TypeError) as error:
            raise ValueError(f"{path} is not a run record written by this package ({error}).") from error
        records[record.name] = record
    return records


def run_experiment(
    config: RunConfig | str,
    splits: dict[str, DecodedDataset],
    profile: Profile | None = None,
    *,
    device: str | torch.device | None = None,
    precision: str = "auto",
    channels_last: bool = True,
    progress: bool = True,
    progress_stream=None,
    records_dir: str | os.PathLike | None = None,
    save: bool = True,
    **overrides,
) -> RunRecord:
    """Build, initialise and train one configuration on ``splits``; record the result.

    Args:
        config: A :class:`RunConfig` or the name of one in :data:`ASSIGNMENT_RUNS`.
        splits: ``{"train": ..., "val": ...}`` from :func:`~garbage_classifier.data.split_dataset`.
        profile: The run profile; ``$GARBAGE_PROFILE`` when ``None``.
        overrides: Fields of :class:`RunConfig` to change, such as ``lr=1e-3``.
    """
    config = get_run_config(config) if isinstance(config, str) else config
    if overrides:
        config = replace(config, **overrides)
    config.validate()
    profile = profile or get_profile()
    device = pick_device(device)

    # The seed fixes the initial weights and the order of the training batches.
    torch.manual_seed(config.seed)
    model = build_model(config.architecture, num_classes=len(splits["train"].classes))
    initialize(model, config.init, std=config.init_std)
    train_loader = BatchLoader(splits["train"], profile.batch_size, shuffle=True, seed=config.seed, device=device, channels_last=channels_last)
    val_loader = BatchLoader(splits["val"], profile.batch_size, device=device, channels_last=channels_last)

    history = fit(
        model, train_loader, val_loader,
        optimizer=config.optimizer, lr=config.lr, epochs=config.epochs_for(profile),
        momentum=config.momentum, device=device, precision=precision,
        channels_last=channels_last, progress=progress, progress_stream=progress_stream,
        description=config.name,
    )
    environment = {
        "device": describe_device(device),
        "precision": resolve_precision(precision, device),
        "torch": torch.__version__,
        "package": __version__,
        "python": platform.python_version(),
        "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "train_class_counts": splits["train"].counts(),
        "val_class_counts": splits["val"].counts(),
    }
    record = RunRecord(config=config, profile=profile, history=history, environment=environment, model=model)
    if save:
        save_record(record, records_dir or default_records_dir(profile))
    return record
