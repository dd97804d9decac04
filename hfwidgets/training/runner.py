"""Training a project: blocking :func:`train_project` and the background :class:`TrainingRunner`.

The glue between the project store and the :class:`~hfwidgets.training.trainer.Trainer`: it reads
the labelled windows, computes their scalograms with the project's settings, records a run, keeps
its checkpoint beside the project and stores the run's metrics and split.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import numpy as np

from hfwidgets._callbacks import CallbackList
from hfwidgets._worker import Worker
from hfwidgets.training.baseline import BASELINE_NAME
from hfwidgets.training.config import TrainConfig
from hfwidgets.training.data import (
    dataset_of,
    project_rate_hz,
    project_scalogram_settings,
    project_windows,
)
from hfwidgets.training.events import EventCallback, FitEnded, StopRequested
from hfwidgets.training.project_runs import check_config, check_resume, run_records
from hfwidgets.training.split import (
    SplitPlan,
    check_class_counts,
    grouped_kfold,
    validation_facts,
)
from hfwidgets.training.trainer import Trainer
from hfwidgets.training.validation import (
    augments_anything,
    cross_validate,
    make_renderer,
    plan_split,
    run_baseline,
)

if TYPE_CHECKING:
    from hfwidgets.store import Project

__all__ = ["TrainingRunner", "train_project"]

log = logging.getLogger(__name__)

# What a run stopped before its first batch stores (and its FitEnded carries).
_NOTHING_TRAINED: dict[str, Any] = {"epochs": 0, "history": [], "stopped": "before training"}
# The trainer's outcome -> the store's final run status.
_STORE_STATUS = {"completed": "finished", "stopped": "stopped", "failed": "failed"}


def train_project(
    project: Project,
    config: TrainConfig,
    *,
    callbacks: Iterable[EventCallback] = (),
    stop_event: threading.Event | None = None,
    resume_run: int | None = None,
) -> int:
    """Train on the labelled windows of ``project``; block until done; return the run id.

    Parameters
    ----------
    project : hfwidgets.store.Project
    config : TrainConfig
    callbacks : iterable of callable
        Receive every training event.
    stop_event : threading.Event, optional
        Set it to stop before the next batch (the run is stored as ``"stopped"``). Set before
        the first batch (while scalograms, model or frozen-prefix cache are prepared), the run
        ends there, stored as ``"stopped"`` with ``epochs`` 0 and no figure.
    resume_run : int, optional
        Continue that run from its checkpoint (with ``config.epochs`` as the new total).

    The run's settings hold the config, the scalogram settings and the classes; its metrics
    are those of :func:`~hfwidgets.training.metrics.compute_metrics` plus ``seconds``,
    ``best_epoch``, ``validation`` (what the figure is measured on, with warnings:
    :func:`~hfwidgets.training.split.validation_facts`) and ``baseline`` (MiniRocket on the
    same split, when ``config.baseline``).

    Validation holds out whole sessions/import sources when the project has several
    (``config.group_split``); with ``config.folds >= 2`` the figure is k-fold cross-validated
    and the stored model trains on every window.
    """
    check_config(config)  # a bad weights file or setting leaves no failed run behind
    settings = project_scalogram_settings(project)
    raw = project_windows(project)
    images, labels, ids, classes, window_s = dataset_of(raw, settings=settings)
    render = make_renderer(config, raw.windows, raw.rates_hz, scalogram=settings)
    # What the trainer runs: without augmentation when it would change none of these windows.
    fit_config = config
    if config.augment and not augments_anything(config, raw.windows):
        fit_config, render = dataclasses.replace(config, augment=False), None
    cv = None
    if config.folds >= 2 and resume_run is None:
        groups = raw.groups if config.group_split else None
        try:
            folds, grouped = grouped_kfold(
                labels, groups, folds=config.folds, seed=config.seed, class_names=classes
            )
        except ValueError as exc:
            raise ValueError(f"folds={config.folds}: {exc}") from None
        cv = (folds, grouped)
        plan = SplitPlan(np.arange(len(labels)), np.arange(0), grouped, 0, "")
    else:
        if config.val_fraction > 0:  # the split's own check would name classes by index
            check_class_counts(labels, class_names=classes)
        plan = plan_split(labels, raw.groups, config=config)
    run_settings, checkpoint_extra = run_records(
        config,
        scalogram=settings,
        classes=classes,
        rate_hz=project_rate_hz(project),
        window_s=window_s,
    )
    before = None  # a resumed run's record, restored if the resume fails
    if resume_run is None:
        run_id = project.add_run(run_settings)
    else:
        run_id = resume_run
        before = project.run(run_id)  # an unknown run is a ValueError naming the project
        check_resume(project, run_id, config, classes)  # before the record is touched
    project.update_run(run_id, status="running")
    # The trainer's FitEnded is held back and sent once the run's figure is complete (the
    # validation facts, the baseline, the cross-validated metrics), so listeners see those.
    listeners = CallbackList("event")
    for callback in callbacks:
        listeners.register(callback)
    held: list[FitEnded] = []

    def relay(event: Any) -> None:
        if isinstance(event, FitEnded) and event.status != "failed":
            held.append(event)
        else:
            listeners.fire(event)

    trainer = Trainer(fit_config, classes=classes, callbacks=[relay], stop_event=stop_event)
    started = time.perf_counter()
    cv_metrics = None
    try:
        if stop_event is not None and stop_event.is_set():  # Stop came during the scalograms
            raise StopRequested("stopped before training began")
        if cv is not None:
            cv_metrics = cross_validate(
                images, labels, ids=ids, classes=classes, config=fit_config, folds=cv[0],
                render=render, stop_event=stop_event,
            )  # fmt: skip
        result = trainer.fit(
            images,
            labels,
            ids=ids,
            split=(plan.train, plan.val),
            render=render,
            checkpoint_path=project.checkpoint_path(run_id),
            resume=resume_run is not None,
            checkpoint_extra=checkpoint_extra,
            run_id=run_id,
        )
    except StopRequested:
        # Stopped before the first batch: nothing was trained, so the run ends at once.
        if before is None:
            project.update_run(run_id, status="stopped", metrics=_NOTHING_TRAINED)
        else:  # a resume stopped before it trained anything leaves the run as it was
            project.update_run(run_id, status=before.status, metrics=before.metrics)
        listeners.fire(FitEnded("stopped", dict(_NOTHING_TRAINED), None, run_id))
        return int(run_id)
    except KeyboardInterrupt:
        # Ctrl-C in a terminal: the checkpoint of the last whole epoch stays resumable.
        if before is None:
            project.update_run(run_id, status="stopped", metrics={"error": "interrupted"})
        else:
            project.update_run(run_id, status=before.status, metrics=before.metrics)
        raise
    except BaseException as exc:
        if before is None:
            project.update_run(run_id, status="failed", metrics={"error": f"{exc}"})
        else:  # a failed resume never changes the run it continued
            project.update_run(run_id, status=before.status, metrics=before.metrics)
        raise
    metrics = {k: v for k, v in result.metrics.items()}
    n_groups = len({g for g in raw.groups if g is not None})
    if cv is not None and cv_metrics is not None:
        metrics.update(cv_metrics)  # the figure: pooled out-of-fold predictions
        metrics["evaluated_on"] = "cross-validation"
        facts = validation_facts(
            labels, classes=classes, n_groups=n_groups, grouped=cv[1], folds=len(cv[0]),
            on="cross-validation",
            reason="" if cv[1] else f"fewer than {config.folds} sessions/sources",
        )  # fmt: skip
        splits = cv[0]
    else:
        on = "val" if len(result.val_index) else "train"
        facts = validation_facts(
            labels[result.val_index if on == "val" else result.train_index], classes=classes,
            n_groups=n_groups, grouped=plan.grouped, reason=plan.reason, on=on,
        )  # fmt: skip
        splits = [(result.train_index, result.val_index)]
    metrics["validation"] = facts
    if config.baseline and result.status == "completed" and facts["on"] != "train":
        if stop_event is not None and stop_event.is_set():
            # Stop pressed after the last epoch: the model is complete; the baseline (which
            # cannot be interrupted once begun) is left out rather than making the person wait.
            metrics["baseline"] = {"name": BASELINE_NAME, "accuracy": None,
                                   "error": "skipped: Stop was pressed"}  # fmt: skip
        else:
            metrics["baseline"] = run_baseline(raw.windows, labels, splits=splits, seed=config.seed)
    metrics["seconds"] = time.perf_counter() - started
    metrics["cached_features"] = result.cached_features
    project.update_run(run_id, status=_STORE_STATUS[result.status], metrics=metrics)
    if len(result.val_index):
        split = {int(ids[i]): "train" for i in result.train_index}
        split.update({int(ids[i]): "val" for i in result.val_index})
        project.set_split(run_id, split)
    listeners.fire(FitEnded(result.status, metrics, None, run_id))
    return int(run_id)


class TrainingRunner:
    """Trains a project in a background thread; widgets drive it.

    Parameters
    ----------
    project : hfwidgets.store.Project
    config : TrainConfig

    Examples
    --------
    >>> runner = TrainingRunner(project, config)          # doctest: +SKIP
    >>> runner.on_event(panel.handle_event)                # doctest: +SKIP
    >>> runner.start(); ...; runner.stop(); runner.join()  # doctest: +SKIP
    """

    def __init__(
        self, project: Project, config: TrainConfig, *, resume_run: int | None = None
    ) -> None:
        self.project = project
        self.config = config
        self.resume_run = resume_run
        self._events = CallbackList("event")
        self._worker = Worker(self._run, name="hfw-training")
        self._status = "idle"
        self._stop_before_start = False
        self.run_id: int | None = resume_run
        self.error: BaseException | None = None

    @property
    def status(self) -> str:
        """``"idle"``, ``"running"``, ``"completed"``, ``"stopped"`` or ``"failed"``."""
        return self._status

    def on_event(self, callback: EventCallback, remove: bool = False) -> None:
        """Register ``callback(event)`` for every training event (``remove=True`` unregisters)."""
        self._events.register(callback, remove=remove)

    def _handle(self, event: object) -> None:
        if getattr(event, "run_id", None) is not None:
            self.run_id = event.run_id  # type: ignore[attr-defined]
        if isinstance(event, FitEnded):
            self._status = event.status
        self._events.fire(event)

    def start(self) -> None:
        """Start training in a daemon thread (a second start while running is an error)."""
        if self._worker.alive:
            raise RuntimeError("training is already running; stop() it first")
        self._status = "running"
        self.error = None
        self._worker.start()
        if self._stop_before_start:  # Stop came first: the run ends before its first batch
            self._stop_before_start = False
            self._worker.request_stop()

    def _run(self, stop: threading.Event) -> None:
        try:
            train_project(
                self.project,
                self.config,
                callbacks=[self._handle],
                stop_event=stop,
                resume_run=self.resume_run,
            )
        except BaseException as exc:  # reported through status/events, never raised in a thread
            self.error = exc
            if self._status == "running":  # failed before the trainer could say so
                self._status = "failed"
                self._events.fire(FitEnded("failed", {}, f"{type(exc).__name__}: {exc}"))
            log.warning("training failed: %s", exc)

    def stop(self) -> None:
        """Ask training to stop before its next batch (returns at once; use :meth:`join`).

        Asked before :meth:`start`, it is kept: the run then ends before its first batch (the
        worker's stop event is made anew by each start, so it alone would forget it).
        """
        if self._status == "idle":
            self._stop_before_start = True
        self._worker.request_stop()

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the thread; return ``True`` when it has finished."""
        return self._worker.join(timeout)
