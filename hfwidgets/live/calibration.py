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

Pure: no threads, widgets or torch here.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from hfwidgets.live.counter import EventCounter
from hfwidgets.live.model import Predictor, resolve_window_s
from hfwidgets.live.offline import RecordingResult, classify_recording
from hfwidgets.live.scoring import score_events

__all__ = [
    "DEFAULT_CONSECUTIVE",
    "DEFAULT_MIN_GAPS_S",
    "DEFAULT_TARGET_RECALL",
    "DEFAULT_THRESHOLDS",
    "METRICS_KEY",
    "Calibration",
    "CalibrationSession",
    "HopStream",
    "OperatingPoint",
    "SweepRow",
    "calibrate",
    "calibrate_run",
    "choose_operating_point",
    "count_stream",
    "hop_streams",
    "labelled_event_times",
    "operating_point_for",
    "operating_point_of",
    "pareto_front",
    "project_sessions",
    "sessions_for",
    "simulated_sessions",
    "store_operating_point",
    "stored_operating_point",
    "sweep",
]

#: Key of the operating point in a run's metrics.
METRICS_KEY = "operating_point"
DEFAULT_TARGET_RECALL = 0.95
DEFAULT_THRESHOLDS: tuple[float, ...] = (
    0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.93, 0.95, 0.97, 0.98, 0.99, 0.995,
)  # fmt: skip
DEFAULT_CONSECUTIVE: tuple[int, ...] = (1, 2, 3)
DEFAULT_MIN_GAPS_S: tuple[float, ...] = (0.6, 1.0, 1.5, 2.0)


def _json_ready(values: dict[str, Any]) -> dict[str, Any]:
    """NaN (not measured) as None: strict JSON has no NaN."""
    return {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in values.items()}


@dataclass(frozen=True, eq=False)
class HopStream:
    """Every hop's positive-class probability over one session, and its true event times.

    Attributes
    ----------
    t : ndarray
        Hop times (seconds): the time of each window's last sample, increasing.
    prob : ndarray
        Probability of the counted class at each hop.
    event_times : tuple of float
        When the real events happened (their peak, or the middle of their labelled window).
    window_s : float
        Window length: a count matches an event whose time lies inside the window that fired
        it, ``[count - window_s, count]``.
    name : str
        Where the session came from (for reports).
    """

    t: NDArray[np.float64]
    prob: NDArray[np.float64]
    event_times: tuple[float, ...]
    window_s: float
    name: str = ""

    def __post_init__(self) -> None:
        t = np.asarray(self.t, dtype=float).reshape(-1)
        p = np.asarray(self.prob, dtype=float).reshape(-1)
        if t.shape != p.shape:
            raise ValueError(f"hop times {t.shape} and probabilities {p.shape} differ in length")
        if t.size and np.any(np.diff(t) <= 0):
            raise ValueError("hop times must increase")
        if not self.window_s > 0:
            raise ValueError(f"window_s={self.window_s!r} must be > 0 seconds")
        object.__setattr__(self, "t", t)
        object.__setattr__(self, "prob", p)
        object.__setattr__(self, "event_times", tuple(sorted(float(e) for e in self.event_times)))

    @classmethod
    def from_recording(
        cls,
        result: RecordingResult,
        event_times: Iterable[float],
        *,
        window_s: float,
        positive: str = "high-five",
        name: str = "",
    ) -> HopStream:
        """From `classify_recording`'s result and the session's true event times."""
        preds = result.predictions
        return cls(
            t=np.array([p.t for p in preds], dtype=float),
            prob=np.array([p.probs.get(positive, 0.0) for p in preds], dtype=float),
            event_times=tuple(event_times),
            window_s=float(window_s),
            name=name,
        )

    @property
    def span(self) -> tuple[float, float]:
        """Stretch of true time that is scored.

        Events within a quarter window of the classified stretch's edges were only partly seen
        and are scored neither way (as ``hfw predict --simulate`` does).
        """
        if not self.t.size:
            return (0.0, 0.0)
        half, quarter = self.window_s / 2, self.window_s / 4
        return (float(self.t[0]) - half + quarter, float(self.t[-1]) - half - quarter)

    @property
    def scored_events(self) -> int:
        """True events inside `span`."""
        lo, hi = self.span
        return sum(lo <= e <= hi for e in self.event_times)

    @property
    def other_s(self) -> float:
        """Seconds of `span` without an event: the time false counts are measured against.

        Each event occupies one window length around it (where a count would match it).
        """
        lo, hi = self.span
        if hi <= lo:
            return 0.0
        half = self.window_s / 2
        busy, end = 0.0, lo
        for e in self.event_times:  # sorted: merge overlapping event stretches
            a, b = max(e - half, end), min(e + half, hi)
            if b > a:
                busy += b - a
                end = b
        return max(hi - lo - busy, 0.0)


