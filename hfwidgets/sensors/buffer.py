"""A fixed-size, thread-safe ring buffer of timestamped 3-axis samples.

The reader thread appends; the plot, the segmenter and the live classifier read. Readers ask for
only what they need (the newest ``n`` rows, or everything after an absolute index they remember),
so a 10-minute buffer at 1 kHz never gets copied whole just to draw the last 5 seconds.
"""

from __future__ import annotations

import threading

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["RingBuffer"]


class RingBuffer:
    """Newest ``capacity`` samples of a stream, with a monotonic absolute sample index.

    Parameters
    ----------
    capacity : int
        Number of samples kept; older ones are overwritten.
    channels : int, optional
        Values per sample (3 for x, y, z acceleration).

    Notes
    -----
    Times are stored as float64 (a monotonic clock in seconds loses precision in float32 after a
    few hours); values as float32. Every public method takes the lock, so a reader never sees a
    half-written row.

    Examples
    --------
    >>> buf = RingBuffer(4)
    >>> buf.extend(np.arange(6.0), np.ones((6, 3)))
    >>> buf.total, len(buf)
    (6, 4)
    >>> buf.snapshot(2)[0]
    array([4., 5.])
    """

    def __init__(self, capacity: int, channels: int = 3) -> None:
        if int(capacity) < 1:
            raise ValueError(f"RingBuffer capacity must be >= 1, got {capacity!r}")
        if int(channels) < 1:
            raise ValueError(f"RingBuffer channels must be >= 1, got {channels!r}")
        self.capacity = int(capacity)
        self.channels = int(channels)
        self._t = np.zeros(self.capacity, dtype=np.float64)
        self._x = np.zeros((self.capacity, self.channels), dtype=np.float32)
        self._total = 0
        self._floor = 0  # absolute index before which nothing is readable (see clear())
        self._lock = threading.Lock()

    def __len__(self) -> int:
        with self._lock:
            return self._total - self._oldest_index()

    def __repr__(self) -> str:
        return f"RingBuffer(capacity={self.capacity}, channels={self.channels}, total={self.total})"

    @property
    def total(self) -> int:
        """Samples ever written; the absolute index of the next sample."""
        with self._lock:
            return self._total

    def append(self, t: float, xyz: ArrayLike) -> None:
        """Append one sample at time ``t`` (seconds)."""
        row = np.asarray(xyz, dtype=np.float32).reshape(1, self.channels)
        self.extend(np.array([t], dtype=np.float64), row)

    def extend(self, t: ArrayLike, xyz: ArrayLike) -> None:
        """Append ``n`` samples: ``t`` of shape ``(n,)`` and ``xyz`` of shape ``(n, channels)``."""
        tt = np.asarray(t, dtype=np.float64).reshape(-1)
        xx = np.asarray(xyz, dtype=np.float32)
        if xx.ndim != 2 or xx.shape != (tt.shape[0], self.channels):
            raise ValueError(
                f"RingBuffer.extend expects t of shape (n,) and xyz of shape (n, {self.channels}); "
                f"got t {tt.shape} and xyz {xx.shape}"
            )
        n = tt.shape[0]
        if n == 0:
            return
        if n > self.capacity:  # only the newest capacity rows can survive anyway
            skipped = n - self.capacity
            tt, xx = tt[skipped:], xx[skipped:]
        else:
            skipped = 0
        with self._lock:
            start = (self._total + skipped) % self.capacity
            m = tt.shape[0]
            first = min(m, self.capacity - start)
            self._t[start : start + first] = tt[:first]
            self._x[start : start + first] = xx[:first]
            if first < m:  # wrap around to the front
                self._t[: m - first] = tt[first:]
                self._x[: m - first] = xx[first:]
            self._total += n

    def clear(self) -> None:
        """Forget the contents; ``total`` keeps counting so absolute indices stay unique."""
        with self._lock:
            self._floor = self._total

    def _oldest_index(self) -> int:
        return max(self._total - self.capacity, self._floor)

    def _copy_range(self, first: int, stop: int) -> tuple[NDArray[np.float64], NDArray[np.float32]]:
        """Copy absolute indices ``[first, stop)``; caller holds the lock."""
        n = stop - first
        t = np.empty(n, dtype=np.float64)
        x = np.empty((n, self.channels), dtype=np.float32)
        if n == 0:
            return t, x
        start = first % self.capacity
        head = min(n, self.capacity - start)
        t[:head] = self._t[start : start + head]
        x[:head] = self._x[start : start + head]
        if head < n:
            t[head:] = self._t[: n - head]
            x[head:] = self._x[: n - head]
        return t, x

    def snapshot(self, n: int | None = None) -> tuple[NDArray[np.float64], NDArray[np.float32]]:
        """Copy of the newest ``n`` samples (all kept samples when ``n`` is None).

        Returns
        -------
        t : ndarray of float64, shape (m,)
        xyz : ndarray of float32, shape (m, channels)
            ``m = min(n, len(self))``; oldest first.
        """
        if n is not None and n < 0:
            raise ValueError(f"snapshot(n) needs n >= 0, got {n}")
        with self._lock:
            oldest = self._oldest_index()
            first = oldest if n is None else max(oldest, self._total - n)
            return self._copy_range(first, self._total)

    def since(self, index: int) -> tuple[int, NDArray[np.float64], NDArray[np.float32]]:
        """Samples whose absolute index is ``>= index``.

        Returns
        -------
        first_index : int
            Absolute index of the first returned row. Greater than ``index`` when the asked-for
            samples were already overwritten: the caller fell behind by ``first_index - index``.
        t, xyz : ndarray
            As in :meth:`snapshot`.
        """
        with self._lock:
            first = max(int(index), self._oldest_index())
            first = min(first, self._total)
            t, x = self._copy_range(first, self._total)
            return first, t, x
