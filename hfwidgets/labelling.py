"""A labelling session: the queue of captured windows, the actions on them, and undo.

Pure logic over a :class:`~hfwidgets.store.Project` (no widget code): the Labeler is buttons and
keys over one :class:`LabellingSession`, and tests drive the same object directly.

Rules a person relies on:

- A label goes to exactly the window on screen. The window shown stays shown until it is
  labelled, discarded or undone; windows captured meanwhile wait behind it, so a capture
  arriving just before a click never takes the label.
- Every action is in the store when the call returns; undo reverses it there too. A deleted
  window is soft-deleted and restored with the same id, so undo never renumbers anything.
- Undoing a label shows that window again (stored, now unlabelled); the next label goes to it.
- A window labelled in review (or deleted) leaves the capture queue for good.
- Windows captured while one is shown wait behind it; the next one shown is the newest. At most
  ``max_pending`` wait: beyond that the oldest waiting one is dropped (and counted in
  :attr:`LabellingSession.dropped`). :meth:`LabellingSession.skip_waiting` drops every waiting
  one but the shown one at once, for a person who comes back to a queue of stale motions; undo
  brings them back. :meth:`LabellingSession.queue_rule` says all this in one sentence.
"""

from __future__ import annotations

import itertools
import threading
from collections import deque
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from hfwidgets.store.project import Project

__all__ = ["LabellingSession", "PendingWindow", "Undone"]


_serial = itertools.count(1)


def _key(window: PendingWindow) -> int:
    return window.key


@dataclass(frozen=True, eq=False)
class PendingWindow:
    """A captured window waiting for a label (``id`` is set once it is in the store).

    ``key`` tells windows apart (two captures may hold equal samples): the Labeler passes the
    key of the window it shows, and the session labels exactly that one.
    """

    data: NDArray[np.float32]
    rate_hz: float
    t0: float | None = None
    source: str = ""
    id: int | None = None
    key: int = 0


ActionKind = Literal["label", "discard", "relabel", "delete", "skip"]


@dataclass(frozen=True)
class Undone:
    """What :meth:`LabellingSession.undo` reversed.

    Attributes
    ----------
    kind : str
        ``"label"``, ``"discard"``, ``"relabel"``, ``"delete"`` or ``"skip"``.
    window_id : int or None
        The stored window concerned (None for a discarded capture never stored).
    label : str or None
        The window's label after the undo.
    """

    kind: ActionKind
    window_id: int | None
    label: str | None = None


@dataclass(frozen=True)
class _Action:
    kind: ActionKind
    window: PendingWindow | None = None  # label, discard: the capture concerned
    window_id: int | None = None  # relabel, delete
    dropped: PendingWindow | None = None  # a queued capture the action took out of the queue
    skipped: tuple[PendingWindow, ...] = ()  # skip: the waiting captures it dropped


