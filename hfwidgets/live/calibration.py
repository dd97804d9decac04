"""Calibrate the live counter on recorded sessions: missed high-fives against false counts.

Per-window accuracy does not say how often the counter misses a high-five or counts one that
never happened. Calibration answers that on continuous sessions with known event times: the
network classifies each session once (`hfwidgets.live.classify_recording` gives every hop's
probability), then the counting settings are swept over those probabilities without running
the network again:

- ``threshold``: probability of the positive class that counts,
- ``consecutive``: hops in a row at or above it needed to count,
- ``min_gap_s``: least time between two counts.

For each setting the sweep reports event recall, precision and false counts per hour of time
without an event, counted by the same `EventCounter` the live classifier uses. The operating
point is, by default, the setting with the fewest false counts per hour among those that reach
the target recall (ties: the higher threshold, then fewer hops, then the shorter gap). It is
stored with the run (``metrics["operating_point"]``) and used by `LiveClassifier`, the
LiveCounter widget and ``hfw predict`` unless told otherwise.

The parts live in their own modules, imported from there: `calibration_sessions` (what to
calibrate on), `hop_stream` (one session's hop probabilities), `sweep` (settings tried and
chosen), `operating_point` (the result, stored with the run). This module joins them:
`hop_streams`, `calibrate`, `calibrate_run`, and `calibrate_on_sessions` (choose the sessions
too: what ``hfw calibrate`` and the LiveCounter's Calibrate button do).

Pure: no threads, widgets or torch here.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from hfwidgets.live.calibration_sessions import (
    CalibrationSession,
    sessions_for,
)
from hfwidgets.live.hop_stream import HopStream
from hfwidgets.live.model import Predictor, resolve_window_s
from hfwidgets.live.offline import classify_recording
from hfwidgets.live.operating_point import (
    DEFAULT_TARGET_RECALL,
    OperatingPoint,
    store_operating_point,
)
from hfwidgets.live.sweep import (
    DEFAULT_CONSECUTIVE,
    DEFAULT_MIN_GAPS_S,
    DEFAULT_THRESHOLDS,
    SweepRow,
    choose_operating_point,
    pareto_front,
    sweep,
)
from hfwidgets.store.project import Project

__all__ = [
    "Calibration",
    "calibrate",
    "calibrate_on_sessions",
    "calibrate_run",
    "hop_streams",
]


@dataclass(frozen=True)
class Calibration:
    """A sweep over counting settings and the operating point chosen from it."""

    rows: tuple[SweepRow, ...]
    chosen: OperatingPoint
    front: tuple[SweepRow, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        """The chosen point, the Pareto front and the sweep size, for JSON."""
        return {
            "operating_point": self.chosen.to_dict(),
            "front": [r.to_dict() for r in self.front],
            "settings_tried": len(self.rows),
        }


def calibrate(
    streams: Sequence[HopStream],
    *,
    hop_s: float,
    target_recall: float = DEFAULT_TARGET_RECALL,
    thresholds: Iterable[float] = DEFAULT_THRESHOLDS,
    consecutive: Iterable[int] = DEFAULT_CONSECUTIVE,
    min_gaps_s: Iterable[float] = DEFAULT_MIN_GAPS_S,
    source: str = "",
    now: float | None = None,
) -> Calibration:
    """Sweep the settings over ``streams`` and choose the operating point.

    Parameters
    ----------
    streams : sequence of HopStream
        One per session, e.g. ``HopStream.from_recording(classify_recording(...), events)``.
    hop_s : float
        The hop the streams were classified at (stored with the point).
    target_recall : float
        Recall the chosen point must reach (if any setting does).
    thresholds, consecutive, min_gaps_s
        The values to try.
    source : str
        What the sessions were, stored with the point.
    now : float, optional
        Time stamp to store (default: now).
    """
    rows = sweep(streams, thresholds=thresholds, consecutive=consecutive, min_gaps_s=min_gaps_s)
    best, meets = choose_operating_point(rows, target_recall=target_recall)
    point = OperatingPoint(
        threshold=best.threshold,
        consecutive=best.consecutive,
        min_gap_s=best.min_gap_s,
        hop_s=float(hop_s),
        recall=best.recall,
        precision=best.precision,
        false_per_hour=best.false_per_hour,
        target_recall=float(target_recall),
        meets_target=meets,
        events=best.events,
        sessions=len(streams),
        other_s=best.other_s,
        source=source,
        calibrated_at=time.time() if now is None else float(now),
    )
    return Calibration(rows=tuple(rows), chosen=point, front=tuple(pareto_front(rows)))


def hop_streams(
    sessions: Sequence[CalibrationSession],
    predictor: Predictor,
    *,
    hop_s: float = 0.2,
    window_s: float | None = None,
    positive: str = "high-five",
) -> list[HopStream]:
    """Classify each session once (`classify_recording`) and keep its hop probabilities."""
    win_s = resolve_window_s(predictor, window_s)
    streams = []
    for session in sessions:
        result = classify_recording(
            session.t,
            session.xyz,
            predictor,
            rate_hz=session.rate_hz,
            hop_s=hop_s,
            window_s=win_s,
            positive=positive,
        )
        streams.append(
            HopStream.from_recording(
                result, session.event_times, window_s=win_s, positive=positive, name=session.name
            )
        )
    return streams


def calibrate_run(
    project: Project,
    run_id: int,
    predictor: Predictor,
    sessions: Sequence[CalibrationSession],
    *,
    hop_s: float = 0.2,
    window_s: float | None = None,
    positive: str = "high-five",
    target_recall: float = DEFAULT_TARGET_RECALL,
    source: str = "",
    store: bool = True,
) -> Calibration:
    """Classify ``sessions`` once with run ``run_id``'s predictor, sweep, choose, and store.

    The chosen point is kept in the run's metrics (other metrics unchanged) unless ``store``
    is false; the predictor's ``operating_point`` is set to it, so counters made afterwards
    with this predictor use it.
    """
    if not sessions:
        raise ValueError(f"run {run_id}: no sessions to calibrate on")
    streams = hop_streams(sessions, predictor, hop_s=hop_s, window_s=window_s, positive=positive)
    if not sum(s.scored_events for s in streams):
        raise ValueError(
            f"run {run_id}: the sessions hold no {positive!r} event to measure recall on; "
            "label the high-fives in them or calibrate on simulated sessions"
        )
    result = calibrate(streams, hop_s=hop_s, target_recall=target_recall, source=source)
    if store:
        store_operating_point(project, run_id, result.chosen)
    # A predictor that takes no attributes (slots) keeps none: pass the point explicitly then.
    with contextlib.suppress(AttributeError):
        predictor.operating_point = result.chosen  # type: ignore[attr-defined]
    return result


def calibrate_on_sessions(
    project: Project,
    run_id: int,
    predictor: Predictor,
    *,
    session_ids: Iterable[int] | None = None,
    simulate: int | None = None,
    seconds: float = 150.0,
    hop_s: float = 0.2,
    positive: str = "high-five",
    target_recall: float = DEFAULT_TARGET_RECALL,
    classify_with: Predictor | None = None,
    on_sessions: Callable[[str], object] | None = None,
) -> Calibration:
    """Choose the sessions (`sessions_for`), calibrate run ``run_id`` on them and store the point.

    Parameters
    ----------
    project : hfwidgets.store.Project
        Holds the run (the point is stored with it) and the recorded sessions.
    predictor : Predictor
        The run's predictor; its ``rate_hz`` is the simulated sessions' rate and its
        ``operating_point`` is set to the chosen point.
    session_ids, simulate, seconds
        As for `sessions_for`: stored sessions, a number of simulated ones, or (neither) the
        stored sessions with labelled windows, else two simulated ones of ``seconds``.
    classify_with : Predictor, optional
        What classifies the sessions, e.g. the same network in ONNX Runtime
        (`hfwidgets.live.runtime.live_predictor`); default ``predictor``.
    on_sessions : callable, optional
        Called with the few words saying what the sessions are, before classifying them.

    Returns
    -------
    Calibration
        ``chosen.source`` says what the sessions were.
    """
    sessions, source = sessions_for(
        project,
        session_ids=session_ids,
        simulate=simulate,
        rate_hz=float(predictor.rate_hz),
        positive=positive,
        seconds=seconds,
    )
    if on_sessions is not None:
        on_sessions(source)
    result = calibrate_run(
        project,
        run_id,
        predictor if classify_with is None else classify_with,
        sessions,
        hop_s=hop_s,
        positive=positive,
        target_recall=target_recall,
        source=source,
    )
    with contextlib.suppress(AttributeError):  # as calibrate_run does for the one it used
        predictor.operating_point = result.chosen  # type: ignore[attr-defined]
    return result
