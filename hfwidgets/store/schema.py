"""The project database: its schema, its version and the migrations between versions.

The version lives in ``PRAGMA user_version``. A database older than :data:`SCHEMA_VERSION` is
migrated in one transaction per step (SQLite's DDL is transactional, so a failed step leaves the
file as it was); a newer one is refused before anything is written to it.

Version history
---------------
1. meta, sessions, windows (data, shape, rate, source, t0, label).
2. Label history (undo), splits, training runs, settings; windows gain a digest (duplicate
   detection when merging), an origin (provenance) and a creation time.
3. Soft delete: windows gain ``deleted_at`` (NULL while the window is live), so a deleted window
   keeps its id, label history and split entries and ``project.windows.restore`` brings it
   back. Sessions gain ``session_chunks``, appended while a recording runs (one transaction per
   chunk), so a killed capture keeps everything up to its last chunk.
4. Marks on sessions: ``marks`` (an event at a time, or a region from start to end, with a
   class; ``deleted_at`` set when undone) and ``mark_windows`` (the windows cut from each mark).
   Sessions gain ``meta`` (JSON: the imported file, its gaps and rate changes).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

from hfwidgets.errors import HfwError
from hfwidgets.store.arrays import decode_array, window_digest

__all__ = [
    "BUSY_TIMEOUT_MS",
    "DB_NAME",
    "SCHEMA_VERSION",
    "check_integrity",
    "check_version",
    "connect",
    "create_schema",
    "finished_status",
    "migrate",
    "read_version",
]

DB_NAME = "project.sqlite"
SCHEMA_VERSION = 4
# Long enough for a teammate's bulk import to finish; a label click waits rather than fails.
BUSY_TIMEOUT_MS = 30_000

_CURRENT_DDL = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE sessions (
    id INTEGER PRIMARY KEY,
    rate_hz REAL NOT NULL,
    source TEXT NOT NULL DEFAULT '',
    n INTEGER NOT NULL,
    channels INTEGER NOT NULL,
    t BLOB NOT NULL,
    xyz BLOB NOT NULL,
    created_at REAL NOT NULL,
    meta TEXT NOT NULL DEFAULT '{}'
);
CREATE TABLE windows (
    id INTEGER PRIMARY KEY,
    data BLOB NOT NULL,
    n INTEGER NOT NULL,
    channels INTEGER NOT NULL,
    rate_hz REAL NOT NULL,
    source TEXT NOT NULL DEFAULT '',
    t0 REAL,
    session_id INTEGER REFERENCES sessions(id) ON DELETE SET NULL,
    label TEXT,
    digest TEXT NOT NULL,
    origin TEXT NOT NULL DEFAULT '',
    created_at REAL NOT NULL,
    deleted_at REAL
);
CREATE INDEX windows_label ON windows(label);
CREATE INDEX windows_digest ON windows(digest);
CREATE TABLE label_history (
    id INTEGER PRIMARY KEY,
    window_id INTEGER NOT NULL REFERENCES windows(id) ON DELETE CASCADE,
    label TEXT,
    previous TEXT,
    at REAL NOT NULL,
    undone INTEGER NOT NULL DEFAULT 0,
    note TEXT NOT NULL DEFAULT ''
);
CREATE INDEX label_history_window ON label_history(window_id, undone);
CREATE TABLE splits (
    name TEXT NOT NULL,
    window_id INTEGER NOT NULL REFERENCES windows(id) ON DELETE CASCADE,
    part TEXT NOT NULL CHECK (part IN ('train', 'val')),
    PRIMARY KEY (name, window_id)
);
CREATE TABLE session_chunks (
    session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    n INTEGER NOT NULL,
    t BLOB NOT NULL,
    xyz BLOB NOT NULL,
    PRIMARY KEY (session_id, seq)
);
CREATE TABLE runs (
    id INTEGER PRIMARY KEY,
    settings TEXT NOT NULL,
    status TEXT NOT NULL,
    metrics TEXT NOT NULL DEFAULT '{}',
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    finished_at REAL
);
CREATE TABLE marks (
    id INTEGER PRIMARY KEY,
    session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('event', 'region')),
    t_start REAL NOT NULL,
    t_end REAL NOT NULL,
    label TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    created_at REAL NOT NULL,
    deleted_at REAL
);
CREATE INDEX marks_session ON marks(session_id);
CREATE TABLE mark_windows (
    mark_id INTEGER NOT NULL REFERENCES marks(id) ON DELETE CASCADE,
    window_id INTEGER NOT NULL REFERENCES windows(id) ON DELETE CASCADE,
    PRIMARY KEY (mark_id, window_id)
);
"""

