"""SerialSource: samples from the hfw-imu sketch over a serial port, surviving unplugs.

The reader thread follows ``serial.threaded.ReaderThread``: a daemon thread, a blocking
``read(in_waiting or 1)`` with a timeout (so it sleeps in the kernel while no byte comes, and
still notices ``stop()``), ``cancel_read()`` to wake it, errors caught and reported. It adds what
a wrist sensor on a USB cable needs: when the port vanishes it closes it, says so, polls the path
with a growing pause (50 ms up to 0.5 s) and reopens it when it comes back.
"""

from __future__ import annotations

import logging
import math
import os
import threading
import time

import numpy as np
import serial
from numpy.typing import NDArray

from hfwidgets._worker import Worker
from hfwidgets.errors import HfwError
from hfwidgets.sensors.base import Source, SourceStats
from hfwidgets.sensors.ports import describe_ports, list_ports
from hfwidgets.sensors.protocol import BAUDRATE, MAX_GAP_MS, LineDecoder

__all__ = ["SerialPortError", "SerialSource", "list_ports"]

log = logging.getLogger(__name__)

_MAX_GAP_S = MAX_GAP_MS / 1000.0


class SerialPortError(HfwError):
    """A serial port that cannot be opened; the message names it and says what to try."""


def _is_url(port: str) -> bool:
    return "://" in port


def open_port(port: str, *, baudrate: int = BAUDRATE, timeout: float = 0.1) -> serial.SerialBase:
    """Open ``port`` (a device path or a pyserial URL such as ``socket://host:7000``).

    Raises
    ------
    SerialPortError
        With the reason (missing, busy, no permission) and the ports that do exist.
    """
    if not _is_url(port) and not os.path.exists(port):
        raise SerialPortError(
            f"serial port {port!r} does not exist; {describe_ports()}. Plug the board in, pick "
            "one of the ports listed, or run `hfw simulate-arduino` and pass the path it prints "
            "(without hardware, SimulatedSource needs no port at all)."
        )
    try:
        return serial.serial_for_url(port, baudrate=baudrate, timeout=timeout)
    except (serial.SerialException, OSError, ValueError) as exc:
        hint = "close other programs using it (Arduino IDE serial monitor?)"
        if isinstance(exc, PermissionError) or "ermission" in str(exc):
            hint = "on Linux add yourself to the 'dialout' group and log in again"
        raise SerialPortError(f"cannot open serial port {port!r}: {exc}; {hint}") from exc


class _DeviceClock:
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


