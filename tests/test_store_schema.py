"""Schema versions, migration, and damaged, locked, newer or read-only databases."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from pathlib import Path

import numpy as np
import pytest

from hfwidgets.errors import HfwError
from hfwidgets.store import SCHEMA_VERSION, Project
from hfwidgets.store import schema as schema_module

# The version-1 schema as released: kept here verbatim so the migration is tested against it.
V1_DDL = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE sessions (id INTEGER PRIMARY KEY, rate_hz REAL NOT NULL,
    source TEXT NOT NULL DEFAULT '', n INTEGER NOT NULL, channels INTEGER NOT NULL,
    t BLOB NOT NULL, xyz BLOB NOT NULL, created_at REAL NOT NULL);
CREATE TABLE windows (id INTEGER PRIMARY KEY, data BLOB NOT NULL, n INTEGER NOT NULL,
    channels INTEGER NOT NULL, rate_hz REAL NOT NULL, source TEXT NOT NULL DEFAULT '', t0 REAL,
    session_id INTEGER REFERENCES sessions(id) ON DELETE SET NULL, label TEXT);
CREATE INDEX windows_label ON windows(label);
PRAGMA user_version = 1;
"""


def _make_v1(folder: Path, windows: list[tuple[np.ndarray, str | None]]) -> None:
    folder.mkdir()
    conn = sqlite3.connect(folder / "project.sqlite")
    conn.executescript(V1_DDL)
    meta = {"classes": ["high-five", "other"], "rate_hz": 50.0, "project_id": "v1proj"}
    conn.executemany(
        "INSERT INTO meta VALUES (?, ?)", [(k, json.dumps(v)) for k, v in meta.items()]
    )
    for data, label in windows:
        conn.execute(
            "INSERT INTO windows (data, n, channels, rate_hz, label) VALUES (?, ?, 3, 50.0, ?)",
            (data.astype("<f4").tobytes(), len(data), label),
        )
    conn.commit()
    conn.close()


def test_v1_database_is_migrated_keeping_windows_and_labels(tmp_path: Path) -> None:
    a = np.arange(30, dtype=np.float32).reshape(10, 3)
    b = -a
    _make_v1(tmp_path / "old", [(a, "high-five"), (b, None)])
    with Project.open(tmp_path / "old") as p:
        recs = p.windows.all()
        assert [r.label for r in recs] == ["high-five", None]
        assert recs[0].data.tobytes() == a.tobytes()
        # new v2 features work on the migrated file
        p.labels.set(recs[1].id, "other")
        assert p.labels.undo(recs[1].id) is None
        assert p.labels.undo(recs[0].id) is None  # the v1 label is undoable too
        run = p.runs.add({"backbone": "resnet18"})
        assert p.runs.get(run).status == "created"
        assert len(p.windows.digests()) == 2  # digests backfilled: merges can spot duplicates
    conn = sqlite3.connect(tmp_path / "old" / "project.sqlite")
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()


def test_newer_database_is_refused_and_left_untouched(tmp_path: Path) -> None:
    Project.create(tmp_path / "p").close()
    db = tmp_path / "p" / "project.sqlite"
    conn = sqlite3.connect(db)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    with pytest.raises(HfwError, match=rf"newer hfwidgets.*v{SCHEMA_VERSION + 1}.*Upgrade"):
        Project.open(tmp_path / "p")
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before


def test_corrupt_database_names_the_file(tmp_path: Path) -> None:
    folder = tmp_path / "p"
    folder.mkdir()
    (folder / "project.sqlite").write_bytes(b"this is not sqlite, " * 200)
    with pytest.raises(HfwError, match=r"project\.sqlite.*(damaged|not a)"):
        Project.open(folder)


def test_unversioned_sqlite_file_is_not_a_project(tmp_path: Path) -> None:
    folder = tmp_path / "p"
    folder.mkdir()
    sqlite3.connect(folder / "project.sqlite").execute("CREATE TABLE x (y)").connection.close()
    with pytest.raises(HfwError, match="not an hfwidgets project"):
        Project.open(folder)


def test_locked_database_gives_a_clear_error_and_keeps_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(schema_module, "BUSY_TIMEOUT_MS", 200)
    with Project.create(tmp_path / "p") as p:
        wid = p.windows.add(np.ones((5, 3)), rate_hz=50.0, label="other")
        holder = sqlite3.connect(p.db_path, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")  # another process holding the write lock
        try:
            with pytest.raises(HfwError, match=r"project\.sqlite.*locked.*retry"):
                p.labels.set(wid, "high-five")
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        assert p.windows.get(wid).label == "other"
        p.labels.set(wid, "high-five")  # works again once the lock is gone
        assert p.windows.get(wid).label == "high-five"


def test_read_only_project_names_the_remedy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    Project.create(tmp_path / "p").close()
    db = tmp_path / "p" / "project.sqlite"
    db.chmod(0o444)
    if os.access(db, os.W_OK):  # running as root, which ignores file modes: deny it ourselves
        real_access = os.access
        monkeypatch.setattr(os, "access", lambda p, m: m != os.W_OK and real_access(p, m))
    try:
        with pytest.raises(HfwError, match=r"project\.sqlite: read-only.*chmod u\+w"):
            Project.open(tmp_path / "p")
    finally:
        db.chmod(0o644)


def test_new_project_uses_wal(tmp_path: Path) -> None:
    Project.create(tmp_path / "p").close()
    conn = sqlite3.connect(tmp_path / "p" / "project.sqlite")
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()
