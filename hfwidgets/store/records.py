"""Frozen records returned by :class:`hfwidgets.store.Project` queries."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from hfwidgets.store.run_metrics import RunMetrics
from hfwidgets.store.run_status import RunStatus

__all__ = ["LabelChange", "RunRecord", "SessionRecord", "WindowRecord"]


@dataclass(frozen=True, eq=False)
class WindowRecord:
    """One stored motion window.

    Attributes
    ----------
    id : int
        Window id in this project.
    data : ndarray
        float32 samples, shape ``(n, channels)`` (x, y, z in g).
    rate_hz : float
        Sample rate of ``data``.
    label : str or None
        Current label; ``None`` while unlabelled.
    source : str
        Where the window came from (a port, ``simulated``, an imported file).
    t0 : float or None
        Time of the first sample on the source clock, when known.
    session_id : int or None
        The raw session the window was cut from, when stored.
    origin : str
        Provenance after a merge: ``"<project id>:<window id>"`` of the teammate's copy.
    """

    id: int
    data: NDArray[np.float32]
    rate_hz: float
    label: str | None
    source: str = ""
    t0: float | None = None
    session_id: int | None = None
    origin: str = ""


@dataclass(frozen=True, eq=False)
class SessionRecord:
    """A raw recording: sample times (s) and ``(n, 3)`` samples."""

    id: int
    t: NDArray[np.float64]
    xyz: NDArray[np.float32]
    rate_hz: float
    source: str
    created_at: float


@dataclass(frozen=True)
class LabelChange:
    """One entry of a window's label history (newest last in ``project.labels.history``)."""

    label: str | None
    previous: str | None
    at: float
    undone: bool
    note: str = ""


@dataclass(frozen=True)
class RunRecord:
    """A training run: its settings (a JSON-like dict), status, metrics and timestamps.

    ``created_at``/``updated_at``/``finished_at`` are Unix times in seconds; ``finished_at`` is
    set when the status becomes final (``finished``, ``stopped``, ``failed``).
    """

    id: int
    settings: dict[str, Any]
    status: RunStatus
    metrics: RunMetrics = field(default_factory=RunMetrics)
    created_at: float = 0.0
    updated_at: float = 0.0
    finished_at: float | None = None
