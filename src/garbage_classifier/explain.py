"""Class activation maps: which parts of a photo drove the model's prediction.

Grad-CAM (Selvaraju et al., "Grad-CAM: Visual Explanations from Deep Networks via
Gradient-based Localization", 2017) weights the feature maps of a late convolutional layer
by the gradient of the class score. The computation comes from Captum, PyTorch's
interpretability library, rather than being written here.
"""

from __future__ import annotations

import warnings

import torch
from torch import nn


def default_cam_layer(model: nn.Module) -> nn.Module:
    """Return ResNet's last stage (``layer4``), or else the model's last ``Conv2d``."""
    if hasattr(model, "layer4"):
        return model.layer4
    convolutions = [module for module in model.modules() if isinstance(module, nn.Conv2d)]
    if not convolutions:
        raise ValueError(f"{type(model).__name__} has no Conv2d layer to compute a class activation map from.")
    return convolutions[-1]


def grad_cam(
    model: nn.Module,
    images: torch.Tensor,
    target_classes: torch.Tensor | None = None,
    layer: nn.Module | None = None,
) -> torch.Tensor:
    """Compute one Grad-CAM map per image, upsampled to the image size and scaled to [0, 1].

    Args:
        model: A trained classifier; it is put in evaluation mode.
        images: A batch ``N x 3 x H x W`` as the model takes it.
        target_classes: The class to explain for each image; the predicted class if ``None``.
        layer: The layer whose activations are weighted; see :func:`default_cam_layer`.

    Returns:
        A CPU tensor ``N x H x W``. A map of zeros means that no region raised the score.
    """
    try:
        # Captum imports tqdm.auto, which warns (with its own file path) when ipywidgets is
        # missing. Grad-CAM shows no progress bar, so the warning only confuses students.
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="IProgress not found")
            from captum.attr import LayerAttribution, LayerGradCam
    except ImportError as error:
        raise ImportError("Class activation maps need Captum: pip install captum") from error

    model.eval()
    device = next(model.parameters()).device
    images = images.to(device)
    if target_classes is None:
        with torch.no_grad():
            target_classes = model(images).argmax(dim=1)
    cam = LayerGradCam(model, layer or default_cam_layer(model))
    attributions = cam.attribute(images, target=target_classes.to(device), relu_attributions=True)
    maps = LayerAttribution.interpolate(attributions, tuple(images.shape[-2:]), interpolate_mode="bilinear")
    maps = maps.squeeze(1).detach().float().cpu()
    peaks = maps.flatten(1).max(dim=1).values.clamp_min(1e-12)
    return (maps / peaks[:, None, None]).clamp(0, 1)
