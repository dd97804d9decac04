"""A data map's points and the map itself: what every part of the data map passes around."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

__all__ = ["DataMap", "MapPoint"]


@dataclass(frozen=True)
class MapPoint:
    """One window on the map.

    Attributes
    ----------
    window_id : int
    x, y : float
        Position on the map (arbitrary units: only distances between points mean anything).
    label : str or None
        The stored label (None: unlabelled).
    predicted : str or None
        The run's class (None without a run).
    confidence : float or None
        The run's probability of ``predicted``.
    verdict : str
        ``"correct"``, ``"wrong"``, ``"unlabelled"`` (the run predicted, nobody labelled), or
        ``"no run"``.
    outlier : float or None
        Distance to its class's centre over the distance to the nearest other class's centre
        (:func:`outlier_scores`; above 1: nearer another class). None: unlabelled, or a class
        of fewer than 3 windows.
    looks_like : str or None
        That nearer class, when the score is above 1.
    split : str or None
        ``"train"`` or ``"val"`` in the run (a verdict on a training window is optimistic);
        None: no run, or a window stored after it.
    """

    window_id: int
    x: float
    y: float
    label: str | None
    predicted: str | None = None
    confidence: float | None = None
    verdict: str = "no run"
    outlier: float | None = None
    looks_like: str | None = None
    split: str | None = None

    def describe(self) -> str:
        """One line for a tooltip or a list: id, label, verdict, outlier score."""
        parts = [f"window {self.window_id}", self.label or "unlabelled"]
        if self.predicted is not None:
            conf = f" {self.confidence:.0%}" if self.confidence is not None else ""
            parts.append(f"model says {self.predicted}{conf} ({self.verdict})")
        if self.split is not None:
            parts.append(f"{'training' if self.split == 'train' else 'validation'} window")
        if self.outlier is not None:
            near = f", looks like {self.looks_like}" if self.looks_like else ""
            parts.append(f"outlier score {self.outlier:.2f}{near}")
        return " · ".join(parts)


@dataclass(frozen=True)
class DataMap:
    """Every window of a project as a point (see :func:`build_data_map`)."""

    points: tuple[MapPoint, ...]
    classes: tuple[str, ...]
    method: str
    backbone: str
    run_id: int | None = None
    weights: str | None = None
    seconds: float = 0.0

    def __len__(self) -> int:
        return len(self.points)

    def point(self, window_id: int) -> MapPoint:
        """The point of ``window_id`` (``KeyError`` naming it when it is not on the map)."""
        for p in self.points:
            if p.window_id == window_id:
                return p
        raise KeyError(f"window {window_id} is not on this map")

    def outliers(self, n: int | None = None, *, min_score: float | None = None) -> list[MapPoint]:
        """Labelled points, most outlying first (window id breaks ties); the first ``n``."""
        scored = [p for p in self.points if p.outlier is not None]
        if min_score is not None:
            scored = [p for p in scored if p.outlier is not None and p.outlier >= min_score]
        scored.sort(key=lambda p: (-(p.outlier or 0.0), p.window_id))
        return scored if n is None else scored[:n]

    def describe(self) -> str:
        """What the map shows: windows, backbone or run, method."""
        source = (
            f"run {self.run_id} ({self.backbone})"
            if self.run_id is not None
            else (f"pretrained {self.backbone}")
        )
        return f"{len(self.points)} windows · features of {source} · {self.method}"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: the map's facts and every point (``hfw map --json``)."""
        return {
            "classes": list(self.classes),
            "method": self.method,
            "backbone": self.backbone,
            "run_id": self.run_id,
            "weights": self.weights,
            "seconds": round(self.seconds, 3),
            "points": [asdict(p) for p in self.points],
            "outliers": [p.window_id for p in self.outliers(10)],
        }