class SerialSource(Source):
    """Samples from a serial port speaking the hfw-imu line protocol.

    Parameters
    ----------
    port : str
        Device path (``/dev/ttyACM0``, ``COM3``, a ``/dev/serial/by-id/...`` link) or a pyserial
        URL (``loop://``, ``socket://host:port``, ``rfc2217://...``).
    baudrate : int
        The sketch uses 115200.
    rate_hz : float
        Nominal sample rate until the board's header announces its own.
    buffer_seconds : float
        History kept in the ring buffer.
    reconnect : bool
        Reopen the port after it disappears (unplug, board reset) instead of stopping.
    read_timeout : float
        Longest a blocking read waits before the thread checks whether it should stop.

    Notes
    -----
    :meth:`start` opens the port at once, so a wrong port raises :class:`SerialPortError` right
    away; after that every problem is counted in :meth:`stats` and announced via ``on_status``.
    """

    def __init__(
        self,
        port: str,
        *,
        baudrate: int = BAUDRATE,
        rate_hz: float = 50.0,
        buffer_seconds: float = 600.0,
        reconnect: bool = True,
        read_timeout: float = 0.1,
        max_backoff_s: float = 0.5,
    ) -> None:
        super().__init__(rate_hz=rate_hz, buffer_seconds=buffer_seconds)
        self.port = str(port)
        self.baudrate = int(baudrate)
        self.reconnect = bool(reconnect)
        self.read_timeout = float(read_timeout)
        self.max_backoff_s = float(max_backoff_s)
        self._decoder = LineDecoder(rate_hz=rate_hz)
        self._clock = _DeviceClock()
        self._lock = threading.Lock()  # guards decoder counters and buffer order
        self._serial: serial.SerialBase | None = None
        self._worker = Worker(self._run, name=f"hfw-serial {self.port}", interrupt=self._wake)
        self._reconnects = 0
        self._connected = False
        self._lost = False  # the port vanished and the reader waits for it (not a stop())
        self._baud_warned = False
        self._connect_counts = (0, 0)  # (good, bad) at the last (re)connect

    def __repr__(self) -> str:
        return f"SerialSource({self.port!r}, baudrate={self.baudrate})"

    @property
    def running(self) -> bool:
        return self._worker.alive

    @property
    def last_bad_line(self) -> str | None:
        """Why the most recent bad line was rejected (None if there was none)."""
        bad = self._decoder.last_bad
        return None if bad is None else str(bad)

    def start(self) -> None:
        """Open the port and start the reader thread (no-op if running)."""
        if self.running:
            return
        self._serial = open_port(self.port, baudrate=self.baudrate, timeout=self.read_timeout)
        self._on_connected(first=True)
        self._worker.start()

    def stop(self) -> None:
        """Stop the reader and close the port; safe to call twice."""
        self._worker.stop(2.0)
        self._close()
        if self._connected:
            self._connected = False
            self._publish_status(False, f"{self.port} closed")

    def stats(self) -> SourceStats:
        """Counters; ``rate_hz`` is 0.0 while the port is lost (the last estimate would be stale).

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

    # -- reader thread ------------------------------------------------------------------------
    def _wake(self) -> None:
        ser = self._serial
        if ser is not None and hasattr(ser, "cancel_read"):
            ser.cancel_read()  # wake a read() blocked in the kernel (the timeout also ends it)

    def _run(self, stop: threading.Event) -> None:
        last_path_check = time.monotonic()
        while not stop.is_set():
            ser = self._serial
            if ser is None:
                if not self.reconnect or not self._reopen(stop):
                    break
                continue
            try:
                data = ser.read(ser.in_waiting or 1)
                now = time.monotonic()
                # A vanished device node with an fd still open can stay silent instead of
                # failing; check the path about twice a second while nothing arrives.
                if not data and not _is_url(self.port) and now - last_path_check > 0.5:
                    last_path_check = now
                    if not os.path.exists(self.port):
                        raise serial.SerialException(f"{self.port} disappeared")
            except (serial.SerialException, OSError, TypeError) as exc:
                # TypeError: pyserial's posix read after a concurrent close (fd is None).
                if stop.is_set():
                    break
                self._on_lost(exc)
                continue
            if data:
                try:
                    self._ingest(data, now)
                except Exception:  # a bug in decoding must not end the capture
                    log.exception("could not ingest %d bytes from %s", len(data), self.port)

    def _ingest(self, data: bytes, now: float) -> None:
        with self._lock:
            restarts = self._decoder.restarts
            t_ms, xyz, headers = self._decoder.feed(data)
            if headers or self._decoder.restarts != restarts:
                self._clock.reset()
                # The board says at which rate it samples: consumers (windows, `hfw record`'s
                # session) follow it rather than the rate we guessed before it spoke.
                self.rate_hz = self._decoder.rate_hz
                self.full_scale_g = self._decoder.full_scale_g
            if t_ms.size:
                self.buffer.extend(self._clock.map(t_ms, now), xyz)
            good, bad = self._decoder.good, self._decoder.bad
        bad_since = bad - self._connect_counts[1]
        if not self._baud_warned and good == self._connect_counts[0] and bad_since >= 20:
            self._baud_warned = True
            self._publish_status(
                True,
                f"{self.port}: {bad_since} lines and none valid; wrong baud rate "
                f"({self.baudrate})? The hfw-imu sketch sends at {BAUDRATE} baud.",
            )

    def _on_connected(self, *, first: bool) -> None:
        with self._lock:
            self._decoder.reset(skip_partial=True)
            self._clock.reset()
            self._connect_counts = (self._decoder.good, self._decoder.bad)
            if not first:
                self._reconnects += 1
        self._baud_warned = False
        self._connected, self._lost = True, False
        self._publish_status(True, f"{self.port} {'reconnected' if not first else 'opened'}")

    def _on_lost(self, exc: BaseException) -> None:
        self._close()
        self._connected, self._lost = False, True
        then = "waiting for it to come back" if self.reconnect else "stopping"
        self._publish_status(False, f"{self.port} lost ({exc}); {then}")

    def _reopen(self, stop: threading.Event) -> bool:
        """Poll until the port opens again; False if stopped meanwhile."""
        pause = 0.05
        while not stop.is_set():
            if _is_url(self.port) or os.path.exists(self.port):
                try:
                    self._serial = open_port(
                        self.port, baudrate=self.baudrate, timeout=self.read_timeout
                    )
                except SerialPortError as exc:
                    log.debug("reopen of %s failed: %s", self.port, exc)
                else:
                    self._on_connected(first=False)
                    return True
            stop.wait(pause)
            pause = min(pause * 2, self.max_backoff_s)
        return False

    def _close(self) -> None:
        ser, self._serial = self._serial, None
        if ser is not None:
            try:
                ser.close()
            except Exception:  # closing a vanished device may fail; it is gone either way
                log.debug("close of %s failed", self.port, exc_info=True)
