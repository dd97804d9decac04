"""The steps of a training run, each a flat function: plan, fit, assess, record.

:func:`~hfwidgets.training.runner.train_project` calls them in order (as torchvision's reference
``train.py`` calls ``load_data``, ``train_one_epoch`` and ``evaluate``): :func:`plan_run` reads
the windows and chooses the split, :func:`fit_run` trains, :func:`assess_run` measures the
figure and the baseline on the same windows, :func:`refit_run` trains the measured recipe once
more on every window, :func:`record_run` stores the result.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from hfwidgets.store.run_metrics import (
    BaselineFigure,
    EvaluatedOn,
    ModelFigure,
    ModelName,
    RunMetrics,
)
from hfwidgets.training.baseline import (
    BASELINE_NAME,
    MiniRocketModel,
    fit_minirocket,
    save_baseline,
)
from hfwidgets.training.config import TrainConfig
from hfwidgets.training.data import (
    ProjectData,
    ProjectWindows,
    dataset_of,
    project_rate_hz,
    project_scalogram_settings,
    project_windows,
)
from hfwidgets.training.fit_events import StopRequested
from hfwidgets.training.fit_state import RenderFn
from hfwidgets.training.fusion import choose_model, cnn_probabilities, fusion_figure
from hfwidgets.training.loso import loso_folds
from hfwidgets.training.project_runs import check_config, run_records
from hfwidgets.training.split import (
    SplitPlan,
    check_class_counts,
    grouped_kfold,
    validation_facts,
)
from hfwidgets.training.trainer import FitResult, Trainer
from hfwidgets.training.validation import (
    augments_anything,
    check_augmentation,
    cross_validate,
    make_renderer,
    plan_split,
    run_baseline,
)

if TYPE_CHECKING:
    from hfwidgets.store import Project

__all__ = ["Assessment", "CrossValidated", "RunPlan", "assess_run", "fit_run", "plan_run",
           "record_run", "refit_run"]  # fmt: skip

log = logging.getLogger("hfwidgets.training")

#: The folds' pooled figure and the out-of-fold class probabilities ``[N, K]``.
CrossValidated = tuple[RunMetrics, NDArray[np.float64]]


@dataclass(frozen=True)
class RunPlan:
    """What a run trains on and how its figure is measured (:func:`plan_run`).

    ``fit_config`` is the config the trainer runs (augmentation off when it would change none
    of the windows); ``folds`` are the cross-validation folds (``None``: the hold-out ``split``),
    one per session/source held out when ``loso`` (leave-one-source-out), trained by
    ``fold_config``; ``refit_epochs`` are the epochs of the model trained on every window
    (:func:`refit_run`).
    """

    config: TrainConfig
    fit_config: TrainConfig
    raw: ProjectWindows
    data: ProjectData
    render: RenderFn | None
    split: SplitPlan
    folds: list[tuple[NDArray[Any], NDArray[Any]]] | None
    settings: dict[str, Any]
    checkpoint_extra: dict[str, Any]
    refit_epochs: int
    loso: bool = False
    resume: bool = False

    @property
    def n_groups(self) -> int:
        """Distinct sessions/sources of the project's labelled windows."""
        return len({g for g in self.raw.groups if g is not None})

    @property
    def fold_epochs(self) -> int:
        """Epochs each fold model trains (:attr:`fold_config`)."""
        return self.fold_config.epochs_for(len(self.split.train))

    @property
    def fold_config(self) -> TrainConfig:
        """The config each fold model trains with.

        Leave-one-source-out is the default measurement for few sources, so it must stay within
        the 5 minutes 200 windows may take: its fold models train half the epochs (the cosine
        schedule still runs its whole course) without augmentation, which lets the frozen prefix
        be computed once per fold instead of once per epoch. The figure is of that lighter recipe
        (the summary says so); the stored model trains with ``fit_config``. ``--folds K`` is
        asked for, so its folds train as the run does.
        """
        if not self.loso:
            return self.fit_config
        epochs = self.fit_config.epochs_for(len(self.split.train))
        return dataclasses.replace(
            self.fit_config, augment=False, epochs=max(1, math.ceil(epochs / 2))
        )


