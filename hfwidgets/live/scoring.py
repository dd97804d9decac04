"""Per-event scoring: how many counted events match a real motion, and how many were missed.

Per-window accuracy says little about a counter: one high-five spans several hops, and the user
notices double counts and misses, not hop labels. `score_events` matches counted event times to
true event times one-to-one within a tolerance and reports precision, recall and F1 of events.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment

__all__ = ["EventScore", "score_counts", "score_events", "scored_span"]


@dataclass(frozen=True)
class EventScore:
    """Result of `score_events`.

    Attributes
    ----------
    precision : float
        Matched counted events / counted events (1.0 when nothing was counted and nothing
        happened, 0.0 when nothing was counted but something happened).
    recall : float
        Matched true events / true events (1.0 when there were no true events and nothing was
        counted, 0.0 when events were counted on a stream without any).
    f1 : float
        Harmonic mean of precision and recall (0.0 when both are 0).
    matches : tuple of (float, float)
        ``(predicted_t, true_t)`` pairs, sorted by true time.
    false_positives : tuple of float
        Counted times that match no true event (double counts, spurious counts).
    missed : tuple of float
        True event times that no counted event matched.
    """

    precision: float
    recall: float
    f1: float
    matches: tuple[tuple[float, float], ...]
    false_positives: tuple[float, ...]
    missed: tuple[float, ...]

    def to_dict(self) -> dict[str, float | int]:
        """Summary numbers for JSON output (counts rather than the full lists)."""
        return {
            "precision": self.precision,
            "recall": self.recall,
            "f1": self.f1,
            "matched": len(self.matches),
            "false_positives": len(self.false_positives),
            "missed": len(self.missed),
        }


def score_events(
    predicted_times: Iterable[float],
    true_times: Iterable[float],
    *,
    tolerance_s: float,
    offset_s: float = 0.0,
    within: tuple[float, float] | None = None,
) -> EventScore:
    """Match counted events to true events one-to-one and score them.

    A counted event at ``p`` may match a true event at ``t`` when
    ``|p - offset_s - t| <= tolerance_s``. Among all one-to-one matchings the one with the most
    pairs is chosen, and among those the one with the smallest total time error (an assignment
    problem, solved with `scipy.optimize.linear_sum_assignment`), so the result does not depend
    on the order of the inputs.

    Parameters
    ----------
    predicted_times : iterable of float
        Times of counted events (seconds).
    true_times : iterable of float
        Times of the real events on the same clock.
    tolerance_s : float
        Largest allowed time difference of a match, in seconds (> 0).
    offset_s : float, optional
        Expected delay of a count after its event, subtracted from every predicted time first
        (a live counter fires when the window *ending* after the motion is confident).
    within : (float, float), optional
        Score only the stretch ``[start, end]`` of true time, so events cut off at the start or
        end of a stream are neither missed nor false. Matching is done on everything first; a
        pair is scored when its true event lies inside, an unmatched true event when it lies
        inside, an unmatched count when its offset-corrected time lies inside.

    Returns
    -------
    EventScore

    Examples
    --------
    >>> s = score_events([1.1, 1.3, 5.0], [1.0, 3.0], tolerance_s=0.5)
    >>> round(s.precision, 3), s.recall, s.missed
    (0.333, 0.5, (3.0,))
    """
    if not tolerance_s > 0:
        raise ValueError(f"tolerance_s={tolerance_s!r} must be > 0 seconds")
    pred = np.asarray(list(predicted_times), dtype=float).reshape(-1)
    true = np.asarray(list(true_times), dtype=float).reshape(-1)
    if not (np.all(np.isfinite(pred)) and np.all(np.isfinite(true))):
        raise ValueError("event times must be finite numbers (no NaN or inf)")
    pairs = _match(pred - offset_s, true, tolerance_s=tolerance_s)
    lo, hi = within if within is not None else (-np.inf, np.inf)
    # Decide inclusion after matching: a pair belongs to the scored stretch when its true event
    # does, even if the count fired just outside it (and vice versa for lone counts).
    pairs = [(r, c) for r, c in pairs if lo <= true[c] <= hi]
    matched_pred = {r for r, _ in pairs}
    matched_true = {c for _, c in pairs}
    lone_pred = [
        float(p) for i, p in enumerate(pred) if i not in matched_pred and lo <= p - offset_s <= hi
    ]
    lone_true = [float(t) for j, t in enumerate(true) if j not in matched_true and lo <= t <= hi]
    n_match = len(pairs)
    n_pred, n_true = n_match + len(lone_pred), n_match + len(lone_true)
    precision = n_match / n_pred if n_pred else (0.0 if n_true else 1.0)
    recall = n_match / n_true if n_true else (0.0 if n_pred else 1.0)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return EventScore(
        precision=float(precision),
        recall=float(recall),
        f1=float(f1),
        matches=tuple(
            sorted(((float(pred[r]), float(true[c])) for r, c in pairs), key=lambda m: m[1])
        ),
        false_positives=tuple(lone_pred),
        missed=tuple(lone_true),
    )


def scored_span(first_t: float, last_t: float, *, window_s: float) -> tuple[float, float]:
    """The stretch of true time a counter's hops from ``first_t`` to ``last_t`` can be scored on.

    A hop at ``t`` classifies the window ``[t - window_s, t]``, centred ``window_s / 2``
    earlier. Events within a quarter window of the classified stretch's edges were only partly
    seen and are scored neither way. The stretch is empty (``hi <= lo``) when it is too short.
    """
    half, quarter = window_s / 2, window_s / 4
    return (first_t - half + quarter, last_t - half - quarter)


def score_counts(
    counts: Iterable[float],
    true_times: Iterable[float],
    *,
    window_s: float,
    within: tuple[float, float] | None = None,
) -> EventScore:
    """Score a counter's counts: a count matches an event inside the window that fired it.

    The window ends at the count's time, so the count is compared ``window_s / 2`` earlier with
    a tolerance of half a window; ``within`` is usually `scored_span`'s stretch.
    """
    half = window_s / 2
    return score_events(counts, true_times, tolerance_s=half, offset_s=half, within=within)


def _match(pred: np.ndarray, true: np.ndarray, *, tolerance_s: float) -> list[tuple[int, int]]:
    """Most pairs ``(i, j)`` with ``|pred[i] - true[j]| <= tolerance_s``, then least error."""
    if not (pred.size and true.size):
        return []
    error = np.abs(pred[:, None] - true[None, :])
    allowed = error <= tolerance_s
    # A forbidden pair costs more than any full set of allowed pairs, so the solver first
    # maximises the number of allowed pairs, then minimises their total error.
    forbidden = tolerance_s * (min(pred.size, true.size) + 1) + 1.0
    rows, cols = linear_sum_assignment(np.where(allowed, error, forbidden))
    return [(int(r), int(c)) for r, c in zip(rows, cols, strict=True) if allowed[r, c]]
