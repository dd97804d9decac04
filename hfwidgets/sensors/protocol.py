"""The line protocol of the hfw-imu Arduino sketch, and a decoder for a byte stream of it.

One ASCII line per sample at 115200 baud, ``\\n`` or ``\\r\\n`` terminated::

    # hfw-imu v1 rate=50 range=8g        header: printed at boot (and so after every reset)
    12345,-0.9812,0.0123,0.1540          sample: t_ms (device millis()), ax, ay, az in g

Lines starting with ``#`` carry ``key=value`` information and are never samples (a ``rate=``
that is not a number in (0, 100 kHz] makes the header a bad line). Anything else that is not
exactly a whole number of milliseconds below 2**53 and three plain decimal numbers within
+/-32 g (digits, one optional sign, point and exponent; no ``_``, no NUL) is a *bad line*:
counted, skipped, and never allowed to take a good sample with it. NUL bytes at the edges of a
line (a UTF-16 line end, line noise at power-up) are ignored.

``# count N p=0.97`` is the count of a board that runs a board model itself (``hfw export
--format board``): a :class:`BoardCount`, neither a header nor a sample, so it never looks like
the board restarting.

Missing samples are found from the device clock. ``t_ms`` has a resolution of 1 ms, which at
high rates is coarser than the sample period (at 5 kHz five samples share each millisecond),
so a step is a gap only when it is longer than both 1.5 periods and one period plus that
resolution; the count is the step divided by the period, minus one. A step backwards means the
device restarted (its ``millis()`` began again), and a step forward of more than a minute means
a new clock (a stall or a corrupted but plausible time): neither is counted as dropped.
"""

from __future__ import annotations

import contextlib
import math
import re
from collections import deque
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from hfwidgets.sensors.base import FULL_SCALE_G, estimate_rate

__all__ = [
    "BAUDRATE",
    "MAX_ABS_G",
    "MAX_GAP_MS",
    "MAX_LINE_BYTES",
    "MAX_RATE_HZ",
    "MAX_T_MS",
    "BadLine",
    "BoardCount",
    "Header",
    "LineDecoder",
    "Sample",
    "format_count",
    "format_header",
    "format_line",
    "parse_line",
]

BAUDRATE = 115200
#: The MPU-9250's widest range is +/-16 g; anything beyond twice that is corruption, not motion.
MAX_ABS_G = 32.0
#: A sample line is < 40 bytes; a longer run without a newline is noise (e.g. a wrong baud rate).
MAX_LINE_BYTES = 256
#: Largest accepted device time: 2**53 ms (285,000 years) is exact in a float64 and far beyond
#: any board's ``millis()``; a larger one (2**63 from a corrupted line) is a bad line.
MAX_T_MS = 2**53
#: Largest accepted ``rate=``: USB full-speed serial carries at most ~40,000 such lines/s.
MAX_RATE_HZ = 100_000.0
#: A forward step of the device clock longer than this is a new clock, not dropped samples.
MAX_GAP_MS = 60_000
#: ``t_ms`` is whole milliseconds: the resolution of the device clock as printed.
TIME_RESOLUTION_MS = 1.0
PROTOCOL = "hfw-imu v1"

# The numbers the sketch prints, and nothing Python's int()/float() also accept (underscores,
# "nan", "infinity", surrounding Unicode spaces). Bounded lengths keep a 309-digit field cheap.
_TIME_RE = rb"[ \t]*([0-9]{1,20})[ \t]*"
_NUMBER_RE = (
    rb"[ \t]*([+-]?(?:[0-9]{1,20}(?:\.[0-9]{0,20})?|\.[0-9]{1,20})(?:[eE][+-]?[0-9]{1,3})?)[ \t]*"
)
_TIME = re.compile(_TIME_RE)
_NEGATIVE_TIME = re.compile(rb"[ \t]*-[0-9]{1,20}[ \t]*")
_NUMBER = re.compile(_NUMBER_RE)
# A whole well-formed sample line in one match: the fast path for the thousands of good lines
# a second; the field-by-field checks run only to say why a line is bad.
_SAMPLE = re.compile(_TIME_RE + b"," + _NUMBER_RE + b"," + _NUMBER_RE + b"," + _NUMBER_RE)
_EDGE_BYTES = b"\x00\r\n"
_RECENT = 4096


