"""Labels with history and undo: ``project.labels``.

Every label change appends a row to ``label_history`` in the same transaction that changes the
window, so the history can never disagree with the current label. Undo marks the newest
not-yet-undone change as undone and restores the label it replaced.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from hfwidgets.store.database import Database
from hfwidgets.store.names import stored_classes
from hfwidgets.store.records import LabelChange

__all__ = ["Labels", "window_state"]


def window_state(
    conn: sqlite3.Connection, window_id: int, *, path: Path
) -> tuple[str | None, float | None]:
    """``(label, deleted_at)`` of a stored window; ``ValueError`` naming it when there is none.

    Labelling, undoing and deleting all start here, so a missing id reads the same everywhere.
    """
    row = conn.execute(
        "SELECT label, deleted_at FROM windows WHERE id = ?", (window_id,)
    ).fetchone()
    if row is None:
        raise ValueError(f"no window {window_id} in project {path}")
    return (None if row[0] is None else str(row[0])), row[1]


class Labels:
    """Set, undo and list the labels of a project's windows (``project.labels``); adding a
    labelled window or a mark checks and records its label here."""

    def __init__(self, db: Database, path: Path) -> None:
        self._db = db
        self.path = path

    def check(self, conn: sqlite3.Connection, label: str) -> None:
        """``ValueError`` unless ``label`` is one of the project's classes (read in ``conn``'s
        transaction, so a concurrent rename cannot slip between the check and the write)."""
        classes = stored_classes(conn)
        if label not in classes:
            raise ValueError(
                f"unknown label {label!r} for project {self.path}; classes are {classes} "
                "(add one with project.add_class(name))"
            )

    @staticmethod
    def record(
        conn: sqlite3.Connection,
        window_id: int,
        label: str | None,
        previous: str | None,
        *,
        note: str = "",
    ) -> None:
        conn.execute(
            "INSERT INTO label_history (window_id, label, previous, at, note) "
            "VALUES (?, ?, ?, ?, ?)",
            (window_id, label, previous, time.time(), note),
        )

    def _live(self, conn: sqlite3.Connection, window_id: int) -> tuple[str | None]:
        """``(label,)`` of a window that exists and is not deleted, else ``ValueError``."""
        label, deleted_at = window_state(conn, window_id, path=self.path)
        if deleted_at is not None:
            raise ValueError(
                f"window {window_id} in project {self.path} is deleted; "
                f"project.windows.restore({window_id}) brings it back"
            )
        return (label,)

    def set(self, window_id: int, label: str | None) -> None:
        """Label a window (``None`` clears the label); on disk when this returns.

        Setting the label a window already has changes nothing and adds no history. A deleted
        window cannot be labelled (``ValueError``; restore it first).
        """
        with self._db.write() as conn:
            if label is not None:
                self.check(conn, label)
            row = self._live(conn, window_id)
            if row[0] == label:
                return
            conn.execute("UPDATE windows SET label = ? WHERE id = ?", (label, window_id))
            self.record(conn, window_id, label, row[0])

    def undo(self, window_id: int) -> str | None:
        """Undo the newest label change of a window and return the label now in effect.

        Repeated calls walk further back. With nothing left to undo the label stays as it is
        and is returned unchanged.
        """
        with self._db.write() as conn:
            row = self._live(conn, window_id)
            change = conn.execute(
                "SELECT id, previous FROM label_history WHERE window_id = ? AND undone = 0 "
                "ORDER BY id DESC LIMIT 1",
                (window_id,),
            ).fetchone()
            if change is None:
                return row[0]
            history_id, previous = change[0], None if change[1] is None else str(change[1])
            conn.execute("UPDATE label_history SET undone = 1 WHERE id = ?", (history_id,))
            conn.execute("UPDATE windows SET label = ? WHERE id = ?", (previous, window_id))
            return previous

    def history(self, window_id: int) -> list[LabelChange]:
        """Every label change of a window, oldest first (undone ones flagged)."""
        rows = self._db.query(
            "SELECT label, previous, at, undone, note FROM label_history WHERE window_id = ? "
            "ORDER BY id",
            (window_id,),
        )
        return [
            LabelChange(lab, prev, at, bool(undone), note) for lab, prev, at, undone, note in rows
        ]
