"""`hfw sessions` (list, show, import), `hfw mark`, and `hfw calibrate` on placed marks, as a
user types them. The run's network is `JoltPredictor` (a strong jolt is a high-five), so the
simulated arm's swing gives it a real false count to find."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from hfwidgets.cli import main
from hfwidgets.sensors import simulate_session
from hfwidgets.sensors.motions import MotionEvent
from hfwidgets.store import Project
from hfwidgets.timeline.model_view import find_candidates, label_candidate, model_trace
from tests.fakes import JoltPredictor


def _last_json(capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    last: dict[str, Any] = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    return last


@pytest.fixture
def marked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[Path, int, int, list[MotionEvent]]:
    """A project with a 60 s simulated session, its high-fives marked, and a finished run."""
    import hfwidgets.training.predictor

    t, xyz, events = simulate_session(60.0, seed=5)
    path = tmp_path / "hf"
    with Project.create(path) as project:
        sid = project.sessions.add(t, xyz, rate_hz=50.0, source="simulated arm")
        fives = [e.t for e in events if e.kind == "high-five"]
        for at in fives:
            project.marks.add(sid, at=at, label="high-five")
        run_id = project.runs.add({"model": "mobilenet_v2"})
        project.runs.update(run_id, status="finished")

    def load(project: Project, run_id: int | None = None) -> JoltPredictor:
        return JoltPredictor(full_g=0.5, run_id=run_id)  # sensitive: it counts the swing

    monkeypatch.setattr(hfwidgets.training.predictor, "load_predictor", load)
    return path, sid, run_id, events


def test_list_prints_one_session_a_line_id_first(
    marked: tuple[Path, int, int, list[MotionEvent]], capsys: pytest.CaptureFixture[str]
) -> None:
    path, sid, _run, events = marked
    fives = sum(e.kind == "high-five" for e in events)
    assert main(["sessions", "--project", str(path), "list"]) == 0
    (line,) = capsys.readouterr().out.strip().splitlines()
    assert line.split()[0] == str(sid)
    assert "3000 samples" in line
    assert f"{fives} mark(s)" in line


def test_mark_and_bad_marks_from_the_command_line(
    marked: tuple[Path, int, int, list[MotionEvent]], capsys: pytest.CaptureFixture[str]
) -> None:
    path, sid, _run, _events = marked
    base = ["mark", "--project", str(path), "--session", str(sid)]
    assert main([*base, "--from", "10", "--to", "14", "--label", "other", "--json"]) == 0
    mark = _last_json(capsys)
    assert mark["kind"] == "region"
    assert len(mark["window_ids"]) == 2  # 4 s of 1.5 s windows
    with Project.open(path) as project:
        before = (len(project.marks.all()), project.windows.ids())
    assert main([*base, "--at", "75", "--label", "other"]) == 1
    assert "lies outside session" in capsys.readouterr().err
    assert main([*base, "--at", "5", "--label", "dab"]) == 1
    assert "unknown label 'dab'" in capsys.readouterr().err
    with Project.open(path) as project:
        assert (len(project.marks.all()), project.windows.ids()) == before  # nothing changed
    assert main([*base, "--undo"]) == 0
    assert "undone" in capsys.readouterr().out
    with Project.open(path) as project:
        assert all(m.kind == "event" for m in project.marks.all())


def test_show_draws_the_timeline_with_the_runs_counts_and_mistakes(
    marked: tuple[Path, int, int, list[MotionEvent]],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path, sid, run_id, _events = marked
    out = tmp_path / "s.png"
    args = ["sessions", "--project", str(path), "show", str(sid), "--out", str(out)]
    assert main([*args, "--json"]) == 0
    plain = _last_json(capsys)
    assert Image.open(io.BytesIO(out.read_bytes())).size == (1200, 360)
    assert main([*args, "--run", str(run_id), "--json"]) == 0
    shown = _last_json(capsys)
    assert Image.open(io.BytesIO(out.read_bytes())).size[1] > 360  # the model's strip below
    assert plain["marks"] == shown["marks"] > 0
    assert shown["counts"] > 0
    assert shown["false_counts"] == 1  # the swing at 10.7 s
    assert shown["misses"] == 0
    confidences = [c["confidence"] for c in shown["candidates"]]
    assert confidences == sorted(confidences, reverse=True)  # most confident first
    assert main(["sessions", "--project", str(path), "show", "9", "--out", str(out)]) == 1
    assert "no session 9" in capsys.readouterr().err


def test_a_false_count_labelled_from_the_timeline_becomes_an_other_window(
    marked: tuple[Path, int, int, list[MotionEvent]],
) -> None:
    path, sid, run_id, events = marked
    swing = next(e.t for e in events if e.kind == "swing")
    with Project.open(path) as project:
        session = project.sessions.get(sid)
        predictor = JoltPredictor(full_g=0.5)
        trace = model_trace(session.t, session.xyz, predictor, rate_hz=50.0, run_id=run_id)
        (false,) = find_candidates(trace, project.marks.all(sid))
        assert false.kind == "false count"
        assert abs(false.t - swing) < 1.0  # the swing, counted as a high-five
        mark = label_candidate(project, sid, false)
        (window,) = project.windows.all(ids=mark.window_ids)
        assert window.label == "other"
        assert window.t0 == pytest.approx(false.end - 1.5, abs=0.03)  # the window that counted
        assert window.data.shape == (75, 3)
        assert find_candidates(trace, project.marks.all(sid)) == []  # labelled: no longer listed


def test_a_mark_without_a_count_is_a_miss_labelled_as_the_class(
    marked: tuple[Path, int, int, list[MotionEvent]],
) -> None:
    path, sid, _run, _events = marked
    with Project.open(path) as project:
        session = project.sessions.get(sid)
        project.marks.add(sid, at=3.0, label="high-five")  # the arm rests there: no count
        trace = model_trace(session.t, session.xyz, JoltPredictor(), rate_hz=50.0)
        (miss,) = find_candidates(trace, project.marks.all(sid))
        assert miss.kind == "miss"
        assert miss.t == 3.0
        assert miss.confidence > 0.9  # the run saw nothing there
        mark = label_candidate(project, sid, miss)
        (window,) = project.windows.all(ids=mark.window_ids)
        assert window.label == "high-five"
        assert window.t0 <= 3.0 <= window.t0 + 1.5  # type: ignore[operator]
        assert find_candidates(trace, project.marks.all(sid)) == []


def test_calibrate_uses_the_marks_of_a_recorded_session_as_its_events(
    marked: tuple[Path, int, int, list[MotionEvent]], capsys: pytest.CaptureFixture[str]
) -> None:
    path, sid, run_id, events = marked
    fives = sum(e.kind == "high-five" for e in events)
    code = main(["calibrate", "--project", str(path), "--run", str(run_id), "--json"])
    assert code == 0
    point = _last_json(capsys)["operating_point"]
    assert point["source"] == f"recorded session {sid} ({fives} events)"
    assert point["recall"] > 0.8  # the marks are where the high-fives are


def test_import_a_long_csv_from_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    csv = tmp_path / "ei.csv"
    t = np.arange(200) * 20
    rows = "\n".join(f"{ms},0.1,0.2,9.81" for ms in t)
    csv.write_text(f"timestamp,accX,accY,accZ\n{rows}\n", encoding="utf-8")
    proj = str(tmp_path / "p")
    assert main(["sessions", "--project", proj, "import", str(csv), "--json"]) == 0
    report = _last_json(capsys)
    assert report["layout"] == "edge impulse"
    assert report["rate_hz"] == 50.0
    bad = tmp_path / "bad.csv"
    bad.write_text("t_ms,ax,ay,az\n0,0,0,1\n20,0,0,1\n10,0,0,1\n", encoding="utf-8")
    assert main(["sessions", "--project", proj, "import", str(bad)]) == 1
    assert "line 4: time 0.01 does not come after 0.02" in capsys.readouterr().err
    with Project.open(proj) as project:
        assert project.sessions.ids() == [report["session_id"]]
