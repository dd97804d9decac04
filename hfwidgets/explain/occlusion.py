"""Occlusion: cover one patch of the scalogram at a time and measure the class's loss.

The patch is filled with the value that means "no motion" in the image (0.5 for signed
scalograms, where 0.5 is zero; 0 for magnitude images), so covering a patch removes the motion
there instead of adding a new one. The heat of a pixel is the mean drop of the class's log-odds
against the other classes (:mod:`.score`, the score Grad-CAM follows too) over the patches that
covered it: unlike the probability it keeps a confident model's drops measurable (0.999 -> 0.99
is a real loss of evidence). It needs nothing from the network but its output, so it works for
any model, convolutional or not.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from hfwidgets.explain.score import class_log_odds

__all__ = ["DEFAULT_PATCH", "DEFAULT_STRIDE", "neutral_value", "occlusion_map", "patch_starts"]

#: Patch side and step as fractions of the image's side: a patch as wide as one cell of a
#: 7x7 Grad-CAM map at 224 pixels, moved by half a patch (11 x 11 positions).
DEFAULT_PATCH = 1 / 6
DEFAULT_STRIDE = 1 / 12

# Images per forward pass (see training.frozen_features.INFERENCE_BATCH: 16 ran fastest on CPU).
_BATCH = 16


def neutral_value(representation: str) -> float:
    """The pixel value of "no motion" in a scalogram of ``representation``."""
    return 0.5 if representation == "signed" else 0.0


def patch_starts(size: int, patch: int, stride: int) -> list[int]:
    """First pixel of each patch along one side; the last patch ends at the image's edge."""
    starts = list(range(0, max(size - patch, 0) + 1, stride))
    if starts[-1] + patch < size:
        starts.append(size - patch)
    return starts


def occlusion_map(
    net: nn.Module,
    image: torch.Tensor,
    *,
    class_index: int,
    neutral: float,
    patch: float = DEFAULT_PATCH,
    stride: float = DEFAULT_STRIDE,
) -> tuple[torch.Tensor, tuple[int, int]]:
    """Mean drop of class ``class_index``'s log-odds when a patch covers each pixel.

    Parameters
    ----------
    net : nn.Module
        Images in [0, 1] -> logits, in eval mode.
    image : torch.Tensor
        ``[3, H, W]`` in [0, 1].
    class_index : int
        The class whose probability is watched.
    neutral : float
        Fill value of the patch (:func:`neutral_value`).
    patch, stride : float
        Patch side and step as fractions of the image's height and width (0 < stride <= patch
        <= 1).

    Returns
    -------
    heat : torch.Tensor
        ``[H, W]``: log-odds lost (negative where covering raised them).
    cells : tuple of int
        Patch positions along the height and the width.
    """
    if not 0 < stride <= patch <= 1:
        raise ValueError(f"occlusion needs 0 < stride <= patch <= 1, got {stride=} {patch=}")
    height, width = (int(v) for v in image.shape[-2:])
    ph, pw = max(1, round(patch * height)), max(1, round(patch * width))
    rows = patch_starts(height, ph, max(1, round(stride * height)))
    cols = patch_starts(width, pw, max(1, round(stride * width)))
    boxes = [(r, c) for r in rows for c in cols]
    drops = torch.zeros(len(boxes))
    with torch.inference_mode():
        base = class_log_odds(net(image[None]), class_index)[0]
        for start in range(0, len(boxes), _BATCH):
            chunk = boxes[start : start + _BATCH]
            batch = image[None].repeat(len(chunk), 1, 1, 1)
            for i, (r, c) in enumerate(chunk):
                batch[i, :, r : r + ph, c : c + pw] = neutral
            scores = class_log_odds(net(batch), class_index)
            drops[start : start + len(chunk)] = base - scores
    total = np.zeros((height, width), dtype=np.float64)
    count = np.zeros((height, width), dtype=np.float64)
    for (r, c), drop in zip(boxes, drops.tolist(), strict=True):
        total[r : r + ph, c : c + pw] += drop
        count[r : r + ph, c : c + pw] += 1
    heat = np.divide(total, count, out=np.zeros_like(total), where=count > 0)
    return torch.as_tensor(heat, dtype=torch.float32), (len(rows), len(cols))
