"""BrowserSerialSource: samples read by the web page (Web Serial) and sent to the kernel.

The sensor is plugged into the person's laptop while the kernel runs elsewhere (JupyterHub, a lab
machine, a container). The page opens the port with ``navigator.serial`` and forwards the raw
bytes it reads, in batches, as widget messages (:mod:`hfwidgets.widgets.web_serial`); this module
is the kernel's half and knows nothing of widgets. The bytes become samples exactly as
:class:`~hfwidgets.sensors.SerialSource`'s do, by their shared
:class:`~hfwidgets.sensors.line_stream.LineStreamSource`: a bad line costs exactly one line and is
counted identically, and device times are mapped to ``time.monotonic()`` by the same clock.

Messages (page to kernel), each a JSON ``content`` plus binary ``buffers``:

``{"type": "status", "state": "connected", "port": NAME, "sent": MS}``
    The page opened a port (``NAME`` is what the browser tells about it, e.g.
    ``"Arduino USB 2341:0043"``). The same name again after a loss (not after a close) counts
    as a reconnect.
``{"type": "status", "state": "disconnected" | "closed" | "error", "reason": TEXT, "sent": MS}``
    The port went away (unplug, reader error), was closed, or could not be opened.
``{"type": "data", "chunks": [[ARRIVED_MS, NBYTES], ...], "sent": MS}`` with one buffer
    The bytes of consecutive reads, concatenated; ``ARRIVED_MS`` is when each read returned.

Every message also names the page (browser tab) that sent it, ``"page": ID``: the widget lets one
page at a time feed the source and answers another page that opens a port with
``{"type": "busy", "page": ID, "reason": TEXT}``
(:class:`~hfwidgets.widgets.web_serial.WebSerialPort`).

``MS`` are page times in milliseconds (``performance.timeOrigin + performance.now()``). Only
their differences are used to stamp samples (``sent - arrived`` is how long a chunk waited in the
page), so the page's and the kernel's clocks need not agree. Where they do (the same machine, as
in ``bench/browser_serial.py``), :meth:`BrowserSerialSource.delays_ms` is the delay from a chunk
reaching the page to its samples being in the ring buffer.

A message that is not one of these (a huge buffer, a buffer that is not bytes, a malformed field)
raises :class:`BrowserMessageError` naming what is wrong; it is counted in ``rejected`` and
changes nothing else.
"""

from __future__ import annotations

import logging
import math
import re
import time
from collections import deque
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from hfwidgets.errors import HfwError
from hfwidgets.sensors.line_stream import LineStreamSource
from hfwidgets.sensors.protocol import BAUDRATE

__all__ = [
    "MAX_CHUNKS",
    "MAX_MESSAGE_BYTES",
    "BrowserMessageError",
    "BrowserSerialSource",
    "clean_port_name",
    "max_per_window",
]

log = logging.getLogger(__name__)

#: Largest byte payload of one message. 115200 baud is 11.5 kB/s, and the page sends at least
#: every 50 ms; even a 2 Mbaud board fills 10 kB per batch. More is not a sensor.
MAX_MESSAGE_BYTES = 1 << 20
#: Most reads described in one message (Chrome returns a read every few ms at most).
MAX_CHUNKS = 10_000
#: A port name from the page longer than this is cut (it is shown in a sentence).
MAX_PORT_NAME = 80
#: A chunk is taken to have waited in the page at most this long (a clock jump, a bad field).
_MAX_PAGE_WAIT_S = 10.0
_DELAYS_KEPT = 100_000
_MESSAGE_TIMES_KEPT = 10_000
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_STATES = ("connected", "disconnected", "closed", "error")


class BrowserMessageError(HfwError):
    """A message from the page that is not a batch or a status the protocol knows."""


def clean_port_name(name: object) -> str:
    """The browser's name of a port as plain text: no control characters, at most 80 chars.

    It still needs :func:`html.escape` before it goes into HTML.
    """
    text = _CONTROL.sub(" ", str(name)).strip()
    if len(text) > MAX_PORT_NAME:
        text = text[: MAX_PORT_NAME - 1] + "…"
    return text or "serial port"


def max_per_window(times_s: Sequence[float] | NDArray[np.float64], window_s: float = 1.0) -> int:
    """Most events within any ``window_s`` (half-open) span of the sorted ``times_s``."""
    t = np.sort(np.asarray(times_s, dtype=np.float64))
    if t.size == 0:
        return 0
    ends = np.searchsorted(t, t + window_s, side="left")
    return int(np.max(ends - np.arange(t.size)))


def _number(content: Mapping[str, Any], key: str) -> float:
    value = content.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise BrowserMessageError(f"field {key!r} must be a finite number, got {value!r:.60}")
    return float(value)


