"""BrowserSerialSource: the kernel's half of Web Serial capture, fed synchronously (no browser).

The page's messages are built here as the widget's JavaScript builds them; the bytes are what
the fake Arduino and the sketch send, garbage and unplugs included.
"""

from __future__ import annotations

import numpy as np
import pytest

from hfwidgets.sensors import SourceStatus
from hfwidgets.sensors.browser_serial import (
    MAX_MESSAGE_BYTES,
    BrowserMessageError,
    BrowserSerialSource,
    clean_port_name,
    max_per_window,
)
from hfwidgets.sensors.fake_arduino import GARBAGE_LINES
from hfwidgets.sensors.protocol import LineDecoder, format_header, format_line

PORT = "Arduino USB 2341:0043"


def _lines(t0: int, n: int, *, step_ms: int = 20) -> tuple[bytes, np.ndarray]:
    xyz = np.round(np.random.default_rng(t0).normal(0, 1, (n, 3)), 4).astype(np.float32)
    data = b"".join(format_line(t0 + i * step_ms, *row) for i, row in enumerate(xyz))
    return data, xyz


def _status(state: str, sent: float, **more: str) -> dict[str, object]:
    return {"type": "status", "state": state, "sent": sent, **more}


def _data(source: BrowserSerialSource, data: bytes, sent: float, *, pieces: int = 3) -> None:
    """One batch as the page sends it: ``pieces`` reads of the stream, arrived 10 ms apart."""
    cuts = np.linspace(0, len(data), pieces + 1).astype(int)
    chunks = [[sent - 10.0 * (pieces - i), int(cuts[i + 1] - cuts[i])] for i in range(pieces)]
    source.receive({"type": "data", "chunks": chunks, "sent": sent}, [memoryview(data)])


def _started() -> tuple[BrowserSerialSource, list[SourceStatus]]:
    source = BrowserSerialSource(rate_hz=50.0)
    notices: list[SourceStatus] = []
    source.on_status(notices.append)
    source.start()
    return source, notices


def test_garbage_lines_are_counted_exactly_like_the_serial_source() -> None:
    source, _ = _started()
    source.receive(_status("connected", 0.0, port=PORT))
    stream = format_header(50)
    good, xyz = _lines(0, 200)
    rows = good.splitlines(keepends=True)
    # One garbage line of every kind the fake Arduino injects, between good lines.
    for i, bad in enumerate(GARBAGE_LINES):
        rows.insert(10 + 15 * i, bad + b"\n")
    stream += b"".join(rows)
    for k, start in enumerate(range(0, len(stream), 97)):  # batches cut mid-line
        _data(source, stream[start : start + 97], sent=100.0 + 50 * k)
    stats = source.stats()
    assert (stats.good, stats.bad, stats.dropped) == (200, len(GARBAGE_LINES), 0)
    np.testing.assert_allclose(source.buffer.snapshot()[1], xyz, atol=1e-6)
    # The same bytes through the pyserial source's decoder give the same counts: one parser.
    decoder = LineDecoder(rate_hz=50.0)
    decoder.feed(stream)
    assert (decoder.good, decoder.bad) == (stats.good, stats.bad)
    assert source.last_bad_line is not None
    assert stats.rate_hz == pytest.approx(50.0)


