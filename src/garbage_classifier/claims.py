"""The answers' claims, written as checks over run records.

Each claim in the book's answers (Adam beats SGD, lr 1e-8 barely moves the loss, ...) is a
function of the recorded runs that returns whether it held, with the numbers behind the
verdict. The notebook shows the verdicts next to the answers, the test suite runs the
checks on small runs, and ``python -m garbage_classifier claims`` checks the records of a
full build.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

from .experiments import RunRecord
from .tables import Table

# Losses in the verdicts get five significant digits, one more than the answers show, so that
# two close losses still read as different numbers.
LOSS_FORMAT = "#.5g"

# Thresholds, stated once so that the book and the checks agree.
FLAT_LOSS_FRACTION = 0.01  # lr 1e-8: training loss changes by less than 1% over all epochs
ZERO_INIT_FLAT_FRACTION = 0.05  # zero init: only the last layer's biases learn
UNSTABLE_LOSS_RATIO = 10.0  # lr 12: largest / smallest training loss of the run


@dataclass(frozen=True)
class ClaimResult:
    """A claim's verdict: ``held`` is ``None`` when a run it needs is missing."""

    name: str
    task: str
    statement: str
    held: bool | None
    evidence: str
    # Claims that only hold with enough photos, pixels and epochs (real scale).
    needs_real_scale: bool


@dataclass(frozen=True)
class Claim:
    name: str
    task: str
    statement: str
    runs: tuple[str, ...]
    check: Callable[..., tuple[bool, str]]
    needs_real_scale: bool = False


def _relative_change(first: float, last: float) -> float:
    return abs(last - first) / abs(first) if first else math.inf


def _adam_beats_sgd(sgd: RunRecord, adam: RunRecord) -> tuple[bool, str]:
    sgd_loss, adam_loss = sgd.history.last.val_loss, adam.history.last.val_loss
    return adam_loss < sgd_loss, f"final validation loss: Adam {adam_loss:{LOSS_FORMAT}}, SGD {sgd_loss:{LOSS_FORMAT}}"


def _tiny_lr_flat(run: RunRecord) -> tuple[bool, str]:
    first, last = run.history.records[0].train_loss, run.history.last.train_loss
    change = _relative_change(first, last)
    return change < FLAT_LOSS_FRACTION, (
        f"training loss {first:{LOSS_FORMAT}} -> {last:{LOSS_FORMAT}}, a change of {change:.2%} (limit {FLAT_LOSS_FRACTION:.0%})"
    )


def _huge_lr_unstable(run: RunRecord) -> tuple[bool, str]:
    history = run.history
    if history.diverged_at is not None:
        return True, f"diverged in epoch {history.diverged_at} (loss NaN or infinite)"
    losses = history.column("train_loss")
    ratio = max(losses) / min(losses)
    return ratio > UNSTABLE_LOSS_RATIO, (
        f"did not diverge; largest/smallest training loss {ratio:.1f} (needs more than {UNSTABLE_LOSS_RATIO:g})"
    )


def _zero_init_predicts_majority(run: RunRecord) -> tuple[bool, str]:
    train_counts = run.environment["train_class_counts"]
    val_counts = run.environment["val_class_counts"]
    majority = max(train_counts, key=train_counts.get)
    share = val_counts[majority] / sum(val_counts.values())
    accuracy = run.history.last.val_accuracy
    change = _relative_change(run.history.records[0].train_loss, run.history.last.train_loss)
    held = accuracy is not None and math.isclose(accuracy, share) and change < ZERO_INIT_FLAT_FRACTION
    shown = "n/a" if accuracy is None else f"{accuracy:.2%}"
    relation = "equals" if accuracy is not None and math.isclose(accuracy, share) else "differs from"
    return held, (
        f"validation accuracy {shown} {relation} the share of '{majority}' photos in validation "
        f"({share:.2%}), the most frequent class in training; the training loss changed by "
        f"{change:.2%} (limit {ZERO_INIT_FLAT_FRACTION:.0%})"
    )


def _kaiming_beats_gaussian(gaussian: RunRecord, kaiming: RunRecord) -> tuple[bool, str]:
    gaussian_loss, kaiming_loss = gaussian.history.last.val_loss, kaiming.history.last.val_loss
    return kaiming_loss < gaussian_loss, (
        f"final validation loss under SGD: Kaiming {kaiming_loss:{LOSS_FORMAT}}, "
        f"Gaussian (std 1e-4) {gaussian_loss:{LOSS_FORMAT}}"
    )


CLAIMS: tuple[Claim, ...] = (
    Claim("adam_beats_sgd", "Task 3", "Adam ends with a lower validation loss than SGD at lr 1e-4",
          ("task3_sgd", "task3_adam"), _adam_beats_sgd, needs_real_scale=True),
    Claim("tiny_lr_flat", "Task 4", f"At lr 1e-8 the training loss changes by less than {FLAT_LOSS_FRACTION:.0%}",
          ("task4_lr_1e-8",), _tiny_lr_flat),
    Claim("huge_lr_unstable", "Task 4",
          f"At lr 12 the run diverges or its training loss varies by more than {UNSTABLE_LOSS_RATIO:g}x",
          ("task4_lr_12",), _huge_lr_unstable),
    Claim("zero_init_majority", "Task 5",
          "With zero init the model always predicts the most frequent class and the loss stays flat",
          ("task5_zero",), _zero_init_predicts_majority),
    Claim("kaiming_beats_gaussian", "Task 5",
          "Under SGD, Kaiming init ends with a lower validation loss than Gaussian std 1e-4",
          ("task3_sgd", "task5_kaiming"), _kaiming_beats_gaussian, needs_real_scale=True),
)


def check_claims(records: dict[str, RunRecord]) -> list[ClaimResult]:
    """Check every claim against ``records`` (keyed by run name)."""
    results = []
    for claim in CLAIMS:
        missing = [name for name in claim.runs if name not in records]
        if missing:
            held, evidence = None, f"not checked: no record of {', '.join(missing)}"
        else:
            try:
                held, evidence = claim.check(*(records[name] for name in claim.runs))
            except KeyError as error:
                # Records written by an older version of the package lack some fields.
                held, evidence = None, f"not checked: a record lacks the field {error}; run it again"
        results.append(ClaimResult(claim.name, claim.task, claim.statement, held, evidence, claim.needs_real_scale))
    return results


def verdict(result: ClaimResult) -> str:
    return {True: "held", False: "NOT HELD", None: "not checked"}[result.held]


def claims_table(results: list[ClaimResult]) -> Table:
    """Build a table of claims, verdicts and evidence for the book."""
    rows = [
        [result.task, result.statement + (" (full scale only)" if result.needs_real_scale else ""),
         f"**{verdict(result)}**", result.evidence]
        for result in results
    ]
    return Table(["task", "claim", "verdict", "evidence"], rows)
