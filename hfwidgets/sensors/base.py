"""What every sample source shares: a ring buffer, counters, status notices, start/stop.

Sources differ only in where samples come from (a serial port, a simulated arm, a recording);
consumers (plot, segmenter, live classifier, ``hfw record``) only touch this interface.
"""

from __future__ import annotations

import logging
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, TypeVar

import numpy as np

from hfwidgets._callbacks import CallbackList
from hfwidgets.sensors.buffer import RingBuffer

if TYPE_CHECKING:
    from hfwidgets.sensors.protocol import BoardCount

__all__ = [
    "FULL_SCALE_G",
    "LEGACY_SOURCE_NAMES",
    "Source",
    "SourceStats",
    "SourceStatus",
    "estimate_rate",
    "source_label",
]

log = logging.getLogger(__name__)

#: The accelerometer's full range in g as the hfw-imu sketch configures it
#: (firmware/hfw_imu/hfw_imu.ino: ``LSB_PER_G = 4096``, +/-8 g; its header says ``range=8g``).
#: A source whose board announces another ``range=`` reports that in ``Source.full_scale_g``.
FULL_SCALE_G = 8.0

#: What a stored window's ``source`` said before sources had a :attr:`Source.label` (the class
#: name), and the label that replaced it: old projects' windows group with new ones.
LEGACY_SOURCE_NAMES = {
    "SimulatedSource": "simulated arm",
    "ReplaySource": "recording",
    "BrowserSerialSource": "USB sensor on this computer",
}


def source_label(source: object) -> str:
    """What a source is called: the one naming of sources, live or stored.

    A source (:class:`Source` or a stand-in with a ``label``) is called by its
    :attr:`Source.label` (a port's name, "simulated arm"): what a captured window stores as its
    ``source``, what messages and the Sensor menu say. A stored window's ``source`` text is
    itself, an old class name read as the label that replaced it (:data:`LEGACY_SOURCE_NAMES`),
    so old projects' windows group with new ones. None is ""; a stand-in without a label is
    called by its ``port``, else its class name.

    >>> source_label("SimulatedSource"), source_label("/dev/ttyACM0"), source_label(None)
    ('simulated arm', '/dev/ttyACM0', '')
    """
    if source is None:
        return ""
    if isinstance(source, str):
        return LEGACY_SOURCE_NAMES.get(source, source)
    label = getattr(source, "label", None)
    if isinstance(label, str) and label:
        return label
    port = getattr(source, "port", None)
    return str(port) if port else type(source).__name__


@dataclass(frozen=True)
class SourceStats:
    """Counters of a source, as a consistent snapshot.

    Attributes
    ----------
    good : int
        Samples accepted into the buffer.
    bad : int
        Lines that were received but rejected (garbage, wrong field count, NaN, absurd values).
    dropped : int
        Samples known to be missing: gaps in the device's sample clock, or lines lost because the
        reader could not keep up.
    reconnects : int
        Times the source came back after the device disappeared.
    rate_hz : float
        Sample rate estimated from recent sample times (0.0 before two samples arrived).
    connected : bool
        Whether samples can currently arrive.
    """

    good: int = 0
    bad: int = 0
    dropped: int = 0
    reconnects: int = 0
    rate_hz: float = 0.0
    connected: bool = False


@dataclass(frozen=True)
class SourceStatus:
    """A connect or disconnect notice, published to ``Source.on_status`` callbacks.

    Attributes
    ----------
    connected : bool
        State after the change.
    message : str
        What happened, for a person (e.g. ``"/dev/ttyACM0 disappeared; retrying"``).
    time : float
        ``time.monotonic()`` at the change.
    """

    connected: bool
    message: str
    time: float


def estimate_rate(t: np.ndarray) -> float:
    """Sample rate from sample times: the reciprocal of the median interval.

    The median ignores a few late or bunched samples (USB delivers in bursts), so the estimate
    stays at the device's rate. Returns 0.0 with fewer than two distinct times.
    """
    if len(t) < 2:
        return 0.0
    dt = np.diff(np.asarray(t, dtype=np.float64))
    dt = dt[dt > 0]
    if dt.size == 0:
        return 0.0
    return float(1.0 / np.median(dt))


_SourceT = TypeVar("_SourceT", bound="Source")


class Source(ABC):
    """A live stream of 3-axis acceleration samples (g) into a :class:`RingBuffer`.

    Parameters
    ----------
    rate_hz : float
        Nominal sample rate (the device's configured rate).
    buffer_seconds : float
        How much history the ring buffer keeps.

    Notes
    -----
    Subclasses implement :meth:`start`, :meth:`stop` and :meth:`stats`. Sample times in the
    buffer are seconds on ``time.monotonic()`` for live sources, so a consumer can measure
    latency as ``time.monotonic() - t[-1]``.
    """

    #: What a person calls this kind of source; :attr:`label` adds the device where there is one.
    LABEL = ""

    def __init__(self, *, rate_hz: float, buffer_seconds: float = 600.0) -> None:
        if not rate_hz > 0:
            raise ValueError(f"rate_hz must be > 0, got {rate_hz!r}")
        if not buffer_seconds > 0:
            raise ValueError(f"buffer_seconds must be > 0, got {buffer_seconds!r}")
        self.rate_hz = float(rate_hz)
        #: Full range of the readings, +/- this many g (what a plot's fixed axis shows).
        self.full_scale_g = FULL_SCALE_G
        self.buffer = RingBuffer(max(16, round(rate_hz * buffer_seconds)))
        self._status_callbacks = CallbackList("status")

    # -- lifecycle ---------------------------------------------------------------------------
    @abstractmethod
    def start(self) -> None:
        """Begin delivering samples (returns at once; delivery happens in a thread)."""

    @abstractmethod
    def stop(self) -> None:
        """Stop delivering samples and release the device; safe to call twice."""

    @abstractmethod
    def stats(self) -> SourceStats:
        """Current counters."""

    @property
    def running(self) -> bool:
        """Whether :meth:`start` was called and :meth:`stop` not yet."""
        return False

    @property
    def label(self) -> str:
        """A person's name for this source (``"simulated arm"``, a port's name).

        What a captured window stores as its ``source``, so validation groups windows by the
        sensor they came from; a class name would leak code into the project.
        """
        return self.LABEL or type(self).__name__

    @property
    def board_count(self) -> BoardCount | None:
        """The board's own count when it runs a board model (``# count`` lines), else None."""
        return None

    def __enter__(self: _SourceT) -> _SourceT:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def wait_for_samples(self, n: int, *, timeout: float = 5.0) -> bool:
        """Block until the buffer has received ``n`` samples in total, or ``timeout`` passes.

        Returns whether the count was reached. Handy in scripts and tests; polls every 10 ms.
        """
        deadline = time.monotonic() + timeout
        while self.buffer.total < n:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.01)
        return True

    # -- status notices ----------------------------------------------------------------------
    def on_status(self, callback: Callable[[SourceStatus], object], remove: bool = False) -> None:
        """Register (or with ``remove=True`` unregister) ``callback(SourceStatus)``.

        Callbacks run on the source's thread; keep them short. An exception in a callback is
        logged and does not stop the source.
        """
        self._status_callbacks.register(callback, remove=remove)

    def _publish_status(self, connected: bool, message: str) -> None:
        status = SourceStatus(connected=connected, message=message, time=time.monotonic())
        self._status_callbacks.fire(status)  # a broken UI callback must never stop the reader
