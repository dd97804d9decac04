"""Windows of a project: add, read, count, delete and restore (``project.windows``).

A window is ``(n, 3)`` float32 samples at a rate, with an optional label, where it came from
(``source``, ``session_id``, ``t0``, ``origin``) and a digest of its samples and rate (how
imports and merges spot duplicates). Deleting hides a window but keeps its row: its id, label
history and split entries stay, and it can be restored as it was.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from pathlib import Path
from types import EllipsisType
from typing import Any

from numpy.typing import ArrayLike

from hfwidgets.store.arrays import (
    as_samples,
    check_rate_hz,
    decode_array,
    encode_array,
    window_digest,
)
from hfwidgets.store.database import Database
from hfwidgets.store.labels import Labels, window_state
from hfwidgets.store.names import stored_classes
from hfwidgets.store.records import WindowRecord

__all__ = ["Windows"]

_WINDOW_COLUMNS = "id, data, n, channels, rate_hz, label, source, t0, session_id, origin"


def _window_from_row(row: tuple[Any, ...]) -> WindowRecord:
    wid, blob, n, channels, rate, label, source, t0, session_id, origin = row
    return WindowRecord(
        id=wid,
        data=decode_array(blob, rows=n, channels=channels),
        rate_hz=rate,
        label=label,
        source=source,
        t0=t0,
        session_id=session_id,
        origin=origin,
    )


class Windows:
    """Store, read and delete a project's windows (``project.windows``); a window added with a
    label checks and records it through the project's :class:`~hfwidgets.store.labels.Labels`."""

    def __init__(self, db: Database, path: Path, labels: Labels) -> None:
        self._db = db
        self.path = path
        self._labels = labels

    def add(
        self,
        data: ArrayLike,
        *,
        rate_hz: float,
        source: str = "",
        t0: float | None = None,
        session_id: int | None = None,
        label: str | None = None,
        origin: str = "",
    ) -> int:
        """Store a window of samples ``(n, 3)`` and return its id.

        ``data`` is stored as float32; reading it back gives exactly those float32 values.
        """
        arr = as_samples(data)
        if arr.shape[1] != 3:
            raise ValueError(f"a window needs 3 channels (x, y, z), got shape {arr.shape}")
        rate_hz = check_rate_hz(rate_hz)
        with self._db.write() as conn:
            if label is not None:
                self._labels.check(conn, label)
            cur = conn.execute(
                "INSERT INTO windows (data, n, channels, rate_hz, source, t0, session_id, "
                "label, digest, origin, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    encode_array(arr), arr.shape[0], arr.shape[1], float(rate_hz), source,
                    t0, session_id, label, window_digest(arr, rate_hz), origin, time.time(),
                ),
            )  # fmt: skip
            wid = int(cur.lastrowid or 0)
            if label is not None:
                self._labels.record(conn, wid, label, None, note="added")
        return wid

    def get(self, window_id: int) -> WindowRecord:
        """One window; ``ValueError`` if there is no such id."""
        return self.all(ids=[window_id])[0]

    def all(
        self,
        *,
        label: str | EllipsisType | None = ...,
        ids: Iterable[int] | None = None,
        skip_missing: bool = False,
    ) -> list[WindowRecord]:
        """Stored windows, oldest first (or in the order of ``ids``); deleted ones are hidden.

        Parameters
        ----------
        label : str, None or ...
            ``...`` (default): any label; ``None``: unlabelled only; a name: that class only.
        ids : iterable of int, optional
            Only these windows, in this order; ``ValueError`` names any that do not exist or are
            deleted (unless ``skip_missing``).
        skip_missing : bool
            Leave out ids that do not exist or are deleted instead of raising (a confusion
            cell listing windows deleted since the run).
        """
        where, params = ["deleted_at IS NULL"], []
        if label is None:
            where.append("label IS NULL")
        elif label is not ...:
            where.append("label = ?")
            params.append(label)
        if ids is None:
            sql = f"SELECT {_WINDOW_COLUMNS} FROM windows WHERE {' AND '.join(where)}"
            return [_window_from_row(r) for r in self._db.query(sql + " ORDER BY id", params)]
        wanted = [int(i) for i in ids]
        found: dict[int, WindowRecord] = {}
        for start in range(0, len(wanted), 500):  # stay under SQLite's bound-parameter limit
            chunk = wanted[start : start + 500]
            clause = [f"id IN ({','.join('?' * len(chunk))})", *where]
            sql = f"SELECT {_WINDOW_COLUMNS} FROM windows WHERE {' AND '.join(clause)}"
            for row in self._db.query(sql, [*chunk, *params]):
                found[row[0]] = _window_from_row(row)
        missing = [i for i in wanted if i not in found]
        if missing and label is ... and not skip_missing:
            deleted = set(self.deleted_ids()) & set(missing)
            hint = (
                f" ({sorted(deleted)[:10]} deleted: project.windows.restore(id) brings one back)"
                if deleted
                else ""
            )
            raise ValueError(f"no windows with ids {missing[:10]} in project {self.path}{hint}")
        return [found[i] for i in wanted if i in found]

    def ids(self, *, label: str | EllipsisType | None = ...) -> list[int]:
        """Ids of the stored windows (filtered like :meth:`all`), without loading data."""
        live = "deleted_at IS NULL"
        if label is ...:
            rows = self._db.query(f"SELECT id FROM windows WHERE {live} ORDER BY id")
        elif label is None:
            rows = self._db.query(
                f"SELECT id FROM windows WHERE label IS NULL AND {live} ORDER BY id"
            )
        else:
            rows = self._db.query(
                f"SELECT id FROM windows WHERE label = ? AND {live} ORDER BY id", (label,)
            )
        return [r[0] for r in rows]

    def deleted_ids(self) -> list[int]:
        """Ids of deleted windows, oldest deletion first (each can be restored)."""
        rows = self._db.query(
            "SELECT id FROM windows WHERE deleted_at IS NOT NULL ORDER BY deleted_at, id"
        )
        return [r[0] for r in rows]

    def digests(self) -> dict[str, tuple[int, str | None]]:
        """Digest (samples + rate) -> (window id, label) of every live window: how imports
        and merges spot duplicates (a deleted window can be imported again)."""
        rows = self._db.query(
            "SELECT digest, id, label FROM windows WHERE deleted_at IS NULL ORDER BY id DESC"
        )
        return {digest: (wid, label) for digest, wid, label in rows}

    def delete(self, window_id: int) -> None:
        """Delete a window: hidden from every query, export and training from now on.

        The row stays (soft delete), so the id, its label history and its split entries are
        kept, ids in stored metrics and predictions never point to another window, and
        :meth:`restore` brings it back as it was.
        """
        with self._db.write() as conn:
            if window_state(conn, window_id, path=self.path)[1] is not None:
                raise ValueError(
                    f"no window {window_id} to delete in project {self.path}: it is already "
                    f"deleted (project.windows.restore({window_id}) brings it back)"
                )
            conn.execute("UPDATE windows SET deleted_at = ? WHERE id = ?", (time.time(), window_id))

    def restore(self, window_id: int) -> None:
        """Bring a deleted window back with the same id, label and label history.

        Restoring a window that is not deleted changes nothing; ``ValueError`` if there is no
        such id.
        """
        with self._db.write() as conn:
            cur = conn.execute("UPDATE windows SET deleted_at = NULL WHERE id = ?", (window_id,))
            if cur.rowcount == 0:
                raise ValueError(f"no window {window_id} in project {self.path}")

    def counts(self) -> dict[str, int]:
        """Number of windows per class (every class listed, zeros included)."""
        out = dict.fromkeys(stored_classes(self._db.connection()), 0)
        for label, n in self._db.query(
            "SELECT label, COUNT(*) FROM windows WHERE label IS NOT NULL AND deleted_at IS NULL "
            "GROUP BY label"
        ):
            out[label] = n
        return out

    def count_unlabelled(self) -> int:
        """Number of windows without a label."""
        rows = self._db.query(
            "SELECT COUNT(*) FROM windows WHERE label IS NULL AND deleted_at IS NULL"
        )
        return int(rows[0][0])

    def in_session(self, session_id: int) -> list[tuple[int, float, float, str | None]]:
        """``(window id, start s, end s, label)`` of a session's live windows that know where
        they lie (``t0`` set), read without their samples (what a timeline shades)."""
        rows = self._db.query(
            "SELECT id, t0, t0 + n / rate_hz, label FROM windows WHERE session_id = ? AND "
            "t0 IS NOT NULL AND deleted_at IS NULL ORDER BY t0, id",
            (session_id,),
        )
        return [(int(i), float(a), float(b), lab) for i, a, b, lab in rows]
