"""Grad-CAM maps and the galleries that show them."""

import pytest
import torch
from torch import nn

from garbage_classifier import explain, plots
from garbage_classifier.data import DecodedDataset
from garbage_classifier.models import build_model


class MeanBrightnessScorer(nn.Module):
    """Class 1 scores the mean brightness of a 1x1 convolution's output; class 0 its negative."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 1, kernel_size=1, bias=False)
        nn.init.ones_(self.conv.weight)

    def forward(self, images):
        features = torch.relu(self.conv(images))
        score = features.mean(dim=(1, 2, 3))
        return torch.stack([-score, score], dim=1)


def test_grad_cam_shape_and_range():
    torch.manual_seed(0)
    model = build_model("resnet18", 6)
    maps = explain.grad_cam(model, torch.rand(3, 3, 64, 64))
    assert maps.shape == (3, 64, 64)
    assert torch.isfinite(maps).all()
    assert maps.min() >= 0
    assert maps.max() <= 1


def test_grad_cam_highlights_bright_region():
    images = torch.zeros(1, 3, 16, 16)
    images[..., :, :8] = 1.0  # only the left half is bright, so only it raises class 1
    maps = explain.grad_cam(MeanBrightnessScorer(), images, target_classes=torch.tensor([1]))
    assert maps[0, :, :8].mean() > 0.9
    assert maps[0, :, 8:].mean() < 0.1


def test_default_cam_layer_without_convolution():
    with pytest.raises(ValueError, match="no Conv2d"):
        explain.default_cam_layer(nn.Sequential(nn.Flatten(), nn.Linear(4, 2)))


def make_dataset(count=5):
    return DecodedDataset(
        images=torch.randint(0, 256, (count, 3, 16, 16), dtype=torch.uint8),
        labels=torch.arange(count) % 3,
        classes=["glass", "metal", "paper"],
        paths=[f"x{i}.jpg" for i in range(count)],
    )


def test_show_misclassified_titles_wrong_only():
    dataset = make_dataset()
    predicted = dataset.labels.clone()
    predicted[[1, 2]] = 0  # labels are glass, metal, paper, glass, metal
    figure = plots.show_misclassified(dataset, predicted)
    titles = [axis.get_title() for axis in figure.axes if axis.get_title()]
    assert titles == ["true: metal\npred: glass", "true: paper\npred: glass"]


def test_show_misclassified_none_wrong():
    dataset = make_dataset()
    figure = plots.show_misclassified(dataset, dataset.labels.clone())
    texts = [text.get_text() for axis in figure.axes for text in axis.texts]
    assert texts == ["No misclassified photos."]
