"""Build torchvision classification networks with a head sized for the garbage classes.

The book teaches this on the assignment page, section "The model".
"""

from __future__ import annotations

import os
from pathlib import Path

import torch
from torch import nn
from torchvision import models as tv_models


def available_architectures() -> list[str]:
    """Names of torchvision's image classification architectures."""
    return sorted(tv_models.list_models(module=tv_models))


def _replace_last_linear(model: nn.Module, num_classes: int) -> nn.Linear:
    """Swap the network's last ``nn.Linear`` for a new one with ``num_classes`` outputs.

    The new layer's input size is read from the old layer's ``in_features``, so the same
    code serves ResNet (``fc``), VGG and MobileNet (``classifier[-1]``), ViT (``heads.head``)
    and the others.
    """
    last_name = None
    for name, module in model.named_modules():
        if isinstance(module, nn.Linear):
            last_name = name
    if last_name is None:
        raise ValueError(
            f"{type(model).__name__} has no nn.Linear layer to replace; choose an architecture "
            "with a fully connected head, such as resnet18."
        )
    parent_name, _, child_name = last_name.rpartition(".")
    parent = model.get_submodule(parent_name) if parent_name else model
    old_head = getattr(parent, child_name)
    new_head = nn.Linear(old_head.in_features, num_classes)
    setattr(parent, child_name, new_head)
    return new_head


def build_model(
    architecture: str = "resnet18",
    num_classes: int = 6,
    *,
    weights: str | None = None,
    weights_path: str | os.PathLike | None = None,
) -> nn.Module:
    """Build a torchvision architecture by name and give it a ``num_classes``-way head.

    Args:
        architecture: A name from :func:`available_architectures`, such as ``"resnet18"``.
        num_classes: Outputs of the new last layer.
        weights: Pretrained weights passed to torchvision as ``weights=`` (for example
            ``"DEFAULT"`` or ``"IMAGENET1K_V1"``); torchvision downloads them on first use.
            ``None`` starts from random weights, as the assignment does.
        weights_path: A local ``state_dict`` file of the same architecture, loaded before
            the head is replaced. Use this where the download is not possible.

    Raises:
        ValueError: Unknown architecture, ``num_classes`` below 2, or both weight sources.
        FileNotFoundError: ``weights_path`` does not exist.
    """
    names = available_architectures()
    if architecture not in names:
        raise ValueError(f"Unknown architecture {architecture!r}; expected one of: {', '.join(names)}.")
    if num_classes < 2:
        raise ValueError(f"num_classes must be at least 2, got {num_classes}.")
    if weights is not None and weights_path is not None:
        raise ValueError("Pass either weights (downloaded by torchvision) or weights_path (a local file), not both.")

    model = tv_models.get_model(architecture, weights=weights)
    if weights_path is not None:
        path = Path(weights_path)
        if not path.is_file():
            raise FileNotFoundError(f"The weights file {path} does not exist.")
        state = torch.load(path, map_location="cpu", weights_only=True)
        model.load_state_dict(state)

    _replace_last_linear(model, num_classes)
    return model


def head_of(model: nn.Module) -> nn.Linear:
    """Return the network's last ``nn.Linear`` (its classification head)."""
    linears = [module for module in model.modules() if isinstance(module, nn.Linear)]
    if not linears:
        raise ValueError(f"{type(model).__name__} has no nn.Linear layer.")
    return linears[-1]
