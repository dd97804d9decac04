"""What a run's figure is measured on: the split (grouped, k-fold) and the baseline beside it.

:func:`train_project <hfwidgets.training.runner.train_project>` asks this module three things:
which windows validate (:func:`plan_split`, whole sessions/sources when there are several), how
well k models each trained without one fold do on it (:func:`cross_validate`), and how the
MiniRocket baseline does on the same split (:func:`run_baseline`). It also keeps augmentation
from costing a run anything on its own validation (:func:`check_augmentation`).
"""

from __future__ import annotations

import dataclasses
import logging
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from hfwidgets.store.run_metrics import AugmentCheck, BaselineFigure, RunMetrics
from hfwidgets.training.augment import AugmentSettings, augmented_renderer
from hfwidgets.training.baseline import BaselineOutputs
from hfwidgets.training.config import TrainConfig
from hfwidgets.training.fit_events import StopRequested
from hfwidgets.training.fit_state import RenderFn
from hfwidgets.training.fusion import cnn_probabilities
from hfwidgets.training.metrics import compute_metrics
from hfwidgets.training.split import SplitPlan, grouped_split, stratified_split
from hfwidgets.training.trainer import FitResult, Trainer

__all__ = [
    "augment_settings",
    "augments_anything",
    "check_augmentation",
    "cross_validate",
    "make_renderer",
    "plan_split",
    "run_baseline",
]

log = logging.getLogger(__name__)


def augment_settings(config: TrainConfig) -> AugmentSettings:
    """The raw-window augmentation a config asks for."""
    return AugmentSettings(
        rotation_deg=config.rotation_deg,
        shift=config.shift,
        stretch=config.stretch,
        gain=config.gain,
    )


def augments_anything(config: TrainConfig, windows: Sequence[NDArray[Any]]) -> bool:
    """Whether ``config``'s augmentation would change any of ``windows``.

    Augmentation leaves windows without gravity unchanged (z-normalised archives, gravity
    removed: :func:`~hfwidgets.training.augment.augment_window`); when none has gravity the run
    trains without augmenting and keeps the frozen-prefix cache instead of redrawing identical
    images every epoch.
    """
    from hfwidgets.scalogram.frame import gravity_directions

    if not config.augment or not augment_settings(config).active:
        return False
    return any(gravity_directions(np.asarray(w)[None, :, :3]).any() for w in windows)


def make_renderer(
    config: TrainConfig,
    windows: Sequence[NDArray[Any]],
    rates_hz: Sequence[float],
    *,
    scalogram: Any,
) -> RenderFn | None:
    """The trainer's ``render`` for ``config`` (``None`` when augmentation is off)."""
    settings = augment_settings(config)
    if not config.augment or not settings.active:
        return None
    return augmented_renderer(windows, rates_hz, scalogram=scalogram, settings=settings)


def plan_split(
    labels: NDArray[Any], groups: Sequence[str | None], *, config: TrainConfig
) -> SplitPlan:
    """The run's train/validation split: grouped when ``config.group_split`` and groups allow."""
    if config.group_split:
        return grouped_split(labels, groups, val_fraction=config.val_fraction, seed=config.seed)
    train, val = stratified_split(labels, val_fraction=config.val_fraction, seed=config.seed)
    named = len({g for g in groups if g is not None})
    return SplitPlan(train, val, False, named, "grouping switched off (group_split=False)")


