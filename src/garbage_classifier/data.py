"""Find, verify, decode and split the garbage photos, and hand out batches.

The expected layout is an image folder with one subfolder per class::

    trashnet/
    ├── SHA256SUMS            # "<sha256>  <class>/<file>" per photo (optional)
    └── images/
        ├── cardboard/cardboard1.jpg
        ├── glass/...
        └── trash/...

``images/`` may also be given directly. Class names come from the folder names, sorted,
so labels are 0..5 for cardboard, glass, metal, paper, plastic and trash. Folders whose
name starts with ``.`` or ``__`` (``.ipynb_checkpoints``, ``__MACOSX``) and files
without an image extension are skipped.

The assignment's transform (resize to 256x256, center-crop 224, to tensor) is
deterministic, so every photo is decoded once and kept as a uint8 tensor, in memory and in
an on-disk cache keyed by the photos' SHA-256 digests and the transform. Batches are cut
from that tensor. The book teaches this on the assignment page, section "Load the data".
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import shutil
import tempfile
import urllib.request
import warnings
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Sequence

import torch
from PIL import Image, UnidentifiedImageError
from torchvision.transforms import functional as TF

logger = logging.getLogger(__name__)

DATA_ENV_VAR = "GARBAGE_DATA_DIR"
CACHE_ENV_VAR = "GARBAGE_CACHE_DIR"
DATA_URL_ENV_VAR = "GARBAGE_DATA_URL"
# The course repository and revision that the notebook installs the package from and that
# fetch_dataset downloads the photos from. They must equal repository.url and
# repository.branch in _config.yml and the constants in the notebook's set-up cell; a test
# checks all three.
COURSE_REPOSITORY = "https://github.com/uva-image-data-processing/garbage-course-book"
# The notebook passes its own COURSE_REVISION to ensure_dataset. In the copy that the
# published site opens in Colab, that is the built commit (see scripts/pin_notebook.py).
# This default only serves callers that name no revision.
COURSE_REVISION = "main"
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".gif", ".tif", ".tiff", ".webp")
CHECKSUMS_FILENAME = "SHA256SUMS"
# Bump when the cached tensor layout or the decoding changes, so old caches are ignored.
CACHE_FORMAT_VERSION = 1

# src/garbage_classifier/data.py -> repository root
REPOSITORY_ROOT = Path(__file__).resolve().parents[2]
BUNDLED_DATASET = REPOSITORY_ROOT / "data" / "trashnet"


def default_cache_dir() -> Path:
    """Return ``$GARBAGE_CACHE_DIR``, else ``$XDG_CACHE_HOME/garbage_classifier``."""
    configured = os.environ.get(CACHE_ENV_VAR)
    if configured:
        return Path(configured).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(xdg) / "garbage_classifier"


# --------------------------------------------------------------------------- locating


def image_root_of(path: Path) -> Path:
    """Return the folder holding the class folders: ``path/images`` if present, else ``path``."""
    images = path / "images"
    return images if images.is_dir() else path


def locate_dataset(path: str | os.PathLike | None = None) -> Path:
    """Find the image folder, whatever the current working directory.

    The search order is: ``path`` when given, then ``$GARBAGE_DATA_DIR``, then the copy
    bundled with the repository (``data/trashnet``), then the download cache
    (``<cache dir>/trashnet``).

    Returns:
        The folder that contains the class folders.

    Raises:
        FileNotFoundError: No candidate exists; the message lists every place tried.
        NotADirectoryError: An explicit path or ``$GARBAGE_DATA_DIR`` names a file.
    """
    explicit = [("the path argument", path), (f"${DATA_ENV_VAR}", os.environ.get(DATA_ENV_VAR))]
    for source, candidate in explicit:
        if candidate in (None, ""):
            continue
        candidate = Path(candidate).expanduser()
        if candidate.is_file():
            raise NotADirectoryError(
                f"{source} points to the file {candidate}, but the dataset must be a folder "
                "with one subfolder per class. Pass the folder that contains the class folders."
            )
        if not candidate.exists():
            raise FileNotFoundError(
                f"{source} points to {candidate}, which does not exist. Fix the path, or unset "
                f"it to use the photos bundled with the repository ({BUNDLED_DATASET})."
            )
        return image_root_of(candidate)

    fallbacks = [BUNDLED_DATASET, default_cache_dir() / "trashnet"]
    for candidate in fallbacks:
        if candidate.is_dir():
            return image_root_of(candidate)

    tried = "\n".join(f"  - {place}" for place in fallbacks)
    raise FileNotFoundError(
        f"The garbage photos were not found. No path was given, ${DATA_ENV_VAR} is not set, "
        f"and these folders do not exist:\n{tried}\n"
        "Clone the course repository (it bundles the photos in data/trashnet), or set "
        f"${DATA_ENV_VAR} to a folder with one subfolder per class."
    )


def checksums_file_for(image_root: Path) -> Path | None:
    """Return the ``SHA256SUMS`` beside or inside the image folder, if there is one."""
    for candidate in (image_root.parent / CHECKSUMS_FILENAME, image_root / CHECKSUMS_FILENAME):
        if candidate.is_file():
            return candidate
    return None


# --------------------------------------------------------------------------- scanning


@dataclass(frozen=True)
class ImageFolderIndex:
    """The class names of an image folder and its (path, label) samples in sorted order."""

    root: Path
    classes: list[str]
    samples: list[tuple[Path, int]]

    def counts(self) -> dict[str, int]:
        per_label = Counter(label for _, label in self.samples)
        return {name: per_label[label] for label, name in enumerate(self.classes)}


def _is_hidden(name: str) -> bool:
    return name.startswith(".") or name.startswith("__")


def _is_image_file(path: Path) -> bool:
    return path.is_file() and not _is_hidden(path.name) and path.suffix.lower() in IMAGE_EXTENSIONS


def scan_image_folder(root: str | os.PathLike) -> ImageFolderIndex:
    """List the class folders and image files under ``root``.

    Raises:
        FileNotFoundError: ``root`` does not exist, has no class folders, or a class
            folder contains no image file.
        NotADirectoryError: ``root`` is a file.
    """
    root = Path(root)
    if not root.exists():
        raise FileNotFoundError(f"The image folder {root} does not exist.")
    if not root.is_dir():
        raise NotADirectoryError(
            f"{root} is a file, but an image folder with one subfolder per class was expected."
        )

    classes = sorted(p.name for p in root.iterdir() if p.is_dir() and not _is_hidden(p.name))
    if not classes:
        raise FileNotFoundError(
            f"{root} contains no class folders. Expected one subfolder per class, such as "
            f"{root / 'glass'}/glass1.jpg."
        )

    samples: list[tuple[Path, int]] = []
    empty: list[str] = []
    for label, name in enumerate(classes):
        files = sorted(p for p in (root / name).iterdir() if _is_image_file(p))
        if not files:
            empty.append(name)
        samples.extend((path, label) for path in files)
    if empty:
        raise FileNotFoundError(
            f"Class folder(s) {', '.join(empty)} in {root} contain no image files "
            f"(accepted extensions: {', '.join(IMAGE_EXTENSIONS)}). Add photos or remove "
            "the empty folder."
        )
    return ImageFolderIndex(root=root, classes=classes, samples=samples)


# --------------------------------------------------------------------------- verifying


@dataclass(frozen=True)
class ImageProblem:
    """A file that cannot be decoded, with the reason from the image library."""

    path: Path
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


def open_rgb(path: Path) -> Image.Image:
    """Decode an image fully and convert it to RGB (grayscale, RGBA, palette, CMYK alike).

    Raises:
        OSError: The file is empty, truncated or not an image.
    """
    with Image.open(path) as image:
        image.load()  # decode now, so a truncated file fails here and not in a batch
        if image.mode in _WIDE_GRAYSCALE_MODES:
            image = _to_8_bit(image)
        return image.convert("RGB")


# Pillow's convert("RGB") clips these modes' values at 255 instead of scaling them, which
# turns a 16-bit grayscale photo white.
_WIDE_GRAYSCALE_MODES = ("I;16", "I;16B", "I;16L", "I;16N", "I", "F")


def _to_8_bit(image: Image.Image) -> Image.Image:
    """Scale a 16-bit (or 32-bit integer or float) grayscale image to 8-bit "L"."""
    import numpy as np

    pixels = np.asarray(image, dtype=np.float64)
    # 16-bit modes span 0..65535. "I" and "F" images carry no range, so those with values
    # above 255 are taken as 16-bit as well, the common case for such photos.
    if image.mode.startswith("I;16") or pixels.max(initial=0) > 255:
        pixels = pixels / 257
    return Image.fromarray(np.clip(np.rint(pixels), 0, 255).astype(np.uint8), mode="L")


def find_problem_images(paths: Sequence[Path]) -> list[ImageProblem]:
    """Try to decode every file and return those that fail."""
    problems = []
    for path in paths:
        try:
            open_rgb(path)
        except (OSError, UnidentifiedImageError, ValueError) as error:
            problems.append(ImageProblem(path, _describe_decode_error(path, error)))
    return problems


def _describe_decode_error(path: Path, error: Exception) -> str:
    if path.stat().st_size == 0:
        return "the file is empty (0 bytes)"
    return f"cannot be decoded ({error})"


@dataclass
class ChecksumReport:
    """Differences between the files under an image folder and its ``SHA256SUMS``."""

    changed: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)
    checked: int = 0

    @property
    def ok(self) -> bool:
        return not (self.changed or self.missing or self.extra)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


_CHECKSUM_LINE = re.compile(r"^([0-9a-fA-F]{64}) [ *](.+)$")


def read_checksums(checksums_file: Path) -> dict[str, str]:
    """Parse ``sha256sum`` output: ``<hex digest>  <relative path>`` per line.

    Raises:
        ValueError: A line is not of that form; the message names the file and line.
    """
    expected: dict[str, str] = {}
    for number, line in enumerate(checksums_file.read_text().splitlines(), start=1):
        if not line.strip():
            continue
        # Text mode writes two spaces after the digest, binary mode (--binary) a space and "*".
        match = _CHECKSUM_LINE.match(line)
        if match is None:
            raise ValueError(
                f"{checksums_file}, line {number}: expected '<64 hex digits>  <class>/<file>' "
                f"as written by sha256sum, got {line!r}."
            )
        digest, relative = match.groups()
        expected[relative] = digest.lower()
    return expected


def verify_checksums(image_root: Path, checksums_file: Path) -> ChecksumReport:
    """Compare every image file under ``image_root`` with ``checksums_file``."""
    expected = read_checksums(checksums_file)
    present = {
        path.relative_to(image_root).as_posix(): path
        for path in sorted(image_root.rglob("*"))
        if _is_image_file(path) and not any(_is_hidden(p) for p in path.relative_to(image_root).parts)
    }
    report = ChecksumReport()
    for relative, digest in expected.items():
        if relative not in present:
            report.missing.append(relative)
        elif sha256_of(present[relative]) != digest:
            report.changed.append(relative)
        report.checked += 1
    report.extra = sorted(set(present) - set(expected))
    return report


# --------------------------------------------------------------------------- fetching


class PhotoFetchError(OSError):
    """The photo archive could not be read from its source (no connection, wrong address)."""


def _fetch_advice() -> str:
    """Return the steps to take when the photo archive cannot be fetched."""
    return (
        "Check the internet connection and the address, then run the cell again. Without a "
        f"connection, copy the course repository's data/trashnet folder and set ${DATA_ENV_VAR} "
        f"to it, or set ${DATA_URL_ENV_VAR} to a downloaded zip of the repository."
    )


def default_data_url(revision: str = COURSE_REVISION) -> str:
    """``$GARBAGE_DATA_URL``, else the zip archive of the course repository at ``revision``."""
    return os.environ.get(DATA_URL_ENV_VAR) or f"{COURSE_REPOSITORY}/archive/{revision}.zip"


def ensure_dataset(url: str | None = None, *, revision: str = COURSE_REVISION) -> Path:
    """Return the image folder, fetching the photos first if none is found.

    Looks where :func:`locate_dataset` looks. Only when that finds nothing does it download
    ``url`` (default: :func:`default_data_url`) into ``<cache dir>/trashnet``, so running
    it again is quick and downloads nothing.
    """
    try:
        return locate_dataset()
    except FileNotFoundError:
        pass
    destination = default_cache_dir() / "trashnet"
    fetch_dataset(url or default_data_url(revision), destination)
    return image_root_of(destination)


def fetch_dataset(source: str, destination: Path) -> Path:
    """Download a zip holding ``.../trashnet/{SHA256SUMS,images/}``, verify it, install it.

    ``source`` is an ``http(s)://`` or ``file://`` URL or a local path to the zip. The
    photos are unpacked next to ``destination``, checked against the archive's
    ``SHA256SUMS``, and only then moved to ``destination``, so an interrupted or corrupt
    download never leaves a half-filled dataset behind.

    Raises:
        FileExistsError: ``destination`` already exists (nothing is overwritten).
        PhotoFetchError: ``source`` cannot be read.
        ValueError: ``source`` is not a zip archive, the archive has no ``SHA256SUMS`` with an
            ``images`` folder beside it, or a photo does not match its checksum.
    """
    destination = Path(destination)
    if destination.exists():
        raise FileExistsError(f"{destination} already exists; delete it to fetch the photos again.")
    destination.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=destination.parent, prefix=".fetch-") as scratch:
        archive = Path(scratch) / "photos.zip"
        logger.info("Downloading the photos from %s", source)
        print(f"Fetching the photos from {source} ...", flush=True)
        _download(source, archive)
        unpacked = Path(scratch) / "unpacked"
        if not zipfile.is_zipfile(archive):
            # A proxy or a wrong address can return a web page instead of the archive.
            raise ValueError(
                f"{source} is not a zip archive ({archive.stat().st_size} bytes received). "
                f"Nothing was installed. {_fetch_advice()}"
            )
        with zipfile.ZipFile(archive) as bundle:
            dataset_dir = _extract_dataset(bundle, unpacked, source)
        report = verify_checksums(dataset_dir / "images", dataset_dir / CHECKSUMS_FILENAME)
        if report.changed or report.missing:
            raise ValueError(
                f"The photos from {source} do not match their SHA256SUMS: {len(report.changed)} changed "
                f"({', '.join(report.changed[:5])}), {len(report.missing)} missing "
                f"({', '.join(report.missing[:5])}). Nothing was installed; try again or use another source."
            )
        dataset_dir.rename(destination)
    print(f"Installed {report.checked} verified photos in {destination}.", flush=True)
    return destination


def _download(source: str, target: Path) -> None:
    try:
        if "://" not in source:
            shutil.copyfile(Path(source).expanduser(), target)
            return
        with urllib.request.urlopen(source, timeout=60) as response, open(target, "wb") as handle:
            shutil.copyfileobj(response, handle)
    except (OSError, ValueError) as error:  # URLError and HTTPError are OSErrors
        reason = getattr(error, "reason", None) or error
        raise PhotoFetchError(f"Could not fetch the photos from {source}: {reason}. {_fetch_advice()}") from error


def _extract_dataset(bundle: zipfile.ZipFile, target: Path, source: str) -> Path:
    """Extract the dataset folder of the archive (the one holding SHA256SUMS) into ``target``."""
    names = bundle.namelist()
    prefixes = [name[: -len(CHECKSUMS_FILENAME)] for name in names if name.endswith(CHECKSUMS_FILENAME)]
    candidates = [prefix for prefix in prefixes if any(n.startswith(f"{prefix}images/") for n in names)]
    if not candidates:
        raise ValueError(
            f"{source} contains no dataset: expected a {CHECKSUMS_FILENAME} file with an images/ folder beside it."
        )
    prefix = min(candidates, key=len)
    for member in bundle.infolist():
        if not member.filename.startswith(prefix) or member.is_dir():
            continue
        relative = Path(member.filename[len(prefix):])
        if relative.is_absolute() or ".." in relative.parts:
            raise ValueError(f"{source} contains an unsafe path {member.filename!r}; refusing to extract it.")
        output = target / relative
        output.parent.mkdir(parents=True, exist_ok=True)
        with bundle.open(member) as source_file, open(output, "wb") as handle:
            shutil.copyfileobj(source_file, handle)
    return target


# --------------------------------------------------------------------------- decoding


def decode_image(path: Path, resize: int, crop: int) -> torch.Tensor:
    """Apply the assignment's transform and return a ``3 x crop x crop`` uint8 tensor.

    The transform is ``Resize((resize, resize))`` then ``CenterCrop(crop)``. Dividing the
    result by 255 gives exactly what ``ToTensor()`` would.
    """
    image = open_rgb(path)
    image = TF.resize(image, [resize, resize], interpolation=TF.InterpolationMode.BILINEAR)
    image = TF.center_crop(image, [crop, crop])
    return TF.pil_to_tensor(image)


@dataclass
class DecodedDataset(torch.utils.data.Dataset):
    """Decoded photos as one uint8 tensor, with their labels and source paths.

    Indexing returns ``(image, label)`` with the image as float32 in [0, 1], the same as
    torchvision's ``ImageFolder`` with ``ToTensor()`` would.
    """

    images: torch.Tensor  # uint8, N x 3 x H x W
    labels: torch.Tensor  # int64, N
    classes: list[str]
    paths: list[str]  # relative to the image folder, for galleries and reports
    skipped: list[ImageProblem] = field(default_factory=list)

    def __len__(self) -> int:
        return self.labels.numel()

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        return self.images[index].float().div(255), int(self.labels[index])

    def subset(self, indices: torch.Tensor | Sequence[int]) -> "DecodedDataset":
        indices = torch.as_tensor(indices, dtype=torch.long)
        return DecodedDataset(
            images=self.images[indices],
            labels=self.labels[indices],
            classes=self.classes,
            paths=[self.paths[i] for i in indices.tolist()],
        )

    def counts(self) -> dict[str, int]:
        per_label = torch.bincount(self.labels, minlength=len(self.classes)).tolist()
        return dict(zip(self.classes, per_label))


def _select_per_class(samples: list[tuple[Path, int]], limit: int | None) -> list[tuple[Path, int]]:
    if limit is None:
        return samples
    if limit < 1:
        raise ValueError(f"images_per_class must be at least 1 or None for all, got {limit}.")
    taken: Counter = Counter()
    selected = []
    for path, label in samples:
        if taken[label] < limit:
            selected.append((path, label))
            taken[label] += 1
    return selected


def _cache_key(samples: list[tuple[Path, int]], root: Path, classes: list[str], resize: int, crop: int) -> str:
    """Hash the photos' contents, labels and the transform; any change gives a new key."""
    digest = hashlib.sha256()
    digest.update(f"v{CACHE_FORMAT_VERSION} resize={resize} crop={crop} classes={classes}\n".encode())
    for path, label in samples:
        digest.update(f"{path.relative_to(root).as_posix()} {label} {sha256_of(path)}\n".encode())
    return digest.hexdigest()[:24]


