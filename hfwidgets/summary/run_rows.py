"""One row per training run: what a person compares between runs (`RunSummary`).

The run list, the workbench and the summary picture read the same figures from here.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

from hfwidgets.store.project import Project
from hfwidgets.store.records import RunRecord
from hfwidgets.store.run_metrics import ModelName, interval_text
from hfwidgets.store.run_status import RunStatus, ended_well

__all__ = ["RunSummary", "number", "summarize_run", "summarize_runs"]


@dataclass(frozen=True)
class RunSummary:
    """What a person compares between runs.

    Attributes
    ----------
    id, status : int, str
    model : str
        Backbone name.
    frozen : int
        Frozen layer groups.
    epochs, epochs_done : int
        Epochs asked for, and epochs in the run's history.
    val_fraction : float
    accuracy : float or None
        Final accuracy, on ``n`` windows of ``evaluated_on`` ("val" or "train").
    n, n_sessions : int or None
        Windows (and sessions, when the run says) the accuracy was measured on.
    baseline : float or None
        The MiniRocket baseline's accuracy on the same split, when the run has one.
    seconds : float or None
        Training time.
    created_at : float
        Unix time.
    checkpoint_bytes : int or None
        Size of the checkpoint file (None when it is missing, e.g. not shared).
    models, chosen
        ``(name, validation accuracy)`` of the run's models (CNN, baseline, fusion) and the
        one it counts with.
    """

    id: int
    status: RunStatus
    model: str
    frozen: int
    epochs: int
    epochs_done: int
    val_fraction: float
    accuracy: float | None
    evaluated_on: str
    n: int | None
    n_sessions: int | None
    baseline: float | None
    seconds: float | None
    created_at: float
    checkpoint_bytes: int | None
    models: tuple[tuple[ModelName, float | None], ...] = ()
    chosen: ModelName = "cnn"

    @property
    def usable(self) -> bool:
        """A run that can count live: it finished and its checkpoint is here."""
        return ended_well(self.status) and self.checkpoint_bytes is not None

    def settings_text(self) -> str:
        """``mobilenet_v2 · 18 frozen · 10/10 epochs · val 20 %``."""
        return (
            f"{self.model} · {self.frozen} frozen · {self.epochs_done}/{self.epochs} epochs · "
            f"val {self.val_fraction:.0%}"
        )

    def accuracy_text(self) -> str:
        """``92.0% (95 % interval 75.0-97.8 %) on 25 validation windows from 3
        sessions/sources`` (or ``–``)."""
        if self.accuracy is None:
            return "–"
        on = {"val": "validation", "train": "training"}.get(self.evaluated_on, self.evaluated_on)
        where = f" on {self.n} {on} windows" if self.n is not None else f" ({on})"
        n = self.n_sessions
        plural = "s" if n != 1 else ""
        sessions = f" from {n} session{plural}/source{plural}" if n else ""
        interval = interval_text(self.accuracy, self.n or 0)
        return f"{self.accuracy:.1%}{interval}{where}{sessions}"

    def model_options(self) -> list[tuple[str, ModelName]]:
        """``[("fusion 92.0 %", "fusion"), ...]``: the models to choose from, with figures."""
        if not self.models:
            return [("cnn", "cnn")]
        return [
            (f"{name} {'–' if acc is None else f'{acc:.1%}'}", name) for name, acc in self.models
        ]

    def baseline_text(self) -> str:
        """``MiniRocket 88.0 %`` (or ``–``)."""
        return "–" if self.baseline is None else f"MiniRocket {self.baseline:.1%}"

    def time_text(self) -> str:
        """When it ran and how long it took: ``14:02 · 12 s``."""
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(self.created_at))
        return when if self.seconds is None else f"{when} · {self.seconds:.0f} s"

    def size_text(self) -> str:
        """Checkpoint size: ``8.9 MB`` (or ``no checkpoint``)."""
        if self.checkpoint_bytes is None:
            return "no checkpoint"
        return f"{self.checkpoint_bytes / 1e6:.1f} MB"


def number(value: Any) -> float | None:
    """``value`` as a float; ``None`` for anything else (a bool, a string, NaN)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return None if math.isnan(float(value)) else float(value)


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def summarize_run(project: Project, record: RunRecord) -> RunSummary:
    """The :class:`RunSummary` of one :class:`~hfwidgets.store.RunRecord` of ``project``."""
    config = _dict(_dict(record.settings).get("config"))
    metrics = record.metrics
    path = project.runs.checkpoint_path(record.id)
    validation = metrics.validation
    return RunSummary(
        id=int(record.id),
        status=record.status,
        model=str(config.get("model", "?")),
        frozen=len(config.get("frozen") or ()),
        epochs=int(config.get("epochs", 0) or 0),
        epochs_done=len(metrics.history),
        val_fraction=float(config.get("val_fraction", 0.0) or 0.0),
        accuracy=metrics.accuracy,
        evaluated_on=metrics.evaluated_on,
        n=metrics.n if metrics.trained else None,
        n_sessions=validation.groups if validation is not None else None,
        baseline=metrics.baseline.accuracy if metrics.baseline is not None else None,
        seconds=metrics.seconds,
        created_at=float(record.created_at or 0.0),
        checkpoint_bytes=path.stat().st_size if path.is_file() else None,
        models=tuple((name, f.accuracy) for name, f in metrics.models.items()),
        chosen=metrics.chosen,
    )


def summarize_runs(project: Project) -> list[RunSummary]:
    """Every run of ``project``, newest first."""
    return [summarize_run(project, r) for r in sorted(project.runs.all(), key=lambda r: -r.id)]
