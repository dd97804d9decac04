"""The Web Serial widget and the workbench's "USB sensor on this computer", on widget models.

The page's messages are delivered as the kernel receives them (``_handle_custom_msg``); what the
widget sends to the page is recorded. The browser itself is in tests/browser/test_web_serial.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from hfwidgets.sensors import BrowserSerialSource, SimulatedSource
from hfwidgets.sensors.protocol import format_header, format_line
from hfwidgets.widgets.web_serial import WebSerialPort
from hfwidgets.widgets.workbench import BROWSER, Workbench

PORT = "Arduino USB 2341:0043"


def _page(widget: WebSerialPort, content: dict[str, Any], buffers: list[Any] = ()) -> None:  # type: ignore[assignment]
    widget._handle_custom_msg(content, list(buffers))


def _sent(widget: WebSerialPort, monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    sent: list[dict[str, Any]] = []
    monkeypatch.setattr(widget, "send", lambda content, buffers=None: sent.append(content))
    return sent


def _stream(n: int) -> bytes:
    return format_header(50) + b"".join(format_line(20 * i, 0.1, 0.2, 1.0) for i in range(n))


@dataclass
class _Tabs:
    """A started BrowserSerialSource behind its widget, on a clock the test moves."""

    source: BrowserSerialSource
    widget: WebSerialPort
    now: list[float] = field(default_factory=lambda: [100.0])
    sent: list[dict[str, Any]] = field(default_factory=list)  # what the widget told the page


@pytest.fixture
def tabs(monkeypatch: pytest.MonkeyPatch) -> Iterator[_Tabs]:
    source = BrowserSerialSource()
    source.start()
    t = _Tabs(source, WebSerialPort(source))
    t.widget._clock = lambda: t.now[0]
    t.sent = _sent(t.widget, monkeypatch)
    yield t
    t.widget.close()


@pytest.fixture
def bench(tmp_path: Path) -> Iterator[Workbench]:
    source = SimulatedSource(rate_hz=50.0, realtime=False, duration_s=2.0)
    wb = Workbench(tmp_path / "proj", source=source, weights="none", thumbnail=False)
    yield wb
    wb.close()


def test_the_menu_offers_the_usb_sensor_on_this_computer_after_the_server_ports(
    bench: Workbench,
) -> None:
    options = list(bench.sensor_dropdown.options)
    assert options[0][1] == "simulated arm"
    assert options[-1] == (BROWSER, BROWSER)
    assert bench.web_serial.layout.display == "none"  # no connect button until it is picked


def test_picking_it_streams_the_page_bytes_into_every_tab(
    bench: Workbench, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = bench.source
    bench.sensor_dropdown.value = BROWSER
    source = bench.source
    assert isinstance(source, BrowserSerialSource)
    assert not old.running
    assert bench.capture.source is source
    assert bench.live.source is source
    assert bench.web_serial.layout.display is None
    assert f"reading {BROWSER}" in bench.sensor_note.value
    health = bench.check_sensor()
    assert "click “Connect USB sensor”" in health.message  # not "disconnected" before a click
    sent = _sent(bench.web_serial, monkeypatch)
    _page(bench.web_serial, {"type": "status", "state": "connected", "port": PORT, "sent": 1.0})
    assert bench.labeler.source_name == PORT  # captured windows name the port in the page
    data = _stream(100)
    _page(
        bench.web_serial,
        {"type": "data", "chunks": [[1.0, len(data)]], "sent": 2.0},
        [memoryview(data)],
    )
    stats = source.stats()
    assert (stats.good, stats.bad, stats.connected) == (100, 0, True)
    bench.web_serial.refresh()
    assert bench.web_serial.summary.startswith("2 messages from the page")
    # Back to the simulated arm: the page is told to close the port; the button hides.
    bench.sensor_dropdown.value = "simulated arm"
    assert sent == [{"type": "close"}]
    assert not source.running
    assert bench.web_serial.layout.display == "none"


def test_where_web_serial_is_missing_the_menu_says_so_and_the_bench_keeps_streaming(
    bench: Workbench,
) -> None:
    reason = "Firefox has no Web Serial (navigator.serial)."
    remedy = "Open this notebook in Chrome or Edge <b>now</b>"
    _page(
        bench.web_serial,
        {"type": "support", "available": False, "reason": reason, "remedy": remedy},
    )
    assert bench.web_serial.supported is False
    assert (f"{BROWSER} (not in this browser)", BROWSER) in bench.sensor_dropdown.options
    before = bench.source
    bench.sensor_dropdown.value = BROWSER
    assert bench.source is before  # still the simulated arm
    assert bench.sensor_dropdown.value == "simulated arm"
    assert "Firefox has no Web Serial" in bench.sensor_note.value
    assert "&lt;b&gt;now&lt;/b&gt;" in bench.sensor_note.value  # the page's text is escaped
    assert bench.web_serial.layout.display is None  # its own text explains too


def test_a_crafted_message_is_refused_without_raising_into_the_kernel(tabs: _Tabs) -> None:
    source, widget = tabs.source, tabs.widget
    _page(widget, {"type": "status", "state": "connected", "port": PORT, "sent": 1.0})
    _page(widget, {"type": "data", "chunks": [[1.0, 3]], "sent": 2.0}, ["abc"])
    _page(widget, {"type": "data", "chunks": [[1.0, 1 << 21]], "sent": 2.0}, [bytes(1 << 21)])
    assert source.rejected == 2
    assert "over the 1,048,576-byte limit" in widget.error
    widget.refresh()
    assert "2 refused" in widget.summary
    data = _stream(10)
    _page(widget, {"type": "data", "chunks": [[3.0, len(data)]], "sent": 4.0}, [data])
    assert source.stats().good == 10


def test_the_message_rate_cannot_be_set_above_25_a_second() -> None:
    with pytest.raises(ValueError, match=r"max_messages_per_s must be in \(0, 25\]"):
        WebSerialPort(max_messages_per_s=60)


def test_a_port_name_with_markup_never_becomes_markup_in_the_workbench(bench: Workbench) -> None:
    bench.sensor_dropdown.value = BROWSER
    evil = '<img src=x onerror="alert(1)">'
    _page(bench.web_serial, {"type": "status", "state": "connected", "port": evil, "sent": 1.0})
    _page(bench.web_serial, {"type": "status", "state": "disconnected", "reason": evil, "sent": 2})
    bench.check_sensor()
    readout = bench.plot.readout.value
    assert "disconnected: waiting for it to come back" in readout
    assert "<img" not in readout
    assert "<img" not in bench.sensor_note.value
    assert bench.labeler.source_name == evil  # stored as text; the labeler escapes what it shows


def _connect(widget: WebSerialPort, page: str, port: str, sent_ms: float) -> None:
    status = {"type": "status", "state": "connected", "port": port, "sent": sent_ms}
    _page(widget, {**status, "page": page})


def _data(widget: WebSerialPort, page: str, data: bytes, sent_ms: float) -> None:
    _page(widget, {"type": "data", "page": page, "chunks": [[sent_ms, len(data)]],
                   "sent": sent_ms}, [data])  # fmt: skip


def test_a_second_tab_cannot_feed_the_source_another_tab_reads(tabs: _Tabs) -> None:
    source, widget, sent = tabs.source, tabs.widget, tabs.sent
    _connect(widget, "tab-a", PORT, 1.0)
    _data(widget, "tab-a", _stream(10), 2.0)
    # The same notebook open in a second tab: its Connect opens a port too.
    tabs.now[0] += 0.5
    _connect(widget, "tab-b", "Arduino USB 2341:0058", 3.0)
    assert sent == [{"type": "busy", "page": "tab-b", "reason": sent[0]["reason"]}]
    assert "another browser tab or window already reads" in sent[0]["reason"]
    _data(widget, "tab-b", b"1000,9.0,9.0,9.0\n" * 5, 4.0)  # refused, not interleaved
    _page(widget, {"type": "status", "state": "error", "page": "tab-b", "reason": "x",
                   "sent": 5.0})  # fmt: skip
    assert source.port == PORT
    assert source.stats().connected
    assert source.stats().good == 10
    assert source.stats().bad == 0
    _data(widget, "tab-a", b"".join(format_line(200 + 20 * i, 0, 0, 1) for i in range(5)), 6.0)
    assert source.stats().good == 15
    # The first tab closes its port: now the second may connect.
    _page(widget, {"type": "status", "state": "closed", "page": "tab-a", "sent": 7.0})
    sent.clear()
    _connect(widget, "tab-b", "Arduino USB 2341:0058", 8.0)
    assert sent == []
    assert widget.owner == "tab-b"
    assert source.port == "Arduino USB 2341:0058"


def test_a_tab_closed_without_closing_its_port_gives_way_after_a_silence(tabs: _Tabs) -> None:
    from hfwidgets.widgets.web_serial import OWNER_SILENT_S

    _connect(tabs.widget, "tab-a", PORT, 1.0)
    tabs.now[0] += OWNER_SILENT_S + 0.1  # tab A was closed: it says nothing any more
    _connect(tabs.widget, "tab-b", PORT, 2.0)
    assert tabs.sent == []
    assert tabs.widget.owner == "tab-b"


def test_a_lost_port_shows_no_rate_until_it_is_back_and_a_closed_one_keeps_its_rate(
    tabs: _Tabs,
) -> None:
    # As SerialSource's stats(): the last estimate is stale while an unplugged board is
    # awaited, but a port the person closed keeps the rate the capture ran at.
    source, widget = tabs.source, tabs.widget
    _connect(widget, "tab-a", PORT, 1.0)
    _data(widget, "tab-a", _stream(100), 2.0)
    assert source.stats().rate_hz == pytest.approx(50.0)
    _page(widget, {"type": "status", "state": "disconnected", "page": "tab-a",
                   "reason": "NetworkError: The device has been lost", "sent": 3.0})  # fmt: skip
    stats = source.stats()
    assert (stats.connected, stats.rate_hz) == (False, 0.0)
    _connect(widget, "tab-a", PORT, 4.0)
    _data(widget, "tab-a", _stream(100), 5.0)
    stats = source.stats()
    assert (stats.connected, stats.reconnects) == (True, 1)
    assert stats.rate_hz == pytest.approx(50.0)
    _page(widget, {"type": "status", "state": "closed", "page": "tab-a", "sent": 6.0})
    stats = source.stats()
    assert not stats.connected
    assert stats.rate_hz == pytest.approx(50.0)