@dataclass(frozen=True)
class SweepRow:
    """One counting setting and how it did over all calibration sessions."""

    threshold: float
    consecutive: int
    min_gap_s: float
    recall: float
    precision: float
    false_per_hour: float
    matched: int
    missed: int
    false_counts: int
    events: int
    other_s: float

    def to_dict(self) -> dict[str, Any]:
        """Plain numbers, for JSON (NaN becomes None)."""
        return _json_ready(asdict(self))


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
        return _json_ready(asdict(self))

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
        hops = "1 hop" if self.consecutive == 1 else f"{self.consecutive} hops in a row"
        text = f"threshold {self.threshold:.3g}, {hops}, gap {self.min_gap_s:g} s"
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


def count_stream(
    stream: HopStream, *, threshold: float, consecutive: int = 1, min_gap_s: float = 1.0
) -> list[float]:
    """Times of the counts the live counter would make on ``stream`` with these settings.

    Debounces on hop time, as `LiveClassifier` does on stream time.
    """
    counter = EventCounter(threshold=threshold, min_gap_s=min_gap_s, consecutive=consecutive)
    update = counter.update
    return [float(t) for t, p in zip(stream.t, stream.prob, strict=True) if update(t, p)]


def _score(streams: Sequence[HopStream], counts: Sequence[list[float]]) -> tuple[int, ...]:
    matched = missed = false = 0
    for stream, times in zip(streams, counts, strict=True):
        half = stream.window_s / 2
        score = score_events(
            times, stream.event_times, tolerance_s=half, offset_s=half, within=stream.span
        )
        matched += len(score.matches)
        missed += len(score.missed)
        false += len(score.false_positives)
    return matched, missed, false


def sweep(
    streams: Sequence[HopStream],
    *,
    thresholds: Iterable[float] = DEFAULT_THRESHOLDS,
    consecutive: Iterable[int] = DEFAULT_CONSECUTIVE,
    min_gaps_s: Iterable[float] = DEFAULT_MIN_GAPS_S,
) -> list[SweepRow]:
    """Score every combination of settings over all ``streams`` (pooled counts).

    Recall and precision pool matches over the sessions; false counts per hour divide all false
    counts by all time without an event (`HopStream.other_s`).
    """
    if not streams:
        raise ValueError("calibration needs at least one session")
    thresholds, hops, gaps = list(thresholds), list(consecutive), list(min_gaps_s)
    if not (thresholds and hops and gaps):
        raise ValueError("thresholds, consecutive and min_gaps_s must each give one value")
    events = sum(s.scored_events for s in streams)
    other_s = sum(s.other_s for s in streams)
    rows: list[SweepRow] = []
    for threshold in thresholds:
        for k in hops:
            for gap in gaps:
                counts = [
                    count_stream(s, threshold=threshold, consecutive=k, min_gap_s=gap)
                    for s in streams
                ]
                matched, missed, false = _score(streams, counts)
                n_pred = matched + false
                rows.append(
                    SweepRow(
                        threshold=float(threshold),
                        consecutive=int(k),
                        min_gap_s=float(gap),
                        recall=matched / events if events else (0.0 if n_pred else 1.0),
                        precision=matched / n_pred if n_pred else (0.0 if events else 1.0),
                        false_per_hour=false * 3600.0 / other_s if other_s > 0 else math.nan,
                        matched=matched,
                        missed=missed,
                        false_counts=false,
                        events=events,
                        other_s=other_s,
                    )
                )
    return rows


def _preference(row: SweepRow) -> tuple[float, float, int, float]:
    """Sort key among rows of equal standing: fewest false counts, higher threshold, ..."""
    fph = row.false_per_hour if not math.isnan(row.false_per_hour) else float(row.false_counts)
    return (fph, -row.threshold, row.consecutive, row.min_gap_s)


