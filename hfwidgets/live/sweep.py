"""Sweep the counting settings over hop streams, and choose the operating point among them.

For each combination of ``threshold``, ``consecutive`` (hops in a row) and ``min_gap_s``,
`sweep` counts every `HopStream` with `count_stream` and reports event recall, precision and
false counts per hour of time without an event. `choose_operating_point` takes the setting
with the fewest false counts per hour among those that reach the target recall (ties: the
higher threshold, then fewer hops, then the shorter gap); `pareto_front` is the trade-off
shown to people.

Pure: no threads, widgets or torch here.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from hfwidgets.live.hop_stream import HopStream, count_stream
from hfwidgets.live.operating_point import DEFAULT_TARGET_RECALL, nan_as_none
from hfwidgets.live.scoring import score_counts

__all__ = [
    "DEFAULT_CONSECUTIVE",
    "DEFAULT_MIN_GAPS_S",
    "DEFAULT_THRESHOLDS",
    "SweepRow",
    "choose_operating_point",
    "pareto_front",
    "sweep",
]

DEFAULT_THRESHOLDS: tuple[float, ...] = (
    0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.93, 0.95, 0.97, 0.98, 0.99, 0.995,
)  # fmt: skip
DEFAULT_CONSECUTIVE: tuple[int, ...] = (1, 2, 3)
DEFAULT_MIN_GAPS_S: tuple[float, ...] = (0.6, 1.0, 1.5, 2.0)


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
        return nan_as_none(asdict(self))


def _score(streams: Sequence[HopStream], counts: Sequence[list[float]]) -> tuple[int, ...]:
    matched = missed = false = 0
    for stream, times in zip(streams, counts, strict=True):
        score = score_counts(
            times, stream.event_times, window_s=stream.window_s, within=stream.span
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
