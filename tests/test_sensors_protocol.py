"""The hfw-imu line protocol and its stream decoder: every bad line counted, no good one lost."""

from __future__ import annotations

import numpy as np
import pytest

from hfwidgets.sensors.fake_arduino import GARBAGE_LINES
from hfwidgets.sensors.protocol import (
    BadLine,
    BoardCount,
    Header,
    LineDecoder,
    Sample,
    format_count,
    format_header,
    format_line,
    parse_line,
)


def test_format_and_parse_round_trip() -> None:
    line = format_line(1234, -0.98123, 0.0123, 0.154)
    assert line == b"1234,-0.9812,0.0123,0.1540\n"
    assert parse_line(line) == Sample(1234, -0.9812, 0.0123, 0.154)
    assert parse_line(line.replace(b"\n", b"\r\n")) == Sample(1234, -0.9812, 0.0123, 0.154)


def test_header_carries_the_rate() -> None:
    header = parse_line(format_header(119, range="8g"))
    assert isinstance(header, Header)
    assert header.rate_hz == 119.0
    assert header.info["range"] == "8g"
    assert header.text == "hfw-imu v1"


@pytest.mark.parametrize("line", GARBAGE_LINES)
def test_every_kind_of_garbage_is_a_bad_line_with_a_reason(line: bytes) -> None:
    with pytest.raises(BadLine) as info:
        parse_line(line)
    assert info.value.reason


def _stream(n: int, *, start_ms: int = 0, step_ms: int = 20) -> bytes:
    return b"".join(format_line(start_ms + i * step_ms, i / 1000, -1.0, 0.5) for i in range(n))


def test_decoder_is_independent_of_chunk_boundaries() -> None:
    data = format_header(50) + _stream(200)
    whole = LineDecoder(rate_hz=50)
    t1, x1, _ = whole.feed(data)
    split = LineDecoder(rate_hz=50)
    parts = [split.feed(data[i : i + 7]) for i in range(0, len(data), 7)]
    t2 = np.concatenate([p[0] for p in parts])
    x2 = np.concatenate([p[1] for p in parts])
    np.testing.assert_array_equal(t1, t2)
    np.testing.assert_array_equal(x1, x2)
    assert (whole.good, whole.bad, whole.dropped) == (200, 0, 0)
    assert whole.estimated_rate() == pytest.approx(50)


def test_decoder_counts_garbage_exactly_and_keeps_every_good_line() -> None:
    lines = []
    for i in range(300):
        lines.append(format_line(i * 20, 0.1, 0.2, 0.3))
        if i % 10 == 0:
            lines.append(GARBAGE_LINES[i % len(GARBAGE_LINES)] + b"\n")
    dec = LineDecoder(rate_hz=50)
    t, _, _ = dec.feed(b"".join(lines))
    assert dec.good == 300
    assert dec.bad == 30
    assert dec.dropped == 0
    np.testing.assert_array_equal(t, np.arange(300) * 20)


def test_gaps_in_the_device_clock_count_as_dropped() -> None:
    dec = LineDecoder(rate_hz=50)
    dec.feed(_stream(10) + _stream(5, start_ms=10 * 20 + 3 * 20))  # 3 samples missing
    assert dec.dropped == 3
    assert dec.good == 15


def test_a_reset_is_a_restart_not_a_drop() -> None:
    dec = LineDecoder(rate_hz=50)
    dec.feed(_stream(10, start_ms=5000) + format_header(50) + _stream(10))
    dec.feed(_stream(3, start_ms=0))  # millis() back to 0 without a header
    assert (dec.dropped, dec.restarts, dec.good) == (0, 2, 23)


def test_first_partial_line_after_open_is_skipped_but_a_header_is_kept() -> None:
    dec = LineDecoder(rate_hz=50)
    dec.reset(skip_partial=True)
    t, _, _ = dec.feed(b"0.0123,0.1540\n" + _stream(3))  # tail of a line cut by the open
    assert (dec.good, dec.bad, t.tolist()) == (3, 0, [0, 20, 40])
    dec.reset(skip_partial=True)
    _, _, headers = dec.feed(format_header(100) + _stream(2))
    assert headers
    assert dec.rate_hz == 100


def test_noise_without_line_ends_is_bounded_and_counted() -> None:
    dec = LineDecoder(rate_hz=50)
    dec.feed(bytes(range(128, 256)) * 4)  # 512 bytes of wrong-baud noise, no newline
    assert dec.bad == 1
    t, _, _ = dec.feed(b"\n" + _stream(2))
    assert t.size == 2


# -- one bad line costs exactly one line (issue 13, item 3) ---------------------------------------


