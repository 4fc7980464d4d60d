"""Model construction and weight initialisation schemes."""

from __future__ import annotations

import math
import re

import pytest
import torch
from torch import nn
from torchvision import models as tv_models

from garbage_classifier.initialization import INIT_SCHEMES, get_init, initialize
from garbage_classifier.models import available_architectures, build_model, head_of

# --------------------------------------------------------------------------- models


@pytest.fixture(scope="module")
def resnet18_6way() -> nn.Module:
    torch.manual_seed(0)
    return build_model("resnet18", 6)


def test_build_resnet18_head(resnet18_6way):
    assert resnet18_6way.fc.out_features == 6
    assert resnet18_6way.fc.in_features == 512


def test_resnet18_forward_shape(resnet18_6way):
    resnet18_6way.train()

    logits = resnet18_6way(torch.rand(2, 3, 32, 32))

    assert tuple(logits.shape) == (2, 6)
    assert not torch.isnan(logits).any()


def test_resnet18_every_parameter_gets_gradient(resnet18_6way):
    resnet18_6way.train()
    resnet18_6way.zero_grad(set_to_none=True)

    logits = resnet18_6way(torch.rand(2, 3, 32, 32))
    nn.functional.cross_entropy(logits, torch.tensor([0, 5])).backward()
    missing = [name for name, parameter in resnet18_6way.named_parameters() if parameter.grad is None]

    assert missing == []


def test_build_loads_weights_file(tmp_path):
    torch.manual_seed(1)
    source = tv_models.resnet18()
    weights_file = tmp_path / "resnet18.pt"
    torch.save(source.state_dict(), weights_file)

    torch.manual_seed(2)
    model = build_model("resnet18", 6, weights_path=weights_file)

    assert torch.equal(model.conv1.weight, source.conv1.weight)
    assert torch.equal(model.layer4[1].conv2.weight, source.layer4[1].conv2.weight)
    assert model.fc.out_features == 6


def test_build_rejects_missing_weights_file(tmp_path):
    missing = tmp_path / "missing.pt"

    with pytest.raises(FileNotFoundError, match=re.escape(f"The weights file {missing} does not exist")):
        build_model("resnet18", 6, weights_path=missing)


def test_build_rejects_both_weight_sources(tmp_path):
    with pytest.raises(ValueError, match="either weights .* or weights_path"):
        build_model("resnet18", 6, weights="DEFAULT", weights_path=tmp_path / "w.pt")


def test_build_mobilenet_head():
    model = build_model("mobilenet_v3_small", 6)

    assert head_of(model).out_features == 6
    assert model.classifier[-1] is head_of(model)
    assert head_of(model).in_features == 1024


def test_build_rejects_unknown_architecture():
    with pytest.raises(ValueError, match=r"Unknown architecture 'resnet19'; expected one of: .*\bresnet18\b"):
        build_model("resnet19", 6)


def test_build_rejects_one_class():
    with pytest.raises(ValueError, match="num_classes must be at least 2, got 1"):
        build_model("resnet18", 1)


def test_available_architectures_lists_resnet18():
    names = available_architectures()

    assert "resnet18" in names
    assert names == sorted(names)


def test_head_of_rejects_linear_free_model():
    with pytest.raises(ValueError, match="Sequential has no nn.Linear layer"):
        head_of(nn.Sequential(nn.Conv2d(3, 4, 3)))


# --------------------------------------------------------------------------- initialisation


def small_network() -> nn.Sequential:
    """A Conv2d, a BatchNorm and a Linear layer, large enough for stable sample statistics."""
    return nn.Sequential(
        nn.Conv2d(64, 128, kernel_size=3),
        nn.BatchNorm2d(128),
        nn.ReLU(),
        nn.Flatten(),
        nn.Linear(600, 400),
    )


def expected_std(scheme: str, layer: nn.Module) -> float:
    """Standard deviation that each scheme's formula gives for ``layer``'s weight."""
    receptive_field = layer.weight[0][0].numel()
    fan_in = layer.weight.shape[1] * receptive_field
    fan_out = layer.weight.shape[0] * receptive_field
    # The uniform variants draw from [-b, b] with b = sqrt(3) * std, so one formula serves both.
    if scheme.startswith("kaiming"):
        return math.sqrt(2 / fan_in)
    return math.sqrt(2 / (fan_in + fan_out))


def test_init_zero_resnet18():
    model = build_model("resnet18", 6)

    initialize(model, "zero")
    layers = [module for module in model.modules() if isinstance(module, (nn.Conv2d, nn.Linear))]

    assert len(layers) == 21
    for layer in layers:
        assert torch.count_nonzero(layer.weight) == 0


def test_init_gaussian_std():
    torch.manual_seed(0)
    layer = nn.Linear(1000, 1000)

    initialize(layer, "gaussian", std=1e-4)

    assert layer.weight.std().item() == pytest.approx(1e-4, rel=0.1)
    assert abs(layer.weight.mean().item()) < 1e-5


def test_init_gaussian_default_std():
    torch.manual_seed(0)
    layer = nn.Linear(1000, 1000)

    initialize(layer, "gaussian")

    assert layer.weight.std().item() == pytest.approx(1e-4, rel=0.1)


@pytest.mark.parametrize("scheme", ["kaiming_normal", "kaiming_uniform", "xavier_normal", "xavier_uniform"])
def test_init_scheme_std(scheme):
    torch.manual_seed(0)
    model = small_network()

    initialize(model, scheme)

    for layer in (model[0], model[4]):
        assert layer.weight.std().item() == pytest.approx(expected_std(scheme, layer), rel=0.1)


@pytest.mark.parametrize("scheme", sorted(INIT_SCHEMES))
def test_init_zeroes_biases(scheme):
    model = small_network()

    initialize(model, scheme)

    assert torch.count_nonzero(model[0].bias) == 0
    assert torch.count_nonzero(model[4].bias) == 0


@pytest.mark.parametrize("scheme", sorted(INIT_SCHEMES))
def test_init_leaves_batchnorm(scheme):
    model = small_network()
    with torch.no_grad():
        model[1].weight.fill_(0.5)
        model[1].bias.fill_(0.25)

    initialize(model, scheme)

    assert torch.all(model[1].weight == 0.5)
    assert torch.all(model[1].bias == 0.25)


def test_init_none_keeps_weights():
    torch.manual_seed(0)
    model = small_network()
    before = {name: value.clone() for name, value in model.state_dict().items()}

    initialize(model, None)

    for name, value in model.state_dict().items():
        assert torch.equal(value, before[name]), name


def test_init_returns_model():
    model = small_network()

    assert initialize(model, "xavier_normal") is model


def test_get_init_rejects_unknown_scheme():
    with pytest.raises(ValueError, match="Unknown init scheme 'he'; expected one of: zero, gaussian, kaiming_normal"):
        get_init("he")


def test_initialize_rejects_unknown_scheme():
    with pytest.raises(ValueError, match="Unknown init scheme 'he'; expected one of: .*xavier_uniform"):
        initialize(small_network(), "he")


def test_get_init_rejects_std_elsewhere():
    with pytest.raises(ValueError, match="std is a parameter of the 'gaussian' scheme only, not of 'kaiming_normal'"):
        get_init("kaiming_normal", std=0.1)


@pytest.mark.parametrize("std", [0.0, -1e-4])
def test_get_init_rejects_bad_std(std):
    with pytest.raises(ValueError, match=re.escape(f"The Gaussian std must be positive, got {std}")):
        get_init("gaussian", std=std)
