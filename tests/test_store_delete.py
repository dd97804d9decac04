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
    a = project.add_window(_window(1), rate_hz=50.0, label="high-five")
    b = project.add_window(_window(2), rate_hz=50.0, label="other")
    project.set_label(b, "high-five")
    project.set_split("default", {a: "train", b: "val"})
    history = project.label_history(b)

    project.delete_window(b)
    assert project.window_ids() == [a]
    assert [w.id for w in project.windows()] == [a]
    assert project.counts() == {"high-five": 1, "other": 0}
    assert project.split("default") == {a: "train"}
    assert project.deleted_window_ids() == [b]
    assert export_generic(project, tmp_path / "out").files == 1
    assert project.windows(ids=[b, a], skip_missing=True)[0].id == a
    with pytest.raises(ValueError, match=rf"\[{b}\] deleted: Project.restore_window"):
        project.windows(ids=[b])
    with pytest.raises(ValueError, match="is deleted"):
        project.set_label(b, "other")

    project.restore_window(b)
    assert project.window_ids() == [a, b]
    assert project.window(b).label == "high-five"
    assert project.label_history(b) == history
    assert project.split("default") == {a: "train", b: "val"}
    assert project.undo_label(b) == "other"  # its history still undoes
    assert project.deleted_window_ids() == []
    project.restore_window(b)  # not deleted: nothing changes
    with pytest.raises(ValueError, match="no window 999"):
        project.restore_window(999)


def test_a_deleted_window_can_be_imported_again(project: Project) -> None:
    a = project.add_window(_window(1), rate_hz=50.0)
    digest = next(iter(project.window_digests()))
    project.delete_window(a)
    assert digest not in project.window_digests()


def test_version_2_database_is_migrated_to_soft_delete_and_chunked_sessions(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "v2"
    with Project.create(folder) as p:
        a = p.add_window(_window(1), rate_hz=50.0, label="other")
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
        assert p.window_ids() == [a]
        p.delete_window(a)
        assert p.window_ids() == []
        p.restore_window(a)
        assert p.window(a).label == "other"
    conn = sqlite3.connect(folder / "project.sqlite")
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    conn.close()
