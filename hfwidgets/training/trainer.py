"""The fine-tuning loop over scalogram tensors: no project, no threads, no widgets.

:class:`Trainer` takes images ``[N, 3, H, W]`` in [0, 1], integer labels and window ids, and
publishes :mod:`~hfwidgets.training.events` as it goes. It checks its stop event before every
batch, saves a checkpoint after every epoch, and resumes from one.
"""

from __future__ import annotations

import copy
import math
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from hfwidgets._callbacks import CallbackList
from hfwidgets.models import StagedNet, apply_freeze, build_model, set_train_mode
from hfwidgets.models.freezing import frozen_prefix_length, trainable_param_groups
from hfwidgets.training.checkpoint import check_resumable, load_checkpoint, save_checkpoint
from hfwidgets.training.config import ConfigError, TrainConfig
from hfwidgets.training.data import as_image_tensor, augment_batch, predict_logits
from hfwidgets.training.events import (
    BatchEnded,
    EpochEnded,
    EpochStarted,
    EventCallback,
    FitEnded,
    FitStarted,
)
from hfwidgets.training.features import (
    CACHE_LIMIT_BYTES,
    FrozenPrefix,
    cache_bytes,
    compute_features,
    feature_extractor_config,
    fit_logistic_head,
    set_linear_head,
)
from hfwidgets.training.metrics import compute_metrics
from hfwidgets.training.split import stratified_split
from hfwidgets.training.strategy import Strategy

__all__ = ["FitResult", "Trainer"]


@dataclass
class FitResult:
    """What :meth:`Trainer.fit` returns.

    ``metrics`` are measured on the validation windows (on the training windows when there is no
    validation set; ``metrics["evaluated_on"]`` says which). ``last_epoch`` is the last completed
    epoch (1-based), the one a checkpoint resumes after.
    """

    status: str
    model: nn.Module
    metrics: dict[str, Any]
    history: list[dict[str, Any]] = field(default_factory=list)
    last_epoch: int = 0
    seconds: float = 0.0
    cached_features: bool = False
    train_index: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    val_index: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))


@dataclass
class _Run:
    """Everything one fit works on (so helpers take one argument, not ten)."""

    model: nn.Module
    net: nn.Module  # the part trained each epoch (after the cached prefix, if any)
    step_net: nn.Module  # what the optimizer steps through (``net``, or its DDP wrapper)
    inputs: torch.Tensor  # images, or the cached prefix outputs
    labels: torch.Tensor
    train_idx: np.ndarray
    val_idx: np.ndarray
    ids: np.ndarray
    device: torch.device
    cached: bool
    optimizer: torch.optim.Optimizer
    history: list[dict[str, Any]]
    first_epoch: int
    prefix: nn.Module | None = None  # the frozen prefix (rerun each epoch on augmented images)
    render: Callable[[np.ndarray, np.random.Generator], np.ndarray] | None = None
    base_lrs: list[float] = field(default_factory=list)  # before the schedule scales them
    best_epoch: int = 0
    # The best epoch so far, (val accuracy, -val loss), its number and its weights: kept in the
    # checkpoint, so a resumed run ends with the same best epoch as an uninterrupted one.
    best: tuple[tuple[float, float], int, dict[str, torch.Tensor]] | None = None


# Augmented training images ``[len(index), 3, H, W]`` for the windows at positions ``index``.
RenderFn = Callable[[np.ndarray, np.random.Generator], np.ndarray]


def recalibrate_batchnorm(
    net: nn.Module, inputs: torch.Tensor, *, device: torch.device, batch_size: int = 16
) -> None:
    """Re-estimate the running statistics of the trainable BatchNorm layers on ``inputs``.

    Training normalises each batch by its own statistics, while evaluation and live inference
    use running averages that, with a few batches per epoch, still hold much of ImageNet's
    statistics when training ends (on punch/flex, 2 batches per epoch: validation stuck at
    chance after 3 epochs). One pass over the training inputs (``momentum=None``: the exact
    average) gives the final weights statistics that match them (``recalibrate_bn``), or sets
    them before training when ``freeze_bn`` keeps them fixed. Frozen groups keep theirs.
    """
    layers = [
        m
        for m in net.modules()
        if isinstance(m, nn.modules.batchnorm._BatchNorm)
        and any(p.requires_grad for p in m.parameters(recurse=False))
    ]
    if not layers or not len(inputs):
        return
    was_training = net.training
    net.eval()
    saved = [m.momentum for m in layers]
    for m in layers:
        m.reset_running_stats()
        m.momentum = None  # cumulative average over every batch of the pass
        m.train()
    with torch.no_grad():
        for start in range(0, len(inputs), batch_size):
            net(inputs[start : start + batch_size].to(device))
    for m, momentum in zip(layers, saved, strict=True):
        m.momentum = momentum
    net.train(was_training)


