"""Training a project: blocking :func:`train_project` and the background :class:`TrainingRunner`.

The glue between the project store and the :class:`~hfwidgets.training.trainer.Trainer`: it reads
the labelled windows, computes their scalograms with the project's settings, records a run, keeps
its checkpoint beside the project and stores the run's metrics and split.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING

from hfwidgets._callbacks import CallbackList
from hfwidgets._worker import Worker
from hfwidgets.training.config import TrainConfig
from hfwidgets.training.data import project_dataset, project_scalogram_settings
from hfwidgets.training.events import EventCallback, FitEnded
from hfwidgets.training.project_runs import check_config, check_resume, run_records
from hfwidgets.training.trainer import Trainer

if TYPE_CHECKING:
    from hfwidgets.store import Project

__all__ = ["TrainingRunner", "train_project"]

log = logging.getLogger(__name__)

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
        Set it to stop before the next batch (the run is stored as ``"stopped"``).
    resume_run : int, optional
        Continue that run from its checkpoint (with ``config.epochs`` as the new total).

    The run's settings hold the config, the scalogram settings and the classes; its metrics
    are those of :func:`~hfwidgets.training.metrics.compute_metrics` plus ``seconds``.
    """
    check_config(config)  # a bad weights file or setting leaves no failed run behind
    settings = project_scalogram_settings(project)
    images, labels, ids, classes, window_s = project_dataset(project, settings=settings)
    run_settings, checkpoint_extra = run_records(
        config, scalogram=settings, classes=classes, rate_hz=project.rate_hz, window_s=window_s
    )
    before = None  # a resumed run's record, restored if the resume fails
    if resume_run is None:
        run_id = project.add_run(run_settings)
    else:
        run_id = resume_run
        before = project.run(run_id)  # an unknown run is a ValueError naming the project
        check_resume(project, run_id, config, classes)  # before the record is touched
    project.update_run(run_id, status="running")
    trainer = Trainer(config, classes=classes, callbacks=callbacks, stop_event=stop_event)
    started = time.perf_counter()
    try:
        result = trainer.fit(
            images,
            labels,
            ids=ids,
            checkpoint_path=project.checkpoint_path(run_id),
            resume=resume_run is not None,
            checkpoint_extra=checkpoint_extra,
            run_id=run_id,
        )
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
    metrics["seconds"] = time.perf_counter() - started
    metrics["cached_features"] = result.cached_features
    project.update_run(run_id, status=_STORE_STATUS[result.status], metrics=metrics)
    if len(result.val_index):
        split = {int(ids[i]): "train" for i in result.train_index}
        split.update({int(ids[i]): "val" for i in result.val_index})
        project.set_split(run_id, split)
    return run_id


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
        """Ask training to stop before its next batch (returns at once; use :meth:`join`)."""
        self._worker.request_stop()

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the thread; return ``True`` when it has finished."""
        return self._worker.join(timeout)
