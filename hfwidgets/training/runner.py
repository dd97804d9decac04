"""Training a project: blocking :func:`train_project` and the background :class:`TrainingRunner`.

The glue between the project store and the :class:`~hfwidgets.training.trainer.Trainer`: it
records a run, calls the steps of :mod:`hfwidgets.training.run_steps` (plan, fit, assess,
record) and turns a stop, Ctrl-C or failure into the run's final status.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Literal

from hfwidgets._callbacks import CallbackList
from hfwidgets._worker import Worker
from hfwidgets.store.records import RunRecord
from hfwidgets.store.run_metrics import RunMetrics
from hfwidgets.store.run_status import RunStatus
from hfwidgets.training.config import TrainConfig
from hfwidgets.training.fit_events import EventCallback, FitEnded, StopRequested
from hfwidgets.training.project_runs import check_resume
from hfwidgets.training.run_steps import assess_run, fit_run, plan_run, record_run, refit_run
from hfwidgets.training.trainer import Trainer

if TYPE_CHECKING:
    from hfwidgets.store import Project

__all__ = ["TrainingRunner", "train_project"]

log = logging.getLogger(__name__)

# What a run stopped before its first batch stores (and its FitEnded carries).
_NOTHING_TRAINED = RunMetrics(stopped="before training")


def _end_early(
    project: Project, run_id: int, before: RunRecord | None, status: RunStatus, metrics: RunMetrics
) -> None:
    """A run that ended before its result: stored so, or (a resume) left as it was."""
    if before is None:
        project.runs.update(run_id, status=status, metrics=metrics)
    else:  # a resume that trained nothing or failed never changes the run it continued
        project.runs.update(run_id, status=before.status, metrics=before.metrics)


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

    The run's settings hold the config, the scalogram settings and the classes; its
    :class:`~hfwidgets.store.run_metrics.RunMetrics` are those of
    :func:`~hfwidgets.training.metrics.compute_metrics` plus ``seconds``, ``best_epoch``,
    ``validation`` (what the figure is measured on, with warnings:
    :func:`~hfwidgets.training.split.validation_facts`) and ``baseline`` (MiniRocket on the
    same split, when ``config.baseline``).

    Validation holds out whole sessions/import sources when the project has several
    (``config.group_split``); with ``config.folds >= 2`` the figure is k-fold cross-validated
    and the stored model trains on every window.
    """
    plan = plan_run(project, config, resume=resume_run is not None)
    before = None  # a resumed run's record, restored if the resume fails
    if resume_run is None:
        run_id = project.runs.add(plan.settings)
    else:
        run_id = resume_run
        before = project.runs.get(run_id)  # an unknown run is a ValueError naming the project
        check_resume(project, run_id, config, plan.data.classes)  # before the record is touched
    project.runs.update(run_id, status="running")
    # The trainer's FitEnded is held back and sent once the run's figure is complete (the
    # validation facts, the baseline, the cross-validated metrics), so listeners see those.
    listeners = CallbackList("event")
    for callback in callbacks:
        listeners.register(callback)

    def relay(event: Any) -> None:
        if not isinstance(event, FitEnded) or event.status == "failed":
            listeners.fire(event)

    trainer = Trainer(plan.fit_config, classes=plan.data.classes, callbacks=[relay],
                      stop_event=stop_event)  # fmt: skip
    started = time.perf_counter()
    try:
        result, cv = fit_run(
            plan, trainer=trainer, checkpoint_path=project.runs.checkpoint_path(run_id),
            run_id=run_id, resume=resume_run is not None, stop_event=stop_event,
        )  # fmt: skip
    except StopRequested:  # stopped before the first batch: nothing was trained
        _end_early(project, run_id, before, "stopped", _NOTHING_TRAINED)
        listeners.fire(FitEnded("stopped", _NOTHING_TRAINED, None, run_id))
        return int(run_id)
    except KeyboardInterrupt:  # Ctrl-C: the checkpoint of the last whole epoch stays resumable
        _end_early(project, run_id, before, "stopped", RunMetrics(error="interrupted"))
        raise
    except BaseException as exc:
        _end_early(project, run_id, before, "failed", RunMetrics(error=f"{exc}"))
        raise
    assessment = assess_run(plan, result, cv, stop_event=stop_event)
    assessment = refit_run(
        plan, result, assessment, checkpoint_path=project.runs.checkpoint_path(run_id),
        run_id=run_id, stop_event=stop_event,
    )  # fmt: skip
    metrics = assessment.metrics.replace(seconds=time.perf_counter() - started)
    assessment = dataclasses.replace(assessment, metrics=metrics)
    record_run(project, run_id, result, assessment, ids=plan.data.ids)
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
        self._status: RunStatus | Literal["idle"] = "idle"
        self._stop_before_start = False
        self.run_id: int | None = resume_run
        self.error: BaseException | None = None

    @property
    def status(self) -> RunStatus | Literal["idle"]:
        """``"idle"``, ``"running"``, ``"finished"``, ``"stopped"`` or ``"failed"``."""
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
                error = f"{type(exc).__name__}: {exc}"
                self._events.fire(FitEnded("failed", RunMetrics(error=error), error))
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
