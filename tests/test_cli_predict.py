"""``hfw predict``: bad input explained; a trained run counts simulated high-fives live."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import numpy as np
import pytest

from hfwidgets.cli import main
from hfwidgets.store import Project


def test_missing_project_is_explained(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["predict", "--project", str(tmp_path / "nope"), "--seconds", "1"])
    assert code == 1
    err = capsys.readouterr().err
    assert "nope" in err
    assert "no project here" in err


def test_project_without_a_trained_run_says_how_to_train(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    Project.create(tmp_path / "p").close()
    code = main(["predict", "--project", str(tmp_path / "p"), "--seconds", "1"])
    assert code == 1
    err = capsys.readouterr().err
    assert "no finished training run" in err
    assert "hfw train" in err


def test_unknown_run_id_points_to_hfw_info(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    Project.create(tmp_path / "p").close()
    code = main(["predict", "--project", str(tmp_path / "p"), "--run", "7", "--seconds", "1"])
    assert code == 1
    assert "hfw info" in capsys.readouterr().err


def test_port_and_simulate_are_exclusive(tmp_path: Path) -> None:
    with pytest.raises(SystemExit):
        main(["predict", "--project", str(tmp_path), "--port", "loop://", "--simulate"])


def test_nonpositive_seconds_is_rejected(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["predict", "--project", str(tmp_path), "--seconds", "0"]) == 1
    assert "--seconds" in capsys.readouterr().err


@pytest.fixture(scope="module")
def trained_project(tmp_path_factory: pytest.TempPathFactory, mobilenet_v2_weights: Path) -> Path:
    """A small project trained with the frozen-prefix fast path (about 5 s of CPU)."""
    from hfwidgets.models import layer_groups
    from hfwidgets.scalogram import ScalogramSettings
    from hfwidgets.sensors import simulate_windows
    from hfwidgets.training.config import TrainConfig
    from hfwidgets.training.runner import train_project

    path = tmp_path_factory.mktemp("cli-predict") / "hf"
    with Project.create(path, rate_hz=50.0) as project:
        project.settings.set("scalogram", ScalogramSettings(size=(112, 112)).to_dict())
        windows, labels = simulate_windows(20, rate_hz=50.0, window_s=1.5, seed=5)
        for window, label in zip(windows, labels, strict=True):
            project.windows.add(window, rate_hz=50.0, source="simulated", label=label)
        config = TrainConfig(
            model="mobilenet_v2",
            weights=str(mobilenet_v2_weights),
            frozen=tuple(layer_groups("mobilenet_v2")[:-1]),
            epochs=20,
            lr=3e-3,
            augment=False,  # the recipe is not what these tests measure: keep the fast path
            baseline=False,
        )
        train_project(project, config)
    return path


@pytest.mark.slow
def test_simulated_run_prints_events_and_a_json_summary(
    trained_project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["predict", "--project", str(trained_project), "--simulate"]
    code = main([*argv, "--seconds", "4", "--events-per-minute", "40", "--seed", "2"])
    assert code == 0
    text = capsys.readouterr().out
    assert "counting high-five on the simulated arm" in text
    assert "hops; latency p50" in text
    code = main([*argv, "--seconds", "10", "--events-per-minute", "40", "--seed", "2", "--json"])
    assert code == 0
    lines = capsys.readouterr().out.strip().splitlines()
    summary = json.loads(lines[-1])
    assert len(lines) == 1  # --json: nothing but the summary
    # 10 s at 50 Hz, 1.5 s windows every 0.2 s: about 42 hops, none skipped.
    assert 35 <= summary["hops"] <= 50
    assert summary["dropped_hops"] == 0
    assert summary["latency_ms_p50"] <= summary["latency_ms_p95"]
    assert summary["latency_clock"] == "sample"
    assert {"events", "precision", "recall", "true_events"} <= set(summary)
    assert summary["error"] is None
    assert summary["backend"] == "onnxruntime"  # installed with the test extras: the fast path
    assert summary["counting"]["from"] == "default"  # the run was never calibrated


def test_explicit_run_must_be_finished_or_exist(
    trained_project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["predict", "--project", str(trained_project), "--run", "99", "--seconds", "1"])
    assert code == 1
    assert "no training run 99" in capsys.readouterr().err


@pytest.mark.slow
def test_serial_port_run_with_garbage_lines(
    trained_project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from hfwidgets.sensors.fake_arduino import FakeArduino

    with FakeArduino(rate_hz=50.0, garbage=0.05, seed=4) as arduino:
        argv = ["predict", "--project", str(trained_project), "--port", arduino.path]
        code = main([*argv, "--seconds", "5", "--json"])
    assert code == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["source"] == arduino.path
    assert summary["hops"] >= 10  # bad lines were skipped, the stream went on
    assert summary["latency_clock"] == "sample"
    assert "precision" not in summary  # a real arm does not tell the truth


class _QuietPredictor:
    """Never sees a high-five: enough to run `hfw predict` without training a model."""

    classes = ("high-five", "other")
    rate_hz = 50.0
    window_s = 1.0

    def predict_proba(self, windows: np.ndarray) -> np.ndarray:
        return np.tile([0.1, 0.9], (len(windows), 1))


def test_a_port_gone_for_good_is_an_error_and_does_not_keep_up(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import hfwidgets.training.predictor
    from hfwidgets.sensors.fake_arduino import FakeArduino

    with Project.create(tmp_path / "p") as project:
        run_id = project.runs.add({})
        project.runs.update(run_id, status="finished")
    monkeypatch.setattr(
        hfwidgets.training.predictor, "load_predictor", lambda *_a: _QuietPredictor()
    )
    arduino = FakeArduino(rate_hz=50.0).start()
    # The board is unplugged for good once counting has begun (the cable is not put back).
    unplug = threading.Timer(1.5, arduino.stop)
    unplug.start()
    try:
        code = main(["predict", "--project", str(tmp_path / "p"), "--port", arduino.path,
                     "--give-up", "0.5", "--seconds", "60", "--json"])  # fmt: skip
    finally:
        unplug.cancel()
        arduino.stop()
    out, err = capsys.readouterr()
    summary = json.loads(out.strip().splitlines()[-1])
    assert code == 1
    assert summary["keeps_up"] is False
    assert arduino.path in summary["source_lost"]
    assert "did not come back within 0.5 s" in summary["source_lost"]
    assert summary["seconds"] < 30  # it stopped by itself, long before --seconds
    assert f"{arduino.path} lost" in err  # said when it happened, on stderr
    assert "hfw predict: error:" in err
