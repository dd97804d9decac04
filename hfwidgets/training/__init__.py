"""Fine-tuning engine: trainer, background runner, metrics, checkpoints, predictor and export.

Nothing here imports widgets: the training thread publishes frozen events
(:mod:`~hfwidgets.training.events`) that widgets apply on their own schedule.
"""

from __future__ import annotations

from hfwidgets.training.config import TrainConfig
from hfwidgets.training.events import (
    BatchEnded,
    EpochEnded,
    EpochStarted,
    FitEnded,
    FitStarted,
)
from hfwidgets.training.metrics import compute_metrics
from hfwidgets.training.predictor import Predictor, load_predictor
from hfwidgets.training.runner import TrainingRunner, train_project
from hfwidgets.training.trainer import FitResult, Trainer

__all__ = [
    "BatchEnded",
    "EpochEnded",
    "EpochStarted",
    "FitEnded",
    "FitResult",
    "FitStarted",
    "Predictor",
    "TrainConfig",
    "Trainer",
    "TrainingRunner",
    "compute_metrics",
    "load_predictor",
    "train_project",
]
