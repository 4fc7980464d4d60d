"""The package's fast path trains like the old course pipeline, and the benchmark runs.

The fast path decodes each photo once (``load_dataset``), cuts batches from the decoded
tensor (``BatchLoader``), stores weights and batches channels-last, and uses bfloat16
autocast where the hardware has bfloat16 instructions. These tests check that it gives the
same batches as torchvision's ``ImageFolder`` with ``ToTensor()`` and the same loss curve
as plain float32 training in the default memory format, within stated tolerances.
"""

from __future__ import annotations

import copy
import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from torchvision import datasets, transforms

from garbage_classifier.data import BatchLoader, DecodedDataset, load_dataset
from garbage_classifier.devices import cpu_has_fast_bfloat16
from garbage_classifier.models import build_model
from garbage_classifier.training import fit

BENCHMARK = Path(__file__).resolve().parents[1] / "benchmarks" / "train_throughput.py"
RATIO_LINE = re.compile(r"^ratio package/old: \d+(\.\d+)?x$")

# Loss-curve settings: one batch of 16 random 32 px images per epoch, so each epoch is one
# SGD step and the history's per-epoch training loss is the loss of each step.
CURVE_IMAGES = 16
CURVE_SIZE = 32
CURVE_STEPS = 5
CURVE_LR = 1e-3

# Tolerances, relative to the plain path's loss. The first step runs the same float32
# forward pass on the same weights, so only the order of the sums differs. Measured with
# random seeds 0-2 on an AVX2 CPU with torch 2.14, that difference stayed below 1e-6.
# Rounding makes the weights drift apart, and a random network's steep first steps
# amplify the drift, so the largest measured difference over 5 steps was 1.2e-3.
FLOAT32_FIRST_STEP_RTOL = 1e-5
FLOAT32_CURVE_RTOL = 1e-2
# bfloat16 keeps 8 significant bits, so each product is rounded by up to 2**-9 (about
# 2e-3) relative. With emulated CPU autocast and random seeds 0-1, the measured
# difference was at most 4.6e-3 on the first step and 1.8e-2 over 5 steps.
BFLOAT16_FIRST_STEP_RTOL = 2e-2
BFLOAT16_CURVE_RTOL = 1e-1


# --------------------------------------------------------------------------- helpers


def load_benchmark_module():
    """Import benchmarks/train_throughput.py, which is a script and not part of the package."""
    if "train_throughput" in sys.modules:
        return sys.modules["train_throughput"]
    spec = importlib.util.spec_from_file_location("train_throughput", BENCHMARK)
    module = importlib.util.module_from_spec(spec)
    # dataclasses look up the defining module in sys.modules to resolve its annotations.
    sys.modules["train_throughput"] = module
    spec.loader.exec_module(module)
    return module


def write_noise_image(path: Path, width: int, height: int, seed: int, mode: str = "RGB") -> Path:
    """Write a random-noise image of ``width x height`` pixels in the format of the suffix."""
    pixels = np.random.default_rng(seed).integers(0, 256, size=(height, width, 3), dtype=np.uint8)
    image = Image.fromarray(pixels, mode="RGB")
    if mode != "RGB":
        image = image.convert(mode)
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path)
    return path


def make_mixed_folder(root: Path) -> Path:
    """Build two classes of non-square JPEG and PNG files in several colour modes."""
    files = [
        ("cardboard/a_wide.jpg", 50, 40, "RGB"),
        ("cardboard/b_tall.jpg", 23, 61, "RGB"),
        ("cardboard/c_gray.jpg", 45, 45, "L"),
        ("glass/a_rgb.png", 64, 48, "RGB"),
        ("glass/b_alpha.png", 37, 52, "RGBA"),
        ("glass/c_palette.png", 41, 33, "P"),
    ]
    for seed, (relative, width, height, mode) in enumerate(files):
        write_noise_image(root / relative, width, height, seed, mode)
    return root


def make_random_dataset(seed: int) -> DecodedDataset:
    generator = torch.Generator().manual_seed(seed)
    images = torch.randint(0, 256, (CURVE_IMAGES, 3, CURVE_SIZE, CURVE_SIZE), dtype=torch.uint8, generator=generator)
    labels = torch.arange(CURVE_IMAGES) % 6
    return DecodedDataset(
        images=images,
        labels=labels,
        classes=[f"class{i}" for i in range(6)],
        paths=[f"image{i}.png" for i in range(CURVE_IMAGES)],
    )


