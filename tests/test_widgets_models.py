"""FreezeChecklist and ModelPicker on the widget models (no weights are loaded)."""

from __future__ import annotations

import pytest

from hfwidgets.models import backbone_info, count_trainable_for, layer_groups
from hfwidgets.widgets.freeze_checklist import FreezeChecklist
from hfwidgets.widgets.model_picker import ModelPicker


def test_unticking_a_box_raises_the_trainable_count_shown() -> None:
    checklist = FreezeChecklist("mobilenet_v2")
    groups = layer_groups("mobilenet_v2")
    assert checklist.frozen == groups[:-1]  # feature extractor by default
    head_only = checklist.trainable
    assert head_only == count_trainable_for("mobilenet_v2", groups[:-1])[0]
    checklist.checkboxes["conv_last"].value = False
    assert "conv_last" not in checklist.frozen
    assert checklist.trainable > head_only
    assert f"<b>{checklist.trainable:,}</b>" in checklist.count_html.value


def test_presets_tick_the_boxes() -> None:
    checklist = FreezeChecklist("resnet18")
    checklist.apply_preset("fine-tune last N", n=2)
    assert checklist.frozen == ["stem", "layer1", "layer2", "layer3"]
    assert [b.value for b in checklist.checkboxes.values()] == [True] * 4 + [False] * 2
    checklist.apply_preset("everything")
    assert checklist.trainable == checklist.total
    assert "100.00 %" in checklist.count_html.value
    with pytest.raises(ValueError, match="preset"):
        checklist.apply_preset("half")


def test_changing_backbone_lists_its_groups() -> None:
    checklist = FreezeChecklist("mobilenet_v2")
    checklist.backbone = "squeezenet1_1"
    assert checklist.groups == layer_groups("squeezenet1_1")
    assert checklist.frozen == checklist.groups[:-1]
    with pytest.raises(ValueError, match="no layer group"):
        checklist.frozen = ["stage7"]


def test_model_picker_lists_backbones_and_offers_weights_per_backbone() -> None:
    picker = ModelPicker("mobilenet_v2")
    for name in ("googlenet", "resnet18", "mobilenet_v3_small", "efficientnet_b0"):
        assert f"<td>{name}</td>" in picker.table.value
    top1 = backbone_info("mobilenet_v2").imagenet_acc1
    assert f"<td>{top1:.1f} %</td>" in picker.table.value
    picker.dropdown.value = "resnet18"
    assert picker.value == "resnet18"
    assert picker.weights in ("DEFAULT", "none")
    picker.weights = "none"
    picker.value = "squeezenet1_1"
    assert picker.weights == "none"  # a still-valid choice survives a backbone change
    with pytest.raises(ValueError, match="unknown backbone"):
        ModelPicker("alexnet")


def test_measured_latency_appears_in_the_table() -> None:
    picker = ModelPicker("squeezenet1_1")
    result = picker.measure(["squeezenet1_1"], repeats=1)
    assert result["squeezenet1_1"] > 0
    assert f"{result['squeezenet1_1']:.0f} ms" in picker.table.value


def test_each_group_shows_its_parameters_and_what_it_detects() -> None:
    checklist = FreezeChecklist("resnet18")
    rows = checklist.boxes.children
    assert [row.children[0].description for row in rows] == layer_groups("resnet18")
    assert sum(checklist.group_sizes.values()) == checklist.total
    assert f"<b>{checklist.group_sizes['layer4']:,}</b> parameters" in rows[4].children[1].value
    roles = [row.children[2].value for row in rows]
    assert "edges" in roles[0]
    assert "late: whole shapes" in roles[4]
    assert "your classes" in roles[5]


def test_a_click_on_a_table_row_chooses_that_backbone() -> None:
    picker = ModelPicker("mobilenet_v2")
    picker.table.buttons["resnet18"].click()
    assert picker.value == "resnet18"
    assert picker.dropdown.value == "resnet18"
    assert picker.table.buttons["resnet18"].button_style == "info"
    assert picker.table.buttons["mobilenet_v2"].button_style == ""


def test_model_picker_remembers_the_weights_of_each_backbone() -> None:
    picker = ModelPicker("resnet18")
    picker.weights = "none"
    picker.value = "squeezenet1_1"
    picker.weights = "DEFAULT"
    picker.value = "resnet18"
    assert picker.weights == "none"
    picker.value = "squeezenet1_1"
    assert picker.weights == "DEFAULT"
    assert picker.weights_by_backbone == {"resnet18": "none", "squeezenet1_1": "DEFAULT"}