class BadLine(ValueError):
    """A line that is neither a sample nor a header; ``reason`` says why."""

    def __init__(self, line: bytes, reason: str) -> None:
        super().__init__(f"bad line {line[:60]!r}: {reason}")
        self.line = line
        self.reason = reason


@dataclass(frozen=True)
class Sample:
    """One parsed sample: device time in ms and acceleration in g."""

    t_ms: int
    ax: float
    ay: float
    az: float


@dataclass(frozen=True)
class Header:
    """A ``#`` line: the protocol text and its ``key=value`` pairs (e.g. ``rate``)."""

    text: str
    info: dict[str, str] = field(default_factory=dict)

    @property
    def rate_hz(self) -> float | None:
        """The ``rate=`` value, if present and a number in (0, `MAX_RATE_HZ`]."""
        try:
            rate = float(self.info["rate"])
        except (KeyError, ValueError):
            return None
        return rate if math.isfinite(rate) and 0 < rate <= MAX_RATE_HZ else None

    @property
    def range_g(self) -> float | None:
        """The ``range=`` value in g (``8g`` or ``8``), if present and in (0, `MAX_ABS_G`]."""
        try:
            value = float(self.info["range"].lower().removesuffix("g"))
        except (KeyError, ValueError):
            return None
        return value if math.isfinite(value) and 0 < value <= MAX_ABS_G else None


@dataclass(frozen=True)
class BoardCount:
    """A ``# count N p=0.97`` line: the board's own running count and the probability behind it."""

    count: int
    p: float | None = None


def format_count(count: int, p: float) -> bytes:
    """The line a board-model sketch prints when it counts, e.g. ``b"# count 3 p=0.97\\n"``."""
    return f"# count {int(count)} p={p:.2f}\n".encode("ascii")


def _board_count(words: list[str]) -> BoardCount | None:
    if len(words) < 2 or words[0] != "count" or not words[1].isdigit() or len(words[1]) > 9:
        return None
    p = None
    for word in words[2:]:
        if word.startswith("p="):
            with contextlib.suppress(ValueError):
                value = float(word[2:])
                p = value if 0.0 <= value <= 1.0 else None
    return BoardCount(int(words[1]), p)


def format_header(rate_hz: float, **info: str) -> bytes:
    """The sketch's boot line, e.g. ``b"# hfw-imu v1 rate=50 range=8g\\n"``."""
    pairs = " ".join(f"{k}={v}" for k, v in {"rate": f"{rate_hz:g}", **info}.items())
    return f"# {PROTOCOL} {pairs}\n".encode("ascii")


def format_line(t_ms: int, ax: float, ay: float, az: float) -> bytes:
    """One sample line as the sketch prints it (4 decimals: finer than the sensor's LSB)."""
    return f"{int(t_ms)},{ax:.4f},{ay:.4f},{az:.4f}\n".encode("ascii")


def _parse_information(raw: bytes, text: bytes) -> Header | BoardCount:
    """A ``#`` line: a board's ``# count N p=..``, else a header (``rate=`` checked)."""
    words = text[1:].decode("ascii", "replace").split()
    count = _board_count(words)
    if count is not None:
        return count
    info = dict(w.split("=", 1) for w in words if "=" in w)
    header = Header(" ".join(w for w in words if "=" not in w), info)
    if "rate" in info and header.rate_hz is None:
        raise BadLine(raw, f"rate={info['rate']} is not a rate in (0, {MAX_RATE_HZ:g}] Hz")
    return header


