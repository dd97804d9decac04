"""ReplaySource: play a recorded session back as if it were live.

Teammates without hardware re-run a notebook on the session saved in the project; tests replay
sessions as fast as possible. At ``speed=1`` samples are released when the clock reaches them.
"""

from __future__ import annotations

import logging
import threading
import time

import numpy as np
from numpy.typing import ArrayLike

from hfwidgets._worker import Worker
from hfwidgets.sensors.base import Source, SourceStats, estimate_rate

__all__ = ["ReplaySource"]

log = logging.getLogger(__name__)


class ReplaySource(Source):
    """A recorded session ``(t, xyz)`` streamed into the ring buffer.

    Parameters
    ----------
    t : array_like, shape (n,)
        Sample times in seconds (any origin; must not decrease).
    xyz : array_like, shape (n, 3)
        Acceleration in g.
    speed : float or None
        1.0 plays in real time, 2.0 twice as fast; None puts everything in the buffer at once.
    loop : bool
        Start again from the beginning at the end (for demos), with times continuing.
    buffer_seconds : float
        History kept in the ring buffer.

    Notes
    -----
    Times in the buffer are ``time.monotonic()`` at the start plus the recording's own offsets
    (divided by ``speed``), so latency measurements behave as with a live source; with
    ``speed=None`` they are the recording's times.
    """

    LABEL = "recording"

    def __init__(
        self,
        t: ArrayLike,
        xyz: ArrayLike,
        *,
        speed: float | None = 1.0,
        loop: bool = False,
        buffer_seconds: float = 600.0,
    ) -> None:
        tt = np.asarray(t, dtype=np.float64).reshape(-1)
        xx = np.asarray(xyz, dtype=np.float32)
        if xx.ndim != 2 or xx.shape != (tt.shape[0], 3):
            raise ValueError(
                f"ReplaySource needs t (n,) and xyz (n, 3); got {tt.shape}, {xx.shape}"
            )
        if tt.shape[0] < 2:
            raise ValueError("ReplaySource needs a recording of at least 2 samples")
        if np.any(np.diff(tt) < 0):
            raise ValueError("ReplaySource: sample times must not decrease")
        if speed is not None and not speed > 0:
            raise ValueError(f"speed must be > 0 or None, got {speed!r}")
        rate = estimate_rate(tt)
        if rate <= 0:
            raise ValueError("ReplaySource: cannot tell the sample rate (all times equal?)")
        super().__init__(rate_hz=rate, buffer_seconds=buffer_seconds)
        self._t = tt - tt[0]
        self._xyz = xx
        self.speed = speed
        self.loop = bool(loop)
        self._worker = Worker(self._play, name="hfw-replay")
        # Where playing stands: clock at the start, recording time of this pass, next sample.
        self._t0, self._base, self._pos = 0.0, 0.0, 0

    @property
    def running(self) -> bool:
        return self._worker.alive

    @property
    def finished(self) -> bool:
        """The whole recording has been delivered (never true with ``loop``)."""
        return not self.loop and self.buffer.total >= self._t.shape[0]

    def start(self) -> None:
        """Start playing (returns at once); with ``speed=None`` the buffer is filled now."""
        if self.running:
            return
        if self.speed is None:
            self.buffer.extend(self._t, self._xyz)
            return
        self._worker.start()
        self._publish_status(True, "replay started")

    def stop(self) -> None:
        """Stop playing; safe to call twice."""
        if self._worker.stopping:
            return
        self._worker.stop(2.0)
        self._publish_status(False, "replay stopped")

    def stats(self) -> SourceStats:
        t, _ = self.buffer.snapshot(int(self.rate_hz * 5) + 2)
        return SourceStats(good=self.buffer.total, rate_hz=estimate_rate(t), connected=self.running)

    def release(self, elapsed_s: float) -> int:
        """Put every sample due ``elapsed_s`` seconds after the start into the buffer.

        What the playing thread does as the clock runs; tests call it with their own times
        (without :meth:`start`, times in the buffer then count from 0). Returns how many
        samples were added. Needs a ``speed``.
        """
        if self.speed is None:
            raise ValueError("release() paces a replay: give the ReplaySource a speed")
        n = self._t.shape[0]
        span = self._t[-1] + 1.0 / self.rate_hz  # one recording's length, for looping
        added = 0
        while True:
            now_rec = elapsed_s * self.speed - self._base
            end = int(np.searchsorted(self._t, now_rec, side="right"))
            if end > self._pos:
                times = self._t0 + (self._base + self._t[self._pos : end]) / self.speed
                self.buffer.extend(times, self._xyz[self._pos : end])
                added += end - self._pos
                self._pos = end
            if self._pos < n or not self.loop:
                return added
            self._base, self._pos = self._base + span, 0  # the next pass

    def _play(self, stop: threading.Event) -> None:
        assert self.speed is not None
        self._t0, self._base, self._pos = time.monotonic(), 0.0, 0
        n = self._t.shape[0]
        while not stop.is_set():
            self.release(time.monotonic() - self._t0)
            if self._pos >= n:  # only without loop: release() starts the next pass itself
                break
            due = (self._t[self._pos] + self._base) / self.speed
            stop.wait(min(max(due - (time.monotonic() - self._t0), 0.001), 0.02))
