"""The counting settings a run uses live (`OperatingPoint`), and where they are kept.

Calibration (`hfwidgets.live.calibration`) chooses an operating point and stores it in the run's
metrics (``metrics["operating_point"]``); `hfwidgets.training.predictor.load_predictor` hands it to
the predictor, and `LiveClassifier`, the LiveCounter widget and ``hfw predict`` count with it unless
told otherwise: an explicit option wins over the run's point, which wins over the defaults
(`counting_settings`).

Pure: no threads, widgets or torch here.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from hfwidgets.live.counter import EventCounter
from hfwidgets.store.project import Project
from hfwidgets.store.run_metrics import RunMetrics

__all__ = [
    "DEFAULT_MIN_GAP_S",
    "DEFAULT_TARGET_RECALL",
    "DEFAULT_THRESHOLD",
    "METRICS_KEY",
    "OperatingPoint",
    "counting_settings",
    "nan_as_none",
    "operating_point_for",
    "operating_point_of",
    "settings_text",
    "store_operating_point",
    "stored_operating_point",
]

#: Key of the operating point in a run's metrics.
METRICS_KEY = "operating_point"
DEFAULT_TARGET_RECALL = 0.95
#: Counting settings used when neither the caller nor the run's operating point says.
DEFAULT_THRESHOLD = 0.8
DEFAULT_MIN_GAP_S = 1.0


def nan_as_none(values: dict[str, Any]) -> dict[str, Any]:
    """NaN (not measured) as None: strict JSON has no NaN."""
    return {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in values.items()}


def settings_text(*, threshold: float, consecutive: int, min_gap_s: float) -> str:
    """``threshold 0.9, 2 hops in a row, gap 1 s``: counting settings in one phrase."""
    hops = "1 hop" if consecutive == 1 else f"{consecutive} hops in a row"
    return f"threshold {threshold:.3g}, {hops}, gap {min_gap_s:g} s"


@dataclass(frozen=True)
class OperatingPoint:
    """The counting settings a run uses live, and what calibration measured for them.

    Attributes
    ----------
    threshold, consecutive, min_gap_s
        As for `EventCounter`.
    hop_s : float
        Hop the sweep was measured at (``consecutive`` counts hops of this length).
    recall, precision, false_per_hour : float
        Measured on the calibration sessions (NaN when not measured).
    target_recall : float
        Recall the choice aimed for; ``meets_target`` says whether any setting reached it.
    events, sessions : int
        True events and sessions the measurement rests on.
    other_s : float
        Seconds without an event in those sessions.
    source : str
        What the sessions were (``"simulated"``, ``"sessions 3, 4"``).
    calibrated_at : float
        Unix time of the calibration.
    """

    threshold: float
    consecutive: int = 1
    min_gap_s: float = 1.0
    hop_s: float = 0.2
    recall: float = math.nan
    precision: float = math.nan
    false_per_hour: float = math.nan
    target_recall: float = DEFAULT_TARGET_RECALL
    meets_target: bool = True
    events: int = 0
    sessions: int = 0
    other_s: float = 0.0
    source: str = ""
    calibrated_at: float = 0.0

    def __post_init__(self) -> None:
        # The same checks as the counter, so a stored point that passes here also counts.
        EventCounter(
            threshold=self.threshold, min_gap_s=self.min_gap_s, consecutive=self.consecutive
        )
        if not self.hop_s > 0:
            raise ValueError(f"hop_s={self.hop_s!r} must be > 0 seconds")

    def counter_settings(self) -> dict[str, Any]:
        """``threshold``, ``consecutive`` and ``min_gap_s``: the keyword arguments of a counter."""
        return {
            "threshold": self.threshold,
            "consecutive": self.consecutive,
            "min_gap_s": self.min_gap_s,
        }

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (NaN becomes None)."""
        return nan_as_none(asdict(self))

    @classmethod
    def from_dict(
        cls, data: Mapping[str, Any], *, where: str = "operating point"
    ) -> OperatingPoint:
        """Read a stored point; ``ValueError`` naming ``where`` and the bad field."""
        if not isinstance(data, Mapping) or "threshold" not in data:
            raise ValueError(f"{where}: expected a mapping with a 'threshold', got {data!r}")
        known = set(cls.__dataclass_fields__)
        kwargs: dict[str, Any] = {}
        for key, value in data.items():
            if key not in known:
                continue  # written by a newer version: ignore, do not fail
            kwargs[key] = math.nan if value is None else value
        try:
            kwargs["consecutive"] = int(kwargs.get("consecutive", 1))
            return cls(**kwargs)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{where}: {exc}; calibrate the run again (hfw calibrate)") from exc

    def describe(self) -> str:
        """One line for people: the settings and, when measured, what they do."""
        text = settings_text(
            threshold=self.threshold, consecutive=self.consecutive, min_gap_s=self.min_gap_s
        )
        if not math.isnan(self.recall):
            text += (
                f" (recall {self.recall:.2f}, precision {self.precision:.2f}, "
                f"{self.false_per_hour:.1f} false counts/h; {self.events} events, "
                f"{self.other_s / 60:.1f} min without one"
                f"{', ' + self.source if self.source else ''})"
            )
            if not self.meets_target:
                text += f"; no setting reached recall {self.target_recall:.2f}"
        return text