def _refits(
    config: TrainConfig,
    folds: list[tuple[NDArray[Any], NDArray[Any]]] | None,
    split: SplitPlan,
    *,
    resume: bool,
) -> bool:
    """Whether :func:`refit_run` trains the stored model again on every window."""
    return config.refit and folds is None and not resume and len(split.val) > 0


def plan_run(project: Project, config: TrainConfig, *, resume: bool = False) -> RunPlan:
    """Read the labelled windows, draw their scalograms and choose the split (or the folds).

    Raises ``ValueError`` for a setting or a project the run cannot train on, before any run
    is recorded.
    """
    check_config(config)  # a bad weights file or setting leaves no failed run behind
    scalogram = project_scalogram_settings(project)
    raw = project_windows(project)
    data = dataset_of(raw, settings=scalogram)
    labels, classes = data.labels, data.classes
    render = make_renderer(config, raw.windows, raw.rates_hz, scalogram=scalogram)
    fit_config = config
    if config.augment and not augments_anything(config, raw.windows):
        fit_config, render = dataclasses.replace(config, augment=False), None
    folds: list[tuple[NDArray[Any], NDArray[Any]]] | None = None
    loso = None
    if config.folds < 2 and config.val_fraction > 0 and config.group_split and not resume:
        loso = loso_folds(labels, raw.groups, max_sources=config.loso_max_sources)
    if loso is not None:  # few sources: each held out once, then one model trains on all
        folds = list(loso)
        split = SplitPlan(np.arange(len(labels)), np.arange(0), True, len(loso), "")
    elif config.folds >= 2 and not resume:
        groups = raw.groups if config.group_split else None
        try:
            folds, grouped = grouped_kfold(
                labels, groups, folds=config.folds, seed=config.seed, class_names=classes
            )
        except ValueError as exc:
            raise ValueError(f"folds={config.folds}: {exc}") from None
        split = SplitPlan(np.arange(len(labels)), np.arange(0), grouped, 0, "")
    else:
        if config.val_fraction > 0:  # the split's own check would name classes by index
            check_class_counts(labels, class_names=classes)
        split = plan_split(labels, raw.groups, config=config)
    # Few windows train more epochs, to the same number of steps (TrainConfig.epochs_for); the
    # run records the epochs it trains, so its row, its progress and a resume agree. The model
    # stored after a hold-out figure (refit) follows the same rule over every window; with auto
    # epochs the measured fits then train half as many, as leave-one-source-out's folds do.
    epochs = config.epochs_for(len(split.train))
    refit_epochs = config.epochs_for(len(labels))
    if config.epochs is None and _refits(config, folds, split, resume=resume):
        epochs = max(1, math.ceil(refit_epochs / 2))
    config = dataclasses.replace(config, epochs=epochs)
    fit_config = dataclasses.replace(fit_config, epochs=epochs)
    settings, extra = run_records(
        config, scalogram=scalogram, classes=classes, rate_hz=project_rate_hz(project),
        window_s=data.window_s,
    )  # fmt: skip
    return RunPlan(
        config, fit_config, raw, data, render, split, folds, settings, extra, refit_epochs,
        loso is not None, resume,
    )  # fmt: skip


