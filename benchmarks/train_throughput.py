"""Compare ResNet18 training throughput of the old course pipeline and the package's.

Both pipelines train copies of one ResNet18 (same initial weights) on the same photos, in
one process on one machine:

* old: torchvision ``ImageFolder`` with ``Resize((256, 256))``, ``CenterCrop(224)`` and
  ``ToTensor()``, which decodes every photo again in every epoch. A ``DataLoader`` with 4
  worker processes shuffles the photos. The model trains with plain SGD in float32 and
  the default contiguous memory format.
* package: ``garbage_classifier.data.load_dataset`` decodes each photo once and caches it
  on disk. ``BatchLoader`` and ``training.train_one_epoch`` train in the precision that
  ``resolve_precision("auto", device)`` picks, with channels-last weights and batches.

Each pipeline runs its warm-up steps, then a fixed number of timed steps, split into
rounds that alternate between the pipelines so that both see the same load from other
processes. Each round starts from a fresh iterator, so the old pipeline's time includes
starting its workers and decoding every batch it trains on. A real epoch starts the
workers once per 50 steps, so short rounds overstate that start-up cost a little. The
package's one-time decode is timed and printed separately.

Usage::

    python benchmarks/train_throughput.py --quick   # under a minute on a 2-core CPU
    python benchmarks/train_throughput.py           # 224 px, all photos: several minutes

The last line of the output is ``ratio package/old: <number>x``.
"""

from __future__ import annotations

import argparse
import copy
import logging
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode
from torchvision import datasets, transforms

from garbage_classifier import data as gc_data
from garbage_classifier.devices import describe_device, pick_device, resolve_precision
from garbage_classifier.models import build_model
from garbage_classifier.training import make_optimizer, train_one_epoch

# The assignment's scale, used for the projected run times.
ASSIGNMENT_CROP = 224
ASSIGNMENT_TRAIN_PHOTOS = 1593
# Tasks 3-5 train six runs of 10 epochs each, and Task 6 one run of 15 epochs.
ASSIGNMENT_EPOCHS = 6 * 10 + 15

# The assignment resizes to 256 before cropping to 224, and other crops keep that ratio.
RESIZE_PER_CROP = 256 / 224

MATMUL_DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}


@dataclass(frozen=True)
class ModeDefaults:
    """Settings that ``--quick`` and the full mode set when an option is not given."""

    image_size: int
    images_per_class: int | None
    warmup_steps: int
    steps: int
    rounds: int
    float32_matmul_size: int
    low_precision_matmul_size: int


# PyTorch emulates bfloat16 matrix multiplies on CPUs without AVX-512 BF16 or AMX. On a
# busy 2-core AVX2 EPYC they ran at 0.3-1.3 GFLOP/s against 16-20 for float32, so the
# benchmark keeps their matrices small.
QUICK = ModeDefaults(64, 16, 1, 3, 1, 1024, 256)
FULL_CPU = ModeDefaults(224, None, 2, 20, 2, 2048, 512)
# NOTE: not yet run on a GPU. Its step counts and matrix sizes are estimates.
FULL_ACCELERATOR = ModeDefaults(224, None, 5, 50, 5, 8192, 8192)


@dataclass(frozen=True)
class Throughput:
    """Images trained on in the timed steps, and the seconds those steps took."""

    images: int
    seconds: float

    @property
    def images_per_second(self) -> float:
        return self.images / self.seconds

    def plus(self, other: "Throughput") -> "Throughput":
        return Throughput(self.images + other.images, self.seconds + other.seconds)


