"""Facts a person picks a backbone by: size, ImageNet accuracy, CPU latency."""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass

import torch
import torchvision

from hfwidgets.models.freezing import count_trainable_for, layer_groups
from hfwidgets.models.registry import get_spec
from hfwidgets.models.staging import StagedNet
from hfwidgets.models.weights import build_model

__all__ = ["BackboneInfo", "backbone_info", "measure_latency"]


@dataclass(frozen=True)
class BackboneInfo:
    """What the model picker shows for one backbone.

    Attributes
    ----------
    name : str
    params : int
        Parameters with a 2-class head.
    file_size_mb : float
        Size of torchvision's ImageNet weights file (MB, from its weights metadata).
    imagenet_acc1 : float
        Top-1 ImageNet accuracy of those weights (%).
    input_size : int
        Side of the square input the weights were trained on.
    groups : list of str
        Freezable layer groups, input to head.
    """

    name: str
    params: int
    file_size_mb: float
    imagenet_acc1: float
    input_size: int
    groups: list[str]


def backbone_info(name: str) -> BackboneInfo:
    """Return :class:`BackboneInfo` for ``name`` (no weights are loaded or downloaded)."""
    get_spec(name)
    meta = torchvision.models.get_model_weights(name).DEFAULT.meta
    transforms = torchvision.models.get_model_weights(name).DEFAULT.transforms()
    crop = getattr(transforms, "crop_size", [224])
    return BackboneInfo(
        name=name,
        params=count_trainable_for(name, (), num_classes=2)[1],
        file_size_mb=float(meta.get("_file_size", 0.0)),
        imagenet_acc1=float(meta["_metrics"]["ImageNet-1K"]["acc@1"]),
        input_size=int(crop[0]),
        groups=layer_groups(name),
    )


def measure_latency(
    name: str,
    *,
    batch: int = 1,
    repeats: int = 10,
    warmup: int = 2,
    size: int = 224,
    num_threads: int | None = None,
) -> float:
    """Median milliseconds of one forward pass of ``name`` on this CPU (eval, inference mode).

    Random weights are used: latency does not depend on their values.
    """
    if repeats < 1:
        raise ValueError(f"repeats must be at least 1, got {repeats}")
    previous = torch.get_num_threads()
    if num_threads is not None:
        torch.set_num_threads(num_threads)
    try:
        net = StagedNet(build_model(name, num_classes=2, weights="none"), name).eval()
        x = torch.rand(batch, 3, size, size)
        times = []
        with torch.inference_mode():
            for i in range(warmup + repeats):
                start = time.perf_counter()
                net(x)
                if i >= warmup:
                    times.append((time.perf_counter() - start) * 1000.0)
        return statistics.median(times)
    finally:
        torch.set_num_threads(previous)