def fit_run(
    plan: RunPlan,
    *,
    trainer: Trainer,
    checkpoint_path: Path,
    run_id: int,
    resume: bool,
    stop_event: threading.Event | None,
) -> tuple[FitResult, CrossValidated | None]:
    """Train the run's model (after the cross-validation folds, when there are folds).

    A run that augments, holds out validation windows and is not a resume also trains without
    augmentation on the same split and keeps the better model on validation
    (:func:`~hfwidgets.training.validation.check_augmentation`, ``config.augment_check``).
    Returns the fit and the folds' pooled figure with the out-of-fold class probabilities
    (``None`` without folds, or when stopped).
    Raises :class:`StopRequested` when Stop came before training began.
    """
    if stop_event is not None and stop_event.is_set():  # Stop came during the scalograms
        raise StopRequested("stopped before training began")
    data = plan.data
    cv = None
    if plan.folds is not None:
        cv = cross_validate(
            data.images, data.labels, ids=data.ids, classes=data.classes,
            config=plan.fold_config, folds=plan.folds, render=plan.render, stop_event=stop_event,
        )  # fmt: skip
    result = trainer.fit(
        data.images, data.labels, ids=data.ids, split=(plan.split.train, plan.split.val),
        render=plan.render, checkpoint_path=checkpoint_path, resume=resume,
        checkpoint_extra=plan.checkpoint_extra, run_id=run_id,
    )  # fmt: skip
    if (
        trainer.config.augment
        and plan.config.augment_check
        and plan.folds is None
        and not resume
        and result.status == "finished"
        and len(result.val_index)
    ):
        result = check_augmentation(
            result, data.images, data.labels, ids=data.ids, classes=data.classes,
            config=trainer.config, checkpoint_path=checkpoint_path,
            checkpoint_extra=plan.checkpoint_extra, run_id=run_id, stop_event=stop_event,
        )  # fmt: skip
    return result, cv


@dataclass(frozen=True, eq=False)
class Assessment:
    """What :func:`assess_run` measured: the record and the baseline model to keep with it."""

    metrics: RunMetrics
    baseline: MiniRocketModel | None


def assess_run(
    plan: RunPlan,
    result: FitResult,
    cv: CrossValidated | None,
    *,
    stop_event: threading.Event | None = None,
) -> Assessment:
    """The run's figure, what it is measured on, and its three models on the same windows.

    The CNN, the MiniRocket baseline and their fusion (weight chosen on the validation
    windows, :mod:`hfwidgets.training.fusion`) each get a :class:`ModelFigure`; the run counts
    with the best (``chosen``).
    """
    labels, classes, config = plan.data.labels, plan.data.classes, plan.config
    metrics = result.metrics
    if plan.folds is not None and cv is not None:
        cv_metrics, cnn_proba = cv
        metrics = cv_metrics.replace(  # the figure: pooled out-of-fold predictions
            epochs=metrics.epochs, best_epoch=metrics.best_epoch, history=metrics.history
        )
        facts = validation_facts(
            labels, classes=classes, n_groups=plan.n_groups, grouped=plan.split.grouped,
            folds=len(plan.folds), on="cross-validation",
            loso_fold_epochs=plan.fold_epochs if plan.loso else 0,
            reason="" if plan.split.grouped else f"fewer than {config.folds} sessions/sources",
        )  # fmt: skip
        splits = plan.folds
    else:
        on: EvaluatedOn = "val" if len(result.val_index) else "train"
        facts = validation_facts(
            labels[result.val_index if on == "val" else result.train_index], classes=classes,
            n_groups=plan.n_groups, grouped=plan.split.grouped, reason=plan.split.reason, on=on,
        )  # fmt: skip
        splits = [(result.train_index, result.val_index)]
        cnn_proba = None
    baseline, outputs = None, None
    if config.baseline and result.status == "finished" and facts.on != "train":
        if stop_event is not None and stop_event.is_set():
            # Stop pressed after the last epoch: the model is complete; the baseline (which
            # cannot be interrupted once begun) is left out rather than making the person wait.
            baseline = BaselineFigure(BASELINE_NAME, None, error="skipped: Stop was pressed")
        else:
            baseline, outputs = run_baseline(plan.raw.windows, labels, splits=splits,
                                             n_classes=len(classes), seed=config.seed)  # fmt: skip
    models: dict[ModelName, ModelFigure] = {}
    if metrics.trained and facts.on != "train":
        models["cnn"] = ModelFigure(metrics.accuracy, metrics.n, 1.0)
    if outputs is not None and outputs.model is not None and models:
        models["baseline"] = ModelFigure(outputs.accuracy, outputs.n, 0.0)
        if cnn_proba is None:  # hold-out: the network's probabilities of the validation windows
            cnn_proba = np.full_like(outputs.proba, np.nan)
            cnn_proba[result.val_index] = cnn_probabilities(
                result.model, config.model, plan.data.images, result.val_index
            )
        both = ~np.isnan(outputs.proba[:, 0]) & ~np.isnan(cnn_proba[:, 0])
        models["fusion"] = fusion_figure(cnn_proba[both], outputs.proba[both], labels[both])
    metrics = metrics.replace(
        validation=facts, baseline=baseline, cached_features=result.cached_features,
        models=models, chosen=choose_model(models),
    )  # fmt: skip
    return Assessment(metrics, outputs.model if outputs is not None and models else None)


