"""Feed a live source's new samples to a trigger segmenter and announce captured windows.

This is the glue between the sensor ring buffer and the Labeler/LivePlot. It has no widget code
(it is plain Python usable from a script) but lives here because only the widgets need it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from hfwidgets._callbacks import CallbackList
from hfwidgets.widgets._throttle import Ticker

__all__ = ["WindowCapture"]

log = logging.getLogger("hfwidgets.widgets")

WindowCallback = Callable[[Any], None]


class WindowCapture:
    """Poll ``source.buffer`` for new samples, segment them and call back with each window.

    Parameters
    ----------
    source
        Any :class:`hfwidgets.sensors.Source` (``.buffer``, ``.rate_hz``).
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
        source: Any,
        *,
        segmenter: Any | None = None,
        window_s: float = 1.5,
        interval_s: float = 0.1,
    ) -> None:
        if segmenter is None:
            from hfwidgets.segmenter import TriggerSegmenter

            segmenter = TriggerSegmenter(rate_hz=float(source.rate_hz), window_s=window_s)
        self.source = source
        self.segmenter = segmenter
        self._next_index = int(source.buffer.total)  # only motions made from now on
        self._callbacks = CallbackList("window")
        self._lock = threading.Lock()
        self._ticker = Ticker(self.poll, interval_s=interval_s, name="hfw-capture")
        self.captured = 0

    def on_window(self, callback: WindowCallback, remove: bool = False) -> None:
        """Register (or with ``remove=True`` unregister) ``callback(window)``."""
        self._callbacks.register(callback, remove=remove)

    def poll(self) -> list[Any]:
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
        """True while polling in the background."""
        return self._ticker.running

    def start(self) -> None:
        """Poll every ``interval_s`` in a daemon thread."""
        self._ticker.start()

    def stop(self) -> None:
        """Stop polling."""
        self._ticker.stop()
