"""Marks on stored sessions, and the labelled windows cut from them: ``project.marks``.

A person marks a long recording afterwards: an *event* at one time (a high-five's impact) or a
*region* from a start to an end (a minute of walking), each with one of the project's classes.
Adding a mark cuts its windows (:mod:`hfwidgets.store.mark_windows`) with the project's window
length and stores the mark and its labelled windows in one transaction, so the label is durable
the moment the call returns and a bad mark (outside the session, an unknown class) changes
nothing. Undo takes the newest mark of a session back: the mark and its windows are deleted
softly (their rows, ids and label history stay).
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hfwidgets.resampling import resample_samples
from hfwidgets.store.database import Database
from hfwidgets.store.labels import Labels
from hfwidgets.store.mark_windows import (
    DEFAULT_WINDOW_S,
    MarkKind,
    check_mark_times,
    mark_spans,
)
from hfwidgets.store.project_settings import Settings
from hfwidgets.store.sessions import Sessions
from hfwidgets.store.windows import Windows

__all__ = ["Mark", "Marks"]

_MARK_COLUMNS = "id, session_id, kind, t_start, t_end, label, note, created_at"


@dataclass(frozen=True)
class Mark:
    """One mark on a session: an event (``start == end``) or a region, with its windows."""

    id: int
    session_id: int
    kind: MarkKind
    start: float
    end: float
    label: str
    window_ids: tuple[int, ...] = ()
    note: str = ""
    created_at: float = 0.0

    @property
    def at(self) -> float:
        """The mark's time: an event's own, a region's middle."""
        return (self.start + self.end) / 2

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (what ``hfw mark --json`` prints)."""
        return {
            "id": self.id,
            "session_id": self.session_id,
            "kind": self.kind,
            "start": self.start,
            "end": self.end,
            "label": self.label,
            "window_ids": list(self.window_ids),
            "note": self.note,
        }


class Marks:
    """Mark a project's sessions and cut labelled windows from the marks (``project.marks``):
    it reads the sessions and the window-length setting, and stores windows with their labels."""

    def __init__(
        self,
        db: Database,
        path: Path,
        *,
        labels: Labels,
        windows: Windows,
        sessions: Sessions,
        settings: Settings,
    ) -> None:
        self._db = db
        self.path = path
        self._labels = labels
        self._windows = windows
        self._sessions = sessions
        self._settings = settings

    # --- window length ----------------------------------------------------------------------

    def window_s(self) -> float:
        """The length (s) of the windows cut from marks: the project's window length.

        The ``"window_s"`` setting when stored, else the median length of the labelled windows
        (what the project's runs trained on), else :data:`DEFAULT_WINDOW_S`.
        """
        stored = self._settings.get("window_s")
        if isinstance(stored, int | float) and stored > 0:
            return float(stored)
        rows = self._db.query(
            "SELECT n / rate_hz FROM windows WHERE label IS NOT NULL AND deleted_at IS NULL"
        )
        lengths = [float(r[0]) for r in rows if r[0]]
        return float(statistics.median(lengths)) if lengths else DEFAULT_WINDOW_S

    def _project_rate_hz(self) -> float:
        rows = self._db.query("SELECT value FROM meta WHERE key = 'rate_hz'")
        return float(json.loads(rows[0][0]))

    # --- marks ------------------------------------------------------------------------------

    def add(
        self,
        session_id: int,
        *,
        label: str,
        at: float | None = None,
        start: float | None = None,
        end: float | None = None,
        note: str = "",
        window_s: float | None = None,
    ) -> Mark:
        """Mark an event (``at``) or a region (``start``, ``end``) of a session with a class.

        The mark and the windows cut from it (labelled ``label``, ``session_id`` and ``t0`` set)
        are stored in one transaction: on disk when this returns.

        Raises
        ------
        ValueError
            Naming what is wrong, with nothing stored: no such session, an unknown class, a
            time outside the session, a region that ends before it starts, both or neither of
            ``at`` and ``start``/``end``.
        """
        if (at is None) == (start is None and end is None) or (start is None) != (end is None):
            raise ValueError(
                "give a mark either at=SECONDS (an event) or start= and end= (a region)"
            )
        kind: MarkKind = "event" if at is not None else "region"
        t_start = float(at if at is not None else start)  # type: ignore[arg-type]
        t_end = float(at if at is not None else end)  # type: ignore[arg-type]
        record = self._sessions.get(session_id)
        check_mark_times(
            record.t, kind=kind, start=t_start, end=t_end, session=f"session {session_id}"
        )
        length = float(window_s) if window_s is not None else self.window_s()
        spans = mark_spans(
            record.t, kind=kind, start=t_start, end=t_end, window_s=length, rate_hz=record.rate_hz
        )
        to_hz = min(self._project_rate_hz(), float(record.rate_hz))
        source = record.source or f"session {session_id}"
        with self._db.write() as conn:
            self._labels.check(conn, label)
            cur = conn.execute(
                "INSERT INTO marks (session_id, kind, t_start, t_end, label, note, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (session_id, kind, t_start, t_end, label, note, time.time()),
            )
            mark_id = int(cur.lastrowid or 0)
            for span in spans:
                rows = record.xyz[span.start_index : span.start_index + span.n]
                data = resample_samples(rows, from_hz=float(record.rate_hz), to_hz=to_hz)
                wid = self._windows.add(
                    data,
                    rate_hz=to_hz,
                    source=source,
                    t0=float(record.t[span.start_index]),
                    session_id=session_id,
                    label=label,
                )
                conn.execute(
                    "INSERT INTO mark_windows (mark_id, window_id) VALUES (?, ?)", (mark_id, wid)
                )
        return self.get(mark_id)

    def adopt(
        self,
        session_id: int,
        *,
        kind: MarkKind,
        start: float,
        end: float,
        label: str,
        window_ids: Sequence[int],
        note: str = "",
        created_at: float | None = None,
    ) -> Mark:
        """Store a mark whose windows are already stored here (a merge copies a teammate's
        marks with the windows cut from them); nothing is cut.

        Raises
        ------
        ValueError
            Naming what is wrong, with nothing stored: an unknown class, a time outside the
            session, or a window that is not one of this session's live windows.
        """
        record = self._sessions.get(session_id)
        check_mark_times(record.t, kind=kind, start=start, end=end, session=f"session {session_id}")
        live = {wid for wid, _a, _b, _label in self._windows.in_session(session_id)}
        stray = sorted(set(window_ids) - live)
        if stray:
            raise ValueError(
                f"windows {stray} are not live windows of session {session_id}; "
                "a mark links only its own session's windows"
            )
        with self._db.write() as conn:
            self._labels.check(conn, label)
            cur = conn.execute(
                "INSERT INTO marks (session_id, kind, t_start, t_end, label, note, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (session_id, kind, float(start), float(end), label, note,
                 time.time() if created_at is None else float(created_at)),
            )  # fmt: skip
            mark_id = int(cur.lastrowid or 0)
            conn.executemany(
                "INSERT INTO mark_windows (mark_id, window_id) VALUES (?, ?)",
                [(mark_id, int(w)) for w in window_ids],
            )
        return self.get(mark_id)

    def get(self, mark_id: int) -> Mark:
        """One mark that is in effect; ``ValueError`` if there is none with that id."""
        rows = self._db.query(
            f"SELECT {_MARK_COLUMNS} FROM marks WHERE id = ? AND deleted_at IS NULL", (mark_id,)
        )
        if not rows:
            raise ValueError(f"no mark {mark_id} in project {self.path}")
        return self._marks_from_rows(rows)[0]

    def all(self, session_id: int | None = None) -> list[Mark]:
        """The marks in effect (of one session, or of all), in time order."""
        where, params = "deleted_at IS NULL", []
        if session_id is not None:
            where, params = "deleted_at IS NULL AND session_id = ?", [session_id]
        rows = self._db.query(
            f"SELECT {_MARK_COLUMNS} FROM marks WHERE {where} ORDER BY session_id, t_start, id",
            params,
        )
        return self._marks_from_rows(rows)

    def _marks_from_rows(self, rows: list[tuple[Any, ...]]) -> list[Mark]:
        windows: dict[int, list[int]] = {}
        for mark_id, wid in self._db.query(
            "SELECT mw.mark_id, mw.window_id FROM mark_windows mw JOIN windows w "
            "ON w.id = mw.window_id WHERE w.deleted_at IS NULL ORDER BY mw.window_id"
        ):
            windows.setdefault(int(mark_id), []).append(int(wid))
        return [
            Mark(
                id=mid, session_id=sid, kind=kind, start=float(t0), end=float(t1), label=label,
                window_ids=tuple(windows.get(mid, ())), note=note, created_at=float(created),
            )
            for mid, sid, kind, t0, t1, label, note, created in rows
        ]  # fmt: skip

    def delete(self, mark_id: int) -> Mark:
        """Take a mark back: the mark and its windows are deleted softly; returns the mark."""
        mark = self.get(mark_id)
        now = time.time()
        with self._db.write() as conn:
            conn.execute("UPDATE marks SET deleted_at = ? WHERE id = ?", (now, mark_id))
            conn.execute(
                "UPDATE windows SET deleted_at = ? WHERE deleted_at IS NULL AND id IN "
                "(SELECT window_id FROM mark_windows WHERE mark_id = ?)",
                (now, mark_id),
            )
        return mark

    def undo(self, session_id: int) -> Mark | None:
        """Undo the newest mark of a session (see :meth:`delete`); None with none left."""
        rows = self._db.query(
            "SELECT id FROM marks WHERE session_id = ? AND deleted_at IS NULL "
            "ORDER BY created_at DESC, id DESC LIMIT 1",
            (session_id,),
        )
        return self.delete(int(rows[0][0])) if rows else None
