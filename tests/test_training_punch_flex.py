"""Real recordings: 5-fold cross-validated punch vs flex with ImageNet MobileNetV2 features."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from hfwidgets.models import layer_groups
from hfwidgets.scalogram import ScalogramSettings, compute_scalograms
from hfwidgets.training.config import TrainConfig
from hfwidgets.training.frozen_features import fit_feature_extractor
from hfwidgets.training.split import kfold_splits
from hfwidgets.training.trainer import Trainer

torch.set_num_threads(1)
RATE = 119.0  # IMU_Capture logs 119 samples at 119 Hz per recording


def _recordings(path: Path) -> np.ndarray:
    """The CSV's recordings as ``[n, 119, 3]`` (aX, aY, aZ in g), parsed here on purpose."""
    rows = np.loadtxt(path, delimiter=",", skiprows=1, dtype=np.float32)[:, :3]
    assert len(rows) % 119 == 0, f"{path}: not whole 119-row recordings"
    return rows.reshape(-1, 119, 3)


@pytest.fixture(scope="module")
def punch_flex(punch_flex_dir: Path) -> tuple[np.ndarray, np.ndarray]:
    punch, flex = (
        _recordings(punch_flex_dir / "punch.csv"),
        _recordings(punch_flex_dir / "flex.csv"),
    )
    settings = ScalogramSettings()  # the defaults a user gets
    images = compute_scalograms(np.concatenate([punch, flex]), rate_hz=RATE, settings=settings)
    labels = np.array([0] * len(punch) + [1] * len(flex))
    return images, labels


@pytest.mark.slow
def test_five_fold_cv_fine_tuning_reaches_95_percent(
    punch_flex: tuple[np.ndarray, np.ndarray], mobilenet_v2_weights: Path
) -> None:
    images, labels = punch_flex
    config = TrainConfig(
        model="mobilenet_v2",
        weights=str(mobilenet_v2_weights),
        frozen=tuple(layer_groups("mobilenet_v2")[:-1]),  # cached prefix: epochs cost the head
        epochs=20,
        batch_size=8,
        lr=1e-2,
        num_threads=1,
        augment=False,  # images alone (no raw windows): keep the cached prefix this test checks
    )
    correct = total = 0
    for train, test in kfold_splits(labels, folds=5, seed=0):
        result = Trainer(config, classes=["punch", "flex"]).fit(images, labels, split=(train, test))
        assert result.cached_features
        assert result.metrics.accuracy is not None
        correct += round(result.metrics.accuracy * len(test))
        total += len(test)
    assert total == 35
    assert correct / total >= 0.95


@pytest.mark.slow
def test_feature_extractor_mode_matches_on_real_data(
    punch_flex: tuple[np.ndarray, np.ndarray], mobilenet_v2_weights: Path
) -> None:
    images, labels = punch_flex
    accuracies = []
    for train, test in kfold_splits(labels, folds=5, seed=0):
        metrics = fit_feature_extractor(
            images, labels, model="mobilenet_v2", weights=str(mobilenet_v2_weights),
            classes=["punch", "flex"], train_index=train, test_index=test,
        )  # fmt: skip
        assert metrics["feature_dim"] == 1280
        accuracies.append(metrics["accuracy"])
    assert np.mean(accuracies) >= 0.9