def parse_line(line: bytes | str) -> Sample | Header | BoardCount:
    """Parse one line (with or without its line ending).

    Raises
    ------
    BadLine
        With the reason: field count, not a number, not finite, out of range, negative time.
    """
    raw = line.encode("latin-1") if isinstance(line, str) else bytes(line)
    text = raw.strip(_EDGE_BYTES)
    if text.startswith(b"#"):
        return _parse_information(raw, text)
    whole = _SAMPLE.fullmatch(text)
    if whole is not None:
        t_ms = int(whole[1])
        ax, ay, az = float(whole[2]), float(whole[3]), float(whole[4])
        if (
            t_ms < MAX_T_MS
            and -MAX_ABS_G <= ax <= MAX_ABS_G
            and -MAX_ABS_G <= ay <= MAX_ABS_G
            and -MAX_ABS_G <= az <= MAX_ABS_G
        ):
            return Sample(t_ms, ax, ay, az)
    fields = text.split(b",")
    if len(fields) != 4:
        raise BadLine(raw, f"expected 4 comma-separated fields, got {len(fields)}")
    time_match = _TIME.fullmatch(fields[0])
    if time_match is None:
        if _NEGATIVE_TIME.fullmatch(fields[0]):
            raise BadLine(raw, "negative time")
        raise BadLine(raw, "the time is not a whole number of milliseconds")
    numbers = [_NUMBER.fullmatch(f) for f in fields[1:]]
    if any(m is None for m in numbers):
        raise BadLine(raw, "a field is not a number")
    t_ms = int(time_match.group(1))
    if t_ms >= MAX_T_MS:
        raise BadLine(raw, f"time {fields[0][:24]!r}... ms is beyond 2**53 ms")
    ax, ay, az = (float(m.group(1)) for m in numbers if m is not None)
    for value in (ax, ay, az):
        if not -MAX_ABS_G <= value <= MAX_ABS_G:  # also rejects NaN and inf
            raise BadLine(raw, f"acceleration {value} g is not finite or beyond +/-{MAX_ABS_G} g")
    return Sample(t_ms, ax, ay, az)


