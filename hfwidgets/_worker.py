"""The one way hfwidgets runs a background thread: `Worker`, and `Pump` for periodic work.

Every thread owner (serial, simulated and replay sources, the fake Arduino, the live
classifier, the training runner, the capture and the widgets' UI pump) follows pyserial's
``serial.threaded.ReaderThread``:

- a daemon thread running ``target(stop)`` until ``stop`` (a `threading.Event`, new for every
  start, so a thread that outlives its join cannot be revived by the next start) is set;
- `Worker.stop` sets it, calls an optional ``interrupt`` (e.g. ``cancel_read`` to wake a
  blocking read) and joins with a timeout; it is safe to call twice, and from the thread itself;
- a context manager: ``with Worker(...)`` starts and stops it;
- an exception escaping the target is logged, kept in `Worker.error` and passed to
  ``on_error``; it never reaches the interpreter's thread excepthook.

`Pump` runs many periodic tasks on one such thread (the plot's redraw, every widget's event
bridge, the window capture), so an idle Workbench has one sleeping thread instead of one per
widget. Tests drive it synchronously instead of sleeping: `Pump.step` runs every task once on
the caller's thread, and a ``Pump(threaded=False, clock=...)`` runs what is due at a given time
(`Pump.run_due`), so "at most 20 redraws a second" is an exact count.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from types import TracebackType

__all__ = ["ErrorHandler", "Pump", "PumpTask", "Worker", "report_error"]

log = logging.getLogger("hfwidgets")

ErrorHandler = Callable[[BaseException], object]


def report_error(exc: BaseException, on_error: ErrorHandler | None, *, where: str) -> None:
    """Log ``exc`` (with its traceback) and pass it to ``on_error``; never raise."""
    log.warning("%s failed: %s", where, exc, exc_info=exc)
    if on_error is not None:
        try:
            on_error(exc)
        except Exception:  # the error display itself failed; the log line above remains
            log.exception("error handler of %s failed", where)


class Worker:
    """A restartable daemon thread that runs ``target(stop_event)`` until told to stop.

    Parameters
    ----------
    target
        The work. It should return soon after ``stop_event`` is set; waiting on it
        (``stop_event.wait(seconds)``) instead of ``time.sleep`` makes stopping prompt.
    name
        Thread name (shown in debuggers and in the thread-leak tests: ``hfw-...``).
    interrupt
        Called by `stop` after setting the event, to wake a target blocked elsewhere.
    on_error
        Receives an exception that escaped ``target`` (after it was logged).
    join_timeout
        Default seconds `stop` waits for the thread.
    """

    def __init__(
        self,
        target: Callable[[threading.Event], object],
        *,
        name: str,
        interrupt: Callable[[], object] | None = None,
        on_error: ErrorHandler | None = None,
        join_timeout: float = 2.0,
    ) -> None:
        self._target = target
        self.name = name
        self._interrupt = interrupt
        self._on_error = on_error
        self.join_timeout = float(join_timeout)
        self._thread: threading.Thread | None = None
        self._stop_event = threading.Event()
        self._stop_event.set()  # not started: "stopping" until start()
        self.error: BaseException | None = None

    def __repr__(self) -> str:
        return f"Worker({self.name!r}, alive={self.alive})"

    @property
    def alive(self) -> bool:
        """True while the thread runs (also while it finishes after `stop` was asked)."""
        return self._thread is not None and self._thread.is_alive()

    @property
    def stopping(self) -> bool:
        """True once `stop` (or `request_stop`) was called for the current run."""
        return self._stop_event.is_set()

    def start(self) -> Worker:
        """Start the thread (no-op while it runs); returns self."""
        if self.alive and not self._stop_event.is_set():
            return self
        self._stop_event = threading.Event()
        self.error = None
        self._thread = threading.Thread(
            target=self._main, args=(self._stop_event,), name=self.name, daemon=True
        )
        self._thread.start()
        return self

    def request_stop(self) -> None:
        """Ask the thread to stop and wake it; return at once (see `join`)."""
        self._stop_event.set()
        if self._interrupt is not None:
            try:
                self._interrupt()
            except Exception:  # waking is best effort; the target also polls the event
                log.debug("interrupt of %s failed", self.name, exc_info=True)

    def join(self, timeout: float | None = None) -> bool:
        """Wait up to ``timeout`` seconds for the thread; True when it has ended."""
        thread = self._thread
        if thread is None or thread is threading.current_thread():
            return thread is None
        thread.join(timeout)
        return not thread.is_alive()

    def stop(self, timeout: float | None = None) -> bool:
        """Stop the thread and wait up to ``timeout`` (default ``join_timeout``) seconds.

        Returns whether the thread has ended (a stop from the thread itself does not wait and
        returns False). Safe to call twice or before `start`.
        """
        wait = self.join_timeout if timeout is None else timeout
        self.request_stop()
        ended = self.join(wait)
        if not ended and self._thread is not threading.current_thread():
            log.warning("%s did not stop within %.1f s", self.name, wait)
        return ended

    def __enter__(self) -> Worker:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _main(self, stop: threading.Event) -> None:
        try:
            self._target(stop)
        except Exception as exc:  # reported, never fatal to the process
            self.error = exc
            report_error(exc, self._on_error, where=self.name)


class PumpTask:
    """One periodic task of a `Pump` (returned by `Pump.every`; pass it to `Pump.wake`)."""

    def __init__(
        self,
        fn: Callable[[], object],
        *,
        interval_s: float,
        name: str,
        on_error: ErrorHandler | None,
    ) -> None:
        if not interval_s > 0:
            raise ValueError(f"interval_s must be > 0 seconds, got {interval_s!r}")
        self.fn = fn
        self.interval_s = float(interval_s)
        self.name = name
        self.on_error = on_error
        self.due = 0.0  # set by the pump when it adopts the task
        self.runs = 0

    def __repr__(self) -> str:
        return f"PumpTask({self.name!r}, every {self.interval_s:g} s)"

    def run(self) -> None:
        self.runs += 1
        try:
            self.fn()
        except Exception as exc:  # a failing redraw or batch must not end the others
            report_error(exc, self.on_error, where=self.name)


class Pump:
    """Periodic tasks on one thread: each runs at most every ``interval_s``, or now if woken.

    The thread sleeps until the next task is due (forever with no tasks) and starts with the
    first task, stops with the last one (`cancel`), so a pump costs nothing while unused.
    Tasks never run concurrently with each other, on the thread or in `step`.

    Parameters
    ----------
    name
        Name of the thread.
    threaded
        False: no thread; tasks run only in `step` and `run_due` (tests).
    clock
        Time source in seconds (`time.monotonic`; tests pass their own with ``threaded=False``).

    Examples
    --------
    >>> pump = Pump(name="hfw-pump")
    >>> task = pump.every(0.2, lambda: None, name="bridge")
    >>> pump.wake(task)      # run it at once (an urgent event)
    >>> pump.step()          # or run every task now, on this thread (tests)
    1
    >>> pump.stop()
    """

    def __init__(
        self,
        *,
        name: str = "hfw-pump",
        threaded: bool = True,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name = name
        self.threaded = bool(threaded)
        self._clock = clock
        self._tasks: list[PumpTask] = []
        self._woken: set[PumpTask] = set()
        self._lock = threading.Lock()  # guards _tasks and _woken
        self._run_lock = threading.RLock()  # one task at a time, thread or step()
        self._wake = threading.Event()
        self._worker = Worker(self._loop, name=name, interrupt=self._wake.set)

    def __repr__(self) -> str:
        return f"Pump({self.name!r}, tasks={[t.name for t in self.tasks]})"

    @property
    def tasks(self) -> list[PumpTask]:
        """The registered tasks (a copy)."""
        with self._lock:
            return list(self._tasks)

    @property
    def running(self) -> bool:
        """True while the pump's thread is alive."""
        return self._worker.alive

    def every(
        self,
        interval_s: float,
        fn: Callable[[], object],
        *,
        name: str,
        on_error: ErrorHandler | None = None,
    ) -> PumpTask:
        """Run ``fn()`` every ``interval_s`` seconds on the pump's thread (started if needed).

        Exceptions are logged and passed to ``on_error``; they never end the pump.
        """
        task = PumpTask(fn, interval_s=interval_s, name=name, on_error=on_error)
        task.due = self._clock() + task.interval_s
        with self._lock:
            self._tasks.append(task)
        if self.threaded:
            self._worker.start()
            self._wake.set()  # recompute the next deadline
        return task

    def cancel(self, task: PumpTask) -> None:
        """Remove ``task`` (no error if absent); the thread ends with the last task."""
        with self._lock:
            if task in self._tasks:
                self._tasks.remove(task)
            self._woken.discard(task)
            empty = not self._tasks
        if empty:
            self._worker.stop()

    def wake(self, task: PumpTask | None = None) -> None:
        """Run ``task`` (or every task) on the pump's thread now instead of when due."""
        with self._lock:
            self._woken.update(self._tasks if task is None else [task])
        self._wake.set()

    def step(self) -> int:
        """Run every task once now, on the calling thread; return how many ran."""
        tasks = self.tasks
        with self._run_lock:
            for task in tasks:
                task.run()
        return len(tasks)

    def run_due(self, now: float | None = None) -> int:
        """Run the tasks due at ``now`` (default: the clock) and the woken ones; return how many.

        What the thread does on each turn; tests call it with their own times.
        """
        now = self._clock() if now is None else now
        with self._lock:
            due = [t for t in self._tasks if t in self._woken or t.due <= now]
            self._woken.difference_update(due)
        with self._run_lock:
            for task in due:
                if task.due <= now:  # not just woken: its next slot on a fixed grid
                    task.due += task.interval_s  # (late wake-ups do not lower the rate)
                    if task.due <= now:  # fell a whole interval behind: skip, do not bunch
                        task.due = now + task.interval_s
                task.run()
        return len(due)

    def stop(self, timeout: float | None = None) -> bool:
        """Remove every task and end the thread; True when it has ended."""
        with self._lock:
            self._tasks.clear()
            self._woken.clear()
        return self._worker.stop(timeout)

    def __enter__(self) -> Pump:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _loop(self, stop: threading.Event) -> None:
        while not stop.is_set():
            self._wake.clear()  # before looking: a wake during the tasks is not lost
            self.run_due()
            with self._lock:
                next_due = min((t.due for t in self._tasks), default=None)
            timeout = None if next_due is None else max(0.0, next_due - self._clock())
            self._wake.wait(timeout)