def pareto_front(rows: Iterable[SweepRow]) -> list[SweepRow]:
    """Settings no other setting beats on both recall and false counts, by recall (highest first).

    Of settings with the same recall and false counts only the preferred one (higher threshold,
    fewer hops, shorter gap) is kept.
    """
    best: dict[tuple[float, int], SweepRow] = {}
    for row in rows:
        key = (round(row.recall, 12), row.false_counts)
        if key not in best or _preference(row) < _preference(best[key]):
            best[key] = row
    front: list[SweepRow] = []
    for row in sorted(best.values(), key=lambda r: (-r.recall, _preference(r))):
        if not front or row.false_counts < front[-1].false_counts:
            front.append(row)
    return front


def choose_operating_point(
    rows: Sequence[SweepRow], *, target_recall: float = DEFAULT_TARGET_RECALL
) -> tuple[SweepRow, bool]:
    """The setting to use and whether it reaches ``target_recall``.

    Among settings with recall >= ``target_recall``: the fewest false counts per hour, then
    the higher threshold, fewer hops, shorter gap. When none reaches it: the highest recall,
    then the same order.
    """
    if not rows:
        raise ValueError("nothing to choose from: the sweep is empty")
    if not 0.0 < target_recall <= 1.0:
        raise ValueError(f"target_recall={target_recall!r} must be in (0, 1], e.g. 0.95")
    ok = [r for r in rows if r.recall >= target_recall - 1e-12]
    if ok:
        return min(ok, key=_preference), True
    return min(rows, key=lambda r: (-r.recall, *_preference(r))), False


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


# --- stored with the run -------------------------------------------------------------------


class _Run(Protocol):
    @property
    def metrics(self) -> dict[str, Any]: ...


class RunStore(Protocol):
    """The part of `hfwidgets.store.Project` used to keep the point with a run."""

    def run(self, run_id: int) -> _Run: ...

    def update_run(
        self, run_id: int, *, status: str | None = ..., metrics: Mapping[str, Any] | None = ...
    ) -> None: ...


def operating_point_of(
    metrics: Mapping[str, Any], *, run_id: int | None = None
) -> OperatingPoint | None:
    """The operating point in a run's metrics, or None when it was never calibrated."""
    data = metrics.get(METRICS_KEY) if isinstance(metrics, Mapping) else None
    if data is None:
        return None
    where = f"run {run_id}'s operating point" if run_id is not None else "operating point"
    return OperatingPoint.from_dict(data, where=where)


def operating_point_for(
    predictor: Any, explicit: OperatingPoint | Mapping[str, Any] | None = None
) -> OperatingPoint | None:
    """The point to count with: ``explicit`` if given, else ``predictor.operating_point``.

    ``hfwidgets.training.load_predictor`` sets ``operating_point`` from the run's metrics; a
    predictor without one (a fake, an uncalibrated run) gives None.
    """
    value = explicit if explicit is not None else getattr(predictor, "operating_point", None)
    if value is None or isinstance(value, OperatingPoint):
        return value
    if isinstance(value, Mapping):
        return OperatingPoint.from_dict(value)
    raise TypeError(f"operating_point must be an OperatingPoint or a mapping, got {value!r}")


def stored_operating_point(project: RunStore, run_id: int) -> OperatingPoint | None:
    """Run ``run_id``'s stored operating point, or None when it was never calibrated."""
    return operating_point_of(project.run(run_id).metrics, run_id=run_id)


def store_operating_point(project: RunStore, run_id: int, point: OperatingPoint) -> None:
    """Keep ``point`` in run ``run_id``'s metrics; every other metric stays as it was."""
    metrics = dict(project.run(run_id).metrics)
    metrics[METRICS_KEY] = point.to_dict()
    project.update_run(run_id, metrics=metrics)


def labelled_event_times(
    windows: Iterable[Any], *, session_id: int, positive: str = "high-five"
) -> list[float]:
    """Event times of a stored session: the middle of each of its windows labelled ``positive``.

    ``windows`` are `hfwidgets.store.WindowRecord` (``session_id``, ``t0``, ``data``,
    ``rate_hz``, ``label``); ones without ``t0`` cannot be placed and are left out.
    """
    times = []
    for record in windows:
        if record.session_id != session_id or record.label != positive or record.t0 is None:
            continue
        times.append(float(record.t0) + record.data.shape[0] / float(record.rate_hz) / 2)
    return sorted(times)


