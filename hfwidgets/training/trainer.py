"""The fine-tuning loop over scalogram tensors: no project, no threads, no widgets.

:class:`Trainer` takes images ``[N, 3, H, W]`` in [0, 1], integer labels and window ids, and
publishes :mod:`~hfwidgets.training.fit_events` as it goes. It checks its stop event before every
batch, saves a checkpoint after every epoch, and resumes from one.

The parts, each in its own module: setting a fit up (:mod:`.fit_setup`), one epoch
(:mod:`.epochs`), the learning-rate schedule (:mod:`.schedule`), BatchNorm statistics
(:mod:`.batchnorm`), feature-extractor mode's one step (:mod:`.head_fit`), and the state they
share with its checkpoint (:mod:`.fit_state`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from hfwidgets._callbacks import CallbackList
from hfwidgets.store.run_metrics import EpochFigures, EvaluatedOn, RunMetrics
from hfwidgets.store.run_status import RunStatus
from hfwidgets.training.batchnorm import recalibrate_batchnorm
from hfwidgets.training.config import TrainConfig
from hfwidgets.training.data import predict_logits
from hfwidgets.training.epochs import train_epoch
from hfwidgets.training.fit_events import (
    EpochEnded,
    EpochStarted,
    EventCallback,
    FitEnded,
    FitStarted,
    StopRequested,
)
from hfwidgets.training.fit_setup import prepare_fit
from hfwidgets.training.fit_state import FitState, RenderFn, cloned_state, save_fit, snapshot
from hfwidgets.training.frozen_features import feature_extractor_config
from hfwidgets.training.head_fit import fit_head
from hfwidgets.training.metrics import compute_metrics
from hfwidgets.training.strategy import Strategy

__all__ = ["FitResult", "Trainer"]


@dataclass
class FitResult:
    """What :meth:`Trainer.fit` returns.

    ``metrics`` are measured on the validation windows (on the training windows when there is no
    validation set; ``metrics.evaluated_on`` says which). ``last_epoch`` is the last completed
    epoch (1-based), the one a checkpoint resumes after.
    """

    status: RunStatus
    model: nn.Module
    metrics: RunMetrics
    history: list[dict[str, Any]] = field(default_factory=list)
    last_epoch: int = 0
    seconds: float = 0.0
    cached_features: bool = False
    train_index: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    val_index: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))


class Trainer:
    """Fine-tunes one backbone on scalogram images.

    Parameters
    ----------
    config : TrainConfig
    classes : sequence of str
        Class names; labels index into it.
    callbacks : iterable of TrainingCallback or callable
        :class:`~hfwidgets.training.fit_events.TrainingCallback` objects get each event in its
        named hook; a plain function gets every event. Exceptions are logged and never stop
        training or the other callbacks.
    stop_event : threading.Event, optional
        Set it (or call :meth:`stop`) to stop before the next batch. Set while the fit is
        still being prepared (model, frozen-prefix cache), :meth:`fit` raises
        :class:`~hfwidgets.training.fit_events.StopRequested` at once instead.
    cache_features : bool
        Run a frozen prefix once and cache its outputs when possible (default). ``False`` runs
        the whole network every batch (for comparisons; results agree to rounding).
    strategy : Strategy, optional
        Where the work runs; the default trains in this process.
        :class:`~hfwidgets.training.ddp.DistributedStrategy` spreads it over processes.
    """

    def __init__(
        self,
        config: TrainConfig,
        *,
        classes: Sequence[str],
        callbacks: Iterable[EventCallback] = (),
        stop_event: threading.Event | None = None,
        cache_features: bool = True,
        strategy: Strategy | None = None,
    ) -> None:
        self.config = feature_extractor_config(config)  # the settings that mode implies
        self.strategy = strategy or Strategy()
        self.cache_features = cache_features
        self.classes = list(classes)
        self.events = CallbackList("event")
        for callback in callbacks:
            self.events.register(callback)
        self.stop_event = stop_event or threading.Event()

    def stop(self) -> None:
        """Ask the loop to stop before its next batch."""
        self.stop_event.set()

    def fit(
        self,
        images: np.ndarray | torch.Tensor,
        labels: Sequence[int] | np.ndarray,
        *,
        ids: Sequence[int] | np.ndarray | None = None,
        split: tuple[np.ndarray, np.ndarray] | None = None,
        checkpoint_path: str | Path | None = None,
        resume: bool = False,
        checkpoint_extra: dict[str, Any] | None = None,
        run_id: int | None = None,
        render: RenderFn | None = None,
    ) -> FitResult:
        """Train, publishing events; return a :class:`FitResult`.

        Parameters
        ----------
        images : array ``[N, 3, H, W]`` float32 in [0, 1]
        labels : array ``[N]`` of class indices into ``classes``
        ids : window id of each image (reported in ``misclassified``); defaults to positions
        split : ``(train_index, val_index)``; defaults to a stratified, seeded split
        checkpoint_path : saved after every epoch; read first when ``resume``
        resume : continue after the checkpoint's epoch with its weights and optimizer state
        checkpoint_extra : more JSON-like entries for the checkpoint (scalogram settings, rate)
        run_id : copied into the fit events
        render : ``render(index, rng)`` -> augmented images of the windows at positions
            ``index``; with ``config.augment`` it is called once per epoch for the training
            windows (raw-sample augmentation, :mod:`~hfwidgets.training.augment`), and a frozen
            prefix still runs once per epoch rather than once per batch
        """
        started = time.perf_counter()
        threads = torch.get_num_threads()  # process-wide: give the notebook its setting back
        try:
            with torch.random.fork_rng(devices=[]):  # seed without disturbing the caller's RNG
                run = prepare_fit(
                    self.config, classes=self.classes, strategy=self.strategy,
                    cache_features=self.cache_features, images=images, labels=labels, ids=ids,
                    split=split, checkpoint_path=checkpoint_path, resume=resume, render=render,
                    checkpoint_extra=checkpoint_extra, run_id=run_id,
                    stop_event=self.stop_event,
                )  # fmt: skip
                if self.config.mode == "feature-extractor":
                    status, last = fit_head(
                        run, config=self.config, classes=self.classes, events=self.events,
                        stop_event=self.stop_event, save=self.strategy.is_main,
                    )  # fmt: skip
                else:
                    status, last = self._loop(run)
                if status == "finished" and self.config.recalibrate_bn and len(run.train_idx):
                    # The kept weights get BatchNorm statistics that match them exactly.
                    train_inputs = run.inputs[torch.as_tensor(run.train_idx)]
                    recalibrate_batchnorm(run.net, train_inputs, device=run.device)
                # Stopped before a whole epoch: the network is the untrained one, whose
                # accuracy and matrix would only mislead (and cost a pass over the windows).
                trained = status != "stopped" or last >= run.first_epoch
                metrics = (self._final_metrics(run) if trained else RunMetrics()).replace(
                    epochs=last,
                    best_epoch=run.best_epoch or last,
                    history=tuple(EpochFigures.from_dict(h) for h in run.history),
                )
                if last >= run.first_epoch:
                    self._save(run, last, metrics)
        except StopRequested:
            raise  # not a failure: the caller stores the run as stopped
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"
            self.events.fire(FitEnded("failed", RunMetrics(error=error), error, run_id))
            raise
        finally:
            torch.set_num_threads(threads)
        self.events.fire(FitEnded(status, metrics, None, run_id))
        return FitResult(
            status=status,
            model=run.model.cpu().eval().to(memory_format=torch.contiguous_format),
            metrics=metrics,
            history=run.history,
            last_epoch=last,
            seconds=time.perf_counter() - started,
            cached_features=run.cached,
            train_index=run.train_idx,
            val_index=run.val_idx,
        )

    def _loop(self, run: FitState) -> tuple[RunStatus, int]:
        """The fine-tuning epochs; ``(status, last whole epoch)``."""
        cfg = self.config
        n_train, n_val = len(run.train_idx), len(run.val_idx)
        epochs = cfg.epochs_for(n_train)
        event = FitStarted(
            n_train, n_val, epochs, cfg.model, run.first_epoch, run.cached, run.run_id
        )
        self.events.fire(event)
        last = run.first_epoch - 1
        whole = snapshot(run)
        for epoch in range(run.first_epoch, epochs + 1):
            self.events.fire(EpochStarted(epoch, epochs))
            # An epoch's randomness (batch order, dropout, augmentation) depends only on the seed
            # and the epoch, so a resumed run trains exactly as an uninterrupted one.
            torch.manual_seed(cfg.seed * 1000 + epoch)
            generator = torch.Generator().manual_seed(cfg.seed * 1000 + epoch)
            record = train_epoch(
                run, config=cfg, strategy=self.strategy, events=self.events,
                stop_event=self.stop_event, epoch=epoch, generator=generator,
            )  # fmt: skip
            if record is None:
                # A stopped run ends with its last whole epoch: weights, optimizer state and
                # epoch number then agree, so a resume replays the interrupted epoch exactly.
                run.model.load_state_dict(whole[0])
                run.optimizer.load_state_dict(whole[1])
                return "stopped", last
            run.history.append(record)
            last = epoch
            whole = snapshot(run)
            val_loss, val_acc = record["val_loss"], record["val_acc"]
            if (cfg.keep_best or cfg.patience is not None) and val_loss is not None:
                score = (float(val_acc), -float(val_loss))
                if run.best is None or score > run.best[0]:
                    run.best = (score, epoch, cloned_state(run.model))
            self._save(run, epoch, None)
            self.events.fire(EpochEnded(**record))
            if (
                run.best is not None
                and cfg.patience is not None
                and epoch - run.best[1] >= cfg.patience
            ):
                break  # early stop
        if run.best is not None and (cfg.keep_best or cfg.patience is not None):
            run.model.load_state_dict(run.best[2])  # end with the best epoch's weights
            run.best_epoch = run.best[1]
        return "finished", last

    def _final_metrics(self, run: FitState) -> RunMetrics:
        val = bool(len(run.val_idx))
        index = run.val_idx if val else run.train_idx
        pred = predict_logits(run.net, run.inputs, index, device=run.device).argmax(1).numpy()
        true = run.labels[torch.as_tensor(index)].numpy()
        on: EvaluatedOn = "val" if val else "train"
        return compute_metrics(true, pred, classes=self.classes, ids=run.ids[index], on=on)

    def _save(self, run: FitState, epoch: int, metrics: RunMetrics | None) -> None:
        if self.strategy.is_main:  # one writer: the processes of a distributed run agree
            save_fit(run, config=self.config, classes=self.classes, epoch=epoch, metrics=metrics)