def load_dataset(
    root: str | os.PathLike | None = None,
    *,
    resize: int = 256,
    crop: int = 224,
    images_per_class: int | None = None,
    cache_dir: str | os.PathLike | None = None,
    use_cache: bool = True,
    progress: bool = True,
) -> DecodedDataset:
    """Find, decode and cache the photos.

    Photos that cannot be decoded (empty, truncated, not an image) are skipped with a
    warning that names each file, and listed in ``DecodedDataset.skipped``. One bad photo
    that a student added should not stop the whole assignment, and the class balance barely
    moves. Run ``python -m garbage_classifier check-data`` to find and fix them.

    Args:
        root: Dataset folder; see :func:`locate_dataset` for the search when ``None``.
        resize: Side the photos are resized to before cropping, in pixels.
        crop: Side of the center crop, in pixels.
        images_per_class: Take only the first N photos (sorted by name) of each class.
        cache_dir: Where decoded tensors are cached; defaults to :func:`default_cache_dir`.
        use_cache: Read and write the on-disk cache.
        progress: Show a progress bar while decoding.
    """
    if not 0 < crop <= resize:
        raise ValueError(f"crop must be between 1 and resize ({resize}) pixels, got {crop}.")
    image_root = locate_dataset(root)
    index = scan_image_folder(image_root)
    samples = _select_per_class(index.samples, images_per_class)

    cache_file = None
    if use_cache:
        key = _cache_key(samples, image_root, index.classes, resize, crop)
        cache_file = Path(cache_dir or default_cache_dir()) / f"decoded-{crop}px-{key}.pt"
        cached = _read_cache(cache_file)
        if cached is not None:
            logger.info("Loaded %d decoded photos from %s", len(cached), cache_file)
            _warn_skipped(cached.skipped)
            return cached

    dataset = _decode_samples(samples, image_root, index.classes, resize, crop, progress)
    _warn_skipped(dataset.skipped)
    if cache_file is not None:
        _write_cache(cache_file, dataset)
    return dataset