def test_one_unplug_and_replug_counts_one_reconnect_and_keeps_every_good_line() -> None:
    source, notices = _started()
    assert source.idle_reason is not None  # before a port is picked, the person is told how
    source.receive(_status("connected", 0.0, port=PORT))
    assert source.idle_reason is None
    before, xyz1 = _lines(0, 100)
    _data(source, format_header(50) + before + b"12,0.1", sent=100.0)  # cut by the unplug
    source.receive(_status("disconnected", 150.0, reason="NetworkError: The device has been lost"))
    assert not source.stats().connected
    assert source.stats().rate_hz == 0.0  # the last estimate would be stale
    # Replugged: the board resets (a new header, millis() from 0); the half line is gone.
    source.receive(_status("connected", 900.0, port=PORT))
    after, xyz2 = _lines(0, 100)
    _data(source, format_header(50) + after, sent=1000.0)
    stats = source.stats()
    assert (stats.good, stats.bad, stats.dropped, stats.reconnects) == (200, 0, 0, 1)
    assert stats.connected
    np.testing.assert_allclose(source.buffer.snapshot()[1], np.vstack([xyz1, xyz2]), atol=1e-6)
    t = source.buffer.snapshot()[0]
    assert np.all(np.diff(t) >= 0)  # host times never go backwards across the replug
    assert [n.connected for n in notices] == [True, False, True]
    assert notices[0].message == f"{PORT} opened"
    assert "lost (NetworkError" in notices[1].message
    assert "waiting for it to come back" in notices[1].message
    assert notices[2].message == f"{PORT} reconnected"


def test_another_port_or_the_same_port_picked_again_is_not_a_reconnect() -> None:
    source, notices = _started()
    source.receive(_status("connected", 0.0, port=PORT))
    source.receive(_status("closed", 10.0))
    source.receive(_status("connected", 20.0, port=PORT))  # "Change port", the same one
    source.receive(_status("disconnected", 30.0, reason="unplugged"))
    source.receive(_status("connected", 40.0, port="CP210x USB 10c4:ea60"))
    assert source.stats().reconnects == 0
    assert [n.message for n in notices] == [
        f"{PORT} opened",
        f"{PORT} closed",
        f"{PORT} opened",
        f"{PORT} lost (unplugged); waiting for it to come back",
        "CP210x USB 10c4:ea60 opened",
    ]


def test_sample_times_are_the_board_clock_ending_when_the_bytes_reached_the_page() -> None:
    """The clock model is SerialSource's: board time, bounded above by arrival."""
    source, _ = _started()
    source.receive(_status("connected", 0.0, port=PORT))
    data, _ = _lines(0, 50)
    source.feed(format_header(50) + data, arrived_s=1000.0)
    t = source.buffer.snapshot()[0]
    assert t[-1] == pytest.approx(1000.0)
    np.testing.assert_allclose(np.diff(t), 0.02, atol=1e-9)
    assert source.stats().good == 50


@pytest.mark.parametrize(
    ("content", "buffers", "says"),
    [
        ({"type": "data", "chunks": [[0.0, 2]], "sent": 1.0}, [b"x" * 2] * 2, "exactly one"),
        ({"type": "data", "chunks": [[0.0, 3]], "sent": 1.0}, ["abc"], "must be bytes"),
        ({"type": "data", "chunks": [[0.0, 3]], "sent": 1.0}, [[1, 2, 3]], "must be bytes"),
        (
            {"type": "data", "chunks": [[0.0, MAX_MESSAGE_BYTES + 1]], "sent": 1.0},
            [bytes(MAX_MESSAGE_BYTES + 1)],
            "over the 1,048,576-byte limit",
        ),
        ({"type": "data", "chunks": [[0.0, 5]], "sent": 1.0}, [b"abc"], "describe 5 bytes"),
        ({"type": "data", "chunks": "all", "sent": 1.0}, [b"abc"], "'chunks' must be a list"),
        ({"type": "data", "chunks": [[0.0, -1]], "sent": 1.0}, [b""], "must be a count"),
        ({"type": "data", "chunks": [[0.0, 3]], "sent": "soon"}, [b"abc"], "'sent' must be"),
        ({"type": "data", "chunks": [[float("nan"), 3]], "sent": 1.0}, [b"abc"], "finite"),
        ({"type": "exec", "code": "import os", "sent": 1.0}, [], "unknown message type"),
        ({"type": "status", "state": "<b>", "sent": 1.0}, [], "unknown status state"),
        (["not", "a", "dict"], [], "must be a JSON object"),
    ],
)
def test_a_crafted_message_is_refused_clearly_counted_and_harmless(
    content: object, buffers: list[object], says: str
) -> None:
    source, _ = _started()
    source.receive(_status("connected", 0.0, port=PORT))
    data, _ = _lines(0, 10)
    _data(source, format_header(50) + data, sent=10.0)
    with pytest.raises(BrowserMessageError, match=says):
        source.receive(content, buffers)  # type: ignore[arg-type]
    assert source.rejected == 1
    assert source.last_rejected is not None
    assert says in source.last_rejected
    # The stream goes on as if the message had never come.
    more, _ = _lines(200, 10)
    _data(source, more, sent=20.0)
    stats = source.stats()
    assert (stats.good, stats.bad, stats.dropped) == (20, 0, 0)
    assert source.messages == 3


