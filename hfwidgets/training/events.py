"""Events the trainer publishes (frozen, so a widget thread can hold them safely) and a dispatcher.

Hooks in the style of Lightning/fastai: fit start/end, epoch start/end, batch end. Epochs and
batches are numbered from 1, as a progress bar shows them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "BatchEnded",
    "EpochEnded",
    "EpochStarted",
    "FitEnded",
    "FitStarted",
    "TrainingEvent",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FitStarted:
    """Training begins: sizes of the split and whether the frozen prefix is cached."""

    n_train: int
    n_val: int
    epochs: int
    model: str
    first_epoch: int = 1
    cached_features: bool = False
    run_id: int | None = None


@dataclass(frozen=True)
class EpochStarted:
    epoch: int
    epochs: int


@dataclass(frozen=True)
class BatchEnded:
    """One optimizer step done; ``seconds`` is its wall time."""

    epoch: int
    batch: int
    n_batches: int
    loss: float
    seconds: float


@dataclass(frozen=True)
class EpochEnded:
    """Losses and accuracies of one epoch (``val_*`` are ``None`` without a validation set)."""

    epoch: int
    train_loss: float
    train_acc: float
    val_loss: float | None
    val_acc: float | None
    seconds: float = 0.0


@dataclass(frozen=True)
class FitEnded:
    """Training is over. ``status`` is ``"completed"``, ``"stopped"`` or ``"failed"``."""

    status: str
    metrics: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    run_id: int | None = None


TrainingEvent = FitStarted | EpochStarted | BatchEnded | EpochEnded | FitEnded
EventCallback = Callable[[Any], object]
