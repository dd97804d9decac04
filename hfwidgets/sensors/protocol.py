"""The line protocol of the hfw-imu Arduino sketch, and a decoder for a byte stream of it.

One ASCII line per sample at 115200 baud, ``\\n`` or ``\\r\\n`` terminated::

    # hfw-imu v1 rate=50 range=8g        header: printed at boot (and so after every reset)
    12345,-0.9812,0.0123,0.1540          sample: t_ms (device millis()), ax, ay, az in g

Lines starting with ``#`` carry ``key=value`` information and are never samples. Anything else
that is not exactly an integer and three finite numbers within +/-32 g is a *bad line*: counted,
skipped, and never allowed to take a good sample with it. Missing samples are found from the
device clock: a step in ``t_ms`` of more than 1.5 sample periods means samples were dropped on the
way (the count is the step divided by the period, minus one). A step backwards means the device
restarted (its ``millis()`` began again), which is not a drop.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from hfwidgets.sensors.base import estimate_rate

__all__ = [
    "BAUDRATE",
    "MAX_ABS_G",
    "MAX_LINE_BYTES",
    "BadLine",
    "Header",
    "LineDecoder",
    "Sample",
    "format_header",
    "format_line",
    "parse_line",
]

BAUDRATE = 115200
#: The MPU-9250's widest range is +/-16 g; anything beyond twice that is corruption, not motion.
MAX_ABS_G = 32.0
#: A sample line is < 40 bytes; a longer run without a newline is noise (e.g. a wrong baud rate).
MAX_LINE_BYTES = 256
PROTOCOL = "hfw-imu v1"


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
        """The ``rate=`` value, if present and a positive number."""
        try:
            rate = float(self.info["rate"])
        except (KeyError, ValueError):
            return None
        return rate if math.isfinite(rate) and rate > 0 else None


def format_header(rate_hz: float, **info: str) -> bytes:
    """The sketch's boot line, e.g. ``b"# hfw-imu v1 rate=50 range=8g\\n"``."""
    pairs = " ".join(f"{k}={v}" for k, v in {"rate": f"{rate_hz:g}", **info}.items())
    return f"# {PROTOCOL} {pairs}\n".encode("ascii")


def format_line(t_ms: int, ax: float, ay: float, az: float) -> bytes:
    """One sample line as the sketch prints it (4 decimals: finer than the sensor's LSB)."""
    return f"{int(t_ms)},{ax:.4f},{ay:.4f},{az:.4f}\n".encode("ascii")


def parse_line(line: bytes | str) -> Sample | Header:
    """Parse one line (with or without its line ending).

    Raises
    ------
    BadLine
        With the reason: field count, not a number, not finite, out of range, negative time.
    """
    raw = line.encode("latin-1") if isinstance(line, str) else bytes(line)
    text = raw.rstrip(b"\r\n")
    if text.startswith(b"#"):
        words = text[1:].decode("ascii", "replace").split()
        info = dict(w.split("=", 1) for w in words if "=" in w)
        return Header(" ".join(w for w in words if "=" not in w), info)
    fields = text.split(b",")
    if len(fields) != 4:
        raise BadLine(raw, f"expected 4 comma-separated fields, got {len(fields)}")
    try:
        t_ms = int(fields[0])
        ax, ay, az = float(fields[1]), float(fields[2]), float(fields[3])
    except ValueError:
        raise BadLine(raw, "a field is not a number") from None
    if t_ms < 0:
        raise BadLine(raw, "negative time")
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
    """

    def __init__(self, *, rate_hz: float = 50.0) -> None:
        if not rate_hz > 0:
            raise ValueError(f"rate_hz must be > 0, got {rate_hz!r}")
        self.rate_hz = float(rate_hz)
        self.good = self.bad = self.dropped = self.restarts = self.headers = 0
        self.last_bad: BadLine | None = None
        self._recent_ms: deque[int] = deque(maxlen=256)
        self.reset(skip_partial=False)

    def reset(self, *, skip_partial: bool = True) -> None:
        """Start a new connection: forget the partial line and the device clock.

        With ``skip_partial`` the first line is dropped uncounted unless it is a header: a port
        opened mid-stream delivers the tail of a line first (and an Arduino that resets on open
        prints its header first, which is kept).
        """
        self._pending = b""
        self._skip_first = skip_partial
        self._last_ms: int | None = None

    def estimated_rate(self) -> float:
        """Rate from the device clock of the last 256 good samples (0.0 before two)."""
        return estimate_rate(np.asarray(self._recent_ms, dtype=np.float64) / 1000.0)

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
                if not line.startswith(b"#"):
                    continue
            try:
                parsed = parse_line(line)
            except BadLine as exc:
                self._count_bad(exc)
                continue
            if isinstance(parsed, Header):
                headers.append(parsed)
                self._on_header(parsed)
                continue
            self._on_sample_time(parsed.t_ms)
            t_list.append(parsed.t_ms)
            rows.append((parsed.ax, parsed.ay, parsed.az))
        self.good += len(t_list)
        self._recent_ms.extend(t_list[-256:])
        xyz = np.array(rows, dtype=np.float32).reshape(-1, 3)
        return np.array(t_list, dtype=np.int64), xyz, headers

    def _count_bad(self, exc: BadLine) -> None:
        self.bad += 1
        self.last_bad = exc

    def _on_header(self, header: Header) -> None:
        self.headers += 1
        if header.rate_hz is not None:
            self.rate_hz = header.rate_hz
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
        period = 1000.0 / self.rate_hz
        if step > 1.5 * period:
            self.dropped += max(0, round(step / period) - 1)
