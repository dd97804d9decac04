"""SerialSource: samples from the hfw-imu sketch over a serial port, surviving unplugs.

The reader thread follows ``serial.threaded.ReaderThread``: a daemon thread, a blocking
``read(in_waiting or 1)`` with a timeout (so it sleeps in the kernel while no byte comes, and
still notices ``stop()``), ``cancel_read()`` to wake it, errors caught and reported. It adds what
a wrist sensor on a USB cable needs: when the port vanishes it closes it, says so, polls the path
with a growing pause (50 ms up to 0.5 s) and reopens it when it comes back.
"""

from __future__ import annotations

import logging
import os
import threading
import time

import serial

from hfwidgets._worker import Worker
from hfwidgets.errors import HfwError
from hfwidgets.sensors.line_stream import LineStreamSource
from hfwidgets.sensors.ports import describe_ports, list_ports
from hfwidgets.sensors.protocol import BAUDRATE

__all__ = ["SerialPortError", "SerialSource", "list_ports"]

log = logging.getLogger(__name__)


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


class SerialSource(LineStreamSource):
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
        super().__init__(
            port=str(port), baudrate=baudrate, rate_hz=rate_hz, buffer_seconds=buffer_seconds
        )
        self.port: str = str(port)
        self.reconnect = bool(reconnect)
        self.read_timeout = float(read_timeout)
        self.max_backoff_s = float(max_backoff_s)
        self._serial: serial.SerialBase | None = None
        self._worker = Worker(self._run, name=f"hfw-serial {self.port}", interrupt=self._wake)

    def __repr__(self) -> str:
        return f"SerialSource({self.port!r}, baudrate={self.baudrate})"

    @property
    def running(self) -> bool:
        return self._worker.alive

    def start(self) -> None:
        """Open the port and start the reader thread (no-op if running)."""
        if self.running:
            return
        self._serial = open_port(self.port, baudrate=self.baudrate, timeout=self.read_timeout)
        self._stream_opened(self.port, again=False)
        self._worker.start()

    def stop(self) -> None:
        """Stop the reader and close the port; safe to call twice."""
        self._worker.stop(2.0)
        self._close()
        self._stream_closed()

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
                    self._stream_opened(self.port, again=True)
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
