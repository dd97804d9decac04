"""Marks on stored sessions: events and regions, the windows cut from them, undo, bad input,
and the schema v3 -> v4 migration that brought them."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pytest

from hfwidgets.store import SCHEMA_VERSION, Project
from hfwidgets.store.mark_windows import mark_spans

RATE = 50.0


def _session(project: Project, seconds: float = 20.0, *, rate_hz: float = RATE) -> int:
    t = np.arange(int(seconds * rate_hz)) / rate_hz
    xyz = np.zeros((t.size, 3), dtype=np.float32)
    xyz[:, 0] = t  # x is the time itself: a window's samples say where it was cut
    xyz[:, 2] = 1.0
    return project.sessions.add(t, xyz, rate_hz=rate_hz, source="simulated arm")


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return Project.create(tmp_path / "p")


def test_event_mark_cuts_one_window_centred_on_it_labelled_and_durable(
    project: Project,
) -> None:
    sid = _session(project)
    mark = project.marks.add(sid, at=5.0, label="high-five")
    assert (mark.kind, mark.start, mark.end, mark.label) == ("event", 5.0, 5.0, "high-five")
    (wid,) = mark.window_ids
    window = project.windows.get(wid)
    assert window.label == "high-five"
    assert window.session_id == sid
    assert window.data.shape == (75, 3)  # the default 1.5 s at 50 Hz
    middle = window.t0 + window.data.shape[0] / window.rate_hz / 2  # type: ignore[operator]
    assert middle == pytest.approx(5.0, abs=1 / RATE)
    assert window.data[0, 0] == pytest.approx(window.t0)  # samples from the marked place
    assert [c.label for c in project.labels.history(wid)] == ["high-five"]
    path = project.path
    project.close()
    with Project.open(path) as again:  # stored at once, readable by another process
        assert [m.id for m in again.marks.all(sid)] == [mark.id]
        assert again.windows.counts()["high-five"] == 1


def test_region_mark_is_tiled_with_whole_windows_of_the_project_length(
    project: Project,
) -> None:
    project.windows.add(np.zeros((100, 3), np.float32), rate_hz=RATE, label="other")  # 2 s
    assert project.marks.window_s() == pytest.approx(2.0)
    sid = _session(project)
    mark = project.marks.add(sid, start=4.0, end=11.0, label="other")
    windows = project.windows.all(ids=mark.window_ids)
    assert len(windows) == 3  # 7 s holds three 2 s windows
    starts = [w.t0 for w in windows]
    assert starts == pytest.approx([4.5, 6.5, 8.5])  # centred in the region
    assert all(w.data.shape == (100, 3) and w.label == "other" for w in windows)


def test_window_near_an_end_is_moved_inside_the_session(project: Project) -> None:
    sid = _session(project, seconds=10.0)
    first = project.windows.get(project.marks.add(sid, at=0.1, label="high-five").window_ids[0])
    last = project.windows.get(project.marks.add(sid, at=9.98, label="high-five").window_ids[0])
    assert first.t0 == 0.0
    assert first.data.shape == (75, 3)
    assert last.t0 == pytest.approx((500 - 75) / RATE)
    assert last.data.shape == (75, 3)


def test_faster_session_windows_are_resampled_to_the_project_rate(project: Project) -> None:
    sid = _session(project, rate_hz=100.0)
    window = project.windows.get(project.marks.add(sid, at=5.0, label="other").window_ids[0])
    assert window.rate_hz == RATE
    assert window.data.shape == (75, 3)


@pytest.mark.parametrize(
    ("options", "words"),
    [
        ({"at": 25.0, "label": "high-five"}, "outside session"),
        ({"at": -1.0, "label": "high-five"}, "runs from 0.000 s"),
        ({"start": 3.0, "end": 30.0, "label": "other"}, "outside session"),
        ({"start": 5.0, "end": 4.0, "label": "other"}, "must end after it starts"),
        ({"at": 5.0, "label": "dab"}, "unknown label 'dab'"),
        ({"at": 5.0, "start": 4.0, "end": 6.0, "label": "other"}, "at=SECONDS"),
        ({"at": float("nan"), "label": "other"}, "finite"),
    ],
)
def test_bad_mark_is_a_clear_error_and_stores_nothing(
    project: Project, options: dict[str, object], words: str
) -> None:
    sid = _session(project)
    with pytest.raises(ValueError, match=words):
        project.marks.add(sid, **options)  # type: ignore[arg-type]
    assert project.marks.all() == []
    assert project.windows.ids() == []
    assert project.windows.deleted_ids() == []


def test_mark_on_a_missing_session_names_it(project: Project) -> None:
    with pytest.raises(ValueError, match="no session 7"):
        project.marks.add(7, at=1.0, label="other")


def test_undo_takes_the_newest_mark_and_its_windows_back(project: Project) -> None:
    sid = _session(project)
    a = project.marks.add(sid, at=3.0, label="high-five")
    b = project.marks.add(sid, start=8.0, end=12.0, label="other")
    assert project.marks.undo(sid) == b
    assert [m.id for m in project.marks.all(sid)] == [a.id]
    assert project.windows.ids() == list(a.window_ids)
    assert set(b.window_ids) <= set(project.windows.deleted_ids())  # soft: ids and history kept
    assert project.labels.history(b.window_ids[0])[0].label == "other"
    assert project.marks.undo(sid) == a
    assert project.marks.undo(sid) is None
    assert project.windows.counts() == {"high-five": 0, "other": 0}


def test_session_windows_say_where_each_window_lies(project: Project) -> None:
    sid = _session(project)
    free = project.windows.add(np.zeros((50, 3), np.float32), rate_hz=RATE, session_id=sid, t0=2.0)
    mark = project.marks.add(sid, at=10.0, label="other")
    assert project.windows.in_session(sid) == [
        (free, 2.0, 3.0, None),
        (mark.window_ids[0], pytest.approx(9.26), pytest.approx(10.76), "other"),
    ]


def test_session_infos_read_span_marks_and_meta_without_samples(project: Project) -> None:
    sid = _session(project, seconds=10.0)
    live = project.sessions.begin(rate_hz=RATE, source="recording")
    project.sessions.append(live, np.arange(5) / RATE + 2.0, np.zeros((5, 3), np.float32))
    project.sessions.append(live, np.arange(5) / RATE + 3.0, np.zeros((5, 3), np.float32))
    project.marks.add(sid, at=2.0, label="other")
    project.sessions.set_meta(sid, {"file": "long.csv", "gaps": []})
    infos = project.sessions.infos()
    assert [(i.id, i.n, i.marks) for i in infos] == [(sid, 500, 1), (live, 10, 0)]
    assert infos[0].duration_s == pytest.approx(9.98)
    assert (infos[1].start_s, infos[1].end_s) == pytest.approx((2.0, 3.08))
    assert infos[0].meta == {"file": "long.csv", "gaps": []}


def test_mark_spans_of_a_short_region_is_one_centred_window() -> None:
    t = np.arange(1000) / RATE
    (span,) = mark_spans(t, kind="region", start=10.0, end=10.5, window_s=1.5, rate_hz=RATE)
    assert span.n == 75
    assert t[span.start_index] == pytest.approx(10.25 - 0.75)
    with pytest.raises(ValueError, match="fewer than one"):
        mark_spans(t[:10], kind="event", start=0.1, end=0.1, window_s=1.5, rate_hz=RATE)


def _downgrade_to_v3(db: Path) -> None:
    """The same file as schema v3 wrote it: no marks tables, sessions without meta."""
    conn = sqlite3.connect(db)
    conn.executescript(
        "DROP TABLE mark_windows; DROP TABLE marks; ALTER TABLE sessions DROP COLUMN meta; "
        "PRAGMA user_version = 3;"
    )
    conn.close()


def test_v3_database_migrates_to_v4_keeping_sessions_windows_and_labels(
    tmp_path: Path,
) -> None:
    with Project.create(tmp_path / "old") as p:
        sid = _session(p)
        wid = p.windows.add(np.ones((75, 3), np.float32), rate_hz=RATE, label="other")
        p.labels.set(wid, "high-five")
    _downgrade_to_v3(tmp_path / "old" / "project.sqlite")
    with Project.open(tmp_path / "old") as p:
        assert p.windows.get(wid).label == "high-five"
        assert p.labels.undo(wid) == "other"  # history survived the migration
        assert p.sessions.get(sid).t.size == 1000
        assert p.sessions.infos()[0].meta == {}
        mark = p.marks.add(sid, at=4.0, label="high-five")
        assert p.marks.all(sid) == [mark]
    conn = sqlite3.connect(tmp_path / "old" / "project.sqlite")
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 4
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()