def _decode_samples(samples, image_root, classes, resize, crop, progress) -> DecodedDataset:
    # The plain text bar, like training's: tqdm.auto would pick a widget bar in Jupyter, which
    # saves widget state into the notebook and warns with a file path where ipywidgets is missing.
    from tqdm import tqdm

    images, labels, paths, skipped = [], [], [], []
    for path, label in tqdm(samples, desc="Decoding photos", unit="photo", disable=not progress):
        try:
            images.append(decode_image(path, resize, crop))
        except (OSError, UnidentifiedImageError, ValueError) as error:
            skipped.append(ImageProblem(path, _describe_decode_error(path, error)))
            continue
        labels.append(label)
        paths.append(path.relative_to(image_root).as_posix())
    if not images:
        raise ValueError(f"None of the {len(samples)} files under {image_root} could be decoded.")
    return DecodedDataset(
        images=torch.stack(images),
        labels=torch.tensor(labels, dtype=torch.long),
        classes=classes,
        paths=paths,
        skipped=skipped,
    )


def _warn_skipped(skipped: list[ImageProblem]) -> None:
    if skipped:
        listing = "\n".join(f"  - {problem}" for problem in skipped)
        warnings.warn(
            f"Skipped {len(skipped)} file(s) that cannot be decoded:\n{listing}\n"
            "Replace or delete them; `python -m garbage_classifier check-data` lists them.",
            stacklevel=3,
        )