# --------------------------------------------------------------------------- options


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="small run: 64 px crops, 16 photos per class, 1 warm-up and 3 timed steps")

    photos = parser.add_argument_group("photos")
    photos.add_argument("--data", type=Path, metavar="PATH", default=None,
                        help="image folder with one subfolder per class (default: the package's search, "
                             "which finds the bundled data/trashnet)")
    photos.add_argument("--image-size", type=int, metavar="PX", default=None,
                        help="side of the center crop in pixels (default: 224, or 64 with --quick)")
    photos.add_argument("--resize", type=int, metavar="PX", default=None,
                        help="side the photos are resized to before cropping, in pixels "
                             "(default: image size x 256/224)")
    photos.add_argument("--images-per-class", type=int, metavar="N", default=None,
                        help="use only the first N photos of each class (default: all, or 16 with --quick)")
    photos.add_argument("--cache-dir", type=Path, metavar="PATH", default=None,
                        help="folder of the package's decoded-photo cache (default: $GARBAGE_CACHE_DIR, "
                             "else ~/.cache/garbage_classifier)")
    photos.add_argument("--no-cache", action="store_true",
                        help="decode the photos even if the package's on-disk cache contains them, "
                             "and write no cache")

    training = parser.add_argument_group("training")
    training.add_argument("--batch-size", type=int, metavar="N", default=32, help="images per training step (default: 32)")
    training.add_argument("--workers", type=int, metavar="N", default=4,
                          help="DataLoader worker processes of the old pipeline (default: 4)")
    training.add_argument("--warmup-steps", type=int, metavar="N", default=None,
                          help="untimed training steps per pipeline (default: 2, 1 with --quick; 5 on a GPU)")
    training.add_argument("--steps", type=int, metavar="N", default=None,
                          help="timed training steps per pipeline (default: 20, 3 with --quick; 50 on a GPU)")
    training.add_argument("--rounds", type=int, metavar="N", default=None,
                          help="alternating rounds that the timed steps are split into (default: 2, "
                               "1 with --quick; 5 on a GPU)")
    training.add_argument("--lr", type=float, default=1e-4, help="SGD learning rate of both pipelines (default: 1e-4)")
    training.add_argument("--device", default=None,
                          help="torch device, such as cpu or cuda (default: CUDA, then Apple MPS, then CPU)")
    training.add_argument("--seed", type=int, default=0,
                          help="seed of the initial weights and the shuffling (default: 0)")

    peaks = parser.add_argument_group("matrix-multiply peaks")
    peaks.add_argument("--float32-matmul-size", type=int, metavar="N", default=None,
                       help="side of the square float32 matrices (default: 2048 on a CPU, 8192 on a GPU, "
                            "1024 with --quick)")
    peaks.add_argument("--low-precision-matmul-size", type=int, metavar="N", default=None,
                       help="side of the square bfloat16 (and float16) matrices (default: 512 on a CPU, "
                            "8192 on a GPU, 256 with --quick)")
    peaks.add_argument("--matmul-repeats", type=int, metavar="N", default=5,
                       help="timed multiplies per precision, before and again after the training steps; "
                            "the fastest gives the peak (default: 5)")
    return parser


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = build_parser()
    args = parser.parse_args(argv)
    fill_mode_defaults(args)
    validate_args(parser, args)
    return args


def fill_mode_defaults(args: argparse.Namespace) -> None:
    """Replace options left at ``None`` with the ``--quick`` or full-mode settings."""
    device = pick_device(args.device)
    if args.quick:
        defaults = QUICK
    else:
        defaults = FULL_CPU if device.type == "cpu" else FULL_ACCELERATOR
    for name in ("image_size", "warmup_steps", "steps", "rounds", "float32_matmul_size", "low_precision_matmul_size"):
        if getattr(args, name) is None:
            setattr(args, name, getattr(defaults, name))
    if args.images_per_class is None:
        args.images_per_class = defaults.images_per_class
    if args.resize is None:
        args.resize = round(args.image_size * RESIZE_PER_CROP)
    args.device = device


