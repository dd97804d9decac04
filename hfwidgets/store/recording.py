"""Store a recording while it runs: a chunk at least every second, one transaction each.

A capture kept in memory and written at the end loses everything to a kill, a full disk or a
locked database. :class:`SessionRecorder` buffers what arrives and writes it as one chunk of the
session (plus the windows cut from it) in one transaction per :meth:`SessionRecorder.flush`, so
a SIGKILL loses at most the last ``flush_s`` seconds. A write that fails (disk full, database
locked by another process) keeps the samples buffered, is retried at the next flush, and is
reported through ``on_problem``; nothing is dropped.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray

from hfwidgets.errors import HfwError
from hfwidgets.segmenter import Window
from hfwidgets.store.project import Project

__all__ = ["SessionRecorder"]


@dataclass
class _Buffer:
    times: list[NDArray[np.float64]] = field(default_factory=list)
    rows: list[NDArray[np.float32]] = field(default_factory=list)
    windows: list[Window] = field(default_factory=list)

    @property
    def samples(self) -> int:
        return sum(len(t) for t in self.times)


class SessionRecorder:
    """Append a recording to a project as it arrives.

    Parameters
    ----------
    project
        Where the session and its windows go.
    rate_hz, source
        The session's sample rate and origin (``serial:/dev/ttyACM0``, ``simulated``).
    label
        Label for every window stored (None: unlabelled).
    flush_s
        Longest time between two chunk writes (what a kill may lose).
    lock_wait_s
        How long a write waits for another process's lock before it gives up until the next
        flush (short, so the caller keeps reading its sensor).
    on_problem
        Called with a sentence when a write fails and when buffered samples got stored after
        failures (``hfw record`` prints it to stderr).
    clock
        Monotonic seconds; tests pass a fake clock.
    """

    def __init__(
        self,
        project: Project,
        *,
        rate_hz: float,
        source: str,
        label: str | None = None,
        flush_s: float = 1.0,
        lock_wait_s: float = 0.2,
        on_problem: Callable[[str], object] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.project = project
        self.rate_hz = float(rate_hz)
        self.source = source
        self.label = label
        self.flush_s = float(flush_s)
        self.lock_wait_s = float(lock_wait_s)
        self.on_problem = on_problem
        self.clock = clock
        self.session_id: int | None = None
        self.window_ids: list[int] = []
        self.samples_stored = 0
        self.failed_writes = 0  # consecutive failures of the current streak
        self.last_error: str | None = None
        self._buffer = _Buffer()
        self._last_flush = clock()

    @property
    def buffered(self) -> int:
        """Samples received but not yet stored."""
        return self._buffer.samples

    def add(self, t: ArrayLike, xyz: ArrayLike, windows: Iterable[Window] = ()) -> None:
        """Buffer samples (and the windows cut from them); flush when ``flush_s`` has passed."""
        times = np.asarray(t, dtype=np.float64)
        if times.size:
            self._buffer.times.append(times)
            self._buffer.rows.append(np.asarray(xyz, dtype=np.float32).reshape(len(times), -1))
        self._buffer.windows.extend(windows)
        if self.clock() - self._last_flush >= self.flush_s:
            self.flush()

    def flush(self) -> bool:
        """Write everything buffered as one chunk, in one transaction; True when stored.

        On failure the samples stay buffered for the next flush and ``on_problem`` is told
        (once per streak of failures, with the reason and how much is waiting).
        """
        self._last_flush = self.clock()
        buf = self._buffer
        if not buf.times and not buf.windows:
            return True
        session_id = self.session_id
        try:
            with self.project.batch(busy_timeout_s=self.lock_wait_s):
                if session_id is None:
                    session_id = self.project.sessions.begin(
                        rate_hz=self.rate_hz, source=self.source
                    )
                if buf.times:
                    self.project.sessions.append(
                        session_id, np.concatenate(buf.times), np.concatenate(buf.rows)
                    )
                ids = [
                    self.project.windows.add(
                        w.data, rate_hz=w.rate_hz, source=self.source, t0=w.t0,
                        session_id=session_id, label=self.label,
                    )
                    for w in buf.windows
                ]  # fmt: skip
        except HfwError as exc:
            self.failed_writes += 1
            self.last_error = str(exc)
            if self.failed_writes == 1 and self.on_problem is not None:
                seconds = buf.samples / self.rate_hz
                self.on_problem(
                    f"could not store the recording ({exc}); {buf.samples} samples "
                    f"({seconds:.1f} s) are kept in memory and retried every {self.flush_s:g} s"
                )
            return False
        if self.failed_writes and self.on_problem is not None:
            self.on_problem(
                f"stored {buf.samples} buffered samples after {self.failed_writes} failed "
                "write(s): nothing was lost"
            )
        self.session_id = session_id
        self.samples_stored += buf.samples
        self.window_ids += ids
        self.failed_writes = 0
        self.last_error = None
        self._buffer = _Buffer()
        return True

    def close(self, *, retry_for_s: float = 30.0, retry_every_s: float = 1.0) -> None:
        """Store what is left, retrying every ``retry_every_s`` for up to ``retry_for_s``.

        ``hfw record`` passes ``retry_for_s=inf``: a lock is only held by a live process and a
        full disk can be freed, so it waits (saying so) until the samples are stored or the
        person presses Ctrl-C.

        Raises
        ------
        HfwError
            If samples are still unstored after ``retry_for_s``: the message says how many,
            and why.
        """
        deadline = self.clock() + retry_for_s
        told = False
        while not self.flush():
            if self.clock() >= deadline:
                raise HfwError(self.unstored_message())
            if not told and self.on_problem is not None:
                self.on_problem(
                    f"{self.buffered} samples still wait to be stored; retrying every "
                    f"{retry_every_s:g} s"
                    + (" (Ctrl-C gives up and loses them)" if retry_for_s == float("inf") else "")
                )
                told = True
            time.sleep(retry_every_s)

    def unstored_message(self) -> str:
        """What was lost if the recording stops now, and what is safe."""
        return (
            f"{self.buffered} samples ({self.buffered / self.rate_hz:.1f} s) of the recording "
            f"could not be stored after {self.failed_writes} attempts: {self.last_error}. "
            f"{self.samples_stored} samples stored before are safe in session {self.session_id}."
        )
