"""Pure helpers of the trainer: metrics, splits, augmentation, checkpoints."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from hfwidgets.store.run_metrics import ClassFigure
from hfwidgets.training.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from hfwidgets.training.data import augment_batch
from hfwidgets.training.metrics import compute_metrics
from hfwidgets.training.split import kfold_splits, stratified_split


def test_metrics_match_a_hand_count() -> None:
    true = [0, 0, 0, 1, 1, 2]
    pred = [0, 1, 0, 1, 1, 1]
    m = compute_metrics(true, pred, classes=["a", "b", "c"], ids=[10, 11, 12, 13, 14, 15])
    assert m.accuracy == pytest.approx(4 / 6)
    assert m.confusion == ((2, 1, 0), (0, 2, 0), (0, 1, 0))  # rows = true class
    assert m.misclassified == (11, 15)
    a = m.per_class["a"]
    assert a.precision == 1.0
    assert a.recall == pytest.approx(2 / 3)
    assert a.f1 == pytest.approx(0.8)
    assert a.support == 3
    assert m.per_class["b"].precision == pytest.approx(0.5)
    assert m.per_class["c"] == ClassFigure(0.0, 0.0, 0.0, 1)
    assert m.classes == ("a", "b", "c")
    assert m.predictions[11] == "b"
    assert m.true_labels[11] == "a"


def test_stratified_split_holds_out_a_fifth_of_each_class_reproducibly() -> None:
    labels = np.array([0] * 20 + [1] * 10)
    train, val = stratified_split(labels, val_fraction=0.2, seed=3)
    assert len(val) == 6
    assert np.bincount(labels[val]).tolist() == [4, 2]
    assert set(train) | set(val) == set(range(30))
    assert not set(train) & set(val)
    again = stratified_split(labels, val_fraction=0.2, seed=3)
    assert np.array_equal(again[1], val)
    assert not np.array_equal(stratified_split(labels, val_fraction=0.2, seed=4)[1], val)


def test_split_errors_say_what_to_do() -> None:
    with pytest.raises(ValueError, match="single labelled window"):
        stratified_split(np.array([0, 0, 0, 1]), val_fraction=0.2)
    with pytest.raises(ValueError, match="at least two classes"):
        stratified_split(np.array([0, 0, 0]), val_fraction=0.2)
    train, val = stratified_split(np.array([0, 1, 1]), val_fraction=0.0)
    assert len(train) == 3
    assert len(val) == 0


def test_kfold_covers_every_window_once() -> None:
    labels = np.array([0] * 20 + [1] * 15)
    tested = np.concatenate([test for _, test in kfold_splits(labels, folds=5, seed=0)])
    assert sorted(tested.tolist()) == list(range(35))


def test_augmentation_shifts_in_time_and_stays_in_range() -> None:
    images = torch.zeros(8, 3, 16, 40)
    images[:, :, :, 18:22] = 0.9  # a motion in the middle of the window
    out = augment_batch(images, generator=torch.Generator().manual_seed(0))
    assert out.shape == images.shape
    assert float(out.min()) >= 0.0
    assert float(out.max()) <= 1.0
    centres = [float(out[i, 0, 0].nonzero().float().mean()) for i in range(8)]
    assert len({round(c) for c in centres}) > 1  # not all shifted alike
    assert all(abs(c - 19.5) <= 6.5 for c in centres)  # at most 15 % of 40 columns


def test_checkpoint_round_trip_and_clear_errors(tmp_path: Path) -> None:
    path = save_checkpoint(tmp_path / "a" / "run.pt", {"model_state": {"w": torch.ones(2)},
                                                       "epoch": 3})  # fmt: skip
    assert load_checkpoint(path)["epoch"] == 3
    assert not (tmp_path / "a" / "run.pt.tmp").exists()
    (tmp_path / "junk.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError, match=r"junk\.pt"):
        load_checkpoint(tmp_path / "junk.pt")
    torch.save({"weights": 1}, tmp_path / "other.pt")
    with pytest.raises(CheckpointError, match="not an hfwidgets checkpoint"):
        load_checkpoint(tmp_path / "other.pt")
