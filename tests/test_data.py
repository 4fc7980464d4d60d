"""Finding, decoding, caching, splitting and batching the photos."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from torchvision import transforms

from garbage_classifier import data
from garbage_classifier.data import (
    BatchLoader,
    DecodedDataset,
    decode_image,
    find_problem_images,
    load_dataset,
    locate_dataset,
    scan_image_folder,
    split_dataset,
    split_sizes,
)


def load_small(root, **kwargs) -> DecodedDataset:
    """Load ``root`` at 32 px without the on-disk cache and without a progress bar."""
    options = {"resize": 32, "crop": 32, "use_cache": False, "progress": False}
    options.update(kwargs)
    return load_dataset(root, **options)


def write_bad_photos(class_folder: Path, write_image) -> tuple[Path, Path]:
    """Write a JPEG cut to 60% of its bytes and a 0-byte ``x.jpg``, and return both paths."""
    truncated = write_image(class_folder / "truncated.jpg", size=64, seed=77)
    content = truncated.read_bytes()
    truncated.write_bytes(content[: int(len(content) * 0.6)])
    empty = class_folder / "x.jpg"
    empty.write_bytes(b"")
    return truncated, empty


# --------------------------------------------------------------------------- scanning


def test_scan_skips_checkpoints_with_photo(make_image_folder, write_image):
    root = make_image_folder(classes=("plastic", "cardboard", "glass"))
    hidden_photo = write_image(root / ".ipynb_checkpoints" / "glass1-checkpoint.jpg", seed=5)

    index = scan_image_folder(root)

    assert index.classes == ["cardboard", "glass", "plastic"]
    assert sorted({label for _, label in index.samples}) == [0, 1, 2]
    assert hidden_photo not in [path for path, _ in index.samples]
    assert len(index.samples) == 9


def test_scan_skips_empty_checkpoints(make_image_folder):
    root = make_image_folder(classes=("glass", "cardboard"))
    (root / ".ipynb_checkpoints").mkdir()

    index = scan_image_folder(root)

    assert index.classes == ["cardboard", "glass"]
    assert len(index.samples) == 6


def test_scan_labels_follow_folder(make_image_folder):
    root = make_image_folder(classes=("trash", "metal", "paper"))

    index = scan_image_folder(root)

    for path, label in index.samples:
        assert index.classes[label] == path.parent.name


def test_load_skips_checkpoints(make_image_folder, write_image):
    root = make_image_folder(classes=("glass", "cardboard"))
    write_image(root / ".ipynb_checkpoints" / "extra.jpg", seed=5)

    dataset = load_small(root)

    assert dataset.classes == ["cardboard", "glass"]
    assert len(dataset) == 6
    assert not any(".ipynb_checkpoints" in path for path in dataset.paths)
    assert dataset.labels.tolist() == [0, 0, 0, 1, 1, 1]


def test_scan_skips_non_image_files(make_image_folder, write_image):
    root = make_image_folder(classes=("cardboard", "glass"), per_class=2)
    (root / "notes.txt").write_text("not a class")
    (root / "glass" / "notes.txt").write_text("not a photo")
    (root / "glass" / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")
    # macOS adds "._<name>" AppleDouble files beside photos copied to other file systems or zipped.
    (root / "glass" / "._glass1.jpg").write_bytes(b"\x00\x05\x16\x07")
    (root / "__MACOSX" / "glass").mkdir(parents=True)
    write_image(root / "__MACOSX" / "glass" / "glass1.jpg", seed=9)
    upper_case = write_image(root / "glass" / "GLASS9.JPG", seed=8)

    index = scan_image_folder(root)
    names = sorted(path.name for path, _ in index.samples)

    assert index.classes == ["cardboard", "glass"]
    assert names == ["GLASS9.JPG", "cardboard1.jpg", "cardboard2.jpg", "glass1.jpg", "glass2.jpg"]
    assert (upper_case, 1) in index.samples


def test_locate_prefers_images_subfolder(make_image_folder, tmp_path):
    root = make_image_folder(root=tmp_path / "trashnet" / "images")

    assert locate_dataset(tmp_path / "trashnet") == root


# --------------------------------------------------------------------------- bad photos


def test_find_problem_images_names_both(make_image_folder, write_image):
    root = make_image_folder()
    truncated, empty = write_bad_photos(root / "glass", write_image)
    paths = [path for path, _ in scan_image_folder(root).samples]

    problems = find_problem_images(paths)

    assert sorted(problem.path for problem in problems) == sorted([truncated, empty])
    assert "0 bytes" in next(str(problem) for problem in problems if problem.path == empty)


def test_load_skips_bad_photos_with_warning(make_image_folder, write_image):
    root = make_image_folder()
    truncated, empty = write_bad_photos(root / "glass", write_image)

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        dataset = load_small(root)
    messages = [str(warning.message) for warning in caught if issubclass(warning.category, UserWarning)]

    assert len(messages) == 1
    assert str(truncated) in messages[0]
    assert str(empty) in messages[0]
    assert sorted(problem.path for problem in dataset.skipped) == sorted([truncated, empty])
    assert len(dataset) == 9
    assert dataset.counts() == {"cardboard": 3, "glass": 3, "metal": 3}


def test_load_warns_skipped_photos(make_image_folder, write_image):
    root = make_image_folder()
    truncated, empty = write_bad_photos(root / "glass", write_image)

    with pytest.warns(UserWarning, match=r"Skipped 2 file\(s\)") as record:
        load_small(root)

    assert len(record) == 1
    assert re.search(re.escape(str(truncated)), str(record[0].message))
    assert re.search(re.escape(str(empty)), str(record[0].message))


def test_load_rejects_all_undecodable(tmp_path):
    root = tmp_path / "images"
    (root / "glass").mkdir(parents=True)
    (root / "glass" / "x.jpg").write_bytes(b"")

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ValueError, match=re.escape(f"None of the 1 files under {root}")):
            load_small(root)


# --------------------------------------------------------------------------- decoding


@pytest.mark.parametrize(
    ("mode", "suffix"),
    [("L", "jpg"), ("RGBA", "png"), ("P", "png"), ("CMYK", "jpg"), ("1", "png"), ("LA", "png")],
)
def test_decode_image_any_mode(tmp_path, write_image, mode, suffix):
    path = write_image(tmp_path / f"photo.{suffix}", size=48, mode=mode)

    tensor = decode_image(path, resize=40, crop=32)

    with Image.open(path) as stored:
        assert stored.mode == mode
    assert tensor.dtype == torch.uint8
    assert tuple(tensor.shape) == (3, 32, 32)


def test_decode_image_non_square(tmp_path):
    path = tmp_path / "wide.jpg"
    Image.new("RGB", (90, 30), color=(10, 200, 30)).save(path)

    tensor = decode_image(path, resize=40, crop=32)

    assert tuple(tensor.shape) == (3, 32, 32)


def test_decode_image_matches_to_tensor(tmp_path, write_image):
    path = write_image(tmp_path / "photo.jpg", size=64)
    reference = transforms.Compose([transforms.Resize((40, 40)), transforms.CenterCrop(32), transforms.ToTensor()])

    with Image.open(path) as image:
        expected = reference(image.convert("RGB"))

    assert torch.equal(decode_image(path, resize=40, crop=32).float().div(255), expected)


def test_decode_image_keeps_16bit_contrast(tmp_path):
    # Left half dark, right half bright, as a 16-bit grayscale PNG.
    pixels = np.zeros((32, 32), dtype=np.uint16)
    pixels[:, 16:] = 60000
    pixels[:, :16] = 5000
    path = tmp_path / "gray16.png"
    Image.fromarray(pixels).save(path)

    tensor = decode_image(path, resize=32, crop=32)
    dark_mean = tensor[:, :, :8].float().mean().item()
    bright_mean = tensor[:, :, 24:].float().mean().item()

    assert dark_mean < bright_mean


# --------------------------------------------------------------------------- errors


def test_load_rejects_empty_class(make_image_folder):
    root = make_image_folder(classes=("glass",))
    (root / "metal").mkdir()

    with pytest.raises(FileNotFoundError, match=re.escape(f"Class folder(s) metal in {root}")):
        load_small(root)


def test_load_rejects_root_without_classes(tmp_path, write_image):
    root = tmp_path / "flat"
    write_image(root / "glass1.jpg")

    with pytest.raises(FileNotFoundError, match=re.escape(f"{root} contains no class folders")):
        load_small(root)


def test_load_rejects_missing_path(tmp_path):
    missing = tmp_path / "no-such-folder"

    with pytest.raises(FileNotFoundError, match=re.escape(str(missing))):
        load_small(missing)


def test_load_rejects_file_as_root(tmp_path, write_image):
    photo = write_image(tmp_path / "glass1.jpg")

    with pytest.raises(NotADirectoryError, match=re.escape(str(photo))):
        load_small(photo)


def test_scan_rejects_missing_path(tmp_path):
    missing = tmp_path / "no-such-folder"

    with pytest.raises(FileNotFoundError, match=re.escape(f"The image folder {missing} does not exist")):
        scan_image_folder(missing)


def test_scan_rejects_file(tmp_path, write_image):
    photo = write_image(tmp_path / "glass1.jpg")

    with pytest.raises(NotADirectoryError, match=re.escape(f"{photo} is a file")):
        scan_image_folder(photo)


def test_locate_rejects_missing_env_dir(monkeypatch, tmp_path):
    missing = tmp_path / "nowhere"
    monkeypatch.setenv("GARBAGE_DATA_DIR", str(missing))

    with pytest.raises(FileNotFoundError, match=re.escape(f"$GARBAGE_DATA_DIR points to {missing}")):
        locate_dataset()


def test_locate_rejects_env_file(monkeypatch, write_image, tmp_path):
    photo = write_image(tmp_path / "glass1.jpg")
    monkeypatch.setenv("GARBAGE_DATA_DIR", str(photo))

    with pytest.raises(NotADirectoryError, match=re.escape(f"$GARBAGE_DATA_DIR points to the file {photo}")):
        locate_dataset()


def test_locate_path_overrides_env(monkeypatch, make_image_folder, tmp_path):
    root = make_image_folder()
    monkeypatch.setenv("GARBAGE_DATA_DIR", str(tmp_path / "nowhere"))

    assert locate_dataset(root) == root


def test_load_rejects_crop_above_resize(make_image_folder):
    root = make_image_folder()

    with pytest.raises(ValueError, match=r"crop must be between 1 and resize \(32\) pixels, got 40"):
        load_small(root, resize=32, crop=40)


def test_load_rejects_zero_per_class(make_image_folder):
    root = make_image_folder()

    with pytest.raises(ValueError, match="images_per_class must be at least 1 or None for all, got 0"):
        load_small(root, images_per_class=0)


def test_load_takes_first_per_class(make_image_folder):
    root = make_image_folder(per_class=4)

    dataset = load_small(root, images_per_class=2)

    assert dataset.paths == [
        "cardboard/cardboard1.jpg", "cardboard/cardboard2.jpg",
        "glass/glass1.jpg", "glass/glass2.jpg",
        "metal/metal1.jpg", "metal/metal2.jpg",
    ]


# --------------------------------------------------------------------------- cache


def test_cache_second_load_equal(make_image_folder, tmp_path):
    root = make_image_folder()
    cache_dir = tmp_path / "cache"

    first = load_small(root, use_cache=True, cache_dir=cache_dir)
    second = load_small(root, use_cache=True, cache_dir=cache_dir)

    assert len(list(cache_dir.glob("*.pt"))) == 1
    assert torch.equal(first.images, second.images)
    assert torch.equal(first.labels, second.labels)
    assert first.paths == second.paths
    assert first.classes == second.classes


def test_cache_hit_skips_decoding(make_image_folder, tmp_path, monkeypatch):
    root = make_image_folder()
    cache_dir = tmp_path / "cache"
    first = load_small(root, use_cache=True, cache_dir=cache_dir)

    def fail_decode(*args, **kwargs):
        raise AssertionError("decode_image was called although the cache holds every photo")

    monkeypatch.setattr(data, "decode_image", fail_decode)
    second = load_small(root, use_cache=True, cache_dir=cache_dir)

    assert torch.equal(first.images, second.images)


def test_cache_key_follows_bytes(make_image_folder, write_image, tmp_path):
    root = make_image_folder()
    cache_dir = tmp_path / "cache"
    before = load_small(root, use_cache=True, cache_dir=cache_dir)

    write_image(root / "glass" / "glass1.jpg", seed=4242)
    after = load_small(root, use_cache=True, cache_dir=cache_dir)
    changed = after.paths.index("glass/glass1.jpg")

    assert len(list(cache_dir.glob("*.pt"))) == 2
    assert not torch.equal(before.images[changed], after.images[changed])


def test_cache_keeps_skipped_warning(make_image_folder, write_image, tmp_path):
    root = make_image_folder()
    truncated, empty = write_bad_photos(root / "glass", write_image)
    cache_dir = tmp_path / "cache"
    with pytest.warns(UserWarning):
        load_small(root, use_cache=True, cache_dir=cache_dir)

    with pytest.warns(UserWarning, match=re.escape(str(empty))):
        cached = load_small(root, use_cache=True, cache_dir=cache_dir)

    assert sorted(problem.path for problem in cached.skipped) == sorted([truncated, empty])


def test_cache_defaults_to_env_dir(make_image_folder, monkeypatch, tmp_path):
    root = make_image_folder()
    cache_dir = tmp_path / "env-cache"
    monkeypatch.setenv("GARBAGE_CACHE_DIR", str(cache_dir))

    load_dataset(root, resize=32, crop=32, progress=False)

    assert len(list(cache_dir.glob("decoded-32px-*.pt"))) == 1


# --------------------------------------------------------------------------- splitting


def test_split_sizes_assignment():
    assert split_sizes(2527) == (1593, 176, 758)


@pytest.fixture
def twenty_photos(make_image_folder) -> DecodedDataset:
    return load_small(make_image_folder(classes=("cardboard", "glass", "metal", "paper"), per_class=5))


def test_split_same_seed_same(twenty_photos):
    first = split_dataset(twenty_photos, sizes=(12, 4, 4), seed=7)
    second = split_dataset(twenty_photos, sizes=(12, 4, 4), seed=7)

    for name in ("train", "val", "test"):
        assert first[name].paths == second[name].paths


def test_split_other_seed_differs(twenty_photos):
    first = split_dataset(twenty_photos, sizes=(12, 4, 4), seed=7)
    second = split_dataset(twenty_photos, sizes=(12, 4, 4), seed=8)

    assert first["train"].paths != second["train"].paths


def test_split_partitions_dataset(twenty_photos):
    splits = split_dataset(twenty_photos, sizes=(12, 4, 4), seed=7)
    every_path = splits["train"].paths + splits["val"].paths + splits["test"].paths

    assert [len(splits[name]) for name in ("train", "val", "test")] == [12, 4, 4]
    assert sorted(every_path) == sorted(twenty_photos.paths)


def test_split_matches_random_split(twenty_photos):
    splits = split_dataset(twenty_photos, sizes=(12, 4, 4), seed=23)
    reference = torch.utils.data.random_split(range(20), [12, 4, 4], generator=torch.Generator().manual_seed(23))

    assert splits["train"].paths == [twenty_photos.paths[i] for i in reference[0].indices]
    assert splits["test"].paths == [twenty_photos.paths[i] for i in reference[2].indices]


def test_split_default_sizes(twenty_photos):
    splits = split_dataset(twenty_photos)

    assert [len(splits[name]) for name in ("train", "val", "test")] == list(split_sizes(20))


@pytest.mark.parametrize("sizes", [(10, 5, 4), (12, 4, 5), (20, -1, 1), (20, 0)])
def test_split_rejects_bad_sizes(twenty_photos, sizes):
    with pytest.raises(ValueError, match=re.escape(f"Split sizes {list(sizes)} (train, val, test)") + ".*add up to the dataset's 20 photos"):
        split_dataset(twenty_photos, sizes=sizes)


def test_split_rejects_empty_train(twenty_photos):
    with pytest.raises(ValueError, match="The training split is empty for 20 photos"):
        split_dataset(twenty_photos, sizes=(0, 10, 10))


@pytest.mark.parametrize(("name", "value"), [("test_fraction", 1.0), ("val_fraction", -0.1)])
def test_split_sizes_rejects_fraction(name, value):
    with pytest.raises(ValueError, match=re.escape(f"{name} must be in [0, 1), got {value}")):
        split_sizes(100, **{name: value})


# --------------------------------------------------------------------------- batching


@pytest.fixture
def nine_photos(make_image_folder) -> DecodedDataset:
    return load_small(make_image_folder(classes=("cardboard", "glass", "metal"), per_class=3))


def batch_indices(dataset: DecodedDataset, images: torch.Tensor) -> list[int]:
    """Find the dataset row of each image in a batch by comparing pixels."""
    as_float = dataset.images.float().div(255)
    indices = []
    for image in images:
        matches = [i for i in range(len(dataset)) if torch.equal(as_float[i], image)]
        assert len(matches) == 1, "every synthetic photo has distinct pixels"
        indices.append(matches[0])
    return indices


def test_loader_shuffle_no_single_batch(nine_photos):
    loader = BatchLoader(nine_photos, batch_size=4, shuffle=True, seed=1)

    for _ in range(3):
        sizes = [len(labels) for _, labels in loader]
        assert 1 not in sizes
        assert sum(sizes) == 9


@pytest.mark.parametrize("total", [5, 9, 13, 17])
def test_loader_merges_last_single(make_image_folder, total):
    dataset = load_small(make_image_folder(classes=("glass",), per_class=total))

    loader = BatchLoader(dataset, batch_size=4, shuffle=True)
    sizes = [len(labels) for _, labels in loader]

    assert sizes[-1] == 5
    assert len(loader) == len(sizes)


def test_loader_shuffle_each_once(nine_photos):
    loader = BatchLoader(nine_photos, batch_size=4, shuffle=True, seed=1)
    orders = []

    for _ in range(3):
        seen = []
        for images, labels in loader:
            indices = batch_indices(nine_photos, images)
            assert labels.tolist() == nine_photos.labels[indices].tolist()
            seen.extend(indices)
        assert sorted(seen) == list(range(9))
        orders.append(seen)

    assert len({tuple(order) for order in orders}) > 1


def test_loader_eval_yields_all(nine_photos):
    loader = BatchLoader(nine_photos, batch_size=4, shuffle=False)

    batches = list(loader)
    seen = [index for images, _ in batches for index in batch_indices(nine_photos, images)]

    assert [len(labels) for _, labels in batches] == [4, 4, 1]
    assert seen == list(range(9))


def test_loader_yields_unit_floats(nine_photos):
    images, labels = next(iter(BatchLoader(nine_photos, batch_size=4)))

    assert images.dtype == torch.float32
    assert images.min() >= 0
    assert images.max() <= 1
    assert labels.dtype == torch.long


def test_loader_rejects_zero_batch(nine_photos):
    with pytest.raises(ValueError, match="batch_size must be at least 1, got 0"):
        BatchLoader(nine_photos, batch_size=0)


def test_dataset_item_matches_to_tensor(nine_photos):
    image, label = nine_photos[4]

    assert torch.equal(image, nine_photos.images[4].float() / 255)
    assert label == int(nine_photos.labels[4])
