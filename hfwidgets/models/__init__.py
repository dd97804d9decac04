"""Torchvision backbones for transfer learning on scalograms.

A registry of backbones with head replacement for N classes, named layer groups for true
freezing, weights resolution (``"DEFAULT"``, a local state dict, or ``"none"``) and the facts a
person picks a backbone by.
"""

from __future__ import annotations

from hfwidgets.models.freezing import (
    FREEZE_PRESETS,
    apply_freeze,
    count_parameters,
    count_trainable_for,
    frozen_prefix_length,
    frozen_until,
    layer_groups,
    preset_frozen,
    resolve_frozen,
    set_train_mode,
    validate_frozen,
)
from hfwidgets.models.info import BackboneInfo, backbone_info, measure_latency
from hfwidgets.models.registry import list_backbones
from hfwidgets.models.staging import StagedNet, build_stages, channels_last
from hfwidgets.models.weights import WeightsError, build_architecture, build_model, replace_head

__all__ = [
    "FREEZE_PRESETS",
    "BackboneInfo",
    "StagedNet",
    "WeightsError",
    "apply_freeze",
    "backbone_info",
    "build_architecture",
    "build_model",
    "build_stages",
    "channels_last",
    "count_parameters",
    "count_trainable_for",
    "frozen_prefix_length",
    "frozen_until",
    "layer_groups",
    "list_backbones",
    "measure_latency",
    "preset_frozen",
    "replace_head",
    "resolve_frozen",
    "set_train_mode",
    "validate_frozen",
]
