"""A run's view of a stored session: its class probability per hop, the counts it would make,
and the mistakes the marks reveal (candidate false counts and misses), most confident first.

The probability and counts come from `hfwidgets.live.classify_recording`, the same hop grid,
window cutting, resampling and counter as the live counter, at the run's operating point (its
calibration, else the live defaults). A count matches an event mark when the event lies inside
the window that fired it (as `hfwidgets.live.scoring.score_counts` matches), give or take
`MARK_SLACK_S` for a click placed by eye on a zoomed-out timeline; a count matching none is a
candidate false count, an event mark of the counted class matched by none a miss. Labelling a
candidate stores a mark over the window the counter saw (a false count: ``other``; a miss: the
counted class, at the hop that came closest to counting it), so the next run learns from it.
Pure: the predictor is passed in.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from hfwidgets.live.model import Predictor, resolve_window_s
from hfwidgets.live.offline import classify_recording
from hfwidgets.live.operating_point import counting_settings, operating_point_for, settings_text
from hfwidgets.live.scoring import score_events, scored_span
from hfwidgets.store.project import Project

__all__ = [
    "FALSE_COUNT_NOTE",
    "MARK_SLACK_S",
    "MISS_NOTE",
    "Candidate",
    "ModelTrace",
    "find_candidates",
    "label_candidate",
    "model_trace",
]

FALSE_COUNT_NOTE = "false count"
#: How far (s) a person's event mark may sit outside the window that counted it and still match.
MARK_SLACK_S = 0.5
MISS_NOTE = "miss"
CandidateKind = Literal["false count", "miss"]


@dataclass(frozen=True, eq=False)
class ModelTrace:
    """One run over one session: hop times (window ends, s), the counted class's probability
    per hop, the counts, and the settings they were counted with."""

    t: NDArray[np.float64]
    prob: NDArray[np.float64]
    counts: tuple[float, ...]
    positive: str
    threshold: float
    window_s: float
    hop_s: float
    settings: str
    run_id: int | None = None
    session_start_s: float = 0.0


@dataclass(frozen=True)
class Candidate:
    """A mistake the marks reveal: a count on no mark, or a mark of the counted class with no
    count. ``start``/``end`` is the window the counter saw (what labelling it stores),
    ``confidence`` how sure the run was of its mistake (the count's probability; for a miss,
    one minus the highest probability near the mark)."""

    kind: CandidateKind
    t: float
    confidence: float
    label: str
    start: float
    end: float
    window_s: float

    def describe(self) -> str:
        """``false count at 12.4 s (p 0.97) -> other``."""
        return f"{self.kind} at {self.t:.1f} s ({self.confidence:.2f} sure) -> {self.label}"


def model_trace(
    t: NDArray[np.float64],
    xyz: NDArray[np.float32],
    predictor: Predictor,
    *,
    rate_hz: float,
    hop_s: float = 0.2,
    positive: str = "high-five",
    run_id: int | None = None,
) -> ModelTrace:
    """Classify a session as the live counter would, at the run's operating point."""
    point = operating_point_for(predictor)
    settings = counting_settings(point)
    hop = float(point.hop_s) if point is not None else hop_s
    window_s = resolve_window_s(predictor, None)
    result = classify_recording(
        t, xyz, predictor, rate_hz=rate_hz, hop_s=hop, window_s=window_s, positive=positive,
        **settings,
    )  # fmt: skip
    return ModelTrace(
        t=np.array([p.t for p in result.predictions], dtype=np.float64),
        prob=np.array([p.probs[positive] for p in result.predictions], dtype=np.float64),
        counts=tuple(result.event_times),
        positive=positive,
        threshold=float(settings["threshold"]),
        window_s=window_s,
        hop_s=hop,
        settings=settings_text(**settings),
        run_id=run_id,
        session_start_s=float(t[0]) if len(t) else 0.0,
    )


def _covered(t: float, marks: Sequence[Any], *, note: str) -> bool:
    return any(m.note == note and m.start - 1e-6 <= t <= m.end + 1e-6 for m in marks)


def find_candidates(
    trace: ModelTrace, marks: Sequence[Any], *, other: str = "other"
) -> list[Candidate]:
    """Candidate false counts and misses of ``trace`` against a session's ``marks``
    (`hfwidgets.store.marks.Mark`), most confident mistake first; ones already labelled from
    the timeline (a mark with the candidate's note over it) are left out."""
    if trace.t.size == 0:
        return []
    events = [m.at for m in marks if m.kind == "event" and m.label == trace.positive]
    within = scored_span(float(trace.t[0]), float(trace.t[-1]), window_s=trace.window_s)
    half = trace.window_s / 2
    score = score_events(
        trace.counts, events, tolerance_s=half + MARK_SLACK_S, offset_s=half, within=within
    )
    out = []
    for t in score.false_positives:
        if _covered(t - trace.window_s / 2, marks, note=FALSE_COUNT_NOTE):
            continue
        hop = int(np.argmin(np.abs(trace.t - t)))
        out.append(
            Candidate(
                kind="false count", t=t, confidence=float(trace.prob[hop]), label=other,
                start=max(t - trace.window_s, trace.session_start_s), end=t,
                window_s=trace.window_s,
            )
        )  # fmt: skip
    for t in score.missed:
        if _covered(t, marks, note=MISS_NOTE):
            continue
        # The hops whose windows hold the event: the one most sure of it saw it best.
        near = np.flatnonzero(np.abs(trace.t - trace.window_s / 2 - t) <= trace.window_s / 2)
        if near.size == 0:
            continue
        best = int(near[np.argmax(trace.prob[near])])
        end = float(trace.t[best])
        out.append(
            Candidate(
                kind="miss", t=t, confidence=1.0 - float(trace.prob[best]),
                label=trace.positive, start=max(end - trace.window_s, trace.session_start_s),
                end=end, window_s=trace.window_s,
            )
        )  # fmt: skip
    return sorted(out, key=lambda c: (-c.confidence, c.t))


def label_candidate(project: Project, session_id: int, candidate: Candidate) -> Any:
    """Store the window the counter saw as a mark labelled as the candidate says (one
    transaction; `hfwidgets.store.project.marks.add`), and return the mark."""
    return project.marks.add(
        session_id,
        start=candidate.start,
        end=candidate.end,
        label=candidate.label,
        note=FALSE_COUNT_NOTE if candidate.kind == "false count" else MISS_NOTE,
        window_s=candidate.window_s,
    )
