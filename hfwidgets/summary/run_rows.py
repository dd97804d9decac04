"""One row per training run: what a person compares between runs (`RunSummary`).

The run list, the workbench and the summary picture read the same figures from here.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

__all__ = ["FINAL_OK", "RunSummary", "number", "summarize_run", "summarize_runs"]

#: Statuses of a run that ended well (the store says "finished", older runs "completed").
FINAL_OK = ("finished", "completed")


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
    """

    id: int
    status: str
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

    @property
    def usable(self) -> bool:
        """A run that can count live: it finished and its checkpoint is here."""
        return self.status in FINAL_OK and self.checkpoint_bytes is not None

    def settings_text(self) -> str:
        """``mobilenet_v2 · 18 frozen · 10/10 epochs · val 20 %``."""
        return (
            f"{self.model} · {self.frozen} frozen · {self.epochs_done}/{self.epochs} epochs · "
            f"val {self.val_fraction:.0%}"
        )

    def accuracy_text(self) -> str:
        """``92.0% on 25 validation windows from 3 sessions/sources`` (or ``–``)."""
        if self.accuracy is None:
            return "–"
        on = {"val": "validation", "train": "training"}.get(self.evaluated_on, self.evaluated_on)
        where = f" on {self.n} {on} windows" if self.n is not None else f" ({on})"
        n = self.n_sessions
        plural = "s" if n != 1 else ""
        sessions = f" from {n} session{plural}/source{plural}" if n else ""
        return f"{self.accuracy:.1%}{where}{sessions}"

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
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return None if math.isnan(float(value)) else float(value)


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _baseline(metrics: dict[str, Any]) -> float | None:
    # Runs with the MiniRocket baseline store it as {"accuracy": ...} (or a bare number).
    for key in ("baseline", "minirocket"):
        value = metrics.get(key)
        if isinstance(value, dict):
            value = value.get("accuracy")
        if number(value) is not None:
            return number(value)
    return None


def _sessions(metrics: dict[str, Any]) -> int | None:
    for key in ("n_sessions", "sessions"):
        value = metrics.get(key)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    groups = _dict(metrics.get("validation")).get("groups")  # sessions/import sources
    if isinstance(groups, int) and not isinstance(groups, bool):
        return groups
    return None


def summarize_run(project: Any, record: Any) -> RunSummary:
    """The :class:`RunSummary` of one :class:`~hfwidgets.store.RunRecord` of ``project``."""
    settings = _dict(record.settings)
    config = _dict(settings.get("config"))
    metrics = _dict(record.metrics)
    history = metrics.get("history")
    history = history if isinstance(history, list) else []
    path = project.checkpoint_path(record.id)
    n = metrics.get("n")
    return RunSummary(
        id=int(record.id),
        status=str(record.status),
        model=str(config.get("model", "?")),
        frozen=len(config.get("frozen") or ()),
        epochs=int(config.get("epochs", 0) or 0),
        epochs_done=len(history),
        val_fraction=float(config.get("val_fraction", 0.0) or 0.0),
        accuracy=number(metrics.get("accuracy")),
        evaluated_on=str(metrics.get("evaluated_on", "val")),
        n=int(n) if isinstance(n, int) and not isinstance(n, bool) else None,
        n_sessions=_sessions(metrics),
        baseline=_baseline(metrics),
        seconds=number(metrics.get("seconds")),
        created_at=float(record.created_at or 0.0),
        checkpoint_bytes=path.stat().st_size if path.is_file() else None,
    )


def summarize_runs(project: Any) -> list[RunSummary]:
    """Every run of ``project``, newest first."""
    return [summarize_run(project, r) for r in sorted(project.runs(), key=lambda r: -r.id)]