def refit_run(
    plan: RunPlan,
    result: FitResult,
    assessment: Assessment,
    *,
    checkpoint_path: Path,
    run_id: int,
    stop_event: threading.Event | None = None,
) -> Assessment:
    """Train the measured recipe once more on every labelled window: the model the run stores.

    A hold-out run learns from the windows its figure is not measured on only (four fifths of a
    small project); once the figure, the epoch, augmentation or none (``augment_check``) and
    the fusion weight are chosen on validation, the network trains again the same way (the
    kept choice of augmentation, the last epoch kept: there is nothing left to choose on) on
    every window, ``refit_epochs`` epochs (the run's ``epochs``, or auto over every window),
    and MiniRocket is fitted again on every window, as after a cross-validation. The figures
    stay the held-out ones; ``validation.refit`` and its summary say so. Skipped (the measured
    model stays) without ``config.refit``, for cross-validated runs and resumes, without
    validation windows, and when Stop is pressed before or during it; a failing refit is
    logged and the measured model stays.
    """
    metrics = assessment.metrics
    facts = metrics.validation
    if (
        not _refits(plan.config, plan.folds, plan.split, resume=plan.resume)
        or result.status != "finished"
        or not len(result.val_index)
        or facts is None
        or (stop_event is not None and stop_event.is_set())
    ):
        return assessment
    config = dataclasses.replace(plan.fit_config, epochs=plan.refit_epochs)
    plain = metrics.augment_check is not None and metrics.augment_check.kept == "plain"
    if plain:
        config = dataclasses.replace(config, augment=False)
    data = plan.data
    every = np.arange(len(data.labels))
    trial = checkpoint_path.with_name(f"{checkpoint_path.stem}.refit{checkpoint_path.suffix}")
    try:
        trainer = Trainer(config, classes=data.classes, stop_event=stop_event)
        refit = trainer.fit(
            data.images, data.labels, ids=data.ids, split=(every, every[:0]),
            render=None if plain else plan.render, checkpoint_path=trial,
            checkpoint_extra=plan.checkpoint_extra, run_id=run_id,
        )  # fmt: skip
        if refit.status != "finished":  # stopped: the measured model is whole, keep it
            return assessment
        baseline = assessment.baseline
        if baseline is not None:
            baseline = fit_minirocket(plan.raw.windows, data.labels, n_classes=len(data.classes),
                                      seed=plan.config.seed)  # fmt: skip
        os.replace(trial, checkpoint_path)
    except StopRequested:
        return assessment
    except Exception as exc:  # the measured model is a whole run on its own
        log.warning("refit on every window failed, keeping the measured model: %s", exc)
        return assessment
    finally:
        trial.unlink(missing_ok=True)
    facts = dataclasses.replace(
        facts, refit=len(every),
        summary=f"{facts.summary}; the stored model then trained on all {len(every)} windows, "
        f"{_epochs_text(config.epochs, plan.fit_config.epochs)}",
    )  # fmt: skip
    return Assessment(metrics.replace(validation=facts), baseline)


def _epochs_text(stored: int | None, measured: int | None) -> str:
    if stored == measured:
        return f"{stored} epochs"
    return f"{stored} epochs (the measured model {measured})"


def record_run(
    project: Project,
    run_id: int,
    result: FitResult,
    assessment: Assessment,
    *,
    ids: NDArray[Any],
) -> None:
    """Store the run's final status, metrics, split and baseline model (arrays, no pickle)."""
    if assessment.baseline is not None:  # before the record that names it
        save_baseline(project.runs.baseline_path(run_id), assessment.baseline)
    project.runs.update(run_id, status=result.status, metrics=assessment.metrics)
    if len(result.val_index):
        split = {int(ids[i]): "train" for i in result.train_index}
        split.update({int(ids[i]): "val" for i in result.val_index})
        project.splits.set(run_id, split)
