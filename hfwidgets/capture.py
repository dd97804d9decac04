"""Feed a live source's new samples to a trigger segmenter and announce captured windows.

The glue between the sensor ring buffer and whoever collects windows (the Labeler, the
LivePlot's shading, a script). Plain Python: no widget code. :meth:`WindowCapture.poll` does one
step synchronously; :meth:`WindowCapture.start` polls periodically, on a `Pump` that is shared
with other periodic work (a Workbench's) or on one of its own.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any, Protocol

from hfwidgets._callbacks import CallbackList
from hfwidgets._worker import Pump, PumpTask
from hfwidgets.segmenter import TriggerSegmenter, Window
from hfwidgets.sensors.base import Source

__all__ = ["Segmenter", "WindowCapture"]

log = logging.getLogger(__name__)

WindowCallback = Callable[[Window], object]


class Segmenter(Protocol):
    """Cuts windows out of a stream: `hfwidgets.segmenter.TriggerSegmenter` or a stand-in."""

    def feed(self, t: Any, xyz: Any) -> list[Window]: ...


class WindowCapture:
    """Poll ``source.buffer`` for new samples, segment them and call back with each window.

    Parameters
    ----------
    source
        A :class:`hfwidgets.sensors.Source` (``.buffer``, ``.rate_hz``).
    segmenter
        Object with ``feed(t, xyz) -> list[Window]``; by default a
        :class:`hfwidgets.segmenter.TriggerSegmenter` at the source rate.
    window_s
        Window length for the default segmenter.
    interval_s
        Polling period of :meth:`start`.
    """

    def __init__(
        self,
        source: Source,
        *,
        segmenter: Segmenter | None = None,
        window_s: float = 1.5,
        interval_s: float = 0.1,
    ) -> None:
        if segmenter is None:
            segmenter = TriggerSegmenter(rate_hz=float(source.rate_hz), window_s=window_s)
        self.source = source
        self.segmenter = segmenter
        self.interval_s = float(interval_s)
        self._next_index = int(source.buffer.total)  # only motions made from now on
        self._callbacks = CallbackList("window")
        self._lock = threading.Lock()
        self._pump: Pump | None = None
        self._own_pump = False
        self._task: PumpTask | None = None
        self.captured = 0

    def on_window(self, callback: WindowCallback, remove: bool = False) -> None:
        """Register (or with ``remove=True`` unregister) ``callback(window)``."""
        self._callbacks.register(callback, remove=remove)

    def poll(self) -> list[Window]:
        """Segment the samples that arrived since the last poll; return the new windows."""
        with self._lock:
            first, t, xyz = self.source.buffer.since(self._next_index)
            if len(t) == 0:
                return []
            self._next_index = int(first) + len(t)
            windows = list(self.segmenter.feed(t, xyz))
        self.captured += len(windows)
        for window in windows:
            self._callbacks.fire(window)  # a failing listener must not stop capturing
        return windows

    @property
    def running(self) -> bool:
        """True while polling periodically."""
        return self._task is not None

    def start(self, *, pump: Pump | None = None, from_now: bool = True) -> None:
        """Poll every ``interval_s`` on ``pump`` (default: a pump of its own); no-op if running.

        With ``from_now`` (the default) only motions made from now on are captured: samples
        that arrived while the capture was not running (before a person pressed Start, or
        while paused) are never segmented. ``from_now=False`` also segments those since the
        capture was made or last polled (a recording already in the buffer).
        """
        if self._task is not None:
            return
        if from_now:
            with self._lock:
                self._next_index = int(self.source.buffer.total)
                reset = getattr(self.segmenter, "reset", None)
                if callable(reset):  # a motion cut short by a pause must not join the next one
                    reset()
        self._own_pump = pump is None
        self._pump = Pump(name="hfw-capture") if pump is None else pump
        self._task = self._pump.every(self.interval_s, self.poll, name="hfw-capture")

    def stop(self) -> None:
        """Stop polling (safe to call twice)."""
        task, pump, self._task = self._task, self._pump, None
        if task is not None and pump is not None:
            pump.cancel(task)  # a pump of our own ends with its last task
