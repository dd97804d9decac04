"""One SQLite connection per thread, explicit write transactions, errors a person can act on.

Widgets call the store from the kernel thread while a training thread reads windows; sqlite3
connections must not be shared between threads mid-statement, so each thread gets its own.
WAL lets those readers run while a writer commits. Connections of threads that have ended are
closed the next time a thread opens one, and :meth:`Database.close` closes the rest.
"""

from __future__ import annotations

import sqlite3
import threading
import weakref
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from hfwidgets.errors import HfwError
from hfwidgets.store.schema import BUSY_TIMEOUT_MS, connect

__all__ = ["Database", "explain_sqlite_error"]


def explain_sqlite_error(exc: sqlite3.Error, db_path: Path) -> HfwError:
    """Translate an sqlite3 error into an :class:`HfwError` naming the file and the remedy."""
    text = str(exc)
    if "locked" in text or "busy" in text:
        hint = (
            f"another process held the write lock for more than {BUSY_TIMEOUT_MS // 1000} s; "
            "finish or close it (another notebook, `hfw import`, a training run) and retry"
        )
    elif "readonly" in text or "read-only" in text:
        hint = (
            "the database or its folder is read-only; fix the permissions "
            f"(chmod u+w {db_path} {db_path.parent}) or copy the project somewhere writable"
        )
    elif "malformed" in text or "not a database" in text:
        hint = "the file is damaged; restore the project from a copy or merge a teammate's copy"
    elif "disk" in text or "full" in text:
        hint = "the disk is full or failing; free space and retry"
    else:
        hint = "see the SQLite message above"
    return HfwError(f"{db_path}: {text}: {hint}")


class Database:
    """Thread-aware access to one project database file.

    Parameters
    ----------
    path : Path
        The SQLite file (``<project>/project.sqlite``).
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        # thread id -> (weak reference to the thread, its connection)
        self._conns: dict[int, tuple[weakref.ref[threading.Thread], sqlite3.Connection]] = {}
        self._closed = False

    def connection(self) -> sqlite3.Connection:
        """Return this thread's connection, opening it on first use."""
        ident = threading.get_ident()
        with self._lock:
            if self._closed:
                raise HfwError(f"{self.path}: the project was closed; open it again")
            entry = self._conns.get(ident)
            if entry is not None and entry[0]() is threading.current_thread():
                return entry[1]
            self._close_dead_threads()
            conn = connect(self.path)
            self._conns[ident] = (weakref.ref(threading.current_thread()), conn)
            return conn

    def _close_dead_threads(self) -> None:
        for ident, (thread_ref, conn) in list(self._conns.items()):
            thread = thread_ref()
            if thread is None or not thread.is_alive():
                conn.close()
                del self._conns[ident]

    @contextmanager
    def write(self, *, busy_timeout_ms: int | None = None) -> Iterator[sqlite3.Connection]:
        """A write transaction; nested uses join the outermost one, which commits or rolls back.

        ``BEGIN IMMEDIATE`` takes the write lock before reading, so two processes labelling at
        once queue up (``busy_timeout``) rather than one of them failing. ``busy_timeout_ms``
        waits less for the lock than the default (a recorder that keeps its samples and
        retries must not stop reading the sensor for 30 s).
        """
        conn = self.connection()
        if conn.in_transaction:
            yield conn
            return
        if busy_timeout_ms is not None:
            conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise explain_sqlite_error(exc, self.path) from exc
        finally:
            if busy_timeout_ms is not None:
                conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        try:
            yield conn
        except sqlite3.Error as exc:
            self._rollback(conn)
            raise explain_sqlite_error(exc, self.path) from exc
        except BaseException:
            self._rollback(conn)
            raise
        try:
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            self._rollback(conn)
            raise explain_sqlite_error(exc, self.path) from exc

    @staticmethod
    def _rollback(conn: sqlite3.Connection) -> None:
        # SQLite may already have rolled back by itself (disk full, I/O error).
        if conn.in_transaction:
            conn.execute("ROLLBACK")

    def execute_write(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Cursor:
        """Run one statement in a write transaction (or in the one already open)."""
        with self.write() as conn:
            return conn.execute(sql, params)

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Run a read-only statement and return all rows."""
        try:
            return self.connection().execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise explain_sqlite_error(exc, self.path) from exc

    def close(self) -> None:
        """Close every thread's connection; later use raises :class:`HfwError`."""
        with self._lock:
            self._closed = True
            for _thread_ref, conn in self._conns.values():
                conn.close()
            self._conns.clear()