def test_data_before_a_port_is_refused_and_data_after_stop_is_ignored() -> None:
    source, notices = _started()
    with pytest.raises(BrowserMessageError, match="before the page said which port"):
        _data(source, b"1,0,0,1\n", sent=1.0)
    source.receive(_status("connected", 2.0, port=PORT))
    source.stop()
    assert notices[-1].message == f"{PORT} closed"
    _data(source, format_line(5, 0, 0, 1), sent=3.0)  # a batch in flight when the person left
    assert source.buffer.total == 0
    assert source.rejected == 1


def test_a_port_name_reaches_messages_without_control_characters() -> None:
    assert clean_port_name("Evil\x1b[31m\nport") == "Evil [31m port"
    assert len(clean_port_name("x" * 500)) == 80
    assert clean_port_name("") == "serial port"


def test_message_rate_is_measured_from_the_page_send_times() -> None:
    source, _ = _started()
    source.receive(_status("connected", 0.0, port=PORT))
    data, _ = _lines(0, 60)
    for k in range(60):  # 20 batches a second for three seconds
        _data(source, data[k * 27 : (k + 1) * 27], sent=1.0 + 50.0 * k, pieces=1)
    assert source.max_messages_per_s() == 21  # the status message falls in the first second
    assert max_per_window([0.0, 0.5, 0.99, 1.0, 1.5]) == 3


def test_the_delay_is_the_kernel_wall_clock_minus_the_page_arrival() -> None:
    import time

    source, _ = _started()
    source.receive(_status("connected", 0.0, port=PORT))
    data, _ = _lines(0, 10)
    page_ms = time.time() * 1000.0 - 40.0  # reached the page 40 ms ago
    source.feed(format_header(50) + data, page_ms=page_ms)
    delays = source.delays_ms()
    assert delays.shape == (10,)
    assert 40.0 <= delays.min() < 40.0 + 5_000.0


def test_a_port_that_cannot_be_opened_or_sends_noise_says_so() -> None:
    source, notices = _started()
    source.receive(_status("error", 0.0, reason="NetworkError: Failed to open serial port."))
    assert notices[-1].message == (
        "cannot open USB sensor on this computer: NetworkError: Failed to open serial port."
    )
    assert source.stats().reconnects == 0
    source.receive(_status("connected", 1.0, port=PORT))
    noise = b"".join(b"\xfe\x9c\xa7 %d\n" % i for i in range(21))  # a wrong baud rate
    _data(source, b"#\n" + noise, sent=2.0)
    assert source.stats().bad == 21
    assert "21 lines and none valid" in notices[-1].message
    assert "115200 baud" in notices[-1].message


def test_the_board_announced_range_sets_the_plot_scale_as_on_the_serial_source() -> None:
    # Before the shared LineStreamSource, only SerialSource took the header's range=: a 16 g
    # board read through the browser was drawn clipped at the default +/-8 g.
    source, _notices = _started()
    source.receive(_status("connected", 0.0, port=PORT))
    data, _xyz = _lines(0, 10)
    _data(source, format_header(100, range="16g") + data, sent=100.0)
    assert source.full_scale_g == pytest.approx(16.0)
    assert source.rate_hz == pytest.approx(100.0)
