"""The part every source of the hfw-imu byte stream shares, wherever the port is read.

:class:`~hfwidgets.sensors.SerialSource` reads the port on the server, in a thread;
:class:`~hfwidgets.sensors.BrowserSerialSource` is fed the bytes the web page read. Both turn
those bytes into samples the same way, here: the :class:`~hfwidgets.sensors.protocol.LineDecoder`
(a bad line costs exactly one line), device milliseconds mapped onto ``time.monotonic()`` by
:class:`DeviceClock`, the ring buffer, the counters of :meth:`LineStreamSource.stats`, the
board's announced rate and range, and the wrong-baud-rate hint.
"""

from __future__ import annotations

import math
import threading

import numpy as np
from numpy.typing import NDArray

from hfwidgets.sensors.base import Source, SourceStats
from hfwidgets.sensors.protocol import BAUDRATE, MAX_GAP_MS, BoardCount, LineDecoder

__all__ = ["DeviceClock", "LineStreamSource"]

_MAX_GAP_S = MAX_GAP_MS / 1000.0
#: Lines in a row, none valid, since the port opened before the baud-rate hint is given.
_BAD_LINES_BEFORE_HINT = 20


class DeviceClock:
    """Map device milliseconds onto ``time.monotonic()``.

    Samples arrive after they are taken, so ``arrival - device_time`` bounds the clock offset
    from above; the offset follows that lower envelope, and may rise by at most 1 % of elapsed
    device time (an Arduino's ceramic resonator is within 0.5 %). Times never go backwards.
    """

    def __init__(self, drift: float = 0.01) -> None:
        self.drift = drift
        self.last_host = -math.inf
        self.reset()

    def reset(self) -> None:
        self.offset: float | None = None
        self.last_dev: float | None = None

    def map(self, t_ms: NDArray[np.int64], now: float) -> NDArray[np.float64]:
        dev = t_ms.astype(np.float64) / 1000.0
        # A chunk read after a stall can hold samples from before and after a board reset
        # (millis() restarts) or a new clock (a jump the decoder does not count as a gap): map
        # each run of device time on its own, or the samples before the break would be stamped
        # up to the board's uptime in the future (or the past).
        steps = np.diff(dev)
        breaks = np.flatnonzero((steps < 0) | (steps > _MAX_GAP_S)) + 1
        if breaks.size:
            return np.concatenate([self._map_run(run, now) for run in np.split(dev, breaks)])
        return self._map_run(dev, now)

    def _map_run(self, dev: NDArray[np.float64], now: float) -> NDArray[np.float64]:
        bound = now - dev[-1]
        if (
            self.offset is None
            or self.last_dev is None
            or not 0 <= dev[0] - self.last_dev <= _MAX_GAP_S
        ):
            self.offset = bound
        else:
            self.offset = min(self.offset + self.drift * (dev[-1] - self.last_dev), bound)
        self.last_dev = float(dev[-1])
        # No sample was taken after it arrived: ``dev + (now - dev[-1])`` can round one ulp
        # past ``now``, so clip to it exactly (last_host <= now: both come from the clock).
        t = np.clip(dev + self.offset, self.last_host, now)
        self.last_host = float(t[-1])
        return t


class LineStreamSource(Source):
    """A :class:`~hfwidgets.sensors.base.Source` fed the raw bytes of the hfw-imu sketch.

    Subclasses say where the bytes come from: they call :meth:`_stream_opened` when a port
    opens, :meth:`_ingest` with every chunk read, and set ``_connected``/``_lost`` when it goes.

    Parameters
    ----------
    port : str or None
        What the port is called in notices (None until one is known).
    baudrate : int
        The rate the port is opened at (the sketch uses 115200).
    rate_hz : float
        Nominal sample rate until the board's header announces its own.
    buffer_seconds : float
        History kept in the ring buffer.
    """

    def __init__(
        self, *, port: str | None, baudrate: int, rate_hz: float, buffer_seconds: float
    ) -> None:
        super().__init__(rate_hz=rate_hz, buffer_seconds=buffer_seconds)
        self.port = port
        self.baudrate = int(baudrate)
        self._decoder = LineDecoder(rate_hz=rate_hz)
        self._clock = DeviceClock()
        self._lock = threading.Lock()  # the feeding thread against readers of stats()
        self._reconnects = 0
        self._connected = False
        self._lost = False  # the port went away and is awaited (not a stop() or a close)
        self._baud_warned = False
        self._connect_counts = (0, 0)  # (good, bad) at the last (re)connect

    @property
    def label(self) -> str:
        """The port's name; the kind of source until a port is known."""
        return self.port or super().label

    @property
    def board_count(self) -> BoardCount | None:
        """The board's last ``# count`` line since its last header (None: it has not counted)."""
        with self._lock:
            return self._decoder.board_count

    @property
    def last_bad_line(self) -> str | None:
        """Why the most recent bad line was rejected (None if there was none)."""
        bad = self._decoder.last_bad
        return None if bad is None else str(bad)

    def stats(self) -> SourceStats:
        """Counters; ``rate_hz`` is 0.0 while a lost port is awaited (the estimate would be stale).

        After `stop` it stays the rate the capture ran at (``hfw record`` stores the session at
        it); after a reconnect it is the rate of the samples since then.
        """
        with self._lock:
            d = self._decoder
            return SourceStats(
                good=d.good,
                bad=d.bad,
                dropped=d.dropped,
                reconnects=self._reconnects,
                rate_hz=0.0 if self._lost else d.estimated_rate(),
                connected=self._connected,
            )

    def _stream_opened(self, name: str, *, again: bool) -> None:
        """A port opened (``again``: the lost one came back); a partial first line is skipped."""
        with self._lock:
            self._decoder.reset(skip_partial=True)
            self._clock.reset()
            self._connect_counts = (self._decoder.good, self._decoder.bad)
            if again:
                self._reconnects += 1
        self._baud_warned = False
        self._connected, self._lost = True, False
        self._publish_status(True, f"{name} {'reconnected' if again else 'opened'}")

    def _stream_closed(self) -> None:
        """The port was closed on purpose (stop): say so once."""
        if self._connected:
            self._connected = False
            self._publish_status(False, f"{self.port} closed")

    def _ingest(self, data: bytes, now: float) -> NDArray[np.int64]:
        """Decode ``data`` that arrived at ``now`` (monotonic s) into the buffer.

        Returns the device times (ms) of the good samples it added.
        """
        with self._lock:
            # Arrival times estimated from two clocks (the page's) can step back a little (a
            # batch that travelled faster than the one before): sample times must not.
            now = max(now, self._clock.last_host)
            restarts = self._decoder.restarts
            t_ms, xyz, headers = self._decoder.feed(data)
            if headers or self._decoder.restarts != restarts:
                self._clock.reset()
                # The board says at which rate it samples and its range: consumers (windows,
                # `hfw record`'s session, the plot's axis) follow it, not what we guessed.
                self.rate_hz = self._decoder.rate_hz
                self.full_scale_g = self._decoder.full_scale_g
            if t_ms.size:
                self.buffer.extend(self._clock.map(t_ms, now), xyz)
            good, bad = self._decoder.good, self._decoder.bad
        bad_since = bad - self._connect_counts[1]
        if (
            not self._baud_warned
            and good == self._connect_counts[0]
            and bad_since >= _BAD_LINES_BEFORE_HINT
        ):
            self._baud_warned = True
            self._publish_status(
                True,
                f"{self.port}: {bad_since} lines and none valid; wrong baud rate "
                f"({self.baudrate})? The hfw-imu sketch sends at {BAUDRATE} baud.",
            )
        return t_ms