def _read_cache(cache_file: Path) -> DecodedDataset | None:
    if not cache_file.is_file():
        return None
    try:
        payload = torch.load(cache_file, weights_only=True)
        return DecodedDataset(
            images=payload["images"],
            labels=payload["labels"],
            classes=list(payload["classes"]),
            paths=list(payload["paths"]),
            skipped=[ImageProblem(Path(p), r) for p, r in payload["skipped"]],
        )
    except (OSError, RuntimeError, KeyError, EOFError) as error:
        # A cache is only ever a copy: an unreadable one is decoded again and replaced.
        logger.warning("Ignoring unreadable cache file %s (%s); decoding again.", cache_file, error)
        return None


def _write_cache(cache_file: Path, dataset: DecodedDataset) -> None:
    payload = {
        "images": dataset.images,
        "labels": dataset.labels,
        "classes": dataset.classes,
        "paths": dataset.paths,
        "skipped": [(str(p.path), p.reason) for p in dataset.skipped],
    }
    try:
        cache_file.parent.mkdir(parents=True, exist_ok=True)
        partial = cache_file.with_suffix(f".{os.getpid()}.partial")
        torch.save(payload, partial)
        partial.replace(cache_file)  # atomic, so a reader never sees half a file
    except OSError as error:
        logger.warning("Could not write the decoded-photo cache %s (%s).", cache_file, error)


