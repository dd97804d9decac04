"""``hfw calibrate`` stores a run's operating point; ``hfw predict`` and load_predictor use it.

The network is replaced by a cheap rule (a strong jolt is a high-five) where the command loads
it, so the tests measure the command, not a model: seconds instead of minutes of CPU.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from hfwidgets.cli import main
from hfwidgets.live.operating_point import METRICS_KEY, OperatingPoint, stored_operating_point
from hfwidgets.store import Project
from hfwidgets.store.run_metrics import RunMetrics
from tests.fakes import JoltPredictor


@pytest.fixture
def project_with_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, int]:
    """A project with one finished run, whose predictor is `JoltPredictor`."""
    import hfwidgets.training.predictor
    from hfwidgets.live.operating_point import stored_operating_point

    path = tmp_path / "hf"
    with Project.create(path, rate_hz=50.0) as project:
        run_id = project.runs.add({"model": "mobilenet_v2"})
        project.runs.update(
            run_id, status="finished", metrics=RunMetrics.from_dict({"accuracy": 0.91})
        )

    def load(project: Project, run_id: int | None = None) -> JoltPredictor:
        assert run_id is not None
        predictor = JoltPredictor(run_id=run_id)
        predictor.operating_point = stored_operating_point(project, run_id)  # as the real one
        return predictor

    monkeypatch.setattr(hfwidgets.training.predictor, "load_predictor", load)
    return path, run_id


def test_calibrate_prints_the_front_and_stores_the_point(
    project_with_run: tuple[Path, int], capsys: pytest.CaptureFixture[str]
) -> None:
    path, run_id = project_with_run
    code = main(
        ["calibrate", "--project", str(path), "--run", str(run_id), "--simulate", "1",
         "--seconds", "60"]
    )  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0, out
    assert "1 simulated session" in out
    assert "recall" in out
    assert "false/h" in out
    assert sum(line.startswith("* ") for line in out.splitlines()) == 1  # the chosen row
    with Project.open(path) as project:
        point = stored_operating_point(project, run_id)
        assert project.runs.get(run_id).metrics.accuracy == 0.91
    assert point is not None
    assert point.source == "1 simulated session"
    assert f"run {run_id} now counts with threshold {point.threshold:.3g}" in out


def test_calibrate_json_is_the_last_line(
    project_with_run: tuple[Path, int], capsys: pytest.CaptureFixture[str]
) -> None:
    path, run_id = project_with_run
    code = main(
        ["calibrate", "--project", str(path), "--simulate", "1", "--seconds", "60",
         "--target-recall", "0.9", "--json"]
    )  # fmt: skip
    assert code == 0
    data = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert data["run"] == run_id  # the newest finished run by default
    point = data["operating_point"]
    assert point["target_recall"] == 0.9
    assert data["settings_tried"] > 50
    assert data["front"]
    assert {"threshold", "consecutive", "min_gap_s", "recall", "false_per_hour"} <= set(
        data["front"][0]
    )
    with Project.open(path) as project:
        assert project.runs.get(run_id).metrics.operating_point == point


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--target-recall", "1.5"], "--target-recall 1.5 must be in (0, 1]"),
        (["--simulate", "0"], "--simulate 0 must be at least 1"),
        (["--sessions", "9"], "no session 9"),
    ],
)
def test_bad_options_are_explained(
    project_with_run: tuple[Path, int],
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    message: str,
) -> None:
    path, _ = project_with_run
    assert main(["calibrate", "--project", str(path), *argv]) == 1
    assert message in capsys.readouterr().err


def test_a_project_without_runs_says_how_to_train(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    Project.create(tmp_path / "p").close()
    assert main(["calibrate", "--project", str(tmp_path / "p")]) == 1
    assert "hfw train" in capsys.readouterr().err


def _predict_json(path: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> Any:
    code = main(["predict", "--project", str(path), "--seconds", "1.5", "--json", *extra])
    assert code == 0
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


def test_predict_counts_with_the_stored_point_unless_told_otherwise(
    project_with_run: tuple[Path, int], capsys: pytest.CaptureFixture[str]
) -> None:
    path, run_id = project_with_run
    assert _predict_json(path, capsys)["counting"] == {
        "threshold": 0.8, "consecutive": 1, "min_gap_s": 1.0, "from": "default",
    }  # fmt: skip
    with Project.open(path) as project:
        from hfwidgets.live.operating_point import store_operating_point

        store_operating_point(
            project, run_id, OperatingPoint(threshold=0.93, consecutive=2, min_gap_s=1.5)
        )
    assert _predict_json(path, capsys)["counting"] == {
        "threshold": 0.93, "consecutive": 2, "min_gap_s": 1.5, "from": "run",
    }  # fmt: skip
    assert _predict_json(path, capsys, "--threshold", "0.7")["counting"] == {
        "threshold": 0.7, "consecutive": 2, "min_gap_s": 1.5, "from": "run+options",
    }  # fmt: skip


def test_predict_says_which_settings_count(
    project_with_run: tuple[Path, int], capsys: pytest.CaptureFixture[str]
) -> None:
    path, _ = project_with_run
    assert main(["predict", "--project", str(path), "--seconds", "1"]) == 0
    assert "hfw calibrate" in capsys.readouterr().out  # no point yet: how to get one


def test_load_predictor_carries_the_runs_operating_point(tmp_path: Path) -> None:
    """The real loader (a checkpoint of an untrained small network: nothing is classified)."""
    from hfwidgets.live.operating_point import store_operating_point
    from hfwidgets.models import build_architecture
    from hfwidgets.scalogram import ScalogramSettings
    from hfwidgets.training.checkpoint import save_checkpoint
    from hfwidgets.training.predictor import load_predictor

    with Project.create(tmp_path / "p", rate_hz=50.0) as project:
        run_id = project.runs.add({})
        net = build_architecture("squeezenet1_1", num_classes=2, pretrained=False)
        save_checkpoint(
            project.runs.checkpoint_path(run_id),
            {
                "model": "squeezenet1_1", "model_state": net.state_dict(),
                "classes": ["high-five", "other"], "config": {"weights": "none"},
                "scalogram": ScalogramSettings(size=(32, 32)).to_dict(), "rate_hz": 50.0,
                "window_s": 1.5,
            },
        )  # fmt: skip
        project.runs.update(run_id, status="finished", metrics=RunMetrics.from_dict({}))
        assert load_predictor(project, run_id).operating_point is None
        point = OperatingPoint(threshold=0.9, consecutive=2)
        store_operating_point(project, run_id, point)
        assert load_predictor(project, run_id).operating_point == point
        # A damaged point is reported, and the run still loads (with the defaults).
        project.runs.update(
            run_id, metrics=RunMetrics.from_dict({METRICS_KEY: {"threshold": "high"}})
        )
        assert load_predictor(project, run_id).operating_point is None
