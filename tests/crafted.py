"""A hostile project database, written with plain sqlite3 as another tool could write it.

Import refuses markup in class names, but a project folder shared by a teammate (or written by
any other program) is opened as it is. These helpers make such a project so tests can check
that it is refused on open and that no widget renders markup from its data.

- :func:`write_crafted_project` writes the hostile values, then closes everything: opening it
  with :meth:`Project.open` must fail with an ``HfwError`` naming the bad class name.
- :func:`open_crafted_project` opens a clean project first and then lets "another tool" write the
  hostile values into the open database: the returned :class:`Project` serves them to whatever
  reads it (the way to render every widget with hostile data despite the check on open).

Every hostile string is listed in :data:`HOSTILE_STRINGS`; :func:`assert_no_markup` checks that
an HTML value contains none of them unescaped.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import numpy as np

from hfwidgets.store import Project

__all__ = [
    "CONTROL_CLASS",
    "HOSTILE_CLASS",
    "HOSTILE_ERROR",
    "HOSTILE_SOURCE",
    "HOSTILE_STRINGS",
    "MARKUP_MARKERS",
    "assert_no_markup",
    "open_crafted_project",
    "write_crafted_project",
]

# A class name that runs script when put into HTML unescaped.
HOSTILE_CLASS = "<img src=x onerror=alert(1)>"
# A class name with control characters (a bell and a terminal colour escape).
CONTROL_CLASS = "bell\x07\x1b[31mred"
# A window/session source (a "port name") carrying markup.
HOSTILE_SOURCE = '<script>alert("source")</script>'
# Text a run stores as its error and settings (shown by the training panel and run lists).
HOSTILE_ERROR = "<b onmouseover=alert(2)>boom</b>"

HOSTILE_STRINGS = (HOSTILE_CLASS, CONTROL_CLASS, HOSTILE_SOURCE, HOSTILE_ERROR)
# Pieces of markup that must never appear verbatim in a widget's HTML value.
MARKUP_MARKERS = ("<img", "<script", "<b onmouseover", "\x1b")

_GOOD_CLASS = "high-five"
_N_PER_CLASS = 3
_WINDOW = 100  # samples (2 s at the project's 50 Hz)


def _motion(rng: np.random.Generator, scale: float) -> np.ndarray:
    t = np.linspace(0.0, 2.0, _WINDOW)
    base = np.stack([np.sin(2 * np.pi * t), np.cos(2 * np.pi * t), np.ones_like(t)], axis=1)
    return (scale * base + 0.05 * rng.standard_normal(base.shape)).astype(np.float32)


def _create_clean(folder: Path) -> Project:
    project = Project.create(folder, classes=[_GOOD_CLASS, "other"], rate_hz=50.0)
    rng = np.random.default_rng(0)
    for i in range(3 * _N_PER_CLASS + 1):
        project.windows.add(_motion(rng, 1.0 + 0.1 * i), rate_hz=50.0, source="simulated")
    session = rng.standard_normal((500, 3)).astype(np.float32)
    project.sessions.add(np.arange(500) / 50.0, session, rate_hz=50.0, source="simulated")
    return project


def _write_hostile(db_path: Path) -> None:
    """What another tool writes: hostile class names, labels, sources and run texts."""
    conn = sqlite3.connect(db_path, timeout=30)
    try:
        with conn:
            conn.execute(
                "UPDATE meta SET value = ? WHERE key = 'classes'",
                (json.dumps([_GOOD_CLASS, HOSTILE_CLASS, CONTROL_CLASS]),),
            )
            ids = [r[0] for r in conn.execute("SELECT id FROM windows ORDER BY id")]
            labels = [_GOOD_CLASS, HOSTILE_CLASS, CONTROL_CLASS]
            # N windows per class, the last window stays unlabelled.
            for i, wid in enumerate(ids[: 3 * _N_PER_CLASS]):
                label = labels[i // _N_PER_CLASS]
                conn.execute(
                    "UPDATE windows SET label = ?, source = ? WHERE id = ?",
                    (label, HOSTILE_SOURCE, wid),
                )
                conn.execute(
                    "INSERT INTO label_history (window_id, label, previous, at, note) "
                    "VALUES (?, ?, NULL, 0, ?)",
                    (wid, label, HOSTILE_ERROR),
                )
            conn.execute("UPDATE sessions SET source = ?", (HOSTILE_SOURCE,))
            settings = {
                "classes": [_GOOD_CLASS, HOSTILE_CLASS, CONTROL_CLASS],
                "backbone": HOSTILE_ERROR,
                "freeze": HOSTILE_ERROR,
            }
            conn.execute(
                "INSERT INTO runs (settings, status, metrics, created_at, updated_at, "
                "finished_at) VALUES (?, 'failed', ?, 0, 0, 0)",
                (json.dumps(settings), json.dumps({"error": HOSTILE_ERROR})),
            )
    finally:
        conn.close()


def write_crafted_project(folder: Path) -> Path:
    """Write a project at ``folder`` whose database holds hostile names; return ``folder``.

    Classes are ``high-five``, :data:`HOSTILE_CLASS` and :data:`CONTROL_CLASS`, three windows
    each plus one unlabelled window; every window and the session have :data:`HOSTILE_SOURCE`
    as source; one failed run has :data:`HOSTILE_ERROR` as its error and in its settings.
    """
    _create_clean(folder).close()
    _write_hostile(folder / "project.sqlite")
    return folder


def open_crafted_project(folder: Path) -> Project:
    """Like :func:`write_crafted_project`, but return an open :class:`Project` on it.

    The project is opened while still clean and the hostile values are written afterwards by a
    separate sqlite3 connection (another tool writing while a notebook has it open), so the
    project serves them despite the check on open. The caller closes it.
    """
    project = _create_clean(folder)
    _write_hostile(project.db_path)
    return project


def assert_no_markup(html_value: str, *, where: str = "widget") -> None:
    """Fail if ``html_value`` contains any hostile string or markup marker verbatim."""
    for needle in (*HOSTILE_STRINGS, *MARKUP_MARKERS):
        assert needle not in html_value, f"{where} renders {needle!r} unescaped: {html_value!r}"