def train_loss_curve(
    model: torch.nn.Module,
    dataset: DecodedDataset,
    *,
    channels_last: bool,
    precision: str,
    device: str = "cpu",
) -> torch.Tensor:
    """Train a copy of ``model`` with ``fit`` and return the loss of each step."""
    model = copy.deepcopy(model)
    train_loader = BatchLoader(dataset, len(dataset), device=device, channels_last=channels_last)
    val_loader = BatchLoader(dataset, len(dataset), device=device, channels_last=channels_last)
    history = fit(
        model, train_loader, val_loader,
        optimizer="sgd", lr=CURVE_LR, epochs=CURVE_STEPS, device=device,
        precision=precision, channels_last=channels_last, progress=False,
    )
    return torch.tensor(history.column("train_loss"), dtype=torch.float64)


def fast_bfloat16_device() -> str | None:
    """Return a device where bfloat16 autocast runs on bfloat16 hardware, or ``None``."""
    if torch.cuda.is_available() and torch.cuda.is_bf16_supported():
        return "cuda"
    if cpu_has_fast_bfloat16():
        return "cpu"
    return None


@pytest.fixture(scope="module")
def curve_setup():
    """Return the random dataset, the initial model and the plain path's loss curve."""
    torch.manual_seed(0)
    model = build_model("resnet18", num_classes=6)
    dataset = make_random_dataset(seed=0)
    plain = train_loss_curve(model, dataset, channels_last=False, precision="float32")
    return dataset, model, plain


# --------------------------------------------------------------------------- loss curve


def test_plain_curve_descends(curve_setup):
    _, _, plain = curve_setup

    assert torch.isfinite(plain).all()
    # The comparisons below are only worth something if the weights actually change.
    assert plain[-1] < 0.5 * plain[0]


def test_channels_last_float32_matches_plain(curve_setup):
    dataset, model, plain = curve_setup

    fast = train_loss_curve(model, dataset, channels_last=True, precision="float32")

    torch.testing.assert_close(fast[0], plain[0], rtol=FLOAT32_FIRST_STEP_RTOL, atol=0)
    torch.testing.assert_close(fast, plain, rtol=FLOAT32_CURVE_RTOL, atol=0)


def test_bfloat16_autocast_matches_plain(curve_setup):
    device = fast_bfloat16_device()
    if device is None:
        pytest.skip(
            "no CUDA GPU with bfloat16 support, and this CPU has no AVX-512 BF16 or AMX "
            "instructions, so bfloat16 autocast would be emulated and slow"
        )
    dataset, model, plain = curve_setup

    fast = train_loss_curve(model, dataset, channels_last=True, precision="bfloat16", device=device)

    torch.testing.assert_close(fast[0], plain[0], rtol=BFLOAT16_FIRST_STEP_RTOL, atol=0)
    torch.testing.assert_close(fast, plain, rtol=BFLOAT16_CURVE_RTOL, atol=0)


def test_batch_loader_memory_format():
    dataset = make_random_dataset(seed=1)

    fast_images, _ = next(iter(BatchLoader(dataset, 4, channels_last=True)))
    plain_images, _ = next(iter(BatchLoader(dataset, 4, channels_last=False)))

    assert fast_images.is_contiguous(memory_format=torch.channels_last)
    assert not fast_images.is_contiguous()
    assert plain_images.is_contiguous()
    assert torch.equal(fast_images, plain_images)


def test_fit_stores_weights_channels_last():
    torch.manual_seed(0)
    model = build_model("resnet18", num_classes=6)
    dataset = make_random_dataset(seed=2)
    loader = BatchLoader(dataset, len(dataset))

    fit(model, loader, loader, lr=CURVE_LR, epochs=1, device="cpu", precision="float32",
        channels_last=True, progress=False)

    assert model.conv1.weight.is_contiguous(memory_format=torch.channels_last)
    assert not model.conv1.weight.is_contiguous()


# --------------------------------------------------------------------------- batches


@pytest.mark.parametrize(("resize", "crop"), [(40, 32), (37, 30), (32, 32), (256, 224)])
@pytest.mark.parametrize("channels_last", [False, True])
def test_batches_equal_to_tensor(tmp_path, resize, crop, channels_last):
    root = make_mixed_folder(tmp_path / "images")
    reference = datasets.ImageFolder(
        str(root),
        transform=transforms.Compose([
            transforms.Resize((resize, resize)),
            transforms.CenterCrop(crop),
            transforms.ToTensor(),
        ]),
    )
    expected_images = torch.stack([image for image, _ in reference])
    expected_labels = torch.tensor(reference.targets)

    dataset = load_dataset(root, resize=resize, crop=crop, cache_dir=tmp_path / "cache", progress=False)
    loader = BatchLoader(dataset, batch_size=len(dataset), channels_last=channels_last)
    images, labels = next(iter(loader))

    assert dataset.classes == reference.classes
    assert dataset.paths == [Path(path).relative_to(root).as_posix() for path, _ in reference.samples]
    assert images.dtype == expected_images.dtype
    assert torch.equal(images, expected_images)
    assert torch.equal(labels, expected_labels)


