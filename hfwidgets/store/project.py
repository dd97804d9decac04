"""A project: one folder holding an SQLite database of windows, labels and runs.

Layout::

    <project>/project.sqlite      sessions, windows, labels + history, splits, runs, settings
    <project>/checkpoints/        model checkpoints, one file per training run

Every write is a transaction committed with ``synchronous=FULL`` in WAL mode, so a label is on
disk when :meth:`Project.set_label` returns, and a crash never leaves half a write behind.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import EllipsisType, TracebackType
from typing import Any

from numpy.typing import ArrayLike

from hfwidgets.errors import HfwError
from hfwidgets.store.arrays import (
    as_samples,
    check_rate_hz,
    decode_array,
    encode_array,
    window_digest,
)
from hfwidgets.store.database import Database
from hfwidgets.store.labels import LabelsMixin
from hfwidgets.store.names import check_class_name, check_stored_names, rename_stored_classes
from hfwidgets.store.records import WindowRecord
from hfwidgets.store.runs import RunsMixin
from hfwidgets.store.schema import (
    DB_NAME,
    check_integrity,
    check_version,
    connect,
    create_schema,
    migrate,
)
from hfwidgets.store.sessions import SessionsMixin

__all__ = ["DEFAULT_CLASSES", "Project", "check_class_name"]

DEFAULT_CLASSES = ("high-five", "other")
_WINDOW_COLUMNS = "id, data, n, channels, rate_hz, label, source, t0, session_id, origin"


def _check_folder(folder: Path) -> None:
    """A project path must be a folder (or not exist yet): say so instead of a traceback."""
    if folder.exists() and not folder.is_dir():
        hint = (
            f"; this is the project's database: pass its folder, {folder.parent}"
            if folder.name == DB_NAME
            else ""
        )
        raise HfwError(
            f"{folder}: is a file, not a project folder (a project is a folder holding "
            f"{DB_NAME}){hint}"
        )


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


class Project(LabelsMixin, SessionsMixin, RunsMixin):
    """A labelled-window project stored in ``<path>/project.sqlite``.

    Use :meth:`create`, :meth:`open` or :meth:`open_or_create` rather than the constructor.
    Safe to use from several threads (one connection per thread) and several processes (WAL,
    ``busy_timeout``).
    """

    def __init__(self, path: Path, db: Database) -> None:
        self.path = path
        self._db = db

    # --- opening ----------------------------------------------------------------------------

    @classmethod
    def create(
        cls,
        path: str | os.PathLike[str],
        *,
        classes: Sequence[str] = DEFAULT_CLASSES,
        rate_hz: float = 50.0,
    ) -> Project:
        """Create a new project folder (parents included) with the given classes and rate."""
        folder = Path(path)
        _check_folder(folder)
        names = [check_class_name(c) for c in classes]
        if len(set(names)) != len(names):
            raise ValueError(f"duplicate class names in {names}")
        check_rate_hz(rate_hz, what="project rate_hz")
        db_path = folder / DB_NAME
        if db_path.exists():
            raise HfwError(
                f"{folder}: a project already exists here; use Project.open (or open_or_create)"
            )
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:  # a parent is a file, no permission, ...
            raise HfwError(f"{folder}: cannot create the project folder ({exc})") from exc
        conn = connect(db_path)
        try:
            meta = {
                "classes": json.dumps(names),
                "rate_hz": json.dumps(float(rate_hz)),
                "project_id": json.dumps(uuid.uuid4().hex),
                "created_at": json.dumps(time.time()),
            }
            create_schema(conn, meta)
        finally:
            conn.close()
        return cls.open(folder)

    @classmethod
    def open(
        cls,
        path: str | os.PathLike[str],
        *,
        rename_classes: Mapping[str, str] | None = None,
    ) -> Project:
        """Open an existing project, migrating an older schema.

        Before anything is written, the database is checked (``PRAGMA quick_check``) and its
        class names and labels are validated: a project written by another tool with markup or
        control characters in a name is refused, naming the value.

        Parameters
        ----------
        path : str or PathLike
            The project folder.
        rename_classes : mapping of str to str, optional
            Old name -> new name for classes and labels, applied (in one transaction) before
            the names are checked: the way to open a project whose names are refused.

        Raises
        ------
        HfwError
            If there is no project, it is newer than this hfwidgets, read-only, damaged, or
            holds a class name or label that is not allowed.
        """
        folder = Path(path)
        _check_folder(folder)
        db_path = folder / DB_NAME
        if not db_path.is_file():
            raise HfwError(
                f"{folder}: no project here (missing {DB_NAME}); create one with "
                "Project.create(path) or `hfw import SRC --project DIR`"
            )
        for target in (db_path, folder):
            if not os.access(target, os.W_OK):
                raise HfwError(
                    f"{target}: read-only; a project needs write access to its folder and "
                    f"database (chmod u+w {target}) or copy the project somewhere writable"
                )
        db = Database(db_path)
        try:
            conn = db.connection()
            check_version(conn, db_path)  # not a database / not ours / too new: said first
            check_integrity(conn, db_path)
            if rename_classes:
                with db.write() as tx:
                    rename_stored_classes(tx, rename_classes)
            check_stored_names(conn, db_path)
            migrate(conn, db_path)
            project = cls(folder, db)
            project._meta("project_id")  # a database without our metadata is not a project
        except BaseException:
            db.close()
            raise
        return project

    @classmethod
    def open_or_create(
        cls,
        path: str | os.PathLike[str],
        *,
        classes: Sequence[str] = DEFAULT_CLASSES,
        rate_hz: float = 50.0,
    ) -> Project:
        """Open the project at ``path`` if there is one, else create it with these options."""
        _check_folder(Path(path))
        if (Path(path) / DB_NAME).exists():
            return cls.open(path)
        return cls.create(path, classes=classes, rate_hz=rate_hz)

    def close(self) -> None:
        """Close the database connections of every thread."""
        self._db.close()

    def __enter__(self) -> Project:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Project({str(self.path)!r})"

    @contextmanager
    def batch(self, *, busy_timeout_s: float | None = None) -> Iterator[Project]:
        """Group writes into one transaction: all of them are stored, or none.

        Importers use this so a bad file found half-way leaves the project untouched.
        ``busy_timeout_s`` waits at most that long for another process's write lock (default
        30 s) before the ``HfwError``.
        """
        timeout_ms = None if busy_timeout_s is None else int(busy_timeout_s * 1000)
        with self._db.write(busy_timeout_ms=timeout_ms):
            yield self

    # --- metadata ---------------------------------------------------------------------------

    def _meta(self, key: str) -> Any:
        rows = self._db.query("SELECT value FROM meta WHERE key = ?", (key,))
        if not rows:
            raise HfwError(f"{self._db.path}: metadata {key!r} missing; not an hfwidgets project")
        return json.loads(rows[0][0])

    @property
    def db_path(self) -> Path:
        """The SQLite file of this project."""
        return self._db.path

    @property
    def classes(self) -> tuple[str, ...]:
        """Class names, in the order they were defined."""
        return tuple(self._meta("classes"))

    @property
    def rate_hz(self) -> float:
        """The project's sample rate: imports are resampled to it."""
        return float(self._meta("rate_hz"))

    @property
    def project_id(self) -> str:
        """A random id given at creation; merges record it as provenance."""
        return str(self._meta("project_id"))

    def add_class(self, name: str) -> None:
        """Add a class name (no-op if present)."""
        check_class_name(name)
        with self._db.write() as conn:
            names = json.loads(
                conn.execute("SELECT value FROM meta WHERE key = 'classes'").fetchone()[0]
            )
            if name not in names:
                names.append(name)
                conn.execute(
                    "UPDATE meta SET value = ? WHERE key = 'classes'", (json.dumps(names),)
                )

    # --- windows ----------------------------------------------------------------------------

    def add_window(
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
        if not rate_hz > 0:
            raise ValueError(f"rate_hz must be positive, got {rate_hz}")
        with self._db.write() as conn:
            if label is not None:
                self._check_label(label)
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
                self._record_label(conn, wid, label, None, note="added")
        return wid

    def window(self, window_id: int) -> WindowRecord:
        """One window; ``ValueError`` if there is no such id."""
        return self.windows(ids=[window_id])[0]

    def windows(
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
            deleted = set(self.deleted_window_ids()) & set(missing)
            hint = (
                f" ({sorted(deleted)[:10]} deleted: Project.restore_window(id) brings one back)"
                if deleted
                else ""
            )
            raise ValueError(f"no windows with ids {missing[:10]} in project {self.path}{hint}")
        return [found[i] for i in wanted if i in found]

    def window_ids(self, *, label: str | EllipsisType | None = ...) -> list[int]:
        """Ids of the stored windows (filtered like :meth:`windows`), without loading data."""
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

    def deleted_window_ids(self) -> list[int]:
        """Ids of deleted windows, oldest deletion first (each can be restored)."""
        rows = self._db.query(
            "SELECT id FROM windows WHERE deleted_at IS NOT NULL ORDER BY deleted_at, id"
        )
        return [r[0] for r in rows]

    def window_digests(self) -> dict[str, tuple[int, str | None]]:
        """Digest (samples + rate) -> (window id, label) of every live window: how imports
        and merges spot duplicates (a deleted window can be imported again)."""
        rows = self._db.query(
            "SELECT digest, id, label FROM windows WHERE deleted_at IS NULL ORDER BY id DESC"
        )
        return {digest: (wid, label) for digest, wid, label in rows}

    def delete_window(self, window_id: int) -> None:
        """Delete a window: hidden from every query, export and training from now on.

        The row stays (soft delete), so the id, its label history and its split entries are
        kept, ids in stored metrics and predictions never point to another window, and
        :meth:`restore_window` brings it back as it was.
        """
        with self._db.write() as conn:
            row = conn.execute(
                "SELECT deleted_at FROM windows WHERE id = ?", (window_id,)
            ).fetchone()
            if row is None:
                raise ValueError(f"no window {window_id} in project {self.path}")
            if row[0] is not None:
                raise ValueError(
                    f"no window {window_id} to delete in project {self.path}: it is already "
                    f"deleted (project.restore_window({window_id}) brings it back)"
                )
            conn.execute("UPDATE windows SET deleted_at = ? WHERE id = ?", (time.time(), window_id))

    def restore_window(self, window_id: int) -> None:
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
        out = dict.fromkeys(self.classes, 0)
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
