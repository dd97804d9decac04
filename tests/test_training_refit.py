"""A hold-out run stores a model trained on every window; its figure stays the held-out one."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from hfwidgets.cli import main
from hfwidgets.sensors import simulate_windows
from hfwidgets.store import Project
from hfwidgets.training.baseline import load_baseline
from hfwidgets.training.checkpoint import load_checkpoint
from hfwidgets.training.config import build_train_config
from hfwidgets.training.fit_events import EpochEnded
from hfwidgets.training.runner import train_project
from tests.projects import labelled_project

torch.set_num_threads(1)

EPOCHS = 3


@pytest.fixture(scope="module")
def project_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    windows, labels = simulate_windows(20, rate_hz=50.0, window_s=1.5, seed=3)
    path = tmp_path_factory.mktemp("refit") / "proj"
    with labelled_project(path, windows, labels, size=48):
        pass
    return path


def _train(path: Path, weights: Path, *extra: str, capsys: pytest.CaptureFixture[str]) -> Any:
    args = ["train", "--project", str(path), "--model", "mobilenet_v2", "--weights",
            str(weights), "--freeze-until", "backbone", "--epochs", str(EPOCHS), "--lr", "3e-3",
            "--threads", "1", "--json", *extra]  # fmt: skip
    assert main(args) == 0
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


def test_the_stored_model_learns_from_every_window_and_the_figure_stays_held_out(
    project_path: Path, mobilenet_v2_weights: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    measured = _train(project_path, mobilenet_v2_weights, "--no-refit", capsys=capsys)
    refit = _train(project_path, mobilenet_v2_weights, capsys=capsys)
    assert measured["validation"]["refit"] == 0
    assert refit["validation"]["refit"] == 40  # every labelled window
    assert "the stored model then trained on all 40 windows" in refit["validation"]["summary"]
    # The same split, seed and recipe: every figure is the held-out model's, as without refit.
    for key in ("accuracy", "accuracy_interval", "confusion", "misclassified", "models", "chosen"):
        assert refit[key] == measured[key], key
    assert refit["validation"]["n"] == measured["validation"]["n"] == 8
    with Project.open(project_path) as project:
        assert project.splits.get(refit["run"]) == project.splits.get(measured["run"])  # measured
        runs = (measured["run"], refit["run"])
        ckpt = [load_checkpoint(project.runs.checkpoint_path(run)) for run in runs]
        head = [state["model_state"]["classifier.1.weight"] for state in ckpt]
        assert not torch.equal(*head)  # another model: trained on the validation windows too
        assert ckpt[1]["epoch"] == EPOCHS
        assert not list(project.runs.checkpoint_path(refit["run"]).parent.glob("*.refit*"))
        baselines = [load_baseline(project.runs.baseline_path(run)) for run in runs]
        windows = [w.data for w in project.windows.all()]
        # MiniRocket fitted again on all 40 windows: other ridge scores for the same windows.
        assert not np.allclose(
            baselines[0].predict_proba(windows), baselines[1].predict_proba(windows)
        )


def test_stop_after_the_last_epoch_stores_the_measured_model_without_a_refit(
    project_path: Path, mobilenet_v2_weights: Path
) -> None:
    stop = threading.Event()

    def stop_at_the_end(event: Any) -> None:
        if isinstance(event, EpochEnded) and event.epoch == EPOCHS:
            stop.set()

    config = build_train_config(
        model="mobilenet_v2", freeze_until="backbone", weights=str(mobilenet_v2_weights),
        epochs=EPOCHS, lr=3e-3, num_threads=1, baseline=False,
    )  # fmt: skip
    with Project.open(project_path) as project:
        run_id = train_project(project, config, callbacks=[stop_at_the_end], stop_event=stop)
        record = project.runs.get(run_id)
        assert record.status == "finished"  # the model was whole when Stop came
        assert record.metrics.validation is not None
        assert record.metrics.validation.refit == 0
        assert "trained on all" not in record.metrics.validation.summary