# --------------------------------------------------------------------------- benchmark


def make_benchmark_folder(root: Path, per_class: int = 4) -> Path:
    """Build six classes of small 4:3 JPEGs, the shape of the real photos."""
    classes = ("cardboard", "glass", "metal", "paper", "plastic", "trash")
    for class_index, name in enumerate(classes):
        for i in range(per_class):
            write_noise_image(root / name / f"{name}{i + 1}.jpg", 64, 48, seed=100 * class_index + i)
    return root


def test_benchmark_quick_prints_ratio(tmp_path):
    root = make_benchmark_folder(tmp_path / "images")
    cache_dir = tmp_path / "cache"
    environment = dict(os.environ, GARBAGE_CACHE_DIR=str(cache_dir))
    command = [
        sys.executable, str(BENCHMARK), "--quick", "--data", str(root),
        # 32 px and batches of 8 keep the training steps short; --quick sets the rest.
        "--image-size", "32", "--batch-size", "8",
    ]

    completed = subprocess.run(command, capture_output=True, text=True, env=environment, timeout=300)

    assert completed.returncode == 0, completed.stderr
    lines = completed.stdout.strip().splitlines()
    assert RATIO_LINE.match(lines[-1]), lines[-1]
    assert "from the on-disk cache: no" in completed.stdout
    assert "projection skipped: measured at 32 px" in completed.stdout
    assert list(cache_dir.glob("decoded-32px-*.pt"))


def test_benchmark_reports_cache_hit(tmp_path):
    benchmark = load_benchmark_module()
    root = make_benchmark_folder(tmp_path / "images", per_class=2)
    args = benchmark.parse_args(["--quick", "--data", str(root), "--cache-dir", str(tmp_path / "cache")])

    _, _, first_from_cache = benchmark.decode_package_dataset(args)
    _, _, second_from_cache = benchmark.decode_package_dataset(args)

    assert first_from_cache is False
    assert second_from_cache is True


def test_benchmark_pipelines_use_same_photos(tmp_path):
    benchmark = load_benchmark_module()
    root = make_benchmark_folder(tmp_path / "images", per_class=5)
    args = benchmark.parse_args(
        ["--quick", "--data", str(root), "--images-per-class", "3", "--no-cache", "--workers", "0"]
    )

    dataset, _, _ = benchmark.decode_package_dataset(args)
    old_subset = benchmark.build_old_loader(root, dataset.classes, args).dataset
    old_paths = [
        Path(old_subset.dataset.samples[index][0]).relative_to(root).as_posix()
        for index in old_subset.indices
    ]

    assert len(dataset) == 18
    assert old_paths == dataset.paths


def test_benchmark_rejects_hidden_class_folder(tmp_path):
    benchmark = load_benchmark_module()
    root = make_benchmark_folder(tmp_path / "images", per_class=1)
    write_noise_image(root / ".ipynb_checkpoints" / "glass1-checkpoint.jpg", 64, 48, seed=7)
    args = benchmark.parse_args(["--quick", "--data", str(root), "--no-cache"])
    dataset, _, _ = benchmark.decode_package_dataset(args)

    with pytest.raises(ValueError, match=r"ImageFolder found the classes \['\.ipynb_checkpoints'"):
        benchmark.build_old_loader(root, dataset.classes, args)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--steps", "0"], "--steps must be at least 1, got 0."),
        (["--image-size", "16"], "--image-size must be at least 32, got 16."),
        (["--image-size", "64", "--resize", "60"], "--resize (60) must be at least --image-size (64)."),
        (["--lr", "0"], "--lr must be a positive number, got 0.0."),
        (["--steps", "2", "--rounds", "3"], "--rounds (3) must be at most --steps (2)."),
    ],
)
def test_benchmark_rejects_bad_option(tmp_path, capsys, arguments, message):
    benchmark = load_benchmark_module()

    with pytest.raises(SystemExit) as exit_info:
        benchmark.parse_args(["--quick", *arguments])

    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_benchmark_splits_steps_into_rounds():
    benchmark = load_benchmark_module()

    assert benchmark.split_steps(7, 3) == [3, 2, 2]
    assert benchmark.split_steps(6, 2) == [3, 3]
    assert benchmark.split_steps(1, 1) == [1]


def test_benchmark_rejects_missing_data(tmp_path, capsys):
    benchmark = load_benchmark_module()
    missing = tmp_path / "no-such-folder"

    with pytest.raises(SystemExit) as exit_info:
        benchmark.parse_args(["--quick", "--data", str(missing)])

    assert exit_info.value.code == 2
    assert f"--data {missing} is not a folder" in capsys.readouterr().err
