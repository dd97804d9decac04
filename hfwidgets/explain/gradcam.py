"""Grad-CAM on the last convolutional layer group of any backbone in the registry.

The group is found from the registry's layer groups (:mod:`hfwidgets.models.registry`), the
same description freezing and the feature cache read: the last group before the head whose
modules hold a ``Conv2d``. Its feature map is the output of its last module, before the global
pooling the registry appends to that group (if any). Grad-CAM (Selvaraju et al., 2017) weighs
each channel of that map by the mean gradient of the class's score over it, sums, keeps the
positive part and brings the map to the image's pixel grid with a bilinear resize. The score is
the class's log-odds against the other classes (:mod:`.score`) rather than its bare logit: on
simulated evidence with three classes the logit's map pointed up to 2.7 cells of the 7 x 7 grid
away from one class's evidence, the log-odds' map within one cell (``bench/explain.py``).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from hfwidgets.explain.score import class_log_odds
from hfwidgets.models import StagedNet
from hfwidgets.models.registry import get_spec

__all__ = ["GradCamTarget", "gradcam_map", "gradcam_target"]

# Layers the stage builder (models/staging.py) appends to a group per GroupSpec.pool.
_POOL_LAYERS = {"": 0, "avg": 2, "mean": 1, "flatten": 1}


class GradCamTarget:
    """The module whose output Grad-CAM reads, and the layer group it belongs to."""

    def __init__(self, group: str, module: nn.Module) -> None:
        self.group = group
        self.module = module


def gradcam_target(net: StagedNet, model_name: str) -> GradCamTarget | None:
    """The last convolutional layer group of ``net`` (a run's network), or None if it has none.

    Parameters
    ----------
    net : StagedNet
        The network, cut into the registry's groups (the head is the last).
    model_name : str
        Its backbone name in the registry.
    """
    spec = get_spec(model_name)
    stages = dict(zip(net.group_names, net.stages, strict=True))
    for group in reversed(spec.groups[:-1]):  # the head classifies; it is not a feature map
        stage = stages.get(group.name)
        if stage is None or not any(isinstance(m, nn.Conv2d) for m in stage.modules()):
            continue
        layers = list(stage.children())
        return GradCamTarget(group.name, layers[len(layers) - _POOL_LAYERS[group.pool] - 1])
    return None


def gradcam_map(
    net: StagedNet, image: torch.Tensor, *, target: GradCamTarget, class_index: int
) -> tuple[torch.Tensor, tuple[int, int]]:
    """Grad-CAM of class ``class_index``'s log-odds for one image.

    Parameters
    ----------
    net : StagedNet
        Images in [0, 1] -> logits, in eval mode (BatchNorm and dropout fixed).
    image : torch.Tensor
        ``[3, H, W]`` in [0, 1].
    target : GradCamTarget
        From :func:`gradcam_target`.
    class_index : int
        The class explained.

    Returns
    -------
    heat : torch.Tensor
        ``[H, W]``, not negative, not normalised.
    cells : tuple of int
        Height and width of the feature map the heat comes from.
    """
    captured: list[torch.Tensor] = []
    handle = target.module.register_forward_hook(lambda _m, _i, out: captured.append(out))
    try:
        with torch.enable_grad():
            # The input asks for gradients, so the feature map is in the graph even when every
            # parameter before it is frozen.
            x = image[None].detach().clone().requires_grad_(True)
            logits = net(x)
            if not captured or captured[-1].ndim != 4:
                raise ValueError(f"group {target.group} gives no 2-D feature map; use occlusion")
            features = captured[-1]
            score = class_log_odds(logits, class_index)[0]
            (gradient,) = torch.autograd.grad(score, features)
    finally:
        handle.remove()
    weights = gradient.mean(dim=(2, 3), keepdim=True)  # one weight per channel
    cam = F.relu((weights * features).sum(dim=1, keepdim=True)).detach()  # [1, 1, h, w]
    height, width = image.shape[-2:]
    heat = F.interpolate(cam, size=(height, width), mode="bilinear", align_corners=False)
    return heat[0, 0], (int(cam.shape[-2]), int(cam.shape[-1]))
