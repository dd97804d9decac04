"""Soft delete: a deleted window keeps its id, history and split entries and can be restored."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from hfwidgets.store import SCHEMA_VERSION, Project, export_generic


def _window(seed: int) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(20, 3)).astype(np.float32)


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Project]:
    with Project.create(tmp_path / "proj") as p:
        yield p


def test_deleted_window_is_hidden_everywhere_and_restored_with_same_id(
    project: Project, tmp_path: Path
) -> None:
    a = project.windows.add(_window(1), rate_hz=50.0, label="high-five")
    b = project.windows.add(_window(2), rate_hz=50.0, label="other")
    project.labels.set(b, "high-five")
    project.splits.set("default", {a: "train", b: "val"})
    history = project.labels.history(b)

    project.windows.delete(b)
    assert project.windows.ids() == [a]
    assert [w.id for w in project.windows.all()] == [a]
    assert project.windows.counts() == {"high-five": 1, "other": 0}
    assert project.splits.get("default") == {a: "train"}
    assert project.windows.deleted_ids() == [b]
    assert export_generic(project, tmp_path / "out").files == 1
    assert project.windows.all(ids=[b, a], skip_missing=True)[0].id == a
    with pytest.raises(ValueError, match=rf"\[{b}\] deleted: project.windows.restore"):
        project.windows.all(ids=[b])
    with pytest.raises(ValueError, match="is deleted"):
        project.labels.set(b, "other")

    project.windows.restore(b)
    assert project.windows.ids() == [a, b]
    assert project.windows.get(b).label == "high-five"
    assert project.labels.history(b) == history
    assert project.splits.get("default") == {a: "train", b: "val"}
    assert project.labels.undo(b) == "other"  # its history still undoes
    assert project.windows.deleted_ids() == []
    project.windows.restore(b)  # not deleted: nothing changes
    with pytest.raises(ValueError, match="no window 999"):
        project.windows.restore(999)


def test_a_deleted_window_can_be_imported_again(project: Project) -> None:
    a = project.windows.add(_window(1), rate_hz=50.0)
    digest = next(iter(project.windows.digests()))
    project.windows.delete(a)
    assert digest not in project.windows.digests()


def test_version_2_database_is_migrated_to_soft_delete_and_chunked_sessions(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "v2"
    with Project.create(folder) as p:
        a = p.windows.add(_window(1), rate_hz=50.0, label="other")
    conn = sqlite3.connect(folder / "project.sqlite")
    # What version 4 added goes too (marks on sessions), so the file is as version 2 wrote it.
    conn.executescript("DROP TABLE mark_windows; DROP TABLE marks")
    conn.execute("ALTER TABLE sessions DROP COLUMN meta")
    conn.execute("DROP TABLE session_chunks")
    conn.execute("ALTER TABLE windows DROP COLUMN deleted_at")
    conn.execute("PRAGMA user_version = 2")
    conn.commit()
    conn.close()
    with Project.open(folder) as p:
        assert p.windows.ids() == [a]
        p.windows.delete(a)
        assert p.windows.ids() == []
        p.windows.restore(a)
        assert p.windows.get(a).label == "other"
    conn = sqlite3.connect(folder / "project.sqlite")
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    conn.close()
