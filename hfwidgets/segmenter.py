"""Cut a stream of acceleration samples into fixed-length motion windows.

Two ways: :class:`TriggerSegmenter` for capture (a motion starts when the magnitude of the
acceleration departs from 1 g; the window keeps some samples from before the trigger, so the
wind-up of the motion is not lost) and :func:`sliding_windows` for live inference (a window every
hop, whatever happens).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["TriggerSegmenter", "Window", "sliding_windows"]


@dataclass(frozen=True)
class Window:
    """A fixed-length piece of a stream.

    Attributes
    ----------
    data : ndarray of float32, shape (n, 3)
        Acceleration in g.
    rate_hz : float
        Sample rate of ``data``.
    t0 : float
        Time of the first sample, on the stream's clock (s).
    start_index : int
        Position of the first sample in the stream (0 = first sample fed).
    trigger_index : int or None
        Stream position of the sample that triggered the window (None for sliding windows).
    """

    data: NDArray[np.float32] = field(repr=False)
    rate_hz: float
    t0: float
    start_index: int
    trigger_index: int | None = None

    @property
    def duration_s(self) -> float:
        """Length of the window in seconds."""
        return float(self.data.shape[0] / self.rate_hz)


def _samples(seconds: float, rate_hz: float, name: str, *, minimum: int = 0) -> int:
    if seconds < 0:
        raise ValueError(f"{name} must be >= 0 s, got {seconds!r}")
    n = round(seconds * rate_hz)
    if n < minimum:
        raise ValueError(
            f"{name}={seconds} s at {rate_hz} Hz gives {n} samples; need at least {minimum}"
        )
    return n


def _as_stream(t: ArrayLike, xyz: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float32]]:
    tt = np.asarray(t, dtype=np.float64).reshape(-1)
    xx = np.asarray(xyz, dtype=np.float32)
    if xx.ndim != 2 or xx.shape != (tt.shape[0], 3):
        raise ValueError(
            f"expected t of shape (n,) and xyz of shape (n, 3); got {tt.shape} and {xx.shape}"
        )
    return tt, xx


class TriggerSegmenter:
    """Windows around motions: trigger on ``| |a| - 1 g | >= threshold_g``.

    Parameters
    ----------
    rate_hz : float
        Sample rate of the stream.
    window_s : float
        Window length in seconds (``round(window_s * rate_hz)`` samples).
    threshold_g : float
        How far the acceleration magnitude must depart from 1 g (gravity) to trigger. Holding
        still or turning the wrist never triggers; a swing, a punch or a high-five does.
    pre_s : float
        Seconds kept before the trigger sample (the wind-up). Must be shorter than the window.
    refractory_s : float
        After a trigger, further triggers are ignored for this long, so one motion gives one
        window. Defaults to the part of the window after the trigger.

    Examples
    --------
    >>> seg = TriggerSegmenter(rate_hz=50, window_s=1.0, pre_s=0.2)
    >>> xyz = np.tile([-1.0, 0.0, 0.0], (200, 1)); xyz[100, 2] = 3.0
    >>> [w.start_index for w in seg.feed(np.arange(200) / 50, xyz)]
    [90]
    """

    def __init__(
        self,
        *,
        rate_hz: float,
        window_s: float = 1.5,
        threshold_g: float = 0.3,
        pre_s: float = 0.4,
        refractory_s: float | None = None,
    ) -> None:
        if not rate_hz > 0:
            raise ValueError(f"rate_hz must be > 0, got {rate_hz!r}")
        if not threshold_g > 0:
            raise ValueError(f"threshold_g must be > 0, got {threshold_g!r}")
        self.rate_hz = float(rate_hz)
        self.window_s = float(window_s)
        self.threshold_g = float(threshold_g)
        self.pre_s = float(pre_s)
        self._n = _samples(window_s, rate_hz, "window_s", minimum=2)
        self._pre = _samples(pre_s, rate_hz, "pre_s")
        if self._pre >= self._n:
            raise ValueError(f"pre_s ({pre_s} s) must be shorter than window_s ({window_s} s)")
        if refractory_s is None:
            refractory_s = (self._n - self._pre) / rate_hz
        self.refractory_s = float(refractory_s)
        self._refractory = max(1, _samples(refractory_s, rate_hz, "refractory_s"))
        self.reset()

    def reset(self) -> None:
        """Forget the history and pending windows (e.g. after the source reconnected)."""
        self._t = np.zeros(0, dtype=np.float64)
        self._x = np.zeros((0, 3), dtype=np.float32)
        self._first = 0  # stream index of self._t[0]
        self._next_allowed = 0  # stream index from which a new trigger may fire
        self._pending: list[tuple[int, int]] = []  # (window start, trigger index)

    @property
    def position(self) -> int:
        """Stream index of the next sample to be fed."""
        return self._first + self._t.shape[0]

    def feed(self, t: ArrayLike, xyz: ArrayLike) -> list[Window]:
        """Add samples; return the windows that are now complete (oldest first).

        A window is returned once its last sample has arrived, i.e. ``window_s - pre_s`` after
        its trigger.
        """
        tt, xx = _as_stream(t, xyz)
        base = self.position
        self._t = np.concatenate([self._t, tt])
        self._x = np.concatenate([self._x, xx])
        magnitude = np.linalg.norm(xx.astype(np.float64), axis=1)
        hits = np.flatnonzero(np.abs(magnitude - 1.0) >= self.threshold_g) + base
        while True:
            j = int(np.searchsorted(hits, self._next_allowed))
            if j >= hits.size:
                break
            k = int(hits[j])
            self._pending.append((max(k - self._pre, self._first), k))
            self._next_allowed = k + self._refractory
        return self._emit()

    def _emit(self) -> list[Window]:
        done: list[Window] = []
        end = self.position
        keep = [p for p in self._pending if p[0] + self._n > end]
        for start, trigger in self._pending:
            if start + self._n <= end:
                i = start - self._first
                data = self._x[i : i + self._n].copy()
                done.append(Window(data, self.rate_hz, float(self._t[i]), start, trigger))
        self._pending = keep
        # Keep what pending windows and the next trigger's pre-trigger part may still need.
        oldest_needed = min([s for s, _ in keep] + [end - self._pre])
        drop = max(0, oldest_needed - self._first)
        if drop:
            self._t, self._x = self._t[drop:], self._x[drop:]
            self._first += drop
        return done


def sliding_windows(
    t: ArrayLike,
    xyz: ArrayLike,
    *,
    rate_hz: float,
    window_s: float,
    hop_s: float,
    start_index: int = 0,
) -> Iterator[Window]:
    """Fixed-length windows every ``hop_s`` seconds over a recorded or buffered stream.

    Windows start at the first sample and every hop after; a trailing part shorter than a window
    is not returned. ``start_index`` is the stream position of the first row (e.g. the
    ``first_index`` from ``RingBuffer.since``) and offsets each window's ``start_index``.
    The data of each window is a view into ``xyz`` when it is already float32.
    """
    if not rate_hz > 0:
        raise ValueError(f"rate_hz must be > 0, got {rate_hz!r}")
    tt, xx = _as_stream(t, xyz)
    n = _samples(window_s, rate_hz, "window_s", minimum=2)
    hop = _samples(hop_s, rate_hz, "hop_s", minimum=1)
    for i in range(0, tt.shape[0] - n + 1, hop):
        yield Window(xx[i : i + n], float(rate_hz), float(tt[i]), start_index + i)
