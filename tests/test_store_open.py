"""Opening a project checks it first: hostile names, damaged pages and wrong paths are refused
with an error naming the value and the remedy, before anything is written."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import numpy as np
import pytest

from hfwidgets.cli import main
from hfwidgets.errors import HfwError
from hfwidgets.store import Project
from tests.crafted import CONTROL_CLASS, HOSTILE_CLASS, write_crafted_project


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_database_with_markup_in_a_class_name_is_refused_on_open(tmp_path: Path) -> None:
    folder = write_crafted_project(tmp_path / "crafted")
    before = _digest(folder / "project.sqlite")
    with pytest.raises(HfwError) as info:
        Project.open(folder)
    message = str(info.value)
    assert repr(HOSTILE_CLASS) in message
    assert "rename_classes=" in message
    assert _digest(folder / "project.sqlite") == before  # nothing written


def test_control_characters_in_a_label_are_refused_and_named(tmp_path: Path) -> None:
    folder = tmp_path / "p"
    with Project.create(folder) as p:
        wid = p.windows.add(np.zeros((5, 3)), rate_hz=50.0, label="other")
    conn = sqlite3.connect(folder / "project.sqlite")
    conn.execute("UPDATE windows SET label = ? WHERE id = ?", (CONTROL_CLASS, wid))
    conn.commit()
    conn.close()
    with pytest.raises(HfwError, match=r"label 'bell\\x07\\x1b\[31mred' is not allowed"):
        Project.open(folder)
    assert main(["info", "--project", str(folder)]) == 1  # a clear error, not a traceback


def test_rename_classes_opens_a_refused_project(tmp_path: Path) -> None:
    folder = write_crafted_project(tmp_path / "crafted")
    renames = {HOSTILE_CLASS: "image", CONTROL_CLASS: "high-five"}
    with Project.open(folder, rename_classes=renames) as p:
        assert p.classes == ("high-five", "image")
        assert p.windows.counts() == {"high-five": 6, "image": 3}
        assert {c.label for w in p.windows.ids() for c in p.labels.history(w)} <= {
            "high-five", "image"
        }  # fmt: skip
    with Project.open(folder) as p:  # stays fixed
        assert p.classes == ("high-five", "image")
    with pytest.raises(ValueError, match="invalid class name"):
        Project.open(folder, rename_classes={"image": "<b>"})


def test_a_damaged_database_is_refused_before_any_write(tmp_path: Path) -> None:
    folder = tmp_path / "p"
    with Project.create(folder) as p:
        for i in range(300):
            p.windows.add(np.full((20, 3), i, np.float32), rate_hz=50.0, label="other")
    db = folder / "project.sqlite"
    conn = sqlite3.connect(db)
    page = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'windows_digest'")
    root = page.fetchone()[0]
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    conn.close()
    data = bytearray(db.read_bytes())
    offset = (root - 1) * page_size
    data[offset : offset + 8] = b"\x0d\x00\x00\x00\x00\xff\xff\x00"  # a broken b-tree header
    db.write_bytes(bytes(data))
    before = _digest(db)
    with pytest.raises(HfwError, match=r"damaged .*nothing was written.*\.recover"):
        Project.open(folder)
    assert _digest(db) == before


def test_a_project_path_that_is_a_file_gets_a_clear_error(tmp_path: Path) -> None:
    a_file = tmp_path / "notes.txt"
    a_file.write_text("hello")
    for make in (Project.open, Project.create, Project.open_or_create):
        with pytest.raises(HfwError, match="is a file, not a project folder"):
            make(a_file)
    with pytest.raises(HfwError, match="cannot create the project folder"):
        Project.create(a_file / "sub")
    Project.create(tmp_path / "real").close()
    with pytest.raises(HfwError, match=r"pass its folder, .*real"):
        Project.open(tmp_path / "real" / "project.sqlite")
    src = tmp_path / "src"
    src.mkdir()
    assert main(["import", str(src), "--project", str(a_file)]) == 1