# --------------------------------------------------------------------------- splitting

SPLIT_NAMES = ("train", "val", "test")


def split_sizes(total: int, test_fraction: float = 0.3, val_fraction: float = 0.1) -> tuple[int, int, int]:
    """Return (train, val, test) sizes: the test share first, then validation from the rest.

    For the 2527 TrashNet photos this gives the assignment's 1593/176/758.
    """
    for name, value in (("test_fraction", test_fraction), ("val_fraction", val_fraction)):
        if not 0 <= value < 1:
            raise ValueError(f"{name} must be in [0, 1), got {value}.")
    test = int(total * test_fraction)
    val = int((total - test) * val_fraction)
    return total - test - val, val, test


def split_dataset(
    dataset: DecodedDataset,
    sizes: Sequence[int] | None = None,
    seed: int = 23,
) -> dict[str, DecodedDataset]:
    """Shuffle with ``seed`` and cut into train, validation and test splits.

    The permutation is the one ``torch.utils.data.random_split`` draws with a generator
    seeded with ``seed``, so the same seed always gives the same split.

    Raises:
        ValueError: ``sizes`` do not add up to ``len(dataset)`` or the training split is empty.
    """
    total = len(dataset)
    sizes = tuple(sizes) if sizes is not None else split_sizes(total)
    if len(sizes) != 3 or any(size < 0 for size in sizes) or sum(sizes) != total:
        raise ValueError(
            f"Split sizes {list(sizes)} (train, val, test) must be three non-negative numbers "
            f"that add up to the dataset's {total} photos."
        )
    if sizes[0] == 0:
        raise ValueError(f"The training split is empty for {total} photos; add photos or change the sizes.")
    generator = torch.Generator().manual_seed(seed)
    order = torch.randperm(total, generator=generator)
    splits, start = {}, 0
    for name, size in zip(SPLIT_NAMES, sizes):
        splits[name] = dataset.subset(order[start : start + size])
        start += size
    return splits