class LineDecoder:
    """Turn chunks of bytes from the port into sample arrays, counting what went wrong.

    Parameters
    ----------
    rate_hz : float
        Nominal rate, used to spot gaps until a header announces the device's own rate.

    Attributes
    ----------
    good, bad, dropped, restarts, headers : int
        Counters since creation (not reset by :meth:`reset`).
    rate_hz : float
        The device's announced rate (or the nominal one).
    full_scale_g : float
        The device's announced range (``range=``), else the sketch's `FULL_SCALE_G`.
    board_count : BoardCount or None
        The last ``# count`` line of a board that counts itself; None since its last header
        (a board that restarts counts from 0 again) or when it never counted.
    """

    def __init__(self, *, rate_hz: float = 50.0) -> None:
        if not rate_hz > 0:
            raise ValueError(f"rate_hz must be > 0, got {rate_hz!r}")
        self.rate_hz = float(rate_hz)
        self.full_scale_g = FULL_SCALE_G
        self.good = self.bad = self.dropped = self.restarts = self.headers = 0
        self.last_bad: BadLine | None = None
        self.board_count: BoardCount | None = None
        # Enough samples for a count-per-millisecond estimate to be within 0.1 % at 5 kHz.
        self._recent_ms: deque[int] = deque(maxlen=_RECENT)
        self.reset(skip_partial=False)

    def reset(self, *, skip_partial: bool = True) -> None:
        """Start a new connection: forget the partial line and the device clock.

        With ``skip_partial`` the first line is dropped uncounted unless it is a header: a port
        opened mid-stream delivers the tail of a line first (and an Arduino that resets on open
        prints its header first, which is kept). The rate estimate starts again too: it is the
        rate of this connection's samples, not a median over the last one's.
        """
        self._pending = b""
        self._skip_first = skip_partial
        self._last_ms: int | None = None
        self._recent_ms.clear()

    def estimated_rate(self) -> float:
        """Rate from the device clock of the last 4096 good samples (0.0 before two).

        The median interval, unless the times are coarser than the period (several samples in
        one millisecond, as at 5 kHz): then samples per elapsed millisecond.
        """
        ms = np.asarray(self._recent_ms, dtype=np.float64)
        if ms.size < 2:
            return 0.0
        steps = np.diff(ms)
        if np.count_nonzero(steps == 0) * 4 >= steps.size:  # a quarter share a millisecond
            span = float(ms[-1] - ms[0])
            return (ms.size - 1) * 1000.0 / span if span > 0 else 0.0
        return estimate_rate(ms / 1000.0)

    def feed(self, data: bytes) -> tuple[NDArray[np.int64], NDArray[np.float32], list[Header]]:
        """Decode ``data`` (any chunk size); keep an unfinished last line for the next call.

        Returns
        -------
        t_ms : ndarray of int64, shape (n,)
            Device times of the good samples.
        xyz : ndarray of float32, shape (n, 3)
        headers : list of Header
            Header lines seen in this chunk (a header means the device (re)started).
        """
        lines = (self._pending + data).split(b"\n")
        self._pending = lines.pop()
        if len(self._pending) > MAX_LINE_BYTES:  # no newline for far too long: noise
            self._count_bad(BadLine(self._pending, f"no line end within {MAX_LINE_BYTES} bytes"))
            self._pending = b""
        t_list: list[int] = []
        rows: list[tuple[float, float, float]] = []
        headers: list[Header] = []
        for line in lines:
            if self._skip_first:
                self._skip_first = False
                if not line.lstrip(_EDGE_BYTES).startswith(b"#"):
                    continue
            try:
                parsed = parse_line(line)
            except BadLine as exc:
                self._count_bad(exc)
                continue
            except (ValueError, OverflowError) as exc:  # whatever slipped past: one line only
                self._count_bad(BadLine(line, f"cannot be read: {exc}"))
                continue
            if isinstance(parsed, BoardCount):
                self.board_count = parsed
                continue
            if isinstance(parsed, Header):
                headers.append(parsed)
                self._on_header(parsed)
                continue
            self._on_sample_time(parsed.t_ms)
            t_list.append(parsed.t_ms)
            rows.append((parsed.ax, parsed.ay, parsed.az))
        self.good += len(t_list)
        self._recent_ms.extend(t_list[-_RECENT:])
        xyz = np.array(rows, dtype=np.float32).reshape(-1, 3)
        return np.array(t_list, dtype=np.int64), xyz, headers

    def _count_bad(self, exc: BadLine) -> None:
        self.bad += 1
        self.last_bad = exc

    def _on_header(self, header: Header) -> None:
        self.headers += 1
        self.board_count = None  # a (re)started board counts from 0
        if header.rate_hz is not None:
            self.rate_hz = header.rate_hz
        if header.range_g is not None:
            self.full_scale_g = header.range_g
        if self._last_ms is not None:  # a header mid-stream: the board rebooted
            self.restarts += 1
        self._last_ms = None
        self._recent_ms.clear()

    def _on_sample_time(self, t_ms: int) -> None:
        last, self._last_ms = self._last_ms, t_ms
        if last is None:
            return
        step = t_ms - last
        if step < 0:  # millis() started again: a reset we did not see a header for
            self.restarts += 1
            self._recent_ms.clear()
            return
        if step > MAX_GAP_MS:  # no stall is that long: a new clock, not lost samples
            self._recent_ms.clear()
            return
        period = 1000.0 / self.rate_hz
        # Whole-millisecond stamps: a step of up to one period plus 1 ms is no gap at all.
        if step > max(1.5 * period, period + TIME_RESOLUTION_MS):
            self.dropped += max(1, round(step / period) - 1)