def cross_validate(
    images: NDArray[Any],
    labels: NDArray[Any],
    *,
    ids: NDArray[Any],
    classes: Sequence[str],
    config: TrainConfig,
    folds: Sequence[tuple[NDArray[Any], NDArray[Any]]],
    render: RenderFn | None = None,
    stop_event: threading.Event | None = None,
) -> tuple[RunMetrics, NDArray[np.float64]] | None:
    """Train one model per fold for ``config.epochs`` epochs; metrics of the pooled predictions.

    Every window is predicted once, by the model that did not train on it; the class
    probabilities of those predictions (``[N, K]``) come second, for the fusion's weight. No
    fold keeps its best epoch: choosing the epoch on the very windows it is scored on would
    flatter the figure, and the model finally trained on all windows has no validation set to
    choose by either.
    Returns ``None`` when ``stop_event`` stopped a fold.
    """
    fold_config = dataclasses.replace(config, keep_best=False, patience=None)
    pred = np.full(len(labels), -1, dtype=np.int64)
    proba = np.full((len(labels), len(classes)), np.nan)
    for k, (train, test) in enumerate(folds, 1):
        trainer = Trainer(fold_config, classes=classes, stop_event=stop_event)
        result = trainer.fit(images, labels, ids=ids, split=(train, test), render=render)
        if result.status != "finished":
            return None
        fold_pred = result.metrics.predictions
        for i in test:
            pred[i] = classes.index(fold_pred[int(ids[i])])
        proba[test] = cnn_probabilities(result.model, config.model, images, np.asarray(test))
        log.info("fold %d/%d: accuracy %.3f", k, len(folds), result.metrics.accuracy or 0.0)
    done = pred >= 0
    metrics = compute_metrics(
        labels[done], pred[done], classes=classes, ids=ids[done], on="cross-validation"
    )
    return metrics, proba


def check_augmentation(
    augmented: FitResult,
    images: NDArray[Any],
    labels: NDArray[Any],
    *,
    ids: NDArray[Any],
    classes: Sequence[str],
    config: TrainConfig,
    checkpoint_path: Path | None = None,
    checkpoint_extra: dict[str, Any] | None = None,
    run_id: int | None = None,
    stop_event: threading.Event | None = None,
) -> FitResult:
    """The better of ``augmented`` and a model trained without augmentation on its split.

    The plain model trains with ``config`` less its augmentation (so its frozen prefix is cached)
    on ``augmented``'s training windows and is scored on the same validation windows. It
    replaces ``augmented`` (and its checkpoint at ``checkpoint_path``) only when it scores
    strictly better; either way the returned fit's metrics carry the
    :class:`~hfwidgets.store.run_metrics.AugmentCheck` with both figures. Stop pressed before
    or during the plain fit leaves ``augmented`` as it was, without a check: the run is whole.
    """
    if stop_event is not None and stop_event.is_set():
        return augmented
    trial = None
    if checkpoint_path is not None:
        checkpoint_path = Path(checkpoint_path)
        trial = checkpoint_path.with_name(f"{checkpoint_path.stem}.plain{checkpoint_path.suffix}")
    trainer = Trainer(dataclasses.replace(config, augment=False), classes=classes,
                      stop_event=stop_event)  # fmt: skip
    try:
        try:
            plain = trainer.fit(
                images, labels, ids=ids, split=(augmented.train_index, augmented.val_index),
                checkpoint_path=trial, checkpoint_extra=checkpoint_extra, run_id=run_id,
            )  # fmt: skip
        except StopRequested:  # Stop came while the plain fit was being prepared
            return augmented
        if plain.status != "finished":
            return augmented
        check = AugmentCheck(augmented.metrics.accuracy, plain.metrics.accuracy, plain.metrics.n)
        log.info("augmentation check: %s", check.summary)
        kept = augmented
        if check.kept == "plain":
            kept = plain
            if trial is not None and checkpoint_path is not None:
                os.replace(trial, checkpoint_path)
        return dataclasses.replace(kept, metrics=kept.metrics.replace(augment_check=check))
    finally:
        if trial is not None:
            trial.unlink(missing_ok=True)


def run_baseline(
    windows: Sequence[NDArray[Any]],
    labels: NDArray[Any],
    *,
    splits: Sequence[tuple[NDArray[Any], NDArray[Any]]],
    n_classes: int,
    seed: int,
) -> tuple[BaselineFigure, BaselineOutputs | None]:
    """MiniRocket on the same split(s): its figure (as stored in a run's ``baseline``) and its
    outputs (probabilities and fitted model; ``None`` when it failed).

    A failing baseline never fails the run: its ``error`` says what went wrong.
    """
    from hfwidgets.training.baseline import BASELINE_NAME, baseline_outputs

    try:
        out = baseline_outputs(windows, labels, splits=splits, n_classes=n_classes, seed=seed)
    except Exception as exc:  # the CNN's run stands on its own
        log.warning("baseline failed: %s", exc)
        return BaselineFigure(BASELINE_NAME, None, error=f"{type(exc).__name__}: {exc}"), None
    return BaselineFigure(BASELINE_NAME, out.accuracy, n=out.n, seconds=out.seconds), out