def counting_settings(
    point: OperatingPoint | None,
    *,
    threshold: float | None = None,
    min_gap_s: float | None = None,
    consecutive: int | None = None,
) -> dict[str, Any]:
    """The counter's keyword arguments: each explicit value, else ``point``'s, else the default.

    Defaults: `DEFAULT_THRESHOLD`, 1 hop, `DEFAULT_MIN_GAP_S`.
    """

    def pick(explicit: float | None, stored: float | None, default: float) -> float:
        if explicit is not None:
            return float(explicit)
        return float(stored) if stored is not None else default

    return {
        "threshold": pick(threshold, None if point is None else point.threshold, DEFAULT_THRESHOLD),
        "min_gap_s": pick(min_gap_s, None if point is None else point.min_gap_s, DEFAULT_MIN_GAP_S),
        "consecutive": int(pick(consecutive, None if point is None else point.consecutive, 1)),
    }


# --- stored with the run -------------------------------------------------------------------


def operating_point_of(metrics: RunMetrics, *, run_id: int | None = None) -> OperatingPoint | None:
    """The operating point in a run's metrics, or None when it was never calibrated."""
    data = metrics.operating_point
    if data is None:
        return None
    where = f"run {run_id}'s operating point" if run_id is not None else "operating point"
    return OperatingPoint.from_dict(data, where=where)


def operating_point_for(
    predictor: object, explicit: OperatingPoint | Mapping[str, Any] | None = None
) -> OperatingPoint | None:
    """The point to count with: ``explicit`` if given, else ``predictor.operating_point``.

    ``hfwidgets.training.predictor.load_predictor`` sets ``operating_point`` from the run's
    metrics; a predictor without one (a fake, an uncalibrated run) gives None.
    """
    value = explicit if explicit is not None else getattr(predictor, "operating_point", None)
    if value is None or isinstance(value, OperatingPoint):
        return value
    if isinstance(value, Mapping):
        return OperatingPoint.from_dict(value)
    raise TypeError(f"operating_point must be an OperatingPoint or a mapping, got {value!r}")


def stored_operating_point(project: Project, run_id: int) -> OperatingPoint | None:
    """Run ``run_id``'s stored operating point, or None when it was never calibrated."""
    return operating_point_of(project.runs.get(run_id).metrics, run_id=run_id)


def store_operating_point(project: Project, run_id: int, point: OperatingPoint) -> None:
    """Keep ``point`` in run ``run_id``'s metrics; every other metric stays as it was."""
    metrics = project.runs.get(run_id).metrics.replace(operating_point=point.to_dict())
    project.runs.update(run_id, metrics=metrics)
