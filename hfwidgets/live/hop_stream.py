"""`HopStream`: one session's per-hop probabilities and true event times, counted offline.

Calibration classifies each session once; every counting setting is then tried on the
`HopStream` with `count_stream`, which runs the same `EventCounter` the live classifier uses,
without the network.

Pure: no threads, widgets or torch here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from hfwidgets.live.counter import EventCounter
from hfwidgets.live.offline import RecordingResult
from hfwidgets.live.scoring import scored_span

__all__ = ["HopStream", "count_stream"]


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
        """Stretch of true time that is scored (`hfwidgets.live.scoring.scored_span`).

        Events within a quarter window of the classified stretch's edges were only partly seen
        and are scored neither way (as ``hfw predict --simulate`` does).
        """
        if not self.t.size:
            return (0.0, 0.0)
        return scored_span(float(self.t[0]), float(self.t[-1]), window_s=self.window_s)

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


def count_stream(
    stream: HopStream, *, threshold: float, consecutive: int = 1, min_gap_s: float = 1.0
) -> list[float]:
    """Times of the counts the live counter would make on ``stream`` with these settings.

    Debounces on hop time, as `LiveClassifier` does on stream time.
    """
    counter = EventCounter(threshold=threshold, min_gap_s=min_gap_s, consecutive=consecutive)
    update = counter.update
    return [float(t) for t, p in zip(stream.t, stream.prob, strict=True) if update(t, p)]
