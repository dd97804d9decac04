"""SessionRecorder: a recording is stored in one-second chunks; failed writes lose nothing."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from hfwidgets.errors import HfwError
from hfwidgets.segmenter import Window
from hfwidgets.store import Project
from hfwidgets.store.recording import SessionRecorder


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Project]:
    with Project.create(tmp_path / "p") as p:
        yield p


def _stored_id(rec: SessionRecorder) -> int:
    """The recorder's session id, once it has stored a chunk."""
    assert rec.session_id is not None
    return rec.session_id


def _chunk(start: int, n: int = 10) -> tuple[np.ndarray, np.ndarray]:
    t = np.arange(start, start + n) / 50.0
    xyz = np.stack([t, -t, np.ones_like(t)], axis=1).astype(np.float32)
    return t, xyz


def _other_connection_holds_the_write_lock(project: Project) -> sqlite3.Connection:
    conn = sqlite3.connect(project.db_path, isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")
    return conn


def test_samples_are_stored_at_least_every_second(project: Project) -> None:
    clock = FakeClock()
    rec = SessionRecorder(project, rate_hz=50.0, source="simulated", clock=clock)
    rec.add(*_chunk(0))
    assert rec.session_id is None  # not a second yet
    clock.now = 1.0
    window = Window(data=np.ones((5, 3), np.float32), rate_hz=50.0, t0=0.1, start_index=5)
    rec.add(*_chunk(10), [window])
    assert rec.buffered == 0
    # Another process sees the first 20 samples and the window already.
    with Project.open(project.path) as other:
        session = other.sessions.get(_stored_id(rec))
        assert session.xyz.shape == (20, 3)
        np.testing.assert_allclose(session.t, np.arange(20) / 50.0)
        (stored,) = other.windows.all()
        assert stored.session_id == rec.session_id
    clock.now = 1.5
    rec.add(*_chunk(20))
    rec.close()
    assert project.sessions.get(_stored_id(rec)).xyz.shape == (30, 3)
    assert rec.samples_stored == 30


def test_a_locked_database_keeps_the_samples_and_says_so(project: Project) -> None:
    clock = FakeClock()
    problems: list[str] = []
    rec = SessionRecorder(
        project, rate_hz=50.0, source="s", clock=clock, lock_wait_s=0.05,
        on_problem=problems.append,
    )  # fmt: skip
    lock = _other_connection_holds_the_write_lock(project)
    for second in range(3):
        clock.now = float(second + 1)
        rec.add(*_chunk(10 * second))
    assert rec.buffered == 30
    assert rec.failed_writes == 3
    assert len(problems) == 1  # said once, not every second
    assert "locked" in problems[0]
    assert "30 samples" not in problems[0]  # it was 10 when it first failed
    assert "kept in memory and retried" in problems[0]
    assert "free space and retry" not in problems[0]
    lock.execute("ROLLBACK")
    lock.close()
    clock.now = 4.0
    rec.add(*_chunk(30))
    assert rec.buffered == 0
    assert "nothing was lost" in problems[-1]
    session = project.sessions.get(_stored_id(rec))
    np.testing.assert_allclose(session.t, np.arange(40) / 50.0)


def test_a_failed_write_such_as_a_full_disk_keeps_samples(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = FakeClock()
    rec = SessionRecorder(project, rate_hz=50.0, source="s", clock=clock)
    real = project.sessions.append
    failures = iter([HfwError("database or disk is full: the disk is full")])

    def append(*args: Any, **kwargs: Any) -> int:
        for exc in failures:
            raise exc
        return real(*args, **kwargs)

    monkeypatch.setattr(project.sessions, "append", append)
    rec.add(*_chunk(0))
    assert not rec.flush()
    assert project.sessions.ids() == []  # the half-done transaction was rolled back
    rec.add(*_chunk(10))
    rec.close()
    assert project.sessions.get(_stored_id(rec)).xyz.shape == (20, 3)


def test_close_gives_up_with_the_count_of_samples_not_stored(project: Project) -> None:
    clock = FakeClock()
    rec = SessionRecorder(project, rate_hz=50.0, source="s", clock=clock, lock_wait_s=0.01)
    lock = _other_connection_holds_the_write_lock(project)
    try:
        rec.add(*_chunk(0, n=25))
        with pytest.raises(HfwError, match=r"25 samples \(0.5 s\) of the recording could not"):
            rec.close(retry_for_s=0.0)
    finally:
        lock.close()