class LabellingSession:
    """Captured windows waiting for labels, the label/discard/delete actions, and their undo.

    Parameters
    ----------
    project
        Receives every action before the call returns.
    max_pending
        Captured windows kept waiting; the oldest waiting one (never the one shown) is dropped
        when more arrive unlabelled.

    Thread-safe: captures may arrive from another thread while the kernel thread labels.
    """

    def __init__(self, project: Project, *, max_pending: int = 20) -> None:
        if max_pending < 1:
            raise ValueError(f"max_pending must be at least 1, got {max_pending}")
        self.project = project
        self.max_pending = max_pending
        self._pending: deque[PendingWindow] = deque()
        self._shown: PendingWindow | None = None
        self._undo: list[_Action] = []
        self._lock = threading.RLock()
        self.dropped = 0  # waiting captures dropped because more than max_pending waited

    # -- the queue ----------------------------------------------------------------------------
    @property
    def pending(self) -> tuple[PendingWindow, ...]:
        """Windows waiting for a label, oldest first (the one shown is among them)."""
        with self._lock:
            return tuple(self._pending)

    @property
    def current(self) -> PendingWindow | None:
        """The window to show: the newest waiting one when read, then pinned until acted on.

        Reading it is what displaying does: from then on later captures wait behind it.
        """
        with self._lock:
            if self._shown is None or not any(p is self._shown for p in self._pending):
                self._shown = self._pending[-1] if self._pending else None
            return self._shown

    @property
    def waiting(self) -> int:
        """Windows waiting besides the one shown."""
        with self._lock:
            return max(len(self._pending) - 1, 0)

    def add(
        self,
        data: ArrayLike,
        *,
        rate_hz: float,
        t0: float | None = None,
        source: str = "",
    ) -> PendingWindow:
        """Queue a captured window behind the one shown; return it."""
        item = PendingWindow(
            data=np.asarray(data, dtype=np.float32),
            rate_hz=float(rate_hz),
            t0=t0,
            source=source,
            key=next(_serial),
        )
        with self._lock:
            self._pending.append(item)
            self._trim()
        return item

    def _trim(self) -> None:
        """Drop the oldest waiting captures (never the one shown) beyond ``max_pending``."""
        while len(self._pending) > self.max_pending:
            shown = self.current
            oldest = next(p for p in self._pending if p is not shown)
            self._pending.remove(oldest)
            self.dropped += 1

    def queue_rule(self) -> str:
        """What happens to captures that wait, in one plain sentence for the screen."""
        return (
            f"Newer windows wait; the newest comes next. At most {self.max_pending} wait, "
            "beyond that the oldest is dropped"
            + (f" ({self.dropped} dropped so far)" if self.dropped else "")
            + "."
        )

    def skip_waiting(self) -> int:
        """Drop every waiting capture but the one shown (never stored; undo brings them back).

        Returns how many were dropped.
        """
        with self._lock:
            shown = self.current
            skipped = tuple(p for p in self._pending if p is not shown)
            if not skipped:
                return 0
            for item in skipped:
                self._pending.remove(item)
            self._undo.append(_Action("skip", skipped=skipped))
            return len(skipped)

    def _take(self, window: PendingWindow | int | None) -> PendingWindow | None:
        """Remove and return the window meant (object or key; None: the one shown).

        A window no longer in the queue (already labelled, discarded or deleted) gives None,
        so a second click on a window already acted on stores nothing.
        """
        if window is None:
            target = self.current
        else:
            key = window.key if isinstance(window, PendingWindow) else int(window)
            target = next((p for p in self._pending if p.key == key), None)
        if target is None:
            return None
        self._pending.remove(target)
        if self._shown is target:
            self._shown = None
        return target

    def _drop_stored(self, window_id: int) -> PendingWindow | None:
        """Take a stored window out of the queue (it was labelled in review or deleted)."""
        for p in self._pending:
            if p.id == window_id:
                self._pending.remove(p)
                if self._shown is p:
                    self._shown = None
                return p
        return None

    # -- actions (each is stored before it returns) -------------------------------------------
    def label(self, name: str, window: PendingWindow | int | None = None) -> int | None:
        """Label a captured window and return its stored id (None when nothing waits).

        Parameters
        ----------
        name : str
            One of the project's classes.
        window : PendingWindow, int or None
            The window on screen (the object or its ``key``), as the caller displayed it; None
            means :attr:`current`. A window no longer waiting stores nothing (returns None).
        """
        self.check_class(name)
        with self._lock:
            item = self._take(window)
            if item is None:
                return None
            try:
                if item.id is None:
                    wid = self.project.windows.add(
                        item.data, rate_hz=item.rate_hz, source=item.source, t0=item.t0,
                        label=name,
                    )  # fmt: skip
                else:
                    wid = item.id
                    self.project.labels.set(wid, name)
            except BaseException:
                self._pending.append(item)  # not stored: it still waits, on screen
                self._shown = item
                raise
            self._undo.append(_Action("label", window=replace(item, id=int(wid))))
            return int(wid)

    def discard(self, window: PendingWindow | int | None = None) -> PendingWindow | None:
        """Drop a captured window without storing it (undo brings it back); return it."""
        with self._lock:
            item = self._take(window)
            if item is not None:
                self._undo.append(_Action("discard", window=item))
            return item

    def relabel(self, window_id: int, name: str) -> None:
        """Label a stored window (review); it leaves the capture queue for good."""
        self.check_class(name)
        with self._lock:
            self.project.labels.set(window_id, name)
            dropped = self._drop_stored(window_id)
            self._undo.append(_Action("relabel", window_id=window_id, dropped=dropped))

    def delete(self, window_id: int) -> None:
        """Delete a stored window (soft: undo restores it with the same id and history)."""
        with self._lock:
            self.project.windows.delete(window_id)
            dropped = self._drop_stored(window_id)
            self._undo.append(_Action("delete", window_id=window_id, dropped=dropped))

    @property
    def can_undo(self) -> bool:
        """Whether there is an action to undo."""
        return bool(self._undo)

    def undo(self) -> Undone | None:
        """Reverse the last action, in the store too; None when there is nothing to undo.

        Undoing a label or a discard puts that window back on screen; undoing a delete restores
        the window with its id; undoing a relabel gives the window its previous label (it does
        not re-enter the capture queue); undoing a skip puts the skipped captures back to wait
        behind the one shown, in their order.
        """
        with self._lock:
            if not self._undo:
                return None
            action = self._undo.pop()
            if action.kind == "skip":
                shown = self.current
                self._pending = deque(sorted([*action.skipped, *self._pending], key=_key))
                self._shown = shown
                self._trim()
                return Undone("skip", None)
            if action.kind in ("label", "discard"):
                item = action.window
                assert item is not None
                label = None
                if action.kind == "label":
                    assert item.id is not None
                    label = self.project.labels.undo(item.id)
                self._pending.append(item)
                self._shown = item
                return Undone(action.kind, item.id, label)
            assert action.window_id is not None
            if action.kind == "relabel":
                label = self.project.labels.undo(action.window_id)
                return Undone("relabel", action.window_id, label)
            self.project.windows.restore(action.window_id)
            if action.dropped is not None:  # it was waiting for a label when deleted
                self._pending.append(action.dropped)
            return Undone("delete", action.window_id)

    def check_class(self, name: str) -> None:
        """``ValueError`` naming the classes unless ``name`` is one of them."""
        classes = list(self.project.classes)
        if name not in classes:
            raise ValueError(f"unknown class {name!r}; this project's classes are {classes}")
