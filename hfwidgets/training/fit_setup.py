"""Setting a fit up: checked inputs, the split, the model, the frozen-prefix cache, the optimizer.

:func:`prepare_fit` turns what :meth:`~hfwidgets.training.trainer.Trainer.fit` is given into the
:class:`~hfwidgets.training.fit_state.FitState` its epochs work on, resuming from a checkpoint
when asked.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from hfwidgets.models import StagedNet, apply_freeze, build_model
from hfwidgets.models.freezing import frozen_prefix_length, trainable_param_groups
from hfwidgets.training.batchnorm import recalibrate_batchnorm
from hfwidgets.training.checkpoint import check_resumable, load_checkpoint
from hfwidgets.training.config import TrainConfig
from hfwidgets.training.data import as_image_tensor
from hfwidgets.training.fit_events import StopRequested
from hfwidgets.training.fit_state import FitState, RenderFn
from hfwidgets.training.frozen_features import (
    CACHE_LIMIT_BYTES,
    FrozenPrefix,
    cache_bytes,
    compute_features,
)
from hfwidgets.training.split import stratified_split
from hfwidgets.training.strategy import Strategy

__all__ = ["CACHE_LIMIT_BYTES", "prepare_fit"]


def prepare_fit(
    config: TrainConfig,
    *,
    classes: Sequence[str],
    strategy: Strategy,
    cache_features: bool,
    images: np.ndarray | torch.Tensor,
    labels: Sequence[int] | np.ndarray,
    ids: Sequence[int] | np.ndarray | None,
    split: tuple[np.ndarray, np.ndarray] | None,
    checkpoint_path: str | Path | None,
    resume: bool,
    render: RenderFn | None = None,
    checkpoint_extra: dict[str, Any] | None = None,
    run_id: int | None = None,
    stop_event: threading.Event | None = None,
) -> FitState:
    """The :class:`FitState` of a fit (see :meth:`Trainer.fit` for the parameters).

    Raises
    ------
    StopRequested
        ``stop_event`` was set before the model was built or while the frozen prefix's
        outputs were being cached (the slow part of a fit's start).
    ValueError
        Images and labels of different lengths, labels outside the classes, or every group
        frozen.
    """
    cfg = config
    torch.set_num_threads(cfg.num_threads)
    torch.manual_seed(cfg.seed)  # the new head's initialisation
    device = strategy.device(cfg.device)
    x_all = as_image_tensor(images)
    y_all = torch.as_tensor(np.asarray(labels), dtype=torch.int64)
    if len(y_all) != len(x_all):
        raise ValueError(f"{len(x_all)} images but {len(y_all)} labels")
    if len(y_all) and (int(y_all.min()) < 0 or int(y_all.max()) >= len(classes)):
        raise ValueError(f"labels must be class indices 0..{len(classes) - 1}")
    window_ids = np.arange(len(y_all)) if ids is None else np.asarray(ids, dtype=np.int64)
    train_idx, val_idx = split or stratified_split(
        y_all.numpy(), val_fraction=cfg.val_fraction, seed=cfg.seed
    )
    if stop_event is not None and stop_event.is_set():
        raise StopRequested("stopped before the model was built")
    model = build_model(cfg.model, num_classes=len(classes), weights=cfg.weights)
    apply_freeze(model, cfg.model, cfg.frozen)
    if not any(p.requires_grad for p in model.parameters()):
        raise ValueError(f"all layer groups of {cfg.model} are frozen; unfreeze 'head'")
    state = load_checkpoint(checkpoint_path) if resume and checkpoint_path else None
    if state is not None:
        check_resumable(state, config=cfg.to_dict(), classes=list(classes),
                        source=str(checkpoint_path))  # fmt: skip
        model.load_state_dict(state["model_state"])
    model.to(device)
    model.to(memory_format=torch.channels_last)  # see models.channels_last
    # A frozen prefix with no augmentation is a fixed function: run it once (frozen_features.py).
    # With raw-window augmentation (a render function) the prefix reruns once per epoch.
    cacheable = cache_features and (not cfg.augment or render is not None)
    k = frozen_prefix_length(cfg.model, cfg.frozen) if cacheable else 0
    prefix = FrozenPrefix(model, cfg.model, k) if k else None
    if prefix is not None and cache_bytes(prefix, x_all, device=device) > CACHE_LIMIT_BYTES:
        prefix, k = None, 0  # early layers' outputs are large: run them every batch instead
    if prefix is not None:
        inputs = compute_features(prefix, x_all, device=device, stop_event=stop_event)
        net: nn.Module = StagedNet(model, cfg.model, start=k).to(device)
    else:
        inputs, net = x_all, StagedNet(model, cfg.model).to(device)
    groups = trainable_param_groups(model, cfg.model, lr=cfg.lr, head_lr_factor=cfg.head_lr_factor)
    optimizer = torch.optim.AdamW(groups, weight_decay=cfg.weight_decay)
    base_lrs = [float(g["lr"]) for g in optimizer.param_groups]  # a resume loads scaled ones
    history: list[dict[str, Any]] = []
    first_epoch = 1
    if state is not None:
        optimizer.load_state_dict(state["optimizer_state"])
        history = list(state.get("history") or [])
        first_epoch = int(state["epoch"]) + 1
    fit = FitState(
        model, net, strategy.wrap(net, device), inputs, y_all, np.asarray(train_idx),
        np.asarray(val_idx), window_ids, device, bool(k), optimizer, history, first_epoch,
        prefix, render, base_lrs, checkpoint_path=checkpoint_path,
        checkpoint_extra=checkpoint_extra, run_id=run_id,
    )  # fmt: skip
    if cfg.freeze_bn and state is None and len(fit.train_idx):
        recalibrate_batchnorm(fit.net, fit.inputs[torch.as_tensor(fit.train_idx)], device=device)
    if state is not None and state.get("best_state") is not None:
        score = tuple(float(v) for v in state["best_score"])
        fit.best = ((score[0], score[1]), int(state["best_epoch"]), state["best_state"])
    return fit
