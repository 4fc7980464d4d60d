"""Maintainers' commands: ``python -m garbage_classifier check-data | train | claims``."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from dataclasses import replace
from pathlib import Path

from .devices import pick_device
from .data import (
    checksums_file_for,
    find_problem_images,
    load_dataset,
    locate_dataset,
    scan_image_folder,
    split_dataset,
    verify_checksums,
)
from .claims import check_claims, verdict
from .experiments import ASSIGNMENT_RUNS, RunConfig, default_records_dir, load_records, run_experiment
from .initialization import INIT_SCHEMES
from .profiles import PROFILES, get_profile
from .training import OPTIMIZERS


def check_data(args: argparse.Namespace) -> int:
    """Report classes, counts, undecodable files and checksum differences."""
    image_root = locate_dataset(args.data)
    index = scan_image_folder(image_root)
    print(f"Image folder: {image_root}")
    for name, count in index.counts().items():
        print(f"  {name:<12} {count:>5} images")
    print(f"  {'total':<12} {len(index.samples):>5} images")

    problems = find_problem_images([path for path, _ in index.samples])
    for problem in problems:
        print(f"UNREADABLE {problem}")

    checksum_problems = 0
    checksums_file = checksums_file_for(image_root)
    if checksums_file is None:
        print("No SHA256SUMS file found beside the images; checksums not verified.")
    else:
        report = verify_checksums(image_root, checksums_file)
        for label, paths in (("CHANGED", report.changed), ("MISSING", report.missing), ("EXTRA", report.extra)):
            for relative in paths:
                print(f"{label} {image_root / relative}")
        checksum_problems = len(report.changed) + len(report.missing) + len(report.extra)
        print(f"Checksums: {report.checked} listed in {checksums_file}, {checksum_problems} difference(s).")

    if problems or checksum_problems:
        print(f"Found {len(problems)} unreadable file(s) and {checksum_problems} checksum difference(s).")
        return 1
    print("OK: every image decodes" + (" and matches its checksum." if checksums_file else "."))
    return 0


def train(args: argparse.Namespace) -> int:
    """Train one configuration and print its record as JSON on standard output."""
    profile = get_profile(args.profile)
    if args.image_size is not None:
        profile = replace(profile, crop=args.image_size, resize=round(args.image_size * 256 / 224))
    if args.epochs is not None:
        profile = replace(profile, epochs=args.epochs)

    base = ASSIGNMENT_RUNS[args.run] if args.run else RunConfig(name="custom", task="custom")
    overrides = {
        key: value
        for key, value in {
            "optimizer": args.optimizer, "lr": args.lr, "init": args.init,
            "init_std": args.init_std, "architecture": args.architecture, "seed": args.seed,
        }.items()
        if value is not None
    }
    if "init" in overrides and overrides["init"] != "gaussian" and "init_std" not in overrides:
        overrides["init_std"] = None
    if args.epochs is not None:
        overrides["epochs"] = args.epochs
    config = replace(base, **overrides)
    if profile.crop < 1:
        raise ValueError(f"--image-size must be at least 1 pixel, got {profile.crop}.")
    if args.records_dir is not None and Path(args.records_dir).exists() and not Path(args.records_dir).is_dir():
        raise ValueError(f"--records-dir {args.records_dir} is a file; pass a folder for the run records.")
    config.validate()
    pick_device(args.device)  # an unknown or unavailable device fails now, not after loading

    dataset = load_dataset(args.data, resize=profile.resize, crop=profile.crop,
                           images_per_class=profile.images_per_class, progress=not args.quiet)
    splits = split_dataset(dataset, seed=config.seed)
    record = run_experiment(config, splits, profile, device=args.device, precision=args.precision,
                            progress=not args.quiet, progress_stream=sys.stderr, records_dir=args.records_dir, save=args.records_dir is not None)
    json.dump(record.to_dict(), sys.stdout, indent=2)
    print()
    return 0


SCALE_FIELDS = ("crop", "resize", "epochs", "images_per_class", "batch_size")


def scale_deviation(record) -> str:
    """Describe where ``record``'s scale differs from its registered profile; empty if nowhere."""
    registered = PROFILES.get(record.profile.name)
    if registered is None:
        return f"unknown profile {record.profile.name!r}"
    return ", ".join(
        f"{field} {getattr(record.profile, field)} instead of {getattr(registered, field)}"
        for field in SCALE_FIELDS
        if getattr(record.profile, field) != getattr(registered, field)
    )