# --------------------------------------------------------------------------- batching


class BatchLoader:
    """Cut batches from a decoded split, optionally shuffled each epoch.

    A drop-in for ``DataLoader`` over a :class:`DecodedDataset`: it yields ``(images,
    labels)`` with images as float32 in [0, 1] on ``device``. There are no worker
    processes, because the photos are already decoded and workers would only compete
    with the model for CPU cores.

    With ``shuffle=True`` (training) a last batch of a single image is merged into the
    batch before it: BatchNorm cannot compute a variance from one sample in training mode.
    Every image is still used once per epoch.
    """

    def __init__(
        self,
        dataset: DecodedDataset,
        batch_size: int,
        *,
        shuffle: bool = False,
        seed: int = 0,
        device: torch.device | str = "cpu",
        channels_last: bool = True,
    ) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}.")
        self.dataset = dataset
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.device = torch.device(device)
        self.channels_last = channels_last
        self._generator = torch.Generator().manual_seed(seed)
        # Kept as uint8 on the device: a quarter of the float32 size, and one copy per run.
        self._images = dataset.images.to(self.device)
        self._labels = dataset.labels.to(self.device)

    def _batch_bounds(self) -> list[tuple[int, int]]:
        total = len(self.dataset)
        bounds = [(start, min(start + self.batch_size, total)) for start in range(0, total, self.batch_size)]
        if self.shuffle and len(bounds) > 1 and bounds[-1][1] - bounds[-1][0] == 1:
            last = bounds.pop()
            bounds[-1] = (bounds[-1][0], last[1])
        return bounds

    def __len__(self) -> int:
        return len(self._batch_bounds())

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        total = len(self.dataset)
        order = torch.randperm(total, generator=self._generator) if self.shuffle else torch.arange(total)
        order = order.to(self.device)
        for start, stop in self._batch_bounds():
            batch = order[start:stop]
            images = self._images.index_select(0, batch).float().div_(255)
            if self.channels_last:
                images = images.contiguous(memory_format=torch.channels_last)
            yield images, self._labels.index_select(0, batch)
