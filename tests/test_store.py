"""Project store: windows, labels with undo, sessions, settings, splits, runs, threads."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from hfwidgets.errors import HfwError
from hfwidgets.store import Project
from hfwidgets.store.run_metrics import RunMetrics


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Project]:
    with Project.create(tmp_path / "proj") as p:
        yield p


def _window(seed: int, n: int = 75) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(n, 3)).astype(np.float32)


def test_windows_read_back_bit_identical_after_reopen(tmp_path: Path) -> None:
    data = _window(1)
    with Project.create(tmp_path / "p", rate_hz=50.0) as p:
        wid = p.windows.add(data, rate_hz=50.0, source="sim", t0=12.5, label="high-five")
    with Project.open(tmp_path / "p") as p:
        rec = p.windows.get(wid)
        assert rec.data.dtype == np.float32
        assert rec.data.tobytes() == data.tobytes()
        assert (rec.label, rec.source, rec.t0, rec.rate_hz) == ("high-five", "sim", 12.5, 50.0)
        assert p.classes == ("high-five", "other")
        assert p.rate_hz == 50.0


def test_float64_input_is_stored_as_float32(project: Project) -> None:
    data = np.linspace(0, 1, 30, dtype=np.float64).reshape(10, 3)
    wid = project.windows.add(data, rate_hz=50.0)
    np.testing.assert_array_equal(project.windows.get(wid).data, data.astype(np.float32))


def test_relabel_and_undo_walk_back_through_history(project: Project) -> None:
    wid = project.windows.add(_window(2), rate_hz=50.0)
    project.labels.set(wid, "high-five")
    project.labels.set(wid, "other")
    assert project.windows.get(wid).label == "other"
    assert project.labels.undo(wid) == "high-five"
    assert project.windows.get(wid).label == "high-five"
    assert project.labels.undo(wid) is None
    assert project.windows.get(wid).label is None
    assert project.labels.undo(wid) is None  # nothing left: unchanged
    history = project.labels.history(wid)
    assert [(c.label, c.previous, c.undone) for c in history] == [
        ("high-five", None, True),
        ("other", "high-five", True),
    ]


def test_counts_and_filters(project: Project) -> None:
    a = project.windows.add(_window(3), rate_hz=50.0, label="high-five")
    b = project.windows.add(_window(4), rate_hz=50.0, label="other")
    c = project.windows.add(_window(5), rate_hz=50.0)
    assert project.windows.counts() == {"high-five": 1, "other": 1}
    assert project.windows.count_unlabelled() == 1
    assert [w.id for w in project.windows.all(label=None)] == [c]
    assert [w.id for w in project.windows.all(label="other")] == [b]
    assert [w.id for w in project.windows.all(ids=[c, a])] == [c, a]
    assert project.windows.ids() == [a, b, c]
    project.windows.delete(b)
    assert project.windows.counts() == {"high-five": 1, "other": 0}
    with pytest.raises(ValueError, match="no window"):
        project.windows.delete(b)
    with pytest.raises(ValueError, match=rf"no windows with ids \[{b}\]"):
        project.windows.all(ids=[a, b])


def test_unknown_label_is_rejected_and_names_the_classes(project: Project) -> None:
    wid = project.windows.add(_window(6), rate_hz=50.0)
    with pytest.raises(ValueError, match=r"unknown label 'wave'.*add_class"):
        project.labels.set(wid, "wave")
    project.add_class("wave")
    project.labels.set(wid, "wave")
    assert project.windows.counts()["wave"] == 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (np.zeros((0, 3)), "empty"),
        (np.zeros(10), "2-D"),
        (np.zeros((10, 2)), "3 channels"),
        (np.array([[0.0, np.nan, 0.0]]), "NaN"),
    ],
)
def test_bad_window_arrays_are_rejected(project: Project, data: np.ndarray, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        project.windows.add(data, rate_hz=50.0)
    assert project.windows.ids() == []


def test_sessions_round_trip(project: Project) -> None:
    t = np.arange(100) / 50.0
    xyz = _window(7, n=100)
    sid = project.sessions.add(t, xyz, rate_hz=50.0, source="loop://")
    wid = project.windows.add(xyz[10:85], rate_hz=50.0, session_id=sid, t0=float(t[10]))
    rec = project.sessions.get(sid)
    np.testing.assert_array_equal(rec.t, t)
    assert rec.xyz.tobytes() == xyz.tobytes()
    assert project.windows.get(wid).session_id == sid


def test_settings_splits_and_runs(project: Project) -> None:
    assert project.settings.get("scalogram", {"size": 1}) == {"size": 1}
    project.settings.set("scalogram", {"wavelet": "cmor1.5-1.0", "size": [224, 224]})
    assert project.settings.get("scalogram")["size"] == [224, 224]
    with pytest.raises(ValueError, match="JSON"):
        project.settings.set("bad", {1, 2})

    ids = [project.windows.add(_window(i), rate_hz=50.0, label="other") for i in range(4)]
    run = project.runs.add({"backbone": "mobilenet_v2", "epochs": 3})
    assert project.runs.get(run).status == "created"
    project.splits.set(run, {ids[0]: "train", ids[1]: "train", ids[2]: "val"})
    assert project.splits.get(run) == {ids[0]: "train", ids[1]: "train", ids[2]: "val"}
    assert project.splits.names() == [f"run:{run}"]
    with pytest.raises(ValueError, match="'test' is not one of"):
        project.splits.set("default", {ids[0]: "test"})
    with pytest.raises(ValueError, match="no windows with ids"):
        project.splits.set("default", {999: "train"})

    project.runs.update(
        run, status="running", metrics=RunMetrics.from_dict({"epoch": 1, "val_acc": 0.5})
    )
    assert project.runs.get(run).finished_at is None
    project.runs.update(run, status="finished")
    rec = project.runs.get(run)
    assert rec.metrics.extra == {"epoch": 1, "val_acc": 0.5}  # kept when only status changes
    assert rec.finished_at is not None
    assert rec.finished_at >= rec.created_at
    assert [r.id for r in project.runs.all()] == [run]
    ckpt = project.runs.checkpoint_path(run)
    assert ckpt == project.path / "checkpoints" / f"run-{run}.pt"
    assert ckpt.parent.is_dir()
    with pytest.raises(ValueError, match="no training run 99"):
        project.runs.checkpoint_path(99)


def test_batch_is_all_or_nothing(project: Project) -> None:
    def add_then_fail() -> None:
        with project.batch():
            project.windows.add(_window(8), rate_hz=50.0, label="other")
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        add_then_fail()
    assert project.windows.ids() == []


def test_threads_read_while_kernel_thread_labels(project: Project) -> None:
    ids = [project.windows.add(_window(i), rate_hz=50.0) for i in range(20)]
    seen: list[int] = []
    errors: list[BaseException] = []

    def reader() -> None:
        try:
            for _ in range(20):
                seen.append(len(project.windows.all()))
        except BaseException as exc:  # reported below, a thread cannot raise into pytest
            errors.append(exc)

    thread = threading.Thread(target=reader)
    thread.start()
    for wid in ids:
        project.labels.set(wid, "high-five")
    thread.join()
    assert not errors
    assert seen == [20] * 20
    assert project.windows.counts()["high-five"] == 20


def test_create_twice_and_open_missing_give_clear_errors(tmp_path: Path) -> None:
    Project.create(tmp_path / "p").close()
    with pytest.raises(HfwError, match="already exists"):
        Project.create(tmp_path / "p")
    with pytest.raises(HfwError, match=r"no project here.*hfw import"):
        Project.open(tmp_path / "nothing")
    with Project.open_or_create(tmp_path / "p", classes=("x",)) as p:
        assert p.classes == ("high-five", "other")  # existing project opened, not recreated
    with pytest.raises(ValueError, match="invalid class name"):
        Project.create(tmp_path / "q", classes=("a/b",))


def test_closed_project_refuses_use(tmp_path: Path) -> None:
    p = Project.create(tmp_path / "p")
    p.close()
    with pytest.raises(HfwError, match="closed"):
        p.windows.counts()


@pytest.mark.parametrize("rate_hz", [float("inf"), 1e9, 0.01])
def test_an_impossible_window_or_session_rate_is_refused_naming_it(
    project: Project, rate_hz: float
) -> None:
    # add_window only checked rate_hz > 0: inf, 1 GHz and 0.01 Hz (seconds typed as Hz) were
    # stored without a word, and every scalogram of the window failed later.
    with pytest.raises(ValueError, match=r"rate_hz.*not an accelerometer sample rate"):
        project.windows.add(_window(1), rate_hz=rate_hz)
    t = np.arange(10, dtype=float) / 50.0
    with pytest.raises(ValueError, match=r"rate_hz.*not an accelerometer sample rate"):
        project.sessions.add(t, _window(2, n=10), rate_hz=rate_hz, source="sim")
    with pytest.raises(ValueError, match=r"rate_hz.*not an accelerometer sample rate"):
        project.sessions.begin(rate_hz=rate_hz, source="sim")
    session_id = project.sessions.begin(rate_hz=50.0, source="sim")
    with pytest.raises(ValueError, match=r"rate_hz.*not an accelerometer sample rate"):
        project.sessions.set_rate(session_id, rate_hz)
    assert project.windows.ids() == []
    assert project.sessions.get(session_id).rate_hz == 50.0