def lr_factor(step: int, *, total: int, warmup: int) -> float:
    """Learning-rate multiplier at optimizer ``step`` (0-based) of ``total`` steps.

    A linear warm-up over the first ``warmup`` steps, then a half cosine from 1 down to 0 at
    ``total`` (warm-up keeps the first steps from wrecking the pretrained weights; the decay lets
    the last epochs settle instead of bouncing around at the full rate).
    """
    if step < warmup:
        return (step + 1) / (warmup + 1)
    span = max(1, total - warmup)
    return 0.5 * (1.0 + math.cos(math.pi * min(1.0, (step - warmup) / span)))


class Trainer:
    """Fine-tunes one backbone on scalogram images.

    Parameters
    ----------
    config : TrainConfig
    classes : sequence of str
        Class names; labels index into it.
    callbacks : iterable of TrainingCallback or callable
        :class:`~hfwidgets.training.events.TrainingCallback` objects get each event in its
        named hook; a plain function gets every event. Exceptions are logged and never stop
        training or the other callbacks.
    stop_event : threading.Event, optional
        Set it (or call :meth:`stop`) to stop before the next batch.
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
                run = self._prepare(
                    images,
                    labels,
                    ids=ids,
                    split=split,
                    checkpoint_path=checkpoint_path,
                    resume=resume,
                    render=render,
                )
                fit_epochs = (
                    self._fit_head if self.config.mode == "feature-extractor" else self._loop
                )
                status, last = fit_epochs(run, checkpoint_path, checkpoint_extra, run_id)
                if status == "completed" and self.config.recalibrate_bn and len(run.train_idx):
                    # The kept weights get BatchNorm statistics that match them exactly.
                    train_inputs = run.inputs[torch.as_tensor(run.train_idx)]
                    recalibrate_batchnorm(run.net, train_inputs, device=run.device)
                metrics = self._final_metrics(run)
                metrics["epochs"] = last
                metrics["best_epoch"] = run.best_epoch or last
                metrics["history"] = run.history
                if checkpoint_path is not None and last >= run.first_epoch:
                    self._save(checkpoint_path, run, last, checkpoint_extra, metrics)
        except Exception as exc:
            self.events.fire(FitEnded("failed", {}, f"{type(exc).__name__}: {exc}", run_id))
            raise
        finally:
            torch.set_num_threads(threads)
        self.events.fire(FitEnded(status, metrics, None, run_id))
        return FitResult(
            status=status,
            model=run.model.cpu().eval(),
            metrics=metrics,
            history=run.history,
            last_epoch=last,
            seconds=time.perf_counter() - started,
            cached_features=run.cached,
            train_index=run.train_idx,
            val_index=run.val_idx,
        )

    def _prepare(
        self,
        images: np.ndarray | torch.Tensor,
        labels: Sequence[int] | np.ndarray,
        *,
        ids: Sequence[int] | np.ndarray | None,
        split: tuple[np.ndarray, np.ndarray] | None,
        checkpoint_path: str | Path | None,
        resume: bool,
        render: RenderFn | None = None,
    ) -> _Run:
        cfg = self.config
        torch.set_num_threads(cfg.num_threads)
        torch.manual_seed(cfg.seed)  # the new head's initialisation
        device = self.strategy.device(cfg.device)
        x_all = as_image_tensor(images)
        y_all = torch.as_tensor(np.asarray(labels), dtype=torch.int64)
        if len(y_all) != len(x_all):
            raise ValueError(f"{len(x_all)} images but {len(y_all)} labels")
        if len(y_all) and (int(y_all.min()) < 0 or int(y_all.max()) >= len(self.classes)):
            raise ValueError(f"labels must be class indices 0..{len(self.classes) - 1}")
        window_ids = np.arange(len(y_all)) if ids is None else np.asarray(ids, dtype=np.int64)
        train_idx, val_idx = split or stratified_split(
            y_all.numpy(), val_fraction=cfg.val_fraction, seed=cfg.seed
        )
        model = build_model(cfg.model, num_classes=len(self.classes), weights=cfg.weights)
        apply_freeze(model, cfg.model, cfg.frozen)
        if not any(p.requires_grad for p in model.parameters()):
            raise ValueError(f"all layer groups of {cfg.model} are frozen; unfreeze 'head'")
        state = load_checkpoint(checkpoint_path) if resume and checkpoint_path else None
        if state is not None:
            check_resumable(state, config=cfg.to_dict(), classes=self.classes,
                            source=str(checkpoint_path))  # fmt: skip
            model.load_state_dict(state["model_state"])
        model.to(device)
        # A frozen prefix with no augmentation is a fixed function: run it once (features.py).
        # With raw-window augmentation (a render function) the prefix reruns once per epoch.
        cacheable = self.cache_features and (not cfg.augment or render is not None)
        k = frozen_prefix_length(cfg.model, cfg.frozen) if cacheable else 0
        prefix = FrozenPrefix(model, cfg.model, k) if k else None
        if prefix is not None and cache_bytes(prefix, x_all, device=device) > CACHE_LIMIT_BYTES:
            prefix, k = None, 0  # early layers' outputs are large: run them every batch instead
        if prefix is not None:
            inputs = compute_features(prefix, x_all, device=device)
            net: nn.Module = StagedNet(model, cfg.model, start=k).to(device)
        else:
            inputs, net = x_all, StagedNet(model, cfg.model).to(device)
        groups = trainable_param_groups(
            model, cfg.model, lr=cfg.lr, head_lr_factor=cfg.head_lr_factor
        )
        optimizer = torch.optim.AdamW(groups, weight_decay=cfg.weight_decay)
        base_lrs = [float(g["lr"]) for g in optimizer.param_groups]  # a resume loads scaled ones
        history: list[dict[str, Any]] = []
        first_epoch = 1
        if state is not None:
            optimizer.load_state_dict(state["optimizer_state"])
            history = list(state.get("history") or [])
            first_epoch = int(state["epoch"]) + 1
        run = _Run(
            model, net, self.strategy.wrap(net, device), inputs, y_all, np.asarray(train_idx),
            np.asarray(val_idx), window_ids, device, bool(k), optimizer, history, first_epoch,
            prefix, render, base_lrs,
        )  # fmt: skip
        if cfg.freeze_bn and state is None and len(run.train_idx):
            recalibrate_batchnorm(
                run.net, run.inputs[torch.as_tensor(run.train_idx)], device=device
            )
        if state is not None and state.get("best_state") is not None:
            score = tuple(float(v) for v in state["best_score"])
            run.best = ((score[0], score[1]), int(state["best_epoch"]), state["best_state"])
        return run

    def _loop(
        self,
        run: _Run,
        checkpoint_path: str | Path | None,
        extra: dict[str, Any] | None,
        run_id: int | None,
    ) -> tuple[str, int]:
        cfg = self.config
        n_train, n_val = len(run.train_idx), len(run.val_idx)
        event = FitStarted(
            n_train, n_val, cfg.epochs, cfg.model, run.first_epoch, run.cached, run_id
        )
        self.events.fire(event)
        last = run.first_epoch - 1
        whole = _snapshot(run)
        for epoch in range(run.first_epoch, cfg.epochs + 1):
            self.events.fire(EpochStarted(epoch, cfg.epochs))
            # An epoch's randomness (batch order, dropout, augmentation) depends only on the seed
            # and the epoch, so a resumed run trains exactly as an uninterrupted one.
            torch.manual_seed(cfg.seed * 1000 + epoch)
            generator = torch.Generator().manual_seed(cfg.seed * 1000 + epoch)
            record = self._train_epoch(run, epoch, generator)
            if record is None:
                # A stopped run ends with its last whole epoch: weights, optimizer state and
                # epoch number then agree, so a resume replays the interrupted epoch exactly.
                run.model.load_state_dict(whole[0])
                run.optimizer.load_state_dict(whole[1])
                return "stopped", last
            run.history.append(record)
            last = epoch
            whole = _snapshot(run)
            val_loss, val_acc = record["val_loss"], record["val_acc"]
            if (cfg.keep_best or cfg.patience is not None) and val_loss is not None:
                score = (float(val_acc), -float(val_loss))
                if run.best is None or score > run.best[0]:
                    run.best = (score, epoch, copy.deepcopy(run.model.state_dict()))
            if checkpoint_path is not None:
                self._save(checkpoint_path, run, epoch, extra, None)
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
        return "completed", last

    def _train_epoch(
        self, run: _Run, epoch: int, generator: torch.Generator
    ) -> dict[str, Any] | None:
        """One pass over the training windows; ``None`` when stopped part-way."""
        cfg = self.config
        start = time.perf_counter()
        set_train_mode(run.model, cfg.model, cfg.frozen)  # frozen groups stay in eval mode
        if cfg.freeze_bn:
            for module in run.model.modules():
                if isinstance(module, nn.modules.batchnorm._BatchNorm):
                    module.eval()  # running statistics fixed; weight and bias still train
        loss_fn = nn.CrossEntropyLoss()
        strategy = self.strategy
        n_batches = strategy.count_batches(len(run.train_idx), batch_size=cfg.batch_size)
        total, correct, seen = 0.0, 0, 0
        epoch_inputs = self._epoch_inputs(run, epoch)
        warmup = round(cfg.warmup_epochs * n_batches)
        order = strategy.batches(len(run.train_idx), batch_size=cfg.batch_size, generator=generator)
        for batch, rows in enumerate(order, 1):
            if self.stop_event.is_set():
                return None
            batch_start = time.perf_counter()
            index = torch.as_tensor(run.train_idx)[rows]
            if epoch_inputs is not None:
                xb = epoch_inputs[rows].to(run.device)
            else:
                xb = run.inputs[index].to(run.device)
            yb = run.labels[index].to(run.device)
            if cfg.augment and run.render is None:
                xb = augment_batch(xb, generator=generator)
            if cfg.schedule == "cosine":
                step = (epoch - 1) * n_batches + batch - 1
                factor = lr_factor(step, total=cfg.epochs * n_batches, warmup=warmup)
                for group, base in zip(run.optimizer.param_groups, run.base_lrs, strict=True):
                    group["lr"] = base * factor
            run.optimizer.zero_grad(set_to_none=True)
            logits = run.step_net(xb)
            loss = loss_fn(logits, yb)
            loss.backward()  # under DDP, this all-reduces (averages) the gradients
            run.optimizer.step()
            batch_loss = float(loss.detach())  # one device sync for the sum and the event
            total += batch_loss * len(yb)
            correct += int((logits.argmax(1) == yb).sum())
            seen += len(yb)
            seconds = time.perf_counter() - batch_start
            self.events.fire(BatchEnded(epoch, batch, n_batches, batch_loss, seconds))
        sums = strategy.reduce_sum(torch.tensor([total, correct, seen], dtype=torch.float64))
        total, correct, seen = float(sums[0]), int(sums[1]), int(sums[2])
        strategy.end_epoch(run.model)
        val_loss = val_acc = None
        if len(run.val_idx):
            logits = predict_logits(run.net, run.inputs, run.val_idx, device=run.device)
            target = run.labels[torch.as_tensor(run.val_idx)]
            val_loss = float(loss_fn(logits, target))
            val_acc = float((logits.argmax(1) == target).float().mean())
        return {
            "epoch": epoch,
            "train_loss": total / max(seen, 1),
            "train_acc": correct / max(seen, 1),
            "val_loss": val_loss,
            "val_acc": val_acc,
            "seconds": time.perf_counter() - start,
        }

    def _epoch_inputs(self, run: _Run, epoch: int) -> torch.Tensor | None:
        """This epoch's augmented training inputs (by position in ``train_idx``), or ``None``.

        The scalograms of all training windows are drawn in one batched call; a frozen prefix
        then runs over them once, so the epoch's batches only train the layers after it.
        """
        if not self.config.augment or run.render is None or not len(run.train_idx):
            return None
        rng = np.random.default_rng([self.config.seed, epoch])  # depends on seed and epoch only
        images = as_image_tensor(run.render(run.train_idx, rng))
        if run.prefix is None:
            return images
        return compute_features(run.prefix, images, device=run.device)

    def _fit_head(
        self,
        run: _Run,
        checkpoint_path: str | Path | None,
        extra: dict[str, Any] | None,
        run_id: int | None,
    ) -> tuple[str, int]:
        """Feature-extractor mode: a logistic regression on the cached features is the head."""
        if not run.cached or run.inputs.ndim != 2:
            raise ConfigError(
                "feature-extractor mode needs the cached pooled features of every group but "
                "the head; do not pass cache_features=False"
            )
        if run.first_epoch > 1:  # resumed after its one step: nothing is left to fit
            return "completed", run.first_epoch - 1
        n_train, n_val = len(run.train_idx), len(run.val_idx)
        self.events.fire(FitStarted(n_train, n_val, 1, self.config.model, 1, True, run_id))
        if self.stop_event.is_set():
            return "stopped", 0
        self.events.fire(EpochStarted(1, 1))
        start = time.perf_counter()
        features, labels = run.inputs.cpu().numpy(), run.labels.numpy()
        weight, bias = fit_logistic_head(
            features[run.train_idx],
            labels[run.train_idx],
            num_classes=len(self.classes),
            seed=self.config.seed,
        )
        set_linear_head(run.model, self.config.model, weight=weight, bias=bias)
        record: dict[str, Any] = {"epoch": 1}
        for split, index in (("train", run.train_idx), ("val", run.val_idx)):
            loss = acc = None
            if len(index):
                logits = predict_logits(run.net, run.inputs, index, device=run.device)
                target = run.labels[torch.as_tensor(index)]
                loss = float(nn.functional.cross_entropy(logits, target))
                acc = float((logits.argmax(1) == target).float().mean())
            record[f"{split}_loss"], record[f"{split}_acc"] = loss, acc
        record["seconds"] = time.perf_counter() - start
        run.history.append(record)
        if checkpoint_path is not None:
            self._save(checkpoint_path, run, 1, extra, None)
        self.events.fire(EpochEnded(**record))
        return "completed", 1

    def _final_metrics(self, run: _Run) -> dict[str, Any]:
        index, on = (run.val_idx, "val") if len(run.val_idx) else (run.train_idx, "train")
        pred = predict_logits(run.net, run.inputs, index, device=run.device).argmax(1).numpy()
        true = run.labels[torch.as_tensor(index)].numpy()
        metrics = compute_metrics(true, pred, classes=self.classes, ids=run.ids[index])
        metrics["evaluated_on"] = on
        return metrics

    def _save(
        self,
        path: str | Path,
        run: _Run,
        epoch: int,
        extra: dict[str, Any] | None,
        metrics: dict[str, Any] | None,
    ) -> None:
        if not self.strategy.is_main:
            return  # one writer: the processes of a distributed run hold the same weights
        best: dict[str, Any] = {}
        if run.best is not None:
            best = {
                "best_epoch": run.best[1],
                "best_score": list(run.best[0]),
                "best_state": {k: v.detach().cpu() for k, v in run.best[2].items()},
            }
        save_checkpoint(
            path,
            {
                **(extra or {}),
                "model": self.config.model,
                "config": self.config.to_dict(),
                "classes": self.classes,
                "epoch": epoch,
                "history": run.history,
                "metrics": metrics,
                "model_state": {k: v.detach().cpu() for k, v in run.model.state_dict().items()},
                "optimizer_state": run.optimizer.state_dict(),
                **best,
            },
        )


def _snapshot(run: _Run) -> tuple[dict[str, Any], dict[str, Any]]:
    """Copies of the model's and the optimizer's state (taken at each epoch's end)."""
    return copy.deepcopy(run.model.state_dict()), copy.deepcopy(run.optimizer.state_dict())
