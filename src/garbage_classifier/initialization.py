"""Weight initialisation schemes, one small function each, chosen by name.

Each scheme sets the weight of every ``Conv2d`` and ``Linear`` layer and zeroes their
biases. BatchNorm layers keep their own initialisation (scale 1, shift 0). The book
discusses the schemes in Task 5 and Task 7.3 of the assignment.
"""

from __future__ import annotations

import functools
from typing import Callable

from torch import nn

InitFunction = Callable[[nn.Parameter], None]

_LAYER_TYPES = (nn.Conv2d, nn.Linear)


def _zero(weight: nn.Parameter) -> None:
    nn.init.zeros_(weight)


def _gaussian(weight: nn.Parameter, std: float = 1e-4) -> None:
    nn.init.normal_(weight, mean=0.0, std=std)


def _kaiming_normal(weight: nn.Parameter) -> None:
    # He et al., "Delving Deep into Rectifiers" (2015): variance 2 / fan_in keeps the
    # scale of ReLU activations constant from layer to layer.
    nn.init.kaiming_normal_(weight, mode="fan_in", nonlinearity="relu")


def _kaiming_uniform(weight: nn.Parameter) -> None:
    nn.init.kaiming_uniform_(weight, mode="fan_in", nonlinearity="relu")


def _xavier_normal(weight: nn.Parameter) -> None:
    # Glorot and Bengio (2010): variance 2 / (fan_in + fan_out), derived for tanh-like units.
    nn.init.xavier_normal_(weight)


def _xavier_uniform(weight: nn.Parameter) -> None:
    nn.init.xavier_uniform_(weight)


INIT_SCHEMES: dict[str, Callable[..., None]] = {
    "zero": _zero,
    "gaussian": _gaussian,
    "kaiming_normal": _kaiming_normal,
    "kaiming_uniform": _kaiming_uniform,
    "xavier_normal": _xavier_normal,
    "xavier_uniform": _xavier_uniform,
}


def get_init(name: str, *, std: float | None = None) -> InitFunction:
    """Look up a scheme by name; ``std`` applies to ``"gaussian"`` only.

    Raises:
        ValueError: Unknown name, a non-positive ``std``, or ``std`` for another scheme.
    """
    if name not in INIT_SCHEMES:
        raise ValueError(f"Unknown init scheme {name!r}; expected one of: {', '.join(INIT_SCHEMES)}.")
    if std is None:
        return INIT_SCHEMES[name]
    if name != "gaussian":
        raise ValueError(f"std is a parameter of the 'gaussian' scheme only, not of {name!r}.")
    if not std > 0:
        raise ValueError(f"The Gaussian std must be positive, got {std}.")
    return functools.partial(_gaussian, std=std)


def initialize(model: nn.Module, scheme: str | None, *, std: float | None = None) -> nn.Module:
    """Apply ``scheme`` to every Conv2d and Linear layer of ``model`` in place.

    ``None`` keeps torchvision's own initialisation. Returns ``model``.
    """
    if scheme is None:
        return model
    init_weight = get_init(scheme, std=std)
    for module in model.modules():
        if isinstance(module, _LAYER_TYPES):
            init_weight(module.weight)
            if module.bias is not None:
                nn.init.zeros_(module.bias)
    return model
