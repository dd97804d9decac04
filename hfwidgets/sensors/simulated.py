"""SimulatedSource: a simulated arm streaming into the ring buffer; the default with no port.

It plays :func:`~hfwidgets.sensors.motions.motion_stream` either in real time (a daemon thread
releases each sample when the clock reaches it, so the plot and the live classifier behave as
with hardware) or all at once for tests and offline notebooks. It remembers the motions it
performed, so the live classifier can be scored against the truth.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator

import numpy as np
from numpy.typing import NDArray

from hfwidgets._worker import Worker
from hfwidgets.sensors.base import Source, SourceStats, estimate_rate
from hfwidgets.sensors.motions import (
    MotionEvent,
    motion_stream,
    simulate_motion,
    simulate_session,
    simulate_windows,
)

__all__ = [
    "MotionEvent",
    "SimulatedSource",
    "simulate_motion",
    "simulate_session",
    "simulate_windows",
]

log = logging.getLogger(__name__)


class SimulatedSource(Source):
    """Plausible high-five and other arm motions in g, at any rate.

    Parameters
    ----------
    rate_hz : float
        Sample rate.
    seed : int
        Random seed: the same seed gives the same session.
    realtime : bool
        True: a thread releases samples as the clock reaches them, with ``time.monotonic()``
        times. False: :meth:`start` fills ``duration_s`` seconds at once, with 0-based times.
    script : list of str, optional
        Motions to perform in order ("high-five", "wave", ...), 1-2 s apart, then rest. Without
        a script, random motions at ``events_per_minute`` (40 % of them high-fives).
    events_per_minute : float
        Mean rate of motions when there is no script.
    duration_s : float, optional
        Stop after this much signal. Required when ``realtime`` is False (default 60 s there).
    buffer_seconds : float
        History kept by the ring buffer.

    Examples
    --------
    >>> src = SimulatedSource(rate_hz=50, realtime=False, duration_s=10, script=["high-five"])
    >>> src.start()
    >>> src.buffer.total, [e.kind for e in src.events]
    (500, ['high-five'])
    """

    LABEL = "simulated arm"

    def __init__(
        self,
        *,
        rate_hz: float = 50.0,
        seed: int = 0,
        realtime: bool = True,
        script: list[str] | None = None,
        events_per_minute: float = 12.0,
        duration_s: float | None = None,
        buffer_seconds: float = 600.0,
    ) -> None:
        if duration_s is None and not realtime:
            duration_s = 60.0
        if duration_s is not None and not duration_s > 0:
            raise ValueError(f"duration_s must be > 0, got {duration_s!r}")
        super().__init__(rate_hz=rate_hz, buffer_seconds=buffer_seconds)
        self.seed = int(seed)
        self.realtime = bool(realtime)
        self.script = list(script) if script is not None else None
        self.events_per_minute = float(events_per_minute)
        self.duration_s = duration_s
        self._events: list[MotionEvent] = []
        self._pending: list[MotionEvent] = []  # performed but their peak not yet streamed
        self._lock = threading.Lock()
        self._worker = Worker(self._run, name="hfw-simulated", on_error=self._failed)
        self._t0 = 0.0

    def __repr__(self) -> str:
        return (
            f"SimulatedSource(rate_hz={self.rate_hz}, seed={self.seed}, realtime={self.realtime})"
        )

    @property
    def events(self) -> list[MotionEvent]:
        """Motions whose peak has been streamed so far, as ``(t, kind)`` on the buffer's clock."""
        with self._lock:
            return list(self._events)

    @property
    def running(self) -> bool:
        return self._worker.alive

    def start(self) -> None:
        """Start streaming (real time) or fill the buffer at once (``realtime=False``)."""
        if self.running:
            return
        if not self.realtime:
            t, xyz, events = simulate_session(
                float(self.duration_s or 60.0),
                rate_hz=self.rate_hz,
                seed=self.seed,
                events_per_minute=self.events_per_minute,
                script=self.script,
            )
            self.buffer.extend(t, xyz)
            with self._lock:
                self._events = list(events)
            return
        self._t0 = time.monotonic()
        self._worker.start()
        self._publish_status(True, "simulated arm started")

    def stop(self) -> None:
        """Stop the streaming thread (no-op when not running)."""
        if self._worker.stopping:
            return
        self._worker.stop(2.0)
        self._publish_status(False, "simulated arm stopped")

    def stats(self) -> SourceStats:
        t, _ = self.buffer.snapshot(int(self.rate_hz * 5) + 2)
        return SourceStats(
            good=self.buffer.total,
            rate_hz=estimate_rate(t),
            connected=self.running,
        )

    # -- the realtime thread ------------------------------------------------------------------
    def _chunks(self) -> Iterator[tuple[NDArray[np.float32], list[MotionEvent]]]:
        return motion_stream(
            rate_hz=self.rate_hz,
            seed=self.seed,
            events_per_minute=self.events_per_minute,
            script=self.script,
        )

    def _failed(self, exc: BaseException) -> None:
        self._publish_status(False, f"simulated arm failed ({exc}); see the log")

    def _run(self, stop: threading.Event) -> None:
        period = 1.0 / self.rate_hz
        limit = None if self.duration_s is None else round(self.duration_s * self.rate_hz)
        sent = 0
        # Release each sample when it is due, as a sensor's line arrives, so latency measured
        # from a sample's time stamp is not inflated by our wake-up interval; above 200 Hz,
        # wake at most every 5 ms and release what is due in one go.
        min_wait = 0.001 if period >= 0.005 else 0.005
        for xyz, events in self._chunks():
            with self._lock:
                self._pending.extend(MotionEvent(self._t0 + e.t, e.kind) for e in events)
            pos = 0
            while pos < xyz.shape[0]:
                if stop.is_set() or (limit is not None and sent >= limit):
                    return
                due = int((time.monotonic() - self._t0) / period) + 1  # samples due by now
                n = min(due - sent, xyz.shape[0] - pos)
                if limit is not None:
                    n = min(n, limit - sent)
                if n <= 0:
                    next_due = self._t0 + sent * period
                    stop.wait(max(next_due - time.monotonic(), min_wait))
                    continue
                t = self._t0 + (sent + np.arange(n)) * period
                self.buffer.extend(t, xyz[pos : pos + n])
                pos += n
                sent += n
                self._release_events(float(t[-1]))

    def _release_events(self, t_last: float) -> None:
        with self._lock:
            done = [e for e in self._pending if e.t <= t_last]
            if done:
                self._events.extend(done)
                self._pending = [e for e in self._pending if e.t > t_last]