@pytest.mark.parametrize(
    "bad",
    [
        b"9223372036854775808,0.1,0.2,0.3",  # t_ms = 2**63: beyond any millis()
        b"1" * 309 + b",0.1,0.2,0.3",  # a 309-digit time
        b"20," + b"1" * 309 + b",0.2,0.3",  # a 309-digit value (float() gives inf)
        b"1_020,+0.1,1_0.5,0.3",  # Python's underscores are not the protocol
        b"20,0.1,0.2,0.3\x000.4",  # a NUL inside a line
    ],
    ids=["t-2**63", "t-309-digits", "value-309-digits", "underscores", "inner-nul"],
)
def test_one_oversized_or_malformed_line_costs_exactly_that_line(bad: bytes) -> None:
    dec = LineDecoder(rate_hz=50)
    t, xyz, _ = dec.feed(_stream(3) + bad + b"\n" + _stream(3, start_ms=60))
    assert t.tolist() == [0, 20, 40, 60, 80, 100]
    assert xyz.shape == (6, 3)
    assert (dec.good, dec.bad, dec.dropped) == (6, 1, 0)
    assert dec.last_bad is not None
    assert dec.last_bad.reason


def test_an_absurd_header_rate_is_a_bad_line_and_changes_nothing() -> None:
    dec = LineDecoder(rate_hz=50)
    dec.feed(_stream(3) + b"# hfw-imu v1 rate=1e300\n" + _stream(3, start_ms=80))  # one gap
    assert dec.rate_hz == 50
    assert (dec.good, dec.bad, dec.dropped) == (6, 1, 1)


def test_a_time_jump_to_2_63_adds_no_astronomical_drop_count() -> None:
    dec = LineDecoder(rate_hz=50)
    dec.feed(_stream(3) + format_line(2**63, 0, 0, 1) + _stream(3, start_ms=60))
    assert (dec.good, dec.bad, dec.dropped) == (6, 1, 0)
    # A plausible time far beyond any stall is a new clock (the line is kept), not drops.
    dec.feed(format_line(2**40, 0, 0, 1) + _stream(3, start_ms=2**40 + 20))
    assert dec.dropped == 0
    assert dec.good == 10


def test_a_utf16_nul_does_not_stick_to_the_next_good_line() -> None:
    dec = LineDecoder(rate_hz=50)
    # A UTF-16 line end is b"\n\x00": its NUL starts the next line, possibly in the next read.
    t1, _, _ = dec.feed(_stream(2) + b"\x00")
    t2, _, _ = dec.feed(_stream(2, start_ms=40).replace(b"\n", b"\n\x00"))
    assert t1.tolist() + t2.tolist() == [0, 20, 40, 60]
    assert (dec.good, dec.bad) == (4, 0)


# -- timestamps coarser than the sample period (issue 13, item 4) -------------------------------


def _whole_ms_stream(n: int, rate_hz: float, *, skip: tuple[int, ...] = ()) -> bytes:
    # As the fake Arduino (and a sketch printing millis()) stamps them: whole milliseconds.
    return b"".join(
        format_line(round(i * 1000 / rate_hz), 0, 0, 1) for i in range(n) if i not in skip
    )


def test_five_khz_with_whole_millisecond_times_drops_nothing_and_estimates_5000_hz() -> None:
    dec = LineDecoder(rate_hz=50)
    dec.feed(format_header(5000) + _whole_ms_stream(50_000, 5000))
    assert (dec.good, dec.bad, dec.dropped) == (50_000, 0, 0)
    assert dec.estimated_rate() == pytest.approx(5000, rel=0.01)


def test_five_khz_gaps_longer_than_the_time_resolution_count_as_dropped() -> None:
    dec = LineDecoder(rate_hz=5000)
    dec.feed(_whole_ms_stream(1000, 5000, skip=tuple(range(500, 550))))  # 10 ms missing
    assert dec.good == 950
    assert 45 <= dec.dropped <= 55  # whole-ms stamps tell a 10 ms gap to within 1 ms


def test_a_boards_count_line_is_information_not_a_restart_or_a_bad_line() -> None:
    assert parse_line(b"# count 3 p=0.97\r\n") == BoardCount(3, 0.97)
    assert parse_line(format_count(12, 0.8)) == BoardCount(12, 0.8)
    assert parse_line(b"# count 2 p=7") == BoardCount(2, None)  # a p beyond [0, 1] is dropped
    assert isinstance(parse_line(b"# counting started"), Header)  # not a count
    dec = LineDecoder(rate_hz=50)
    _, _, headers = dec.feed(
        format_header(50) + _stream(5) + format_count(1, 0.93) + _stream(5, start_ms=100)
    )
    assert dec.board_count == BoardCount(1, 0.93)
    assert (dec.good, dec.bad, dec.dropped, dec.restarts, len(headers)) == (10, 0, 0, 0, 1)
    dec.feed(format_header(50))  # the board restarted: its count starts again
    assert dec.board_count is None
