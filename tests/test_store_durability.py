"""A label is durable when project.labels.set returns, even if the process is SIGKILLed; two
processes labelling one project at once lose nothing."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from hfwidgets.store import Project

# The child labels windows one by one and prints "<id> <label>" only after labels.set returned:
# every printed line is an acknowledged label.
LABEL_WRITER = """
import sys, time
from hfwidgets.store import Project
folder, first, last, step, go = sys.argv[1], *map(int, sys.argv[2:5]), sys.argv[5]
while go != "-" and not __import__("os").path.exists(go):
    time.sleep(0.005)
with Project.open(folder) as p:
    for wid in range(first, last + 1, step):
        label = "high-five" if wid % 3 else "other"
        p.labels.set(wid, label)
        print(wid, label, flush=True)
"""


def _project_with_windows(folder: Path, n: int) -> list[int]:
    rng = np.random.default_rng(0)
    with Project.create(folder) as p, p.batch():
        return [
            p.windows.add(rng.normal(size=(25, 3)), rate_hz=50.0, source="test") for _ in range(n)
        ]


def _child(folder: Path, first: int, last: int, step: int, go: str = "-") -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", LABEL_WRITER, str(folder), str(first), str(last), str(step), go],
        stdout=subprocess.PIPE,
        text=True,
    )


def _integrity(db: Path) -> str:
    conn = sqlite3.connect(db)
    try:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])
    finally:
        conn.close()


def test_sigkill_mid_stream_keeps_every_acknowledged_label(tmp_path: Path) -> None:
    folder = tmp_path / "p"
    ids = _project_with_windows(folder, 400)
    child = _child(folder, ids[0], ids[-1], 1)
    acked: dict[int, str] = {}
    assert child.stdout is not None
    try:
        while len(acked) < 60:
            line = child.stdout.readline()
            assert line, f"writer stopped early after {len(acked)} labels"
            wid, label = line.split()
            acked[int(wid)] = label
        os.kill(child.pid, signal.SIGKILL)  # mid-stream: it is still writing
    finally:
        child.kill()
        child.wait()
    assert child.returncode == -signal.SIGKILL
    assert _integrity(folder / "project.sqlite") == "ok"
    with Project.open(folder) as p:
        stored = {w.id: w.label for w in p.windows.all(ids=list(acked))}
        assert stored == acked
        # nothing half-written: every labelled window has exactly its history row
        for window_id in p.windows.ids():
            stored_label = p.windows.get(window_id).label
            history = p.labels.history(window_id)
            assert (stored_label is None and not history) or [c.label for c in history] == [
                stored_label
            ]


def test_two_processes_labelling_concurrently_lose_nothing(tmp_path: Path) -> None:
    folder = tmp_path / "p"
    ids = _project_with_windows(folder, 160)
    go = tmp_path / "go"
    # interleaved ids: both write the same pages of the same tables at the same time
    children = [_child(folder, ids[0] + k, ids[-1], 2, str(go)) for k in (0, 1)]
    time.sleep(0.3)  # let both import and wait at the start line
    go.touch()
    outputs = [c.communicate(timeout=120)[0] for c in children]
    assert [c.returncode for c in children] == [0, 0]
    acked = dict(
        (int(w), lab) for out in outputs for w, lab in (line.split() for line in out.splitlines())
    )
    assert len(acked) == 160
    assert _integrity(folder / "project.sqlite") == "ok"
    with Project.open(folder) as p:
        assert {w.id: w.label for w in p.windows.all()} == acked
        assert sum(len(p.labels.history(w)) for w in ids) == 160
        counts = p.windows.counts()
    assert counts["other"] == sum(1 for w in ids if w % 3 == 0)


def test_set_label_returns_only_after_commit(tmp_path: Path) -> None:
    # A second connection (another process's view) sees each label as soon as the call returns.
    folder = tmp_path / "p"
    ids = _project_with_windows(folder, 3)
    other = sqlite3.connect(folder / "project.sqlite")
    with Project.open(folder) as p:
        for wid in ids:
            p.labels.set(wid, "other")
            row = other.execute("SELECT label FROM windows WHERE id = ?", (wid,)).fetchone()
            assert row == ("other",)
    other.close()
