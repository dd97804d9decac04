"""A project: one folder holding an SQLite database of windows, labels and runs.

Layout::

    <project>/project.sqlite      sessions, windows, labels + history, splits, runs, settings
    <project>/checkpoints/        model checkpoints, one file per training run

Every write is a transaction committed with ``synchronous=FULL`` in WAL mode, so a label is on
disk when ``project.labels.set`` returns, and a crash never leaves half a write behind.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any

from hfwidgets.errors import HfwError
from hfwidgets.store.arrays import (
    check_rate_hz,
)
from hfwidgets.store.database import Database
from hfwidgets.store.labels import Labels
from hfwidgets.store.marks import Marks
from hfwidgets.store.names import (
    check_class_name,
    check_stored_names,
    rename_stored_classes,
    store_classes,
    stored_classes,
)
from hfwidgets.store.project_settings import Settings, Splits
from hfwidgets.store.runs import Runs
from hfwidgets.store.schema import (
    DB_NAME,
    check_integrity,
    check_version,
    connect,
    create_schema,
    migrate,
)
from hfwidgets.store.sessions import Sessions
from hfwidgets.store.windows import Windows

__all__ = ["DEFAULT_CLASSES", "Project", "check_class_name"]

DEFAULT_CLASSES = ("high-five", "other")


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


class Project:
    """A labelled-window project stored in ``<path>/project.sqlite``.

    Use :meth:`create`, :meth:`open` or :meth:`open_or_create` rather than the constructor.
    Safe to use from several threads (one connection per thread) and several processes (WAL,
    ``busy_timeout``).

    The project opens and closes the database and keeps its metadata (classes, rate, id); each
    kind of row has its own part, sharing the one database:

    - ``project.windows``: :class:`~hfwidgets.store.windows.Windows` (add, get, all, ids, delete)
    - ``project.labels``: :class:`~hfwidgets.store.labels.Labels` (set, undo, history)
    - ``project.sessions``: :class:`~hfwidgets.store.sessions.Sessions` (raw recordings)
    - ``project.marks``: :class:`~hfwidgets.store.marks.Marks` (marks on sessions)
    - ``project.runs``: :class:`~hfwidgets.store.runs.Runs` (training runs, checkpoints)
    - ``project.settings`` and ``project.splits``: :mod:`hfwidgets.store.project_settings`
    """

    def __init__(self, path: Path, db: Database) -> None:
        self.path = path
        self._db = db
        self.labels = Labels(db, path)
        self.windows = Windows(db, path, self.labels)
        self.sessions = Sessions(db, path)
        self.settings = Settings(db)
        self.splits = Splits(db, path)
        self.runs = Runs(db, path)
        self.marks = Marks(
            db, path, labels=self.labels, windows=self.windows, sessions=self.sessions,
            settings=self.settings,
        )  # fmt: skip

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
            names = stored_classes(conn)
            if name not in names:
                store_classes(conn, [*names, name])