def _payload(buffers: Sequence[Any]) -> bytes:
    if len(buffers) != 1:
        raise BrowserMessageError(
            f"a data message carries exactly one binary buffer, got {len(buffers)}"
        )
    buffer = buffers[0]
    if not isinstance(buffer, bytes | bytearray | memoryview):
        raise BrowserMessageError(
            f"the data buffer must be bytes, got {type(buffer).__name__}; the page must send "
            "an ArrayBuffer (model.send(content, undefined, [buffer]))"
        )
    size = buffer.nbytes if isinstance(buffer, memoryview) else len(buffer)
    if size > MAX_MESSAGE_BYTES:
        raise BrowserMessageError(
            f"a data message of {size:,} bytes is over the {MAX_MESSAGE_BYTES:,}-byte limit; "
            "the page sends a batch at least every 50 ms, which no serial sensor fills"
        )
    return bytes(buffer)


class BrowserSerialSource(LineStreamSource):
    """Samples of the hfw-imu sketch read by the browser and forwarded to the kernel.

    Parameters
    ----------
    rate_hz : float
        Nominal sample rate until the board's header announces its own.
    buffer_seconds : float
        History kept in the ring buffer.
    baudrate : int
        The rate the page opens the port at (the sketch uses 115200).

    Attributes
    ----------
    port : str or None
        The browser's name of the open (or last) port; None before one was picked.
    messages, rejected : int
        Messages received from the page, and those refused (see :meth:`receive`).
    last_rejected : str or None
        Why the most recent message was refused.

    Notes
    -----
    Nothing here has a thread: :meth:`receive` (the widget's message handler) or :meth:`feed`
    and :meth:`port_opened`/:meth:`port_lost` (tests, other front ends) do all the work
    synchronously on the caller's thread. :meth:`start` only marks the source as accepting.
    """

    #: What to call a source whose port is not picked yet (in menus and messages).
    DISPLAY_NAME = "USB sensor on this computer"
    LABEL = DISPLAY_NAME

    def __init__(
        self, *, rate_hz: float = 50.0, buffer_seconds: float = 600.0, baudrate: int = BAUDRATE
    ) -> None:
        super().__init__(
            port=None, baudrate=baudrate, rate_hz=rate_hz, buffer_seconds=buffer_seconds
        )
        self.messages = 0
        self.rejected = 0
        self.last_rejected: str | None = None
        self._running = False
        self._ever_connected = False
        self._delays: deque[tuple[float, int]] = deque(maxlen=_DELAYS_KEPT)
        self._sent_s: deque[float] = deque(maxlen=_MESSAGE_TIMES_KEPT)

    def __repr__(self) -> str:
        return f"BrowserSerialSource(port={self.port!r})"

    @property
    def running(self) -> bool:
        return self._running

    @property
    def idle_reason(self) -> str | None:
        """What a person should do while no port is open yet (None once one was opened)."""
        if self._ever_connected or not self._running:
            return None
        return "no USB sensor picked yet: click “Connect USB sensor” and choose its port"

    # -- lifecycle ----------------------------------------------------------------------------
    def start(self) -> None:
        """Accept what the page sends (the page opens the port when the person clicks)."""
        self._running = True

    def stop(self) -> None:
        """Ignore the page from now on; safe to call twice. The widget closes the port."""
        self._running = False
        self._stream_closed()

    # -- what the page reports ------------------------------------------------------------------
    def port_opened(self, name: str) -> None:
        """The page opened port ``name``: the same name again after a loss is a reconnect."""
        if not self._running:
            return
        name = clean_port_name(name)
        # Back after a loss, as SerialSource's reopen; a port the person picks again is not.
        again = self._lost and name == self.port
        self.port = name
        self._ever_connected = True
        self._stream_opened(name, again=again)

    def port_lost(self, reason: str, *, closed: bool = False) -> None:
        """The port went away (``closed``: the page closed it on purpose)."""
        if not self._running:
            return
        was = self._connected
        self._connected = False
        self._lost = self._lost or (was and not closed)
        reason = clean_port_name(reason) if reason else "no reason given"
        name = self.port or self.DISPLAY_NAME
        if closed:
            if was:
                self._publish_status(False, f"{name} closed")
        elif was:
            self._publish_status(False, f"{name} lost ({reason}); waiting for it to come back")
        else:
            self._publish_status(False, f"cannot open {name}: {reason}")

    def feed(
        self, data: bytes, *, arrived_s: float | None = None, page_ms: float | None = None
    ) -> int:
        """Decode bytes the page read; returns how many good samples went into the buffer.

        Parameters
        ----------
        data : bytes
            Any chunk of the stream (lines may span chunks).
        arrived_s : float, optional
            ``time.monotonic()`` when the bytes reached the page (default: now). Sample times
            are mapped from the device clock with it as their upper bound, as SerialSource does
            with the time a read returned.
        page_ms : float, optional
            The page's wall-clock time of arrival in ms, recorded for :meth:`delays_ms`.
        """
        if not self._running:
            return 0
        now = time.monotonic() if arrived_s is None else float(arrived_s)
        t_ms = self._ingest(bytes(data), now)
        if t_ms.size and page_ms is not None:
            self._delays.append((time.time() * 1000.0 - page_ms, int(t_ms.size)))
        return int(t_ms.size)

    def receive(
        self, content: Mapping[str, Any], buffers: Sequence[Any] = (), *, now: float | None = None
    ) -> None:
        """Handle one message from the page (see the module docstring for the protocol).

        Raises
        ------
        BrowserMessageError
            The message is not one the page sends; it is counted in ``rejected`` and ignored.
        """
        now = time.monotonic() if now is None else float(now)
        try:
            self._receive(content, buffers, now)
        except BrowserMessageError as exc:
            self.rejected += 1
            self.last_rejected = str(exc)
            raise

    def _receive(self, content: Mapping[str, Any], buffers: Sequence[Any], now: float) -> None:
        if not isinstance(content, Mapping):
            raise BrowserMessageError(
                f"a message must be a JSON object, got {type(content).__name__}"
            )
        kind = content.get("type")
        sent_ms = _number(content, "sent")
        if kind == "status":
            self._receive_status(content, sent_ms)
        elif kind == "data":
            self._receive_data(content, buffers, sent_ms, now)
        else:
            raise BrowserMessageError(f"unknown message type {kind!r:.40}; expected data or status")

    def _receive_status(self, content: Mapping[str, Any], sent_ms: float) -> None:
        state = content.get("state")
        if state not in _STATES:
            raise BrowserMessageError(
                f"unknown status state {state!r:.40}; expected one of {', '.join(_STATES)}"
            )
        self._count(sent_ms)
        if state == "connected":
            self.port_opened(str(content.get("port", "")))
        else:
            self.port_lost(str(content.get("reason", "")), closed=state == "closed")

    def _receive_data(
        self, content: Mapping[str, Any], buffers: Sequence[Any], sent_ms: float, now: float
    ) -> None:
        data = _payload(buffers)
        spans = _chunk_spans(content.get("chunks"), nbytes=len(data))
        if not self._connected:
            if not self._running:
                return  # a batch still in flight after stop(): the person moved on
            raise BrowserMessageError("data before the page said which port it opened")
        self._count(sent_ms)
        offset = 0
        for arrived_ms, size in spans:
            # How long the chunk waited in the page (a difference of page times only).
            waited = min(max((sent_ms - arrived_ms) / 1000.0, 0.0), _MAX_PAGE_WAIT_S)
            self.feed(data[offset : offset + size], arrived_s=now - waited, page_ms=arrived_ms)
            offset += size

    def _count(self, sent_ms: float) -> None:
        self.messages += 1
        self._sent_s.append(sent_ms / 1000.0)

    # -- measurements -------------------------------------------------------------------------
    def max_messages_per_s(self) -> int:
        """Most messages the page sent within any one second (by the page's send times)."""
        return max_per_window(list(self._sent_s), 1.0)

    def delays_ms(self) -> NDArray[np.float64]:
        """Per sample: kernel wall time when it entered the buffer minus the page's arrival time.

        Meaningful only where the page and the kernel share a wall clock (the same machine).
        """
        if not self._delays:
            return np.zeros(0)
        delays, counts = zip(*self._delays, strict=True)
        return np.repeat(np.asarray(delays, dtype=np.float64), np.asarray(counts))


def _chunk_spans(chunks: Any, *, nbytes: int) -> list[tuple[float, int]]:
    """A data message's ``chunks`` as ``(arrived_ms, nbytes)`` pairs that cover the buffer."""
    if not isinstance(chunks, list) or not 0 < len(chunks) <= MAX_CHUNKS:
        raise BrowserMessageError(
            f"field 'chunks' must be a list of 1 to {MAX_CHUNKS} [arrived_ms, nbytes] pairs"
        )
    spans: list[tuple[float, int]] = []
    for chunk in chunks:
        if not (isinstance(chunk, list) and len(chunk) == 2):
            raise BrowserMessageError(f"a chunk must be [arrived_ms, nbytes], got {chunk!r:.60}")
        arrived = _number({"arrived_ms": chunk[0]}, "arrived_ms")
        size = chunk[1]
        if isinstance(size, bool) or not isinstance(size, int) or size < 0:
            raise BrowserMessageError(f"a chunk's nbytes must be a count, got {size!r:.40}")
        spans.append((arrived, size))
    described = sum(size for _a, size in spans)
    if described != nbytes:
        raise BrowserMessageError(
            f"the chunks describe {described:,} bytes but the buffer holds {nbytes:,}"
        )
    return spans
