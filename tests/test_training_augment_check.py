"""Augmentation never makes a run worse than none on its own validation (the augment check)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from hfwidgets.cli import main
from hfwidgets.scalogram import ScalogramSettings, compute_scalograms
from hfwidgets.store import Project
from hfwidgets.store.run_metrics import AugmentCheck, RunMetrics
from hfwidgets.training.checkpoint import load_checkpoint
from hfwidgets.training.config import TrainConfig, build_train_config
from hfwidgets.training.predictor import load_predictor
from hfwidgets.training.runner import train_project
from hfwidgets.widgets.training_text import figure_html
from tests.projects import RATE_HZ, labelled_project

torch.set_num_threads(1)


def test_the_check_keeps_augmentation_unless_none_scores_strictly_better() -> None:
    assert AugmentCheck(0.8, 0.9, 30).kept == "plain"
    assert AugmentCheck(0.9, 0.9, 30).kept == "augmented"  # a tie keeps augmentation
    assert AugmentCheck(0.9, 0.8, 30).kept == "augmented"
    assert AugmentCheck(0.9, None, 30).kept == "augmented"
    text = AugmentCheck(0.5, 0.9, 30).summary
    assert "without augmentation (0.900 against 0.500)" in text
    assert "30 validation windows" in text
    metrics = RunMetrics(accuracy=0.9, n=30, augment_check=AugmentCheck(0.5, 0.9, 30))
    again = RunMetrics.from_dict(json.loads(json.dumps(metrics.to_dict())))
    assert again.augment_check == AugmentCheck(0.5, 0.9, 30)
    assert RunMetrics.from_dict(RunMetrics(accuracy=0.9).to_dict()).augment_check is None
    assert "kept the model trained without augmentation" in figure_html(metrics)  # the panel


def _stroke(direction: float, rng: np.random.Generator, n: int = 60) -> np.ndarray:
    """A worn sensor at rest (gravity on z), then a stroke along +x or -x (a mirror pair)."""
    t = np.arange(n) / RATE_HZ
    xyz = rng.normal(0.0, 0.03, (n, 3))
    xyz[:, 2] += 1.0
    xyz[:, 0] += direction * 1.5 * np.exp(-((t - 0.85) ** 2) / 0.01)
    return xyz.astype(np.float32)


@pytest.fixture(scope="module")
def mirror_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Strokes right and left: a turn to any heading about gravity makes them one motion."""
    rng = np.random.default_rng(0)
    path = tmp_path_factory.mktemp("augment-check") / "proj"
    labels = ["right" if i % 2 else "left" for i in range(48)]
    windows = [_stroke(1.0 if label == "right" else -1.0, rng) for label in labels]
    with labelled_project(path, windows, labels, classes=("right", "left"), size=None) as project:
        # Today's signed gravity-frame images, small: a stroke's direction is in the picture.
        project.settings.set("scalogram", ScalogramSettings(size=(48, 48)).to_dict())
    return path


def _config(weights: Path, **changes: Any) -> TrainConfig:
    return build_train_config(
        model="mobilenet_v2", freeze_until="backbone", weights=str(weights), epochs=4, lr=3e-3,
        num_threads=1, baseline=False, seed=0, **changes,
    )  # fmt: skip


def test_a_run_whose_augmentation_hurts_keeps_the_model_trained_without_it(
    mirror_project: Path, mobilenet_v2_weights: Path
) -> None:
    # Any heading (rotation_deg=180) turns every stroke right into a stroke left.
    config = _config(mobilenet_v2_weights, rotation_deg=180.0)
    with Project.open(mirror_project) as project:
        run_id = train_project(project, config)
        metrics = project.runs.get(run_id).metrics
        check = metrics.augment_check
        assert check is not None
        assert check.n == metrics.n > 0
        assert check.augmented is not None
        assert check.plain is not None
        assert check.plain >= check.augmented + 0.2  # the mirror pairs merged under the turn
        assert check.kept == "plain"
        assert metrics.accuracy == pytest.approx(check.plain)
        # The stored model then trained on every window the kept way: without augmentation.
        assert metrics.validation is not None
        assert metrics.validation.refit == 48
        assert load_checkpoint(project.runs.checkpoint_path(run_id))["config"]["augment"] is False
        assert not list(project.runs.checkpoint_path(run_id).parent.glob("*.plain*"))
        # Without the refit the stored checkpoint is the model that scored it: its validation
        # predictions agree.
        run_id = train_project(project, dataclasses.replace(config, refit=False))
        check = project.runs.get(run_id).metrics.augment_check
        assert check is not None
        assert check.kept == "plain"
        assert check.plain is not None
        predictor = load_predictor(project, run_id)
        split = project.splits.get(run_id)
        val = [w for w in project.windows.all() if split.get(w.id) == "val"]
        images = compute_scalograms(
            np.stack([w.data for w in val]), rate_hz=RATE_HZ, settings=predictor.settings
        )
        predicted = predictor.predict_images(images).argmax(axis=1)
        truth = np.array([predictor.classes.index(str(w.label)) for w in val])
        assert (predicted == truth).mean() == pytest.approx(check.plain)


def test_a_run_whose_augmentation_does_not_hurt_keeps_it_and_says_so(
    mirror_project: Path, mobilenet_v2_weights: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["train", "--project", str(mirror_project), "--model", "mobilenet_v2",
            "--weights", str(mobilenet_v2_weights), "--freeze-until", "backbone",
            "--epochs", "4", "--lr", "3e-3", "--threads", "1", "--no-baseline"]  # fmt: skip
    assert main(args) == 0
    assert "kept augmentation (1.000 against" in capsys.readouterr().out
    with Project.open(mirror_project) as project:
        record = project.runs.all()[-1]
        check = record.metrics.augment_check
        assert check is not None
        assert check.kept == "augmented"
        assert record.metrics.accuracy == pytest.approx(check.augmented)
        stored = load_checkpoint(project.runs.checkpoint_path(record.id))
        assert stored["config"]["augment"] is True  # the heading as recorded keeps pairs apart
    # The JSON carries the check; asked not to compare, the run trains once and has none.
    assert main([*args, "--json"]) == 0
    assert json.loads(capsys.readouterr().out.strip())["augment_check"]["n"] == check.n
    assert main([*args, "--no-augment-check", "--json"]) == 0
    assert json.loads(capsys.readouterr().out.strip())["augment_check"] is None
