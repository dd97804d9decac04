"""Bridges between worker threads and widgets: coalescing event bridges on a shared UI pump.

Sensor readers and the training loop run in background threads and publish events far faster
than a browser can redraw. Every widget therefore queues those events in an `EventBridge` and
applies them in one batch, inside ``hold_sync()``, at most every ``interval_s`` (about 0.2 s),
so each batch reaches the front end as one message per widget. Urgent events (epoch and fit
end) are applied at once.

The batches run as tasks of a `hfwidgets._worker.Pump`: a Workbench makes one pump and builds
its widgets inside ``use_pump(pump)``, so one thread flushes every bridge and redraws the plot.
A widget used on its own gets a pump of its own when it starts. Nothing here prints or
displays: failures are logged and handed to an optional ``on_error`` callback.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from hfwidgets._worker import ErrorHandler, Pump, PumpTask, report_error

__all__ = ["EventBridge", "current_pump", "use_pump"]

log = logging.getLogger("hfwidgets.widgets")

_PUMP: contextvars.ContextVar[Pump | None] = contextvars.ContextVar("hfw_pump", default=None)


@contextlib.contextmanager
def use_pump(pump: Pump) -> Iterator[Pump]:
    """Widgets created inside this block run their batches and redraws on ``pump``."""
    token = _PUMP.set(pump)
    try:
        yield pump
    finally:
        _PUMP.reset(token)


def current_pump() -> Pump | None:
    """The pump of the enclosing `use_pump` block, if any."""
    return _PUMP.get()


class EventBridge:
    """Queue events from any thread and apply them in batches inside ``hold_sync()``.

    Parameters
    ----------
    apply
        Called with the list of events queued since the last batch (oldest first). It runs on
        the pump's thread, or on the caller's thread in :meth:`flush`; never concurrently.
    widgets
        The widgets whose state ``apply`` changes; their ``hold_sync()`` contexts are entered
        around ``apply`` so that each batch is one message per widget. A callable returning the
        widgets is accepted for widgets created later.
    interval_s
        Minimum time between two batches (about 0.2 s keeps the front end responsive).
    name
        Name of the pump task (and of the bridge's own pump thread when it needs one).
    on_error
        Optional callback receiving exceptions raised by ``apply``.
    pump
        The pump to run on; default: the one of the enclosing `use_pump` block, else a pump of
        the bridge's own, made by :meth:`start`.
    """

    def __init__(
        self,
        apply: Callable[[list[Any]], None],
        *,
        widgets: Sequence[Any] | Callable[[], Iterable[Any]] = (),
        interval_s: float = 0.2,
        name: str = "hfw-bridge",
        on_error: ErrorHandler | None = None,
        pump: Pump | None = None,
    ) -> None:
        if not interval_s > 0:
            raise ValueError(f"interval_s must be positive, got {interval_s!r}")
        self._apply = apply
        self._widgets = widgets
        self.interval_s = float(interval_s)
        self.name = name
        self._queue: list[Any] = []
        self._queue_lock = threading.Lock()
        self._apply_lock = threading.Lock()
        self._on_error = on_error
        self.pump = pump if pump is not None else current_pump()
        self._own_pump = self.pump is None
        self._task: PumpTask | None = None

    @property
    def pending(self) -> int:
        """Number of events waiting for the next batch."""
        with self._queue_lock:
            return len(self._queue)

    @property
    def running(self) -> bool:
        """True while the bridge applies batches periodically."""
        return self._task is not None

    def post(self, event: Any, *, urgent: bool = False) -> None:
        """Queue ``event`` (thread-safe); ``urgent`` applies it without waiting for the interval."""
        with self._queue_lock:
            self._queue.append(event)
        task, pump = self._task, self.pump
        if urgent and task is not None and pump is not None:
            pump.wake(task)

    def start(self) -> None:
        """Apply queued events every ``interval_s`` on the pump (no-op when started)."""
        if self._task is not None:
            return
        if self.pump is None:
            self.pump = Pump(name=self.name)
        self._task = self.pump.every(
            self.interval_s, self.flush, name=self.name, on_error=self._on_error
        )

    def stop(self) -> None:
        """Stop the periodic batches and apply whatever is still queued."""
        task, self._task = self._task, None
        if task is not None and self.pump is not None:
            self.pump.cancel(task)  # a pump of our own ends with its last task
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
                report_error(exc, self._on_error, where=self.name)
            return len(events)

    def _current_widgets(self) -> Iterable[Any]:
        return self._widgets() if callable(self._widgets) else self._widgets
