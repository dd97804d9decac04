"""Is the live source delivering? Notice a port that sends nothing and a lost connection.

A serial port that opens but sends nothing (a wrong port, a wrong baud rate, a board that is not
running the sketch) looks "connected" to the reader; only the absence of samples tells. The
rate a source estimates is also stale once samples stop. :class:`SourceWatch` is the one watch
of a source's health: :meth:`SourceWatch.check` turns the buffer's sample count and the
source's stats into what a person should read (the LivePlot's readout), and, given the
source's status notices (``source.on_status(watch.update)``), it keeps them for the caller to
print and says how long the source has been gone (``hfw predict`` gives up after a while).
Plain Python (no widget code); the caller decides when to check, so tests step it with their
own clock.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from hfwidgets.sensors.base import Source, SourceStatus, source_label

__all__ = ["SILENT_AFTER_S", "SourceHealth", "SourceWatch", "source_name"]

SILENT_AFTER_S = 3.0  # a 50 Hz sensor silent this long is not running (or not ours)

State = Literal["streaming", "waiting", "silent", "disconnected", "stopped"]


def source_name(source: Source) -> str:
    """``source``'s label (:func:`hfwidgets.sensors.source_label`) in a sentence: a port as it
    is, a kind of source after "the" (the simulated arm, the USB sensor on this computer before
    the page has picked a port)."""
    label = source_label(source)
    return label if getattr(source, "port", None) else f"the {label}"


@dataclass(frozen=True)
class SourceHealth:
    """One look at a source.

    Attributes
    ----------
    state
        ``streaming`` (samples arrive), ``waiting`` (none yet, within the grace time),
        ``silent`` (none for ``silent_after_s``), ``disconnected`` or ``stopped``.
    rate_hz
        The estimated rate while streaming; None when it is not known now.
    silent_s
        Seconds since the last new sample (or since watching began).
    message
        Plain text for a person ('' while streaming); escape it before putting it in HTML.
    """

    state: State
    rate_hz: float | None
    silent_s: float
    message: str = ""

    @property
    def rate_text(self) -> str:
        """``50.0 Hz``, or ``— Hz`` when the rate is unknown (never a stale number)."""
        return f"{self.rate_hz:.1f} Hz" if self.rate_hz else "— Hz"


class SourceWatch:
    """Follow one source's sample count over time.

    Parameters
    ----------
    source
        A :class:`hfwidgets.sensors.Source` (``buffer.total``, ``stats()``, ``running``).
    name
        How messages call it; by default :func:`source_name`.
    silent_after_s
        Seconds without a new sample after which the source counts as silent.
    clock
        Monotonic seconds; tests pass their own, or give ``now`` to :meth:`check`.

    Notes
    -----
    Status notices arrive on the source's reader thread (:meth:`update`); the caller's thread
    takes them with :meth:`notices` and asks :meth:`gone_for`.
    """

    def __init__(
        self,
        source: Source,
        *,
        name: str | None = None,
        silent_after_s: float = SILENT_AFTER_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.source = source
        self.name = name if name is not None else source_name(source)
        self.silent_after_s = float(silent_after_s)
        self._clock = clock
        self._last_total = int(source.buffer.total)
        self._last_change = clock()
        self._lock = threading.Lock()  # guards what update() writes on the reader's thread
        self._pending: list[str] = []
        #: time.monotonic() of the last loss of the connection; None while connected.
        self.lost_at: float | None = None
        #: The notice that said the connection was lost ('' before any loss).
        self.last_loss = ""

    def update(self, status: SourceStatus) -> None:
        """The `Source.on_status` callback: keep the notice, note a loss and a return."""
        with self._lock:
            self._pending.append(status.message)
            if status.connected:
                self.lost_at = None
            elif self.lost_at is None:
                self.lost_at = status.time
                self.last_loss = status.message

    def notices(self) -> list[str]:
        """Status notices received since the last call, oldest first."""
        with self._lock:
            out, self._pending = self._pending, []
        return out

    def gone_for(self, now: float) -> float:
        """Seconds the source has been disconnected by its notices (0.0 while connected)."""
        with self._lock:
            return 0.0 if self.lost_at is None else now - self.lost_at

    def check(self, now: float | None = None) -> SourceHealth:
        """Look at the source now; ``stats()`` errors propagate to the caller."""
        now = self._clock() if now is None else float(now)
        total = int(self.source.buffer.total)
        if total != self._last_total:
            self._last_total, self._last_change = total, now
        silent = max(0.0, now - self._last_change)
        stats = self.source.stats()
        if not getattr(stats, "connected", True):
            idle = getattr(self.source, "idle_reason", None)  # e.g. no port picked in the page
            if idle and getattr(self.source, "running", False):
                return SourceHealth("waiting", None, silent, str(idle))
            if getattr(self.source, "running", False):
                text = f"{self.name} disconnected: waiting for it to come back"
                return SourceHealth("disconnected", None, silent, text)
            return SourceHealth("stopped", None, silent, f"{self.name} stopped")
        if silent >= self.silent_after_s:
            text = f"no data from {self.name} for {int(silent)} s: wrong port or baud?"
            return SourceHealth("silent", None, silent, text)
        if total == 0:
            return SourceHealth("waiting", None, silent, f"waiting for data from {self.name}…")
        rate = float(getattr(stats, "rate_hz", 0.0) or 0.0)
        return SourceHealth("streaming", rate or None, silent)
