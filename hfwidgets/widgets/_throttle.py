"""Bridges between worker threads and widgets: periodic tickers and coalescing event bridges.

Sensor readers and the training loop run in background threads and publish events far faster
than a browser can redraw. Every widget therefore owns exactly one bridge that queues those
events and applies them in one batch, inside ``hold_sync()``, at most every ``interval_s``
(about 0.2 s), so each batch reaches the front end as one message per widget. Urgent events
(epoch and fit end) wake the bridge at once. Nothing here prints or displays: failures are
logged and handed to an optional ``on_error`` callback that a widget can show.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

__all__ = ["EventBridge", "Ticker"]

log = logging.getLogger("hfwidgets.widgets")

ErrorHandler = Callable[[BaseException], None]


class Ticker:
    """Call ``fn()`` every ``interval_s`` seconds on a daemon thread until :meth:`stop`.

    Parameters
    ----------
    fn
        The periodic work. Exceptions are logged and passed to ``on_error``; they never end
        the ticker.
    interval_s
        Seconds between the starts of two calls (the work time is subtracted, so a 20 Hz ticker
        stays at 20 Hz while the work is shorter than 50 ms).
    name
        Thread name, shown in debuggers.
    on_error
        Optional callback receiving each exception.
    """

    def __init__(
        self,
        fn: Callable[[], Any],
        *,
        interval_s: float,
        name: str = "hfw-ticker",
        on_error: ErrorHandler | None = None,
    ) -> None:
        if interval_s <= 0:
            raise ValueError(f"interval_s must be positive, got {interval_s!r}")
        self._fn = fn
        self.interval_s = float(interval_s)
        self._name = name
        self._on_error = on_error
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        """True while the thread is alive."""
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        """Start the thread (no-op when already running)."""
        if self.running:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name=self._name, daemon=True)
        self._thread.start()

    def wake(self) -> None:
        """Run the next call now instead of waiting for the rest of the interval."""
        self._wake.set()

    def stop(self, timeout: float = 2.0) -> None:
        """Stop the thread and wait up to ``timeout`` seconds for the current call to finish."""
        self._stop.set()
        self._wake.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)
        self._thread = None

    def _loop(self) -> None:
        while not self._stop.is_set():
            started = time.monotonic()
            try:
                self._fn()
            except Exception as exc:  # a failing redraw must not end the stream
                _report(exc, self._on_error, where=self._name)
            remaining = self.interval_s - (time.monotonic() - started)
            if remaining > 0:
                self._wake.wait(remaining)
            self._wake.clear()


class EventBridge:
    """Queue events from any thread and apply them in batches inside ``hold_sync()``.

    Parameters
    ----------
    apply
        Called with the list of events queued since the last batch (oldest first). It runs on
        the bridge's thread, or on the caller's thread in :meth:`flush`; never concurrently.
    widgets
        The widgets whose state ``apply`` changes; their ``hold_sync()`` contexts are entered
        around ``apply`` so that each batch is one message per widget. A callable returning the
        widgets is accepted for widgets created later.
    interval_s
        Minimum time between two batches (about 0.2 s keeps the front end responsive).
    on_error
        Optional callback receiving exceptions raised by ``apply``.
    """

    def __init__(
        self,
        apply: Callable[[list[Any]], None],
        *,
        widgets: Sequence[Any] | Callable[[], Iterable[Any]] = (),
        interval_s: float = 0.2,
        name: str = "hfw-bridge",
        on_error: ErrorHandler | None = None,
    ) -> None:
        self._apply = apply
        self._widgets = widgets
        self._queue: list[Any] = []
        self._queue_lock = threading.Lock()
        self._apply_lock = threading.Lock()
        self._on_error = on_error
        self._ticker = Ticker(self._tick, interval_s=interval_s, name=name, on_error=on_error)

    @property
    def pending(self) -> int:
        """Number of events waiting for the next batch."""
        with self._queue_lock:
            return len(self._queue)

    def post(self, event: Any, *, urgent: bool = False) -> None:
        """Queue ``event`` (thread-safe); ``urgent`` applies it without waiting for the interval."""
        with self._queue_lock:
            self._queue.append(event)
        if urgent:
            self._ticker.wake()

    def start(self) -> None:
        """Start applying queued events periodically in a daemon thread."""
        self._ticker.start()

    def stop(self) -> None:
        """Stop the periodic thread and apply whatever is still queued."""
        self._ticker.stop()
        self.flush()

    def flush(self) -> int:
        """Apply all queued events now on the calling thread; return how many were applied."""
        with self._apply_lock:
            with self._queue_lock:
                events, self._queue = self._queue, []
            if not events:
                return 0
            try:
                with contextlib.ExitStack() as stack:
                    for widget in self._current_widgets():
                        stack.enter_context(widget.hold_sync())
                    self._apply(events)
            except Exception as exc:  # one bad batch must not stop later ones
                _report(exc, self._on_error, where="event bridge")
            return len(events)

    def _tick(self) -> None:
        self.flush()

    def _current_widgets(self) -> Iterable[Any]:
        return self._widgets() if callable(self._widgets) else self._widgets


def _report(exc: BaseException, on_error: ErrorHandler | None, *, where: str) -> None:
    log.warning("%s failed: %s", where, exc, exc_info=exc)
    if on_error is not None:
        try:
            on_error(exc)
        except Exception:  # the error display itself failed; the log line above remains
            log.exception("error handler of %s failed", where)
