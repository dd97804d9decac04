"""WebSerialPort: read a sensor plugged into the person's computer, through the browser.

The JavaScript (``web_serial.js``, shipped in the package and loaded by anywidget) opens the port
with Web Serial on the person's click and sends the bytes it reads in binary batches; this widget
hands every message to a :class:`~hfwidgets.sensors.browser_serial.BrowserSerialSource`, which
decodes them like the pyserial source. Web Serial needs Chrome or Edge (desktop) on a secure page
(https or localhost); elsewhere the page reports why, and :attr:`WebSerialPort.supported` turns
False so the workbench can say so.

Example::

    from hfwidgets.sensors import BrowserSerialSource
    from hfwidgets.widgets.web_serial import WebSerialPort

    source = BrowserSerialSource(rate_hz=50)
    source.start()
    port = WebSerialPort(source)
    port            # click "Connect USB sensor"; samples arrive in source.buffer
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import anywidget
import traitlets as t

from hfwidgets._worker import Pump, PumpTask
from hfwidgets.sensors.browser_serial import BrowserMessageError, BrowserSerialSource
from hfwidgets.sensors.protocol import BAUDRATE
from hfwidgets.widgets._throttle import current_pump

__all__ = [
    "ARDUINO_USB_FILTERS",
    "BUSY_REASON",
    "MAX_MESSAGES_PER_S",
    "OWNER_SILENT_S",
    "WebSerialPort",
]

log = logging.getLogger("hfwidgets.widgets")

#: ``requestPort`` filters that list only Arduino-made boards (clones with CH340 or CP210x
#: chips are hidden by them, so the default is no filter).
ARDUINO_USB_FILTERS: tuple[dict[str, int], ...] = ({"usbVendorId": 0x2341}, {"usbVendorId": 0x2A03})
#: The page never sends more messages a second than this (it batches the bytes in between).
MAX_MESSAGES_PER_S = 25.0
#: A page that owns the port but has sent nothing for this long (its tab was closed, or its
#: sensor unplugged) may be replaced by another page that opens a port.
OWNER_SILENT_S = 3.0
#: What a second page is told when it opens a port while another page owns this source.
BUSY_REASON = (
    "another browser tab or window already reads the USB sensor for this notebook: two "
    "would mix their bytes into one stream. Close the port there (or close that tab) and "
    "connect again here."
)


class WebSerialPort(anywidget.AnyWidget):
    """A "Connect USB sensor" button whose port feeds a :class:`BrowserSerialSource`.

    Parameters
    ----------
    source : BrowserSerialSource, optional
        Where the bytes go; :meth:`attach` changes it (and closes the port in the page).
    baudrate : int
        The sketch's rate (115200).
    filters : sequence of dict, optional
        ``navigator.serial.requestPort`` filters, e.g. :data:`ARDUINO_USB_FILTERS`.
    max_messages_per_s : float
        Batches a second the page may send (20 by default, at most 25).
    pump : Pump, optional
        Where the counters line is refreshed (the workbench's); default the current one.
    """

    _esm = Path(__file__).with_name("web_serial.js")
    _css = """
    .hfw-web-serial { display: flex; flex-wrap: wrap; align-items: center; gap: 0.5em; }
    .hfw-web-serial-summary { width: 100%; font-size: 85%; color: var(--jp-ui-font-color2); }
    .hfw-web-serial[data-state="unsupported"] .hfw-web-serial-state { color: #a00; }
    """

    uid = t.Unicode().tag(sync=True)
    baudrate = t.Int(BAUDRATE).tag(sync=True)
    filters = t.List(t.Dict()).tag(sync=True)
    max_messages_per_s = t.Float(20.0).tag(sync=True)
    #: The counters, for a person (plain text; the page never renders it as HTML).
    summary = t.Unicode("").tag(sync=True)
    #: Whether the page can use Web Serial: None until the page said so.
    supported = t.Bool(None, allow_none=True).tag(sync=True)
    #: Why not, and what to do (plain text), when ``supported`` is False.
    unsupported_reason = t.Unicode("").tag(sync=True)
    #: Why the last message from the page was refused ("" when none was).
    error = t.Unicode("").tag(sync=True)

    def __init__(
        self,
        source: BrowserSerialSource | None = None,
        *,
        baudrate: int = BAUDRATE,
        filters: Sequence[dict[str, int]] = (),
        max_messages_per_s: float = 20.0,
        pump: Pump | None = None,
    ) -> None:
        if not 0 < max_messages_per_s <= MAX_MESSAGES_PER_S:
            raise ValueError(
                f"max_messages_per_s must be in (0, {MAX_MESSAGES_PER_S:g}], "
                f"got {max_messages_per_s!r}"
            )
        super().__init__(
            uid=uuid.uuid4().hex,
            baudrate=int(baudrate),
            filters=[dict(f) for f in filters],
            max_messages_per_s=float(max_messages_per_s),
        )
        self.source: BrowserSerialSource | None = None
        # One page at a time feeds the source: every browser tab showing this widget has its
        # own reader, and two tabs' bytes interleaved would corrupt every line.
        self.owner: str | None = None  # the page (tab) whose port feeds the source
        self._owner_seen = 0.0
        self._clock = time.monotonic
        self._pump = pump if pump is not None else current_pump()
        self._own_pump = self._pump is None
        self._task: PumpTask | None = None
        self.on_msg(self._on_page_message)
        if source is not None:
            self.attach(source)

    def attach(self, source: BrowserSerialSource | None) -> None:
        """Send the page's bytes to ``source`` from now on; None closes the port in the page."""
        if source is self.source:
            return
        if self.source is not None:
            self.send({"type": "close"})
        self.source = source
        self.owner = None
        self.error = ""
        if source is not None:
            self.baudrate = source.baudrate
            if self._pump is None:
                self._pump = Pump(name="hfw-web-serial")
            if self._task is None:
                self._task = self._pump.every(0.5, self.refresh, name="hfw-web-serial")
        self.refresh()

    def refresh(self) -> None:
        """Show the source's message counters (the plot's readout shows the sample counters)."""
        source = self.source
        if source is None:
            self.summary = ""
            return
        text = (
            f"{source.messages:,} messages from the page, at most "
            f"{source.max_messages_per_s()} in a second"
        )
        if source.rejected:
            text += f" · {source.rejected} refused: {source.last_rejected}"
        self.summary = text

    def close(self) -> None:
        """Close the port in the page and stop refreshing."""
        task, self._task = getattr(self, "_task", None), None  # absent if __init__ failed
        pump = getattr(self, "_pump", None)
        if task is not None and pump is not None:
            pump.cancel(task)
            if self._own_pump:
                pump.stop()
        self.source = None
        super().close()

    def _admit(self, content: Any) -> bool:
        """Whether a message comes from the page that owns the port (or may take it).

        The first page that opens a port owns it until it closes it; a port opened by another
        page meanwhile is refused, and that page is told so (``busy``) and closes it. A page
        silent for :data:`OWNER_SILENT_S` (its tab was closed) gives way to one that opens.
        """
        if not isinstance(content, dict):
            return True  # the source refuses it, naming why
        page = str(content.get("page", ""))
        now = self._clock()
        opening = content.get("type") == "status" and content.get("state") == "connected"
        if self.owner is None or page == self.owner:
            if opening or page == self.owner:
                self.owner, self._owner_seen = page, now
            if content.get("type") == "status" and content.get("state") == "closed":
                self.owner = None  # closed on purpose: any page may open one now
            return True
        if opening and now - self._owner_seen > OWNER_SILENT_S:
            log.info("page %s takes the USB sensor over from silent page %s", page, self.owner)
            self.owner, self._owner_seen = page, now
            return True
        if opening or content.get("type") == "data":
            self.send({"type": "busy", "page": page, "reason": BUSY_REASON})
        return False  # its statuses (an error, a close) are not this source's

    def _on_page_message(self, _widget: Any, content: Any, buffers: list[Any]) -> None:
        # Runs in the kernel's message handler: nothing the page sends may raise out of it.
        try:
            if isinstance(content, dict) and content.get("type") == "support":
                self.unsupported_reason = (
                    ""
                    if content.get("available")
                    else f"{content.get('reason', '')} {content.get('remedy', '')}".strip()
                )
                self.supported = bool(content.get("available"))
                return
            if self.source is not None and self._admit(content):
                self.source.receive(content, buffers)
        except BrowserMessageError as exc:
            log.warning("refused a message from the page: %s", exc)
            self.error = str(exc)
        except Exception:  # a bug here must not end the kernel's handling of the next ones
            log.exception("could not handle a message from the page")
