"""One training epoch of a fine-tuning run: batches, the learning-rate schedule, augmentation.

:func:`train_epoch` is the inner loop of :meth:`~hfwidgets.training.trainer.Trainer.fit`: it
draws the epoch's augmented inputs (:func:`epoch_inputs`), steps the optimizer batch by batch
(checking the stop event before each), and scores the validation windows.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import numpy as np
import torch
from torch import nn

from hfwidgets._callbacks import CallbackList
from hfwidgets.models import channels_last, set_train_mode
from hfwidgets.training.config import TrainConfig
from hfwidgets.training.data import as_image_tensor, augment_batch
from hfwidgets.training.fit_events import BatchEnded, StopRequested
from hfwidgets.training.fit_state import FitState, evaluate
from hfwidgets.training.frozen_features import compute_features
from hfwidgets.training.schedule import lr_factor
from hfwidgets.training.strategy import Strategy

__all__ = ["epoch_inputs", "train_epoch"]


def epoch_inputs(
    state: FitState,
    config: TrainConfig,
    epoch: int,
    *,
    stop_event: threading.Event | None = None,
) -> torch.Tensor | None:
    """This epoch's augmented training inputs (by position in ``train_idx``), or ``None``.

    The scalograms of all training windows are drawn in one batched call; a frozen prefix
    then runs over them once, so the epoch's batches only train the layers after it. A set
    ``stop_event`` raises :class:`~hfwidgets.training.fit_events.StopRequested` between the
    prefix's batches (this pass takes as long as many training batches).
    """
    if not config.augment or state.render is None or not len(state.train_idx):
        return None
    rng = np.random.default_rng([config.seed, epoch])  # depends on seed and epoch only
    images = as_image_tensor(state.render(state.train_idx, rng))
    if state.prefix is None:
        return images
    return compute_features(state.prefix, images, device=state.device, stop_event=stop_event)


def train_epoch(
    state: FitState,
    *,
    config: TrainConfig,
    strategy: Strategy,
    events: CallbackList,
    stop_event: threading.Event,
    epoch: int,
    generator: torch.Generator,
) -> dict[str, Any] | None:
    """One pass over the training windows; its history record, or ``None`` when stopped."""
    cfg = config
    start = time.perf_counter()
    set_train_mode(state.model, cfg.model, cfg.frozen)  # frozen groups stay in eval mode
    if cfg.freeze_bn:
        for module in state.model.modules():
            if isinstance(module, nn.modules.batchnorm._BatchNorm):
                module.eval()  # running statistics fixed; weight and bias still train
    loss_fn = nn.CrossEntropyLoss(label_smoothing=cfg.label_smoothing)
    n_batches = strategy.count_batches(len(state.train_idx), batch_size=cfg.batch_size)
    total, correct, seen = 0.0, 0, 0
    if stop_event.is_set():  # before the epoch's augmented scalograms are drawn
        return None
    try:
        augmented = epoch_inputs(state, cfg, epoch, stop_event=stop_event)
    except StopRequested:
        return None  # stopped while the frozen layers ran over them: as before a batch
    warmup = round(cfg.warmup_epochs * n_batches)
    steps = cfg.epochs_for(len(state.train_idx)) * n_batches  # the whole schedule's
    order = strategy.batches(len(state.train_idx), batch_size=cfg.batch_size, generator=generator)
    for batch, rows in enumerate(order, 1):
        if stop_event.is_set():
            return None
        batch_start = time.perf_counter()
        index = torch.as_tensor(state.train_idx)[rows]
        source = state.inputs[index] if augmented is None else augmented[rows]
        xb = channels_last(source.to(state.device))
        yb = state.labels[index].to(state.device)
        if cfg.augment and state.render is None:
            xb = augment_batch(xb, generator=generator)
        if cfg.schedule == "cosine":
            step = (epoch - 1) * n_batches + batch - 1
            factor = lr_factor(step, total=steps, warmup=warmup)
            for group, base in zip(state.optimizer.param_groups, state.base_lrs, strict=True):
                group["lr"] = base * factor
        state.optimizer.zero_grad(set_to_none=True)
        logits = state.step_net(xb)
        loss = loss_fn(logits, yb)
        loss.backward()  # under DDP, this all-reduces (averages) the gradients
        state.optimizer.step()
        batch_loss = float(loss.detach())  # one device sync for the sum and the event
        total += batch_loss * len(yb)
        correct += int((logits.argmax(1) == yb).sum())
        seen += len(yb)
        seconds = time.perf_counter() - batch_start
        events.fire(BatchEnded(epoch, batch, n_batches, batch_loss, seconds))
    sums = strategy.reduce_sum(torch.tensor([total, correct, seen], dtype=torch.float64))
    total, correct, seen = float(sums[0]), int(sums[1]), int(sums[2])
    strategy.end_epoch(state.model)
    val_loss, val_acc = evaluate(state, state.val_idx)
    return {
        "epoch": epoch,
        "train_loss": total / max(seen, 1),
        "train_acc": correct / max(seen, 1),
        "val_loss": val_loss,
        "val_acc": val_acc,
        "seconds": time.perf_counter() - start,
    }