def claims(args: argparse.Namespace) -> int:
    """Print each claim of the answers as held or not held, with its numbers."""
    directory = args.records or default_records_dir(get_profile(args.profile))
    records = load_records(directory)
    if not records:
        print(f"error: no run records (*.json) in {directory}; build the book first.", file=sys.stderr)
        return 2
    profiles = {record.profile.name for record in records.values()}
    print(f"Run records: {directory} (profile {', '.join(sorted(profiles))})")
    # Records of `train --image-size/--epochs` keep their profile's name. Without this note a
    # 64 px trial would read like a full build.
    deviations = {name: scale_deviation(record) for name, record in sorted(records.items())}
    deviations = {name: text for name, text in deviations.items() if text}
    if deviations:
        print("Note: these records were made with other settings than their profile's, so their verdicts")
        print("do not stand for a build of that profile:")
        for name, text in deviations.items():
            print(f"  {name}: {text}")
    results = check_claims(records)
    for result in results:
        note = "  [holds at real scale only]" if result.needs_real_scale else ""
        print(f"{verdict(result):<12} {result.task}: {result.statement}{note}\n             {result.evidence}")
    # A claim that needs real scale is no failure in records made at a smaller scale.
    real_scale = any(record.profile.is_real_scale for record in records.values())
    failed = [result for result in results if result.held is False and (real_scale or not result.needs_real_scale)]
    excused = [result for result in results if result.held is False and result not in failed]
    unchecked = [result for result in results if result.held is None]
    held = len(results) - len(failed) - len(excused) - len(unchecked)
    summary = f"{held} held, {len(failed)} not held, {len(unchecked)} not checked."
    if excused:
        summary += f" {len(excused)} more not held, but they need full-scale runs and these records are smaller."
    print(summary)
    return 1 if failed or unchecked else 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m garbage_classifier", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    check = commands.add_parser("check-data", help="verify the photos: classes, counts, unreadable files, checksums")
    check.add_argument("--data", help="dataset folder (default: $GARBAGE_DATA_DIR, then the bundled copy)")
    check.set_defaults(handler=check_data)

    run = commands.add_parser("train", help="train one configuration; JSON on stdout, progress on stderr")
    run.add_argument("--run", choices=sorted(ASSIGNMENT_RUNS), help="start from one of the assignment's runs")
    run.add_argument("--optimizer", choices=sorted(OPTIMIZERS))
    run.add_argument("--lr", type=float, help="learning rate")
    run.add_argument("--init", choices=sorted(INIT_SCHEMES), help="weight initialisation scheme")
    run.add_argument("--init-std", type=float, help="standard deviation of the 'gaussian' scheme")
    run.add_argument("--architecture", help="torchvision architecture name (default: resnet18)")
    run.add_argument("--epochs", type=int, help="epochs (default: the profile's)")
    run.add_argument("--image-size", type=int, help="side of the center crop in pixels (default: the profile's)")
    run.add_argument("--profile", choices=sorted(PROFILES), help="run profile (default: $GARBAGE_PROFILE or full)")
    run.add_argument("--seed", type=int, help="seed for the split, the weights and the batch order (default: 23)")
    run.add_argument("--device", help="cuda, mps or cpu (default: the first available)")
    run.add_argument("--precision", default="auto", choices=["auto", "float32", "bfloat16", "float16"])
    run.add_argument("--data", help="dataset folder")
    run.add_argument("--records-dir", help="also write the run record as JSON into this folder")
    run.add_argument("--quiet", action="store_true", help="no progress output")
    run.set_defaults(handler=train)
    check_claims_ = commands.add_parser("claims", help="check the answers' claims against recorded runs")
    check_claims_.add_argument("--records", help="folder of run records (default: _build/runs/<profile>)")
    check_claims_.add_argument("--profile", choices=sorted(PROFILES), help="profile whose records to read")
    check_claims_.set_defaults(handler=claims)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    try:
        return args.handler(args)
    except (FileNotFoundError, NotADirectoryError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
