"""How the learning rate moves over a run: a linear warm-up, then a half cosine to zero."""

from __future__ import annotations

import math

__all__ = ["lr_factor"]


def lr_factor(step: int, *, total: int, warmup: int) -> float:
    """Learning-rate multiplier at optimizer ``step`` (0-based) of ``total`` steps.

    A linear warm-up over the first ``warmup`` steps, then a half cosine from 1 down to 0 at
    ``total`` (warm-up keeps the first steps from wrecking the pretrained weights; the decay lets
    the last epochs settle instead of bouncing around at the full rate).
    """
    if step < warmup:
        return (step + 1) / (warmup + 1)
    span = max(1, total - warmup)
    return 0.5 * (1.0 + math.cos(math.pi * min(1.0, (step - warmup) / span)))