def validate_args(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Exit with a usage error on a value that cannot give a measurement."""
    at_least = {
        # ResNet18 reduces its input 32-fold, so below 32 px the last feature map stays 1x1.
        "--image-size": (args.image_size, 32),
        # In training mode BatchNorm rejects a single image whose feature map is 1x1.
        "--batch-size": (args.batch_size, 2),
        "--workers": (args.workers, 0),
        "--warmup-steps": (args.warmup_steps, 1),
        "--steps": (args.steps, 1),
        "--rounds": (args.rounds, 1),
        "--float32-matmul-size": (args.float32_matmul_size, 1),
        "--low-precision-matmul-size": (args.low_precision_matmul_size, 1),
        "--matmul-repeats": (args.matmul_repeats, 1),
    }
    for option, (value, minimum) in at_least.items():
        if value < minimum:
            parser.error(f"{option} must be at least {minimum}, got {value}.")
    if args.images_per_class is not None and args.images_per_class < 1:
        parser.error(f"--images-per-class must be at least 1, got {args.images_per_class}.")
    if args.rounds > args.steps:
        parser.error(f"--rounds ({args.rounds}) must be at most --steps ({args.steps}).")
    if args.resize < args.image_size:
        parser.error(f"--resize ({args.resize}) must be at least --image-size ({args.image_size}).")
    if not args.lr > 0:
        parser.error(f"--lr must be a positive number, got {args.lr}.")
    if args.data is not None and not args.data.is_dir():
        parser.error(f"--data {args.data} is not a folder. Pass a folder with one subfolder per class.")


# --------------------------------------------------------------------------- helpers


def synchronize(device: torch.device) -> None:
    """Wait for queued GPU work, so that a timer reads the time the work took."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()


def take_batches(loader: Iterable, count: int) -> Iterator:
    """Yield ``count`` batches, starting a new epoch of ``loader`` whenever one ends."""
    produced = 0
    while produced < count:
        empty = True
        for batch in loader:
            empty = False
            yield batch
            produced += 1
            if produced == count:
                return
        if empty:
            raise ValueError("The loader produced no batch, because its dataset is empty.")


# --------------------------------------------------------------------------- old pipeline


def build_old_loader(image_root: Path, classes: list[str], args: argparse.Namespace) -> torch.utils.data.DataLoader:
    """Rebuild the old course's ImageFolder and DataLoader, limited to the benchmark's photos.

    Raises:
        ValueError: ``ImageFolder`` finds other class folders than ``classes``. It takes
            hidden folders such as ``.ipynb_checkpoints`` as classes, and the package skips them.
    """
    transform = transforms.Compose([
        transforms.Resize((args.resize, args.resize)),
        transforms.CenterCrop(args.image_size),
        transforms.ToTensor(),
    ])
    dataset = datasets.ImageFolder(str(image_root), transform=transform)
    if dataset.classes != classes:
        raise ValueError(
            f"ImageFolder found the classes {dataset.classes} in {image_root}, but the package "
            f"found {classes}, so the two pipelines would not train on the same photos. Remove "
            "hidden folders such as .ipynb_checkpoints from the image folder."
        )
    if args.images_per_class is not None:
        dataset = torch.utils.data.Subset(dataset, first_indices_per_class(dataset.targets, args.images_per_class))
    return torch.utils.data.DataLoader(dataset, batch_size=args.batch_size, shuffle=True, num_workers=args.workers)


def first_indices_per_class(targets: list[int], limit: int) -> list[int]:
    """Return the indices of the first ``limit`` samples of each class, as ``load_dataset`` picks them."""
    counts_per_class: dict[int, int] = {}
    indices = []
    for index, label in enumerate(targets):
        if counts_per_class.get(label, 0) < limit:
            indices.append(index)
            counts_per_class[label] = counts_per_class.get(label, 0) + 1
    return indices


def train_old_steps(model: nn.Module, batches: Iterable, device: torch.device, optimizer: torch.optim.Optimizer) -> int:
    """Run the old course's training loop over ``batches`` and return the number of images."""
    criterion = nn.CrossEntropyLoss()
    model.train()
    running_loss = 0.0
    images_seen = 0
    for images, labels in batches:
        images, labels = images.to(device), labels.to(device)
        optimizer.zero_grad()
        outputs = model(images)
        loss = criterion(outputs, labels)
        loss.backward()
        optimizer.step()
        # Unused here, but the old loop kept it, and its .item() makes the host wait for every step.
        running_loss += loss.item()
        images_seen += labels.numel()
    return images_seen


class OldPipeline:
    """The old course's model, optimizer and DataLoader, trained a number of steps at a time."""

    def __init__(self, model: nn.Module, loader: torch.utils.data.DataLoader, args: argparse.Namespace) -> None:
        self.device = args.device
        self.model = model.to(self.device)
        self.loader = loader
        self.optimizer = torch.optim.SGD(model.parameters(), lr=args.lr)

    def train(self, steps: int) -> int:
        """Train ``steps`` steps from a fresh DataLoader iterator and return the number of images.

        The fresh iterator starts new worker processes, as the old pipeline does every epoch.
        """
        return train_old_steps(self.model, take_batches(self.loader, steps), self.device, self.optimizer)


# --------------------------------------------------------------------------- package pipeline


class _CacheHitRecorder(logging.Handler):
    """Record whether ``load_dataset`` logged that it read the decoded photos from its cache."""

    def __init__(self) -> None:
        super().__init__(level=logging.INFO)
        self.hit = False

    def emit(self, record: logging.LogRecord) -> None:
        # NOTE: this matches the wording of load_dataset's log message, because
        # load_dataset returns no flag for a cache hit.
        if record.getMessage().startswith("Loaded") and "decoded photos from" in record.getMessage():
            self.hit = True


def decode_package_dataset(args: argparse.Namespace) -> tuple[gc_data.DecodedDataset, float, bool]:
    """Load the photos with ``load_dataset``.

    Returns:
        The dataset, the seconds ``load_dataset`` took, and whether it read the on-disk cache.
    """
    logger = logging.getLogger(gc_data.__name__)
    recorder = _CacheHitRecorder()
    previous_level = logger.level
    logger.addHandler(recorder)
    logger.setLevel(logging.INFO)
    try:
        started = time.perf_counter()
        dataset = gc_data.load_dataset(
            args.data,
            resize=args.resize,
            crop=args.image_size,
            images_per_class=args.images_per_class,
            cache_dir=args.cache_dir,
            use_cache=not args.no_cache,
            progress=False,
        )
        seconds = time.perf_counter() - started
    finally:
        logger.removeHandler(recorder)
        logger.setLevel(previous_level)
    return dataset, seconds, recorder.hit


class PackagePipeline:
    """The package's channels-last model, BatchLoader and train_one_epoch, trained a number of steps at a time."""

    def __init__(
        self, model: nn.Module, dataset: gc_data.DecodedDataset, precision: str, args: argparse.Namespace
    ) -> None:
        self.device = args.device
        self.precision = precision
        self.model = model.to(self.device)
        self.model.to(memory_format=torch.channels_last)
        self.loader = gc_data.BatchLoader(
            dataset, args.batch_size, shuffle=True, seed=args.seed, device=self.device, channels_last=True
        )
        self.optimizer = make_optimizer("sgd", self.model.parameters(), args.lr)
        # As in fit(), only float16 needs loss scaling, because bfloat16 has float32's exponent range.
        self.scaler = torch.amp.GradScaler(self.device.type) if precision == "float16" else None

    def train(self, steps: int) -> int:
        """Train ``steps`` steps with ``train_one_epoch`` and return the number of images."""
        batches = take_batches(self.loader, steps)
        metrics = train_one_epoch(self.model, batches, self.device, self.precision, self.optimizer, self.scaler)
        return metrics.samples


# --------------------------------------------------------------------------- timing


def split_steps(steps: int, rounds: int) -> list[int]:
    """Split ``steps`` into ``rounds`` near-equal parts, the larger parts first."""
    return [steps // rounds + (1 if index < steps % rounds else 0) for index in range(rounds)]


def time_steps(pipeline: OldPipeline | PackagePipeline, steps: int, device: torch.device) -> Throughput:
    synchronize(device)
    started = time.perf_counter()
    images = pipeline.train(steps)
    synchronize(device)
    return Throughput(images, time.perf_counter() - started)


def time_in_rounds(pipelines: dict[str, OldPipeline | PackagePipeline], args: argparse.Namespace) -> dict[str, Throughput]:
    """Warm up every pipeline, then time them in alternating rounds and return each one's total.

    Other processes on the machine change its speed over minutes. Alternating the
    pipelines, in reverse order every other round, exposes both to similar changes.
    """
    for pipeline in pipelines.values():
        pipeline.train(args.warmup_steps)

    totals = {name: Throughput(0, 0.0) for name in pipelines}
    for round_index, steps in enumerate(split_steps(args.steps, args.rounds)):
        names = list(pipelines) if round_index % 2 == 0 else list(reversed(pipelines))
        for name in names:
            result = time_steps(pipelines[name], steps, args.device)
            print_throughput(f"round {round_index + 1} of {args.rounds}, {name}", result)
            totals[name] = totals[name].plus(result)
    return totals


# --------------------------------------------------------------------------- FLOPs and peaks


def count_training_flops(model: nn.Module, batch_size: int, image_size: int) -> int:
    """Count the FLOPs of one forward and backward pass over a batch with ``FlopCounterMode``.

    The count runs on the meta device, which tracks shapes without computing, so it costs
    no time. It covers matrix multiplies and convolutions, which are nearly all of ResNet18's
    FLOPs, and counts a multiply-add as two FLOPs.
    """
    meta_model = copy.deepcopy(model).to("meta")
    meta_model.train()
    images = torch.empty(batch_size, 3, image_size, image_size, device="meta")
    labels = torch.zeros(batch_size, dtype=torch.long, device="meta")
    with FlopCounterMode(display=False) as counter:
        loss = nn.functional.cross_entropy(meta_model(images), labels)
        loss.backward()
    return counter.get_total_flops()


def measure_matmul_peak(dtype: torch.dtype, size: int, repeats: int, device: torch.device) -> float:
    """Return the GFLOP/s of the fastest of ``repeats`` ``size x size`` matrix multiplies."""
    generator = torch.Generator().manual_seed(0)
    left = torch.randn(size, size, generator=generator).to(device=device, dtype=dtype)
    right = torch.randn(size, size, generator=generator).to(device=device, dtype=dtype)
    torch.matmul(left, right)  # warm-up: library initialisation and kernel selection
    synchronize(device)
    fastest = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        torch.matmul(left, right)
        synchronize(device)
        fastest = min(fastest, time.perf_counter() - started)
    return 2 * size**3 / fastest / 1e9


def measure_peaks(precision: str, args: argparse.Namespace) -> dict[str, float]:
    """Measure the float32 and bfloat16 peaks in GFLOP/s, and the training precision's if it is another."""
    names = ["float32", "bfloat16"] + ([precision] if precision not in ("float32", "bfloat16") else [])
    peaks = {}
    for name in names:
        size = args.float32_matmul_size if name == "float32" else args.low_precision_matmul_size
        peaks[name] = measure_matmul_peak(MATMUL_DTYPES[name], size, args.matmul_repeats, args.device)
    return peaks


# --------------------------------------------------------------------------- report


def format_duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 2 * 3600:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


def print_setup(args: argparse.Namespace, dataset: gc_data.DecodedDataset, precision: str) -> None:
    per_class = "all" if args.images_per_class is None else f"at most {args.images_per_class}"
    print(f"device: {describe_device(args.device)}, torch {torch.__version__}, precision auto -> {precision}")
    print(f"photos: {len(dataset)} ({per_class} per class), resized to {args.resize} px, "
          f"cropped to {args.image_size} px; batch size {args.batch_size}")
    print(f"steps per pipeline: {args.warmup_steps} warm-up, then {args.steps} timed in {args.rounds} alternating round(s)")


def print_load_average(when: str) -> None:
    """Print the 1-minute load average, so that a reader can tell a busy machine from a slow one."""
    if hasattr(os, "getloadavg"):
        print(f"load average (1 min) {when}: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPU cores")


def print_throughput(label: str, result: Throughput) -> None:
    print(f"{label}: {result.images_per_second:.2f} images/s "
          f"({result.images} images in {result.seconds:.2f} s)")


def print_flops_and_peaks(
    flops_per_batch: int, args: argparse.Namespace, peaks: dict[str, float], precision: str,
    old: Throughput, package: Throughput,
) -> None:
    gflop_per_image = flops_per_batch / args.batch_size / 1e9
    print(f"training FLOPs (FlopCounterMode, forward + backward, batch {args.batch_size} at "
          f"{args.image_size} px): {flops_per_batch / 1e9:.1f} GFLOP per batch, "
          f"{gflop_per_image:.3f} GFLOP per image")
    for name, peak in peaks.items():
        size = args.float32_matmul_size if name == "float32" else args.low_precision_matmul_size
        print(f"matmul peak {name} ({size}x{size}, fastest of {args.matmul_repeats} before and "
              f"{args.matmul_repeats} after training): {peak:.2f} GFLOP/s")

    old_rate = gflop_per_image * old.images_per_second
    package_rate = gflop_per_image * package.images_per_second
    print(f"achieved, old pipeline: {old_rate:.2f} GFLOP/s = "
          f"{old_rate / peaks['float32']:.1%} of the float32 matmul peak")
    print(f"achieved, package pipeline: {package_rate:.2f} GFLOP/s = "
          f"{package_rate / peaks[precision]:.1%} of the {precision} matmul peak")
    if old_rate > peaks["float32"] or package_rate > peaks[precision]:
        print("note: training ran faster than the measured matmul peak, so other processes "
              "probably slowed the peak measurement. Rerun on a quieter machine.")


def print_projection(args: argparse.Namespace, old: Throughput, package: Throughput, decode_seconds: float, photos: int) -> None:
    """Print the training time of one assignment epoch and of every assignment run."""
    if args.image_size != ASSIGNMENT_CROP:
        print(f"projection skipped: measured at {args.image_size} px, but the assignment trains "
              f"at {ASSIGNMENT_CROP} px; run without --quick (or with --image-size {ASSIGNMENT_CROP})")
        return
    print(f"projected, training steps only (no validation or test passes), "
          f"one epoch over {ASSIGNMENT_TRAIN_PHOTOS} photos, {ASSIGNMENT_EPOCHS} epochs "
          f"for the assignment (60 in Tasks 3-5, 15 in Task 6):")
    for label, result in (("old", old), ("package", package)):
        epoch_seconds = ASSIGNMENT_TRAIN_PHOTOS / result.images_per_second
        print(f"  {label}: {format_duration(epoch_seconds)} per epoch, "
              f"{format_duration(ASSIGNMENT_EPOCHS * epoch_seconds)} for the assignment")
    print(f"  the package also decodes the photos once: {decode_seconds:.1f} s for {photos} photos above")


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    torch.manual_seed(args.seed)
    precision = resolve_precision("auto", args.device)
    print_load_average("at start")

    dataset, decode_seconds, from_cache = decode_package_dataset(args)
    print_setup(args, dataset, precision)
    print(f"package decode (load_dataset): {decode_seconds:.2f} s for {len(dataset)} photos "
          f"(from the on-disk cache: {'yes' if from_cache else 'no'})")

    image_root = gc_data.locate_dataset(args.data)
    old_loader = build_old_loader(image_root, dataset.classes, args)
    initial_model = build_model("resnet18", num_classes=len(dataset.classes))

    peaks_before = measure_peaks(precision, args)
    pipelines = {
        "old": OldPipeline(copy.deepcopy(initial_model), old_loader, args),
        "package": PackagePipeline(copy.deepcopy(initial_model), dataset, precision, args),
    }
    totals = time_in_rounds(pipelines, args)
    old, package = totals["old"], totals["package"]
    print_throughput(f"old pipeline (ImageFolder, DataLoader with {args.workers} workers, float32, contiguous)", old)
    print_throughput(f"package pipeline (BatchLoader, train_one_epoch, {precision}, channels_last)", package)

    flops_per_batch = count_training_flops(initial_model, args.batch_size, args.image_size)
    # Other processes slow the multiplies down at times, so the faster of two measurements,
    # minutes apart, is the better estimate of the peak.
    peaks_after = measure_peaks(precision, args)
    peaks = {name: max(peaks_before[name], peaks_after[name]) for name in peaks_before}
    print_flops_and_peaks(flops_per_batch, args, peaks, precision, old, package)
    print_projection(args, old, package, decode_seconds, len(dataset))
    print_load_average("at end")
    print(f"ratio package/old: {package.images_per_second / old.images_per_second:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