# --- sessions to calibrate on ----------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class CalibrationSession:
    """A continuous recording with known event times, before classification."""

    t: NDArray[np.float64]
    xyz: NDArray[np.float32]
    rate_hz: float
    event_times: tuple[float, ...]
    name: str = ""


def simulated_sessions(
    count: int,
    *,
    seconds: float = 150.0,
    rate_hz: float = 50.0,
    seed: int = 1000,
    positive: str = "high-five",
) -> list[CalibrationSession]:
    """``count`` sessions of the simulated arm: high-fives between other motions and rest.

    Each session performs high-fives and the other motions (swing, wave, raise, walk) in
    alternation with 1-2 s of rest between, so about a third of its time holds a high-five;
    ``seed`` + i seeds session i.
    """
    from hfwidgets.sensors.motions import OTHER_KINDS, simulate_session

    if count < 1:
        raise ValueError(f"count={count!r}: simulate at least one session")
    others = [k for k in OTHER_KINDS if k not in ("rest", positive)]
    n_pairs = int(seconds / 4) + 1  # more than fit: the session is cut at `seconds`
    script = [kind for i in range(n_pairs) for kind in ("high-five", others[i % len(others)])]
    sessions = []
    for i in range(count):
        t, xyz, events = simulate_session(seconds, rate_hz=rate_hz, seed=seed + i, script=script)
        sessions.append(
            CalibrationSession(
                t=t,
                xyz=xyz,
                rate_hz=rate_hz,
                event_times=tuple(e.t for e in events if e.kind == positive),
                name=f"simulated seed {seed + i}",
            )
        )
    return sessions


class _SessionStore(Protocol):
    def session_ids(self) -> list[int]: ...

    def session(self, session_id: int) -> Any: ...

    def windows(self) -> Iterable[Any]: ...


def project_sessions(
    project: _SessionStore, ids: Iterable[int] | None = None, *, positive: str = "high-five"
) -> list[CalibrationSession]:
    """A project's stored sessions, with the labelled ``positive`` windows as their events.

    Without ``ids``: every stored session that holds at least one labelled window (a session
    nobody labelled says nothing about what happened in it). Unlabelled motions inside a
    session count as "no event": label the session's windows before calibrating on it.
    """
    windows = list(project.windows())
    wanted = list(ids) if ids is not None else project.session_ids()
    labelled = {w.session_id for w in windows if w.label is not None and w.t0 is not None}
    out = []
    for sid in wanted:
        if ids is None and sid not in labelled:
            continue
        record = project.session(sid)  # ValueError naming the session when it does not exist
        out.append(
            CalibrationSession(
                t=np.asarray(record.t, dtype=float),
                xyz=np.asarray(record.xyz, dtype=np.float32),
                rate_hz=float(record.rate_hz),
                event_times=tuple(labelled_event_times(windows, session_id=sid, positive=positive)),
                name=f"session {sid}",
            )
        )
    return out


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


def sessions_for(
    project: _SessionStore,
    *,
    session_ids: Iterable[int] | None = None,
    simulate: int | None = None,
    rate_hz: float = 50.0,
    positive: str = "high-five",
    seconds: float = 150.0,
) -> tuple[list[CalibrationSession], str]:
    """The sessions to calibrate on, and a few words saying what they are.

    ``session_ids``: those stored sessions; ``simulate``: that many simulated ones; neither:
    the project's stored sessions with labelled windows when it has some, else two simulated.
    """
    if session_ids is not None and simulate is not None:
        raise ValueError("give session ids or a number of simulated sessions, not both")
    if simulate is None:
        stored = project_sessions(project, session_ids, positive=positive)
        if stored:
            events = sum(len(s.event_times) for s in stored)
            names = ", ".join(str(s.name).removeprefix("session ") for s in stored)
            return (
                stored,
                f"recorded session{'s' if len(stored) > 1 else ''} {names} ({events} events)",
            )
        if session_ids is not None:
            raise ValueError("no stored sessions to calibrate on")
        simulate = 2
    sims = simulated_sessions(simulate, seconds=seconds, rate_hz=rate_hz, positive=positive)
    return sims, f"{simulate} simulated session{'s' if simulate > 1 else ''}"


def calibrate_run(
    project: RunStore,
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
