"""Run profiles: the one switch between the assignment's real scale and a smoke scale.

The environment variable ``GARBAGE_PROFILE`` selects a profile by name. ``full`` (the
default) uses the assignment's settings: every photo, resized to 256x256 and center-cropped
to 224 px, 10 epochs. ``smoke`` uses a few dozen small images and two epochs so that tests
and CI can execute every notebook cell in minutes on a laptop CPU. Its numbers are not
results and every page built with it says so.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass

PROFILE_ENV_VAR = "GARBAGE_PROFILE"


@dataclass(frozen=True)
class Profile:
    """Scale of the work done by the notebook, the CLI and the tests.

    Attributes:
        name: Registry name, shown on every built page.
        resize: Side in pixels that each photo is resized to (square) before cropping.
        crop: Side in pixels of the center crop fed to the network.
        epochs: Epochs of each assignment run.
        images_per_class: Photos taken from each class folder, or ``None`` for all.
        batch_size: Images per batch for training and evaluation.
        is_real_scale: Whether the numbers produced are the assignment's real results.
    """

    name: str
    resize: int
    crop: int
    epochs: int
    images_per_class: int | None
    batch_size: int
    is_real_scale: bool

    def to_dict(self) -> dict:
        return asdict(self)


PROFILES: dict[str, Profile] = {
    "full": Profile(
        name="full",
        resize=256,
        crop=224,
        epochs=10,
        images_per_class=None,
        batch_size=32,
        is_real_scale=True,
    ),
    "smoke": Profile(
        name="smoke",
        resize=40,
        crop=32,
        epochs=2,
        images_per_class=8,
        batch_size=8,
        is_real_scale=False,
    ),
}


def get_profile(name: str | None = None) -> Profile:
    """Look up a profile by name, or by ``$GARBAGE_PROFILE`` when ``name`` is ``None``.

    Raises:
        ValueError: The name is not a registered profile.
    """
    if name is None:
        name = os.environ.get(PROFILE_ENV_VAR, "").strip() or "full"
    key = name.strip().lower()
    if key not in PROFILES:
        raise ValueError(
            f"Unknown run profile {name!r} (from the argument or ${PROFILE_ENV_VAR}); "
            f"expected one of: {', '.join(sorted(PROFILES))}."
        )
    return PROFILES[key]