# Tables and indexes that arrive in version 4 (every older migration leaves them out).
_V4_NAMES = ("marks", "mark_windows")

_FINISHED = ("finished", "stopped", "failed", "cancelled")


def read_version(conn: sqlite3.Connection, db_path: Path) -> int:
    """Return the schema version, turning "not a database" into an error naming the file."""
    try:
        return int(conn.execute("PRAGMA user_version").fetchone()[0])
    except sqlite3.DatabaseError as exc:
        raise HfwError(
            f"{db_path}: not a readable project database ({exc}); the file is damaged or is not "
            "an hfwidgets project. Restore it from a copy or export/merge from a teammate's copy."
        ) from exc


def check_integrity(conn: sqlite3.Connection, db_path: Path) -> None:
    """Refuse a damaged database before anything is written to it (``PRAGMA quick_check``).

    quick_check reads every page but skips the slow index-content checks of integrity_check
    (see bench/store_open.py for its cost); writing into a damaged page could spread the damage.
    """
    try:
        rows = conn.execute("PRAGMA quick_check(5)").fetchall()
        problems = [str(r[0]) for r in rows if r[0] != "ok"]
    except sqlite3.DatabaseError as exc:
        problems = [str(exc)]
    if problems:
        detail = "; ".join(" ".join(p.split()) for p in problems)[:300]
        raise HfwError(
            f"{db_path}: the database is damaged ({detail}); nothing was written to it. "
            "Restore the project from a copy, or rescue what is readable with the sqlite3 tool: "
            f"sqlite3 {db_path} .recover | sqlite3 recovered.sqlite, then move recovered.sqlite "
            f"into a new folder as {DB_NAME}"
        )


def connect(db_path: Path) -> sqlite3.Connection:
    """Open one connection with the settings every connection of a project needs.

    Autocommit mode (``isolation_level=None``): transactions are explicit ``BEGIN IMMEDIATE``
    blocks, so a writer takes the write lock up front and waits in ``busy_timeout`` instead of
    failing with "database is locked" when it upgrades from reading. ``synchronous=FULL`` makes
    every commit fsync the WAL, so a label is on disk when ``project.labels.set`` returns.
    """
    try:
        conn = sqlite3.connect(
            str(db_path), timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None,
            check_same_thread=False,
        )  # fmt: skip
    except sqlite3.OperationalError as exc:
        raise HfwError(f"{db_path}: cannot open the project database ({exc})") from exc
    try:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA foreign_keys = ON")
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise HfwError(
            f"{db_path}: not a readable project database ({exc}); restore it from a copy"
        ) from exc
    return conn


def create_schema(conn: sqlite3.Connection, meta: dict[str, str]) -> None:
    """Create the current schema and the ``meta`` rows in an empty database, in one transaction,
    and switch it to WAL (a persistent property of the file)."""
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("BEGIN IMMEDIATE")
    try:
        for statement in _split_statements(_CURRENT_DDL):
            conn.execute(statement)
        conn.executemany("INSERT INTO meta (key, value) VALUES (?, ?)", meta.items())
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def _split_statements(script: str) -> list[str]:
    # executescript() would COMMIT the open transaction first; running statement by statement
    # keeps the whole schema change in one transaction.
    return [s.strip() for s in script.split(";") if s.strip()]


def _is_v4_statement(statement: str) -> bool:
    words = statement.split()
    return (len(words) > 2 and words[2] in _V4_NAMES) or "ON marks(" in statement


