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
        wid = p.add_window(data, rate_hz=50.0, source="sim", t0=12.5, label="high-five")
    with Project.open(tmp_path / "p") as p:
        rec = p.window(wid)
        assert rec.data.dtype == np.float32
        assert rec.data.tobytes() == data.tobytes()
        assert (rec.label, rec.source, rec.t0, rec.rate_hz) == ("high-five", "sim", 12.5, 50.0)
        assert p.classes == ("high-five", "other")
        assert p.rate_hz == 50.0


def test_float64_input_is_stored_as_float32(project: Project) -> None:
    data = np.linspace(0, 1, 30, dtype=np.float64).reshape(10, 3)
    wid = project.add_window(data, rate_hz=50.0)
    np.testing.assert_array_equal(project.window(wid).data, data.astype(np.float32))


def test_relabel_and_undo_walk_back_through_history(project: Project) -> None:
    wid = project.add_window(_window(2), rate_hz=50.0)
    project.set_label(wid, "high-five")
    project.set_label(wid, "other")
    assert project.window(wid).label == "other"
    assert project.undo_label(wid) == "high-five"
    assert project.window(wid).label == "high-five"
    assert project.undo_label(wid) is None
    assert project.window(wid).label is None
    assert project.undo_label(wid) is None  # nothing left: unchanged
    history = project.label_history(wid)
    assert [(c.label, c.previous, c.undone) for c in history] == [
        ("high-five", None, True),
        ("other", "high-five", True),
    ]


def test_counts_and_filters(project: Project) -> None:
    a = project.add_window(_window(3), rate_hz=50.0, label="high-five")
    b = project.add_window(_window(4), rate_hz=50.0, label="other")
    c = project.add_window(_window(5), rate_hz=50.0)
    assert project.counts() == {"high-five": 1, "other": 1}
    assert project.count_unlabelled() == 1
    assert [w.id for w in project.windows(label=None)] == [c]
    assert [w.id for w in project.windows(label="other")] == [b]
    assert [w.id for w in project.windows(ids=[c, a])] == [c, a]
    assert project.window_ids() == [a, b, c]
    project.delete_window(b)
    assert project.counts() == {"high-five": 1, "other": 0}
    with pytest.raises(ValueError, match="no window"):
        project.delete_window(b)
    with pytest.raises(ValueError, match=rf"no windows with ids \[{b}\]"):
        project.windows(ids=[a, b])


def test_unknown_label_is_rejected_and_names_the_classes(project: Project) -> None:
    wid = project.add_window(_window(6), rate_hz=50.0)
    with pytest.raises(ValueError, match=r"unknown label 'wave'.*add_class"):
        project.set_label(wid, "wave")
    project.add_class("wave")
    project.set_label(wid, "wave")
    assert project.counts()["wave"] == 1


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
        project.add_window(data, rate_hz=50.0)
    assert project.window_ids() == []


def test_sessions_round_trip(project: Project) -> None:
    t = np.arange(100) / 50.0
    xyz = _window(7, n=100)
    sid = project.add_session(t, xyz, rate_hz=50.0, source="loop://")
    wid = project.add_window(xyz[10:85], rate_hz=50.0, session_id=sid, t0=float(t[10]))
    rec = project.session(sid)
    np.testing.assert_array_equal(rec.t, t)
    assert rec.xyz.tobytes() == xyz.tobytes()
    assert project.window(wid).session_id == sid


def test_settings_splits_and_runs(project: Project) -> None:
    assert project.get_setting("scalogram", {"size": 1}) == {"size": 1}
    project.set_setting("scalogram", {"wavelet": "cmor1.5-1.0", "size": [224, 224]})
    assert project.get_setting("scalogram")["size"] == [224, 224]
    with pytest.raises(ValueError, match="JSON"):
        project.set_setting("bad", {1, 2})

    ids = [project.add_window(_window(i), rate_hz=50.0, label="other") for i in range(4)]
    run = project.add_run({"backbone": "mobilenet_v2", "epochs": 3})
    assert project.run(run).status == "created"
    project.set_split(run, {ids[0]: "train", ids[1]: "train", ids[2]: "val"})
    assert project.split(run) == {ids[0]: "train", ids[1]: "train", ids[2]: "val"}
    assert project.split_names() == [f"run:{run}"]
    with pytest.raises(ValueError, match="'test' is not one of"):
        project.set_split("default", {ids[0]: "test"})
    with pytest.raises(ValueError, match="no windows with ids"):
        project.set_split("default", {999: "train"})

    project.update_run(
        run, status="running", metrics=RunMetrics.from_dict({"epoch": 1, "val_acc": 0.5})
    )
    assert project.run(run).finished_at is None
    project.update_run(run, status="finished")
    rec = project.run(run)
    assert rec.metrics.extra == {"epoch": 1, "val_acc": 0.5}  # kept when only status changes
    assert rec.finished_at is not None
    assert rec.finished_at >= rec.created_at
    assert [r.id for r in project.runs()] == [run]
    ckpt = project.checkpoint_path(run)
    assert ckpt == project.path / "checkpoints" / f"run-{run}.pt"
    assert ckpt.parent.is_dir()
    with pytest.raises(ValueError, match="no training run 99"):
        project.checkpoint_path(99)


def test_batch_is_all_or_nothing(project: Project) -> None:
    def add_then_fail() -> None:
        with project.batch():
            project.add_window(_window(8), rate_hz=50.0, label="other")
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        add_then_fail()
    assert project.window_ids() == []


def test_threads_read_while_kernel_thread_labels(project: Project) -> None:
    ids = [project.add_window(_window(i), rate_hz=50.0) for i in range(20)]
    seen: list[int] = []
    errors: list[BaseException] = []

    def reader() -> None:
        try:
            for _ in range(20):
                seen.append(len(project.windows()))
        except BaseException as exc:  # reported below, a thread cannot raise into pytest
            errors.append(exc)

    thread = threading.Thread(target=reader)
    thread.start()
    for wid in ids:
        project.set_label(wid, "high-five")
    thread.join()
    assert not errors
    assert seen == [20] * 20
    assert project.counts()["high-five"] == 20


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
        p.counts()


@pytest.mark.parametrize("rate_hz", [float("inf"), 1e9, 0.01])
def test_an_impossible_window_or_session_rate_is_refused_naming_it(
    project: Project, rate_hz: float
) -> None:
    # add_window only checked rate_hz > 0: inf, 1 GHz and 0.01 Hz (seconds typed as Hz) were
    # stored without a word, and every scalogram of the window failed later.
    with pytest.raises(ValueError, match=r"rate_hz.*not an accelerometer sample rate"):
        project.add_window(_window(1), rate_hz=rate_hz)
    t = np.arange(10, dtype=float) / 50.0
    with pytest.raises(ValueError, match=r"rate_hz.*not an accelerometer sample rate"):
        project.add_session(t, _window(2, n=10), rate_hz=rate_hz, source="sim")
    with pytest.raises(ValueError, match=r"rate_hz.*not an accelerometer sample rate"):
        project.begin_session(rate_hz=rate_hz, source="sim")
    session_id = project.begin_session(rate_hz=50.0, source="sim")
    with pytest.raises(ValueError, match=r"rate_hz.*not an accelerometer sample rate"):
        project.set_session_rate(session_id, rate_hz)
    assert project.window_ids() == []
    assert project.session(session_id).rate_hz == 50.0
