"""Where the windows of a mark lie on its session: pure arithmetic on sample times.

An event mark (a time) gets one window centred on it, so the middle of the window is the
event (what calibration reads back as the event time). A region mark (start to end) is tiled
with as many whole windows as fit, centred in the region; a region shorter than a window gets
one window centred on it. A window that would run past either end of the session is moved
inside it, so every window has the full length.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "DEFAULT_WINDOW_S",
    "MarkKind",
    "WindowSpan",
    "check_mark_times",
    "mark_spans",
    "window_sample_count",
]

MarkKind = Literal["event", "region"]
#: The window length a project without labelled windows cuts (the segmenter's default).
DEFAULT_WINDOW_S = 1.5


@dataclass(frozen=True)
class WindowSpan:
    """One window of a mark: its first sample's index and the sample count."""

    start_index: int
    n: int


def window_sample_count(window_s: float, rate_hz: float) -> int:
    """Samples in a window of ``window_s`` seconds at ``rate_hz`` (at least 2)."""
    return max(2, round(window_s * rate_hz))


def check_mark_times(
    t: NDArray[np.float64],
    *,
    kind: MarkKind,
    start: float,
    end: float,
    session: str,
) -> None:
    """``ValueError`` naming the mark and the session's span unless the mark lies inside it."""
    if kind not in ("event", "region"):
        raise ValueError(f"mark kind must be 'event' or 'region', got {kind!r}")
    if not (math.isfinite(start) and math.isfinite(end)):
        raise ValueError(f"mark times must be finite numbers of seconds, got {start!r}, {end!r}")
    if t.size == 0:
        raise ValueError(f"{session} has no samples yet; nothing to mark")
    first, last = float(t[0]), float(t[-1])
    if kind == "region" and not end > start:
        raise ValueError(
            f"a region must end after it starts: {start:.3f} s to {end:.3f} s on {session}"
        )
    if start < first or end > last:
        what = f"{start:.3f} s" if kind == "event" else f"{start:.3f} s to {end:.3f} s"
        raise ValueError(
            f"mark at {what} lies outside {session}, which runs from {first:.3f} s to "
            f"{last:.3f} s; place it inside (times are seconds on the session's clock)"
        )


def _span_at(t: NDArray[np.float64], t0: float, n: int) -> WindowSpan:
    """The ``n`` samples from the first one at or after ``t0``, moved inside the session."""
    start = int(np.searchsorted(t, t0 - 1e-9, side="left"))
    start = min(max(start, 0), t.size - n)
    return WindowSpan(start_index=start, n=n)


def mark_spans(
    t: NDArray[np.float64],
    *,
    kind: MarkKind,
    start: float,
    end: float,
    window_s: float,
    rate_hz: float,
) -> list[WindowSpan]:
    """The windows of one mark on a session with sample times ``t``.

    Raises
    ------
    ValueError
        When the session is shorter than one window (nothing can be cut).
    """
    n = window_sample_count(window_s, rate_hz)
    if t.size < n:
        raise ValueError(
            f"the session has {t.size} samples, fewer than one {window_s:g} s window ({n}); "
            "record longer or mark another session"
        )
    length = n / rate_hz
    if kind == "event":
        return [_span_at(t, start - length / 2, n)]
    count = max(1, int((end - start + 1e-9) // length))
    first = (start + end) / 2 - count * length / 2
    return [_span_at(t, first + k * length, n) for k in range(count)]
