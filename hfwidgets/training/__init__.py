"""Fine-tuning engine: trainer, background runner, metrics, checkpoints, predictor and export.

Nothing here imports widgets: the trainer publishes frozen events
(:mod:`~hfwidgets.training.fit_events`) to :class:`TrainingCallback` hooks, and widgets apply them
on their own schedule. Imports are lazy, so the events and :class:`TrainConfig` load without
torch (a command line's ``--help`` or a widget module stays quick).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hfwidgets.training.config import TrainConfig, build_train_config
    from hfwidgets.training.fit_events import (
        BatchEnded,
        EpochEnded,
        EpochStarted,
        FitEnded,
        FitStarted,
        TrainingCallback,
    )
    from hfwidgets.training.metrics import compute_metrics
    from hfwidgets.training.predictor import RunPredictor, load_predictor
    from hfwidgets.training.runner import TrainingRunner, train_project
    from hfwidgets.training.trainer import FitResult, Trainer

__all__ = [
    "BatchEnded",
    "EpochEnded",
    "EpochStarted",
    "FitEnded",
    "FitResult",
    "FitStarted",
    "RunPredictor",
    "TrainConfig",
    "Trainer",
    "TrainingCallback",
    "TrainingRunner",
    "build_train_config",
    "compute_metrics",
    "load_predictor",
    "train_project",
]

_MODULES = {
    "BatchEnded": "fit_events",
    "EpochEnded": "fit_events",
    "EpochStarted": "fit_events",
    "FitEnded": "fit_events",
    "FitStarted": "fit_events",
    "TrainingCallback": "fit_events",
    "FitResult": "trainer",
    "Trainer": "trainer",
    "RunPredictor": "predictor",
    "load_predictor": "predictor",
    "TrainConfig": "config",
    "build_train_config": "config",
    "TrainingRunner": "runner",
    "train_project": "runner",
    "compute_metrics": "metrics",
}


def __getattr__(name: str) -> Any:
    module = _MODULES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
