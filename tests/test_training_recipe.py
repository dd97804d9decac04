"""The training recipe: raw-window augmentation, learning-rate schedule, best epoch, baseline."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from hfwidgets.cli import main
from hfwidgets.scalogram.frame import gravity_directions
from hfwidgets.store import Project
from hfwidgets.training.augment import (
    AugmentSettings,
    augment_window,
    augment_windows,
    random_rotation,
    stretch,
    time_shift,
)
from hfwidgets.training.baseline import as_series, baseline_metrics
from hfwidgets.training.config import TrainConfig
from hfwidgets.training.fit_events import FitStarted
from hfwidgets.training.run_steps import plan_run
from hfwidgets.training.runner import train_project
from hfwidgets.training.schedule import lr_factor
from hfwidgets.training.trainer import Trainer
from hfwidgets.widgets.training_text import describe_plan

torch.set_num_threads(1)
RATE = 50.0
MODEL = "mobilenet_v3_small"


def _window(seed: int = 0, n: int = 75) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.normal(0.0, 1.0, (n, 3)).astype(np.float32)


# -- augmentation ---------------------------------------------------------------------------------
def _worn(seed: int = 0, n: int = 75) -> np.ndarray:
    """A wrist window: motion plus gravity along a tilted direction of the sensor."""
    return _window(seed, n) * 0.5 + np.array([0.3, -0.5, 0.8], dtype=np.float32)


def test_random_rotations_are_proper_rotations_and_keep_every_sample_norm() -> None:
    rng = np.random.default_rng(0)
    for max_deg in (30.0, 180.0):
        matrix = random_rotation(rng, max_deg=max_deg)
        np.testing.assert_allclose(matrix @ matrix.T, np.eye(3), atol=1e-9)
        assert np.linalg.det(matrix) == pytest.approx(1.0)


def test_augmentation_turns_a_window_about_its_gravity_and_leaves_gravity_free_ones_be() -> None:
    rng = np.random.default_rng(0)
    window = _worn()
    only_turned = AugmentSettings(rotation_deg=180.0, shift=0.0, stretch=0.0, gain=0.0)
    out = augment_window(window, rng=rng, settings=only_turned)
    np.testing.assert_allclose(
        np.linalg.norm(out, axis=1), np.linalg.norm(window, axis=1), rtol=1e-5
    )
    assert not np.allclose(out, window, atol=1e-3)  # it did turn
    # ... about gravity (the calm estimate, the frame's default): the gravity frame's vertical
    # stays where it was, and every sample keeps its height along it.
    up = gravity_directions(window[None])[0]
    np.testing.assert_allclose(gravity_directions(out[None])[0], up, atol=1e-5)
    np.testing.assert_allclose(out @ up, window @ up, atol=1e-5)
    # With the run's other estimate ("mean"), about the mean of all samples instead.
    out = augment_window(window, rng=np.random.default_rng(0), settings=only_turned,
                         gravity="mean")  # fmt: skip
    np.testing.assert_allclose(out.mean(axis=0), window.mean(axis=0), atol=1e-5)
    # A z-normalised window (letters from an archive) has no gravity: it is not a raw worn-sensor
    # window (turning it would only scramble the direction of the strokes), so it is left as is.
    letter = _window(3) - _window(3).mean(axis=0)
    for settings in (only_turned, AugmentSettings()):
        np.testing.assert_array_equal(augment_window(letter, rng=rng, settings=settings), letter)


def test_a_small_rotation_stays_within_its_angle() -> None:
    rng = np.random.default_rng(1)
    for _ in range(20):
        angle = np.degrees(np.arccos((np.trace(random_rotation(rng, max_deg=20.0)) - 1) / 2))
        assert angle <= 20.0 + 1e-6


def test_shift_and_stretch_keep_the_shape_and_move_the_motion() -> None:
    window = np.zeros((50, 3), dtype=np.float32)
    window[20] = [1.0, -2.0, 3.0]  # one spike at sample 20
    shifted = time_shift(window, 5)
    assert shifted.shape == window.shape
    assert int(np.argmax(np.abs(shifted[:, 0]))) == 25
    longer = stretch(window, 1.5)
    assert longer.shape == window.shape
    # Stretching about the centre (24.5) moves the spike away from it: 24.5 - 4.5 * 1.5.
    assert int(np.argmax(np.abs(longer[:, 0]))) == 18
    np.testing.assert_allclose(stretch(window, 1.0), window)
    np.testing.assert_allclose(time_shift(window, 0), window)


def test_the_default_augmentation_keeps_the_heading_so_mirror_motions_stay_apart() -> None:
    # A stroke along +x, gravity along z: the default changes when, how fast and how hard,
    # never which way (a stroke left stays a stroke left); "any heading" turns it about z.
    t = np.linspace(0.0, 1.0, 75)
    stroke = np.zeros((75, 3), np.float32)
    stroke[:, 0] = np.sin(2 * np.pi * t) * np.exp(-(((t - 0.5) / 0.2) ** 2))
    stroke[:, 2] = 1.0
    assert TrainConfig().rotation_deg == AugmentSettings().rotation_deg == 0.0
    for seed in range(5):
        out = augment_window(stroke, rng=np.random.default_rng(seed), settings=AugmentSettings())
        np.testing.assert_allclose(out[:, 1], 0.0, atol=1e-6)  # nothing moved onto y
        turned = augment_window(
            stroke, rng=np.random.default_rng(seed), settings=AugmentSettings(rotation_deg=180.0)
        )
        assert np.abs(turned[:, 1]).max() > 1e-3  # some of the stroke turned onto y


def test_augmentation_is_deterministic_given_the_seed_and_keeps_each_length() -> None:
    windows = [_worn(0), _worn(1, n=60)]
    settings = AugmentSettings()
    first = augment_windows(windows, rng=np.random.default_rng(7), settings=settings)
    again = augment_windows(windows, rng=np.random.default_rng(7), settings=settings)
    other = augment_windows(windows, rng=np.random.default_rng(8), settings=settings)
    assert [w.shape for w in first] == [(75, 3), (60, 3)]
    for a, b in zip(first, again, strict=True):
        np.testing.assert_array_equal(a, b)
    assert not np.allclose(first[0], other[0])


def test_augment_settings_reject_nonsense_naming_the_option() -> None:
    with pytest.raises(ValueError, match="shift"):
        AugmentSettings(shift=1.5)
    with pytest.raises(ValueError, match="rotation_deg"):
        AugmentSettings(rotation_deg=-1)
    with pytest.raises(ValueError, match=r"shape \(n, 3\)"):
        augment_window(np.zeros(10), rng=np.random.default_rng(0), settings=AugmentSettings())


# -- schedule and best epoch ----------------------------------------------------------------------
def test_learning_rate_warms_up_then_decays_to_zero() -> None:
    factors = [lr_factor(step, total=100, warmup=10) for step in range(100)]
    assert factors[0] < factors[5] < factors[9] < 1.0
    assert max(factors) == pytest.approx(1.0)
    assert all(a >= b for a, b in itertools.pairwise(factors[10:]))
    assert factors[-1] < 0.01


@pytest.fixture(scope="module")
def images() -> tuple[np.ndarray, np.ndarray]:
    """40 noisy 3x32x32 images: class 0 has a bright band in red, class 1 in blue."""
    rng = np.random.default_rng(0)
    labels = np.arange(40) % 2
    x = (rng.random((40, 3, 32, 32)) * 0.6).astype(np.float32)
    x[labels == 0, 0, 4:12] += 0.3
    x[labels == 1, 2, 18:26] += 0.3
    return x, labels


def _config(**kwargs: Any) -> TrainConfig:
    base = {"model": MODEL, "weights": "none", "frozen": (), "epochs": 6, "batch_size": 8,
            "recalibrate_bn": False,
            "num_threads": 1, "augment": False, "baseline": False}  # fmt: skip
    return TrainConfig(**{**base, **kwargs})


def test_the_run_ends_with_the_best_validation_epoch_and_says_which(
    images: tuple[np.ndarray, np.ndarray],
) -> None:
    x, y = images
    # A constant, too high learning rate makes validation jump around between epochs.
    result = Trainer(_config(lr=0.05, schedule="constant"), classes=["a", "b"]).fit(x, y)
    history = result.history
    scores = [(h["val_acc"], -h["val_loss"]) for h in history]
    best = int(np.argmax([s[0] * 1e6 + s[1] for s in scores])) + 1
    assert result.metrics.best_epoch == best
    # The returned model is the best epoch's: its accuracy is that epoch's validation accuracy.
    assert result.metrics.accuracy == pytest.approx(history[best - 1]["val_acc"])
    last = Trainer(_config(lr=0.05, schedule="constant", keep_best=False), classes=["a", "b"])
    assert last.fit(x, y).metrics.accuracy == pytest.approx(history[-1]["val_acc"])


def test_raw_window_augmentation_renders_the_training_windows_once_per_epoch(
    images: tuple[np.ndarray, np.ndarray],
) -> None:
    x, y = images
    calls: list[tuple[list[int], float]] = []

    def render(index: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        calls.append((sorted(index.tolist()), float(rng.uniform())))
        rendered: np.ndarray = x[index]
        return rendered

    train, val = np.arange(0, 32), np.arange(32, 40)
    config = _config(epochs=2, augment=True, frozen=("stem",))
    result = Trainer(config, classes=["a", "b"]).fit(x, y, split=(train, val), render=render)
    assert [c[0] for c in calls] == [train.tolist()] * 2  # never the validation windows
    assert calls[0][1] != calls[1][1]  # each epoch draws anew ...
    calls.clear()
    Trainer(config, classes=["a", "b"]).fit(x, y, split=(train, val), render=render)
    assert [c[1] for c in calls] == [c for c in [calls[0][1], calls[1][1]]]  # ... reproducibly
    assert result.cached_features  # the frozen prefix still runs once per epoch, not per batch


def test_auto_epochs_give_few_windows_the_steps_of_200_and_an_asked_number_is_kept() -> None:
    auto = TrainConfig(model=MODEL)
    assert auto.epochs is None
    assert auto.epochs_for(200) == 12  # 25 steps of 8 a epoch: 300 steps
    assert auto.epochs_for(1000) == 12  # never fewer than 12
    assert auto.epochs_for(120) == 20  # 15 steps a epoch
    assert auto.epochs_for(100) == 24  # 13 steps a epoch: 24 would do
    assert auto.epochs_for(28) == 24  # 4 steps a epoch: 75 would do, 24 at most
    assert TrainConfig(model=MODEL, batch_size=16).epochs_for(200) == 24
    assert TrainConfig(model=MODEL, epochs=3).epochs_for(28) == 3  # asked for: exactly that
    with pytest.raises(ValueError, match="epochs"):
        TrainConfig(model=MODEL, epochs=0)
    plan = describe_plan(
        {"a": 75, "b": 75}, model=MODEL, weights="none", frozen=(), epochs=None, batch_size=8,
        lr=1e-3, val_fraction=0.2,
    )  # fmt: skip
    assert "16 epochs (auto)" in plan  # the stored model's 150 windows: 19 steps a epoch
    assert "5 epochs," in describe_plan(
        {"a": 75, "b": 75}, model=MODEL, weights="none", frozen=(), epochs=5, batch_size=8,
        lr=1e-3, val_fraction=0.2,
    )  # fmt: skip


def test_a_run_with_auto_epochs_trains_and_records_the_epochs_its_windows_call_for(
    images: tuple[np.ndarray, np.ndarray], tmp_path: Path
) -> None:
    x, y = images
    seen: list[int] = []
    config = _config(epochs=None, min_steps=52)  # 32 training windows: 4 steps a epoch -> 13
    record = lambda event: seen.append(event.epochs) if isinstance(event, FitStarted) else None  # noqa: E731
    trainer = Trainer(config, classes=["a", "b"], callbacks=[record])
    result = trainer.fit(x, y, split=(np.arange(32), np.arange(32, 40)))
    assert seen == [13]
    assert len(result.history) == 13
    with _project(tmp_path, sessions=1, n=30) as project:  # 24 train: 3 steps a epoch -> 18
        plan = plan_run(project, _config(epochs=None, min_steps=52, loso_max_sources=0,
                                         refit=False))  # fmt: skip
    assert len(plan.split.train) == 24
    assert plan.config.epochs == plan.fit_config.epochs == 18
    assert plan.settings["config"]["epochs"] == 18  # the run's row says 18 epochs, as it trains
    with _project(tmp_path / "refit", sessions=1, n=30) as project:
        plan = plan_run(project, _config(epochs=None, min_steps=52, loso_max_sources=0))
    assert plan.refit_epochs == 13  # the stored model's 30 windows: 4 steps a epoch -> 13
    assert plan.config.epochs == plan.fit_config.epochs == 7  # measured with half of them
    with _project(tmp_path / "asked", sessions=1, n=30) as project:
        plan = plan_run(project, _config(epochs=5, loso_max_sources=0))
    assert plan.config.epochs == plan.refit_epochs == 5  # asked for: the refit trains as many


# -- baseline -------------------------------------------------------------------------------------
def _motion(kind: str, rng: np.random.Generator, n: int = 75) -> np.ndarray:
    t = np.arange(n) / RATE
    xyz = rng.normal(0.0, 0.05, (n, 3))
    xyz[:, 2] += 1.0
    if kind == "swing":
        xyz[:, 0] += 2.0 * np.exp(-((t - 0.7) ** 2) / 0.01) * np.sin(2 * np.pi * 5 * t)
    else:
        xyz[:, 1] += 0.5 * np.sin(2 * np.pi * 1.0 * t + rng.uniform(0, 6))
    return xyz.astype(np.float32)


def test_minirocket_baseline_learns_a_clear_difference_on_the_given_split() -> None:
    rng = np.random.default_rng(0)
    windows = [_motion("swing" if i % 2 else "wave", rng) for i in range(30)]
    labels = np.arange(30) % 2
    out = baseline_metrics(windows, labels, splits=[(np.arange(20), np.arange(20, 30))], seed=0)
    assert out["name"] == "MiniRocket (aeon)"
    assert out["n"] == 10
    assert out["accuracy"] >= 0.9
    assert set(out["predictions"]) == set(range(20, 30))
    series = as_series([windows[0], windows[1], windows[2][:60]])
    assert series.shape == (3, 3, 75)  # the odd length is resampled to the median


def _project(tmp_path: Path, *, sessions: int, n: int = 48) -> Project:
    """``n`` windows, half of each class, over ``sessions`` sessions (32x32 scalograms)."""
    rng = np.random.default_rng(1)
    proj = Project.create(tmp_path / "proj", classes=("swing", "wave"), rate_hz=RATE)
    for _ in range(sessions):
        t = np.arange(10) / RATE
        session = proj.sessions.add(t, np.zeros((10, 3), np.float32), rate_hz=RATE, source="sim")
        for i in range(n // sessions):
            label = "swing" if i % 2 else "wave"
            proj.windows.add(_motion(label, rng), rate_hz=RATE, label=label, session_id=session)
    proj.settings.set("scalogram", {"size": [32, 32]})
    return proj


def test_a_run_stores_the_baseline_and_validates_on_unseen_sessions(tmp_path: Path) -> None:
    with _project(tmp_path, sessions=6) as project:
        config = _config(epochs=2, baseline=True, augment=True, loso_max_sources=0)
        run_id = train_project(project, config)
        metrics = project.runs.get(run_id).metrics
        split = project.splits.get(run_id)
    validation = metrics.validation
    assert validation is not None
    assert validation.grouped is True
    assert validation.groups == 6
    assert validation.n == metrics.n == 8  # one session of 8 windows held out
    baseline = metrics.baseline
    assert baseline is not None
    assert baseline.n == 8
    assert baseline.accuracy is not None
    assert 0.0 <= baseline.accuracy <= 1.0
    val_ids = {i for i, side in split.items() if side == "val"}
    assert len(val_ids) == 8


def test_cross_validation_measures_every_window_and_the_cli_reports_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with _project(tmp_path, sessions=1):
        pass
    code = main(["train", "--project", str(tmp_path / "proj"), "--model", MODEL,
                 "--weights", "none", "--epochs", "1", "--batch-size", "16", "--threads", "1",
                 "--folds", "3", "--no-augment", "--no-baseline", "--json"])  # fmt: skip
    assert code == 0
    captured = capsys.readouterr()
    summary = json.loads(captured.out.strip().splitlines()[-1])
    assert summary["evaluated_on"] == "cross-validation"
    assert summary["validation"]["n"] == 48
    assert summary["validation"]["folds"] == 3
    assert "3-fold cross-validated" in summary["validation"]["summary"]
    assert summary["baseline"] is None
    assert summary["warnings"] == []


def test_hfw_train_warns_when_the_validation_set_is_too_small(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with _project(tmp_path, sessions=1, n=20):
        pass
    code = main(["train", "--project", str(tmp_path / "proj"), "--model", MODEL,
                 "--weights", "none", "--epochs", "1", "--threads", "1", "--no-augment",
                 "--no-baseline"])  # fmt: skip
    assert code == 0
    captured = capsys.readouterr()
    assert "measured on 4 held-out windows from 1 session/source, not grouped" in captured.out
    assert (
        "warning: too few windows to trust: swing (2), wave (2) have fewer than 5 validation "
        "windows; label more, or use cross-validation (--folds 5)"
    ) in captured.err
    assert "kept epoch 1 (best validation accuracy)" in captured.out


def test_the_training_panel_shows_the_figure_the_baseline_and_the_warnings_escaped() -> None:
    from hfwidgets.store.run_metrics import BaselineFigure, RunMetrics, ValidationFacts
    from hfwidgets.widgets.training_panel import figure_html

    metrics = RunMetrics(
        validation=ValidationFacts(
            summary="measured on 4 held-out windows from 1 session/source, not grouped",
            warnings=("too few windows to trust: <swing> (2) has fewer than 5",),
        ),
        baseline=BaselineFigure("MiniRocket (aeon)", 0.75),
    )
    html = figure_html(metrics)
    assert "measured on 4 held-out windows" in html
    assert "baseline MiniRocket (aeon) 75.0%" in html
    assert "&lt;swing&gt;" in html
    assert "<swing>" not in html
    assert figure_html(RunMetrics()) == ""


def test_gravity_free_windows_train_without_augmenting() -> None:
    from hfwidgets.training.validation import augments_anything

    on = TrainConfig(augment=True, weights="none")
    letters = [_window(i) - _window(i).mean(axis=0) for i in range(3)]  # z-normalised
    assert not augments_anything(on, letters)  # nothing would change: the cache is kept
    assert augments_anything(on, [*letters, _worn()])
    assert not augments_anything(TrainConfig(augment=False, weights="none"), [_worn()])
