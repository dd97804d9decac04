"""Backbone registry, weights resolution, layer groups and true freezing."""

from __future__ import annotations

import urllib.error
from pathlib import Path
from typing import NoReturn

import pytest
import torch
import torchvision

from hfwidgets.models import (
    StagedNet,
    WeightsError,
    apply_freeze,
    backbone_info,
    build_model,
    count_parameters,
    count_trainable_for,
    frozen_prefix_length,
    layer_groups,
    list_backbones,
    measure_latency,
    set_train_mode,
)
from hfwidgets.models.staging import ImageNetNormalize

torch.set_num_threads(1)

REQUIRED = [
    "googlenet",
    "resnet18",
    "mobilenet_v2",
    "mobilenet_v3_small",
    "mobilenet_v3_large",
    "squeezenet1_1",
    "shufflenet_v2_x1_0",
    "efficientnet_b0",
]


def test_registry_offers_the_backbones_a_person_picks_from() -> None:
    assert set(REQUIRED) <= set(list_backbones())
    for name in REQUIRED:
        groups = layer_groups(name)
        assert groups[-1] == "head"
        assert len(groups) == len(set(groups)) >= 4


@pytest.mark.parametrize("name", REQUIRED)
def test_staged_network_computes_what_torchvision_computes(name: str) -> None:
    torch.manual_seed(0)
    model = build_model(name, num_classes=3, weights="none").eval()
    x = torch.rand(2, 3, 64, 64)
    with torch.inference_mode():
        expected = model(ImageNetNormalize()(x))
        staged = StagedNet(model, name).eval()(x)
    assert expected.shape == (2, 3)
    torch.testing.assert_close(staged, expected)


@pytest.mark.parametrize("name", REQUIRED)
def test_groups_cover_every_parameter_and_freezing_leaves_only_the_head(name: str) -> None:
    model = build_model(name, num_classes=4, weights="none")
    groups = layer_groups(name)
    apply_freeze(model, name, groups[:-1])
    trainable, total = count_parameters(model)
    kwargs = {"aux_logits": False, "init_weights": False} if name == "googlenet" else {}
    plain = torchvision.models.get_model(name, weights=None, num_classes=4, **kwargs)
    assert total == count_parameters(plain)[1]  # same network as torchvision's, 4-class head
    # Only the new head trains: weight + bias of a (C_in -> 4) layer.
    assert trainable == count_trainable_for(name, groups[:-1], num_classes=4)[0]
    assert trainable < total / 50
    assert count_trainable_for(name, [], num_classes=4) == (total, total)
    # Every parameter is in exactly one group: freezing everything leaves nothing trainable.
    assert count_trainable_for(name, groups, num_classes=4)[0] == 0


def test_frozen_groups_keep_batchnorm_statistics_in_eval_mode() -> None:
    model = build_model("mobilenet_v2", num_classes=2, weights="none")
    apply_freeze(model, "mobilenet_v2", ["stem", "stage1"])
    set_train_mode(model, "mobilenet_v2")
    assert not model.get_submodule("features.0").training
    assert not model.get_submodule("features.1").training
    assert model.get_submodule("features.2").training
    assert model.get_submodule("classifier").training
    assert not any(p.requires_grad for p in model.get_submodule("features.0").parameters())
    assert all(p.requires_grad for p in model.get_submodule("features.2").parameters())


def test_prefix_detection() -> None:
    groups = layer_groups("resnet18")
    assert frozen_prefix_length("resnet18", groups[:3]) == 3
    assert frozen_prefix_length("resnet18", [groups[2], groups[0], groups[1]]) == 3
    assert frozen_prefix_length("resnet18", [groups[1]]) == 0
    assert frozen_prefix_length("resnet18", []) == 0


def test_bad_names_say_what_is_valid() -> None:
    with pytest.raises(ValueError, match=r"unknown model 'vgg99'.*mobilenet_v2"):
        build_model("vgg99", num_classes=2, weights="none")
    with pytest.raises(ValueError, match=r"no layer group nope.*stem"):
        count_trainable_for("resnet18", ["nope"])
    with pytest.raises(ValueError, match="at least 2"):
        build_model("resnet18", num_classes=1, weights="none")