def _migrate_1_to_2(conn: sqlite3.Connection) -> None:
    new_tables = [
        s
        for s in _split_statements(_CURRENT_DDL)
        if not _is_v1_statement(s) and not _is_v4_statement(s)
    ]
    conn.execute("ALTER TABLE windows ADD COLUMN digest TEXT NOT NULL DEFAULT ''")
    conn.execute("ALTER TABLE windows ADD COLUMN origin TEXT NOT NULL DEFAULT ''")
    conn.execute("ALTER TABLE windows ADD COLUMN created_at REAL NOT NULL DEFAULT 0")
    for statement in new_tables:
        conn.execute(statement)
    rows = conn.execute("SELECT id, data, n, channels, rate_hz FROM windows").fetchall()
    for wid, blob, n, channels, rate in rows:
        digest = window_digest(decode_array(blob, rows=n, channels=channels), rate)
        conn.execute("UPDATE windows SET digest = ? WHERE id = ?", (digest, wid))
    # Version 1 kept only the current label: seed the history so undo has a starting point.
    conn.execute(
        "INSERT INTO label_history (window_id, label, previous, at, note) "
        "SELECT id, label, NULL, 0, 'migrated from schema v1' FROM windows WHERE label IS NOT NULL"
    )


def _migrate_2_to_3(conn: sqlite3.Connection) -> None:
    conn.execute("ALTER TABLE windows ADD COLUMN deleted_at REAL")
    chunks = [s for s in _split_statements(_CURRENT_DDL) if "TABLE session_chunks" in s]
    for statement in chunks:
        conn.execute(statement)


def _migrate_3_to_4(conn: sqlite3.Connection) -> None:
    conn.execute("ALTER TABLE sessions ADD COLUMN meta TEXT NOT NULL DEFAULT '{}'")
    for statement in _split_statements(_CURRENT_DDL):
        if _is_v4_statement(statement):
            conn.execute(statement)


def _is_v1_statement(statement: str) -> bool:
    head = " ".join(statement.split()[:3]).lower()
    # session_chunks arrives in version 3, not 2.
    return head in {
        "create table meta",
        "create table sessions",
        "create table windows",
        "create table session_chunks",
    } or head.startswith("create index windows_label")


# MIGRATIONS[v] upgrades a database from version v to v + 1.
MIGRATIONS: dict[int, Callable[[sqlite3.Connection], None]] = {
    1: _migrate_1_to_2,
    2: _migrate_2_to_3,
    3: _migrate_3_to_4,
}


def check_version(conn: sqlite3.Connection, db_path: Path) -> int:
    """Return the schema version if this hfwidgets can open the database, else ``HfwError``.

    Raises
    ------
    HfwError
        If the database is newer than this hfwidgets understands (it is left untouched), or has
        no version at all (not a project database).
    """
    version = read_version(conn, db_path)
    if version > SCHEMA_VERSION:
        raise HfwError(
            f"{db_path}: written by a newer hfwidgets (schema v{version}; this version reads up "
            f"to v{SCHEMA_VERSION}). Upgrade hfwidgets (pip install -U hfwidgets); the file was "
            "not modified."
        )
    if version < 1:
        raise HfwError(
            f"{db_path}: not an hfwidgets project database (no schema version). "
            "Create a project with Project.create or `hfw import SRC --project DIR`."
        )
    return version


def migrate(conn: sqlite3.Connection, db_path: Path) -> int:
    """Bring the database to :data:`SCHEMA_VERSION`; return the version it had before.

    Raises
    ------
    HfwError
        As :func:`check_version`.
    """
    version = check_version(conn, db_path)
    start = version
    while version < SCHEMA_VERSION:
        conn.execute("BEGIN IMMEDIATE")
        try:
            MIGRATIONS[version](conn)
            conn.execute(f"PRAGMA user_version = {version + 1}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        version += 1
    if start < SCHEMA_VERSION:
        conn.execute("PRAGMA journal_mode = WAL")
    return start


def finished_status(status: str) -> bool:
    """Whether a run status is final (its ``finished_at`` gets stamped)."""
    return status in _FINISHED