def test_local_state_dict_is_loaded_strictly_then_the_head_replaced(
    mobilenet_v2_weights: Path,
) -> None:
    state = torch.load(mobilenet_v2_weights, weights_only=True)
    model = build_model("mobilenet_v2", num_classes=2, weights=str(mobilenet_v2_weights))
    torch.testing.assert_close(
        model.get_parameter("features.0.0.weight"), state["features.0.0.weight"]
    )
    head = model.get_submodule("classifier.1")
    assert isinstance(head, torch.nn.Linear)
    assert head.out_features == 2


def test_weights_file_of_another_model_is_a_clear_error(mobilenet_v2_weights: Path) -> None:
    with pytest.raises(WeightsError, match=r"not a state dict of torchvision's ImageNet resnet18"):
        build_model("resnet18", num_classes=2, weights=str(mobilenet_v2_weights))
    with pytest.raises(WeightsError, match="does not exist"):
        build_model("resnet18", num_classes=2, weights="/no/such/file.pth")


def test_default_weights_offline_name_the_three_options(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def offline(*args: object, **kwargs: object) -> NoReturn:
        raise urllib.error.URLError("Name or service not known")

    monkeypatch.setattr(torchvision.models._api, "load_state_dict_from_url", offline)
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path))
    with pytest.raises(WeightsError) as info:
        build_model("squeezenet1_1", num_classes=2, weights="DEFAULT")
    message = str(info.value)
    assert "weights='DEFAULT'" in message
    assert "weights=PATH" in message
    assert "weights='none'" in message
    assert str(tmp_path / "checkpoints") in message


def test_unknown_weights_enum_lists_the_known_ones() -> None:
    with pytest.raises(ValueError, match="IMAGENET1K_V1"):
        build_model("resnet18", num_classes=2, weights="IMAGENET9K")


def test_backbone_info_reports_torchvision_metadata() -> None:
    info = backbone_info("mobilenet_v2")
    assert info.imagenet_acc1 == pytest.approx(72.154)
    assert info.file_size_mb == pytest.approx(13.598)
    assert info.input_size == 224
    assert info.groups == layer_groups("mobilenet_v2")
    assert 2_000_000 < info.params < 2_400_000


def test_latency_is_measured_in_milliseconds() -> None:
    ms = measure_latency("squeezenet1_1", size=64, repeats=2, warmup=1, num_threads=1)
    assert 0.0 < ms < 5000.0


def test_one_freeze_vocabulary_for_the_checklist_and_the_command_line() -> None:
    from hfwidgets.models import FREEZE_PRESETS, preset_frozen, resolve_frozen
    from hfwidgets.widgets.freeze_checklist import FreezeChecklist

    groups = layer_groups("resnet18")
    checklist = FreezeChecklist("resnet18")
    assert list(checklist.preset.options) == list(FREEZE_PRESETS)
    for preset in FREEZE_PRESETS:
        spelled = preset.lower().replace(" ", "-")  # as hfw train --freeze-preset takes it
        from_cli = resolve_frozen("resnet18", preset=spelled, n=2)
        assert list(from_cli) == checklist.apply_preset(preset, n=2), preset
    assert preset_frozen("resnet18", "feature extractor") == groups[:-1]
    assert list(resolve_frozen("resnet18", until="backbone")) == groups[:-1]
    assert preset_frozen("resnet18", "fine-tune-last", n=99) == []  # more than it has: all
    with pytest.raises(ValueError, match="needs N"):
        preset_frozen("resnet18", "fine-tune last N")
    with pytest.raises(ValueError, match="'feature extractor'"):  # lists the presets
        resolve_frozen("resnet18", preset="backbone")


def test_check_weights_reads_files_without_building_the_model(
    mobilenet_v2_weights: Path, tmp_path: Path
) -> None:
    from hfwidgets.models.weights import check_weights

    check_weights("mobilenet_v2", mobilenet_v2_weights)
    check_weights("mobilenet_v2", "none")
    with pytest.raises(WeightsError, match=r"missing: bn1\.bias"):
        check_weights("resnet18", mobilenet_v2_weights)
    listed = tmp_path / "list.pth"
    torch.save([torch.zeros(2)], listed)
    with pytest.raises(WeightsError, match=r"list.pth holds a list, not a state dict"):
        check_weights("mobilenet_v2", listed)
    with pytest.raises(WeightsError, match="does not exist"):
        check_weights("mobilenet_v2", tmp_path / "missing.pth")
