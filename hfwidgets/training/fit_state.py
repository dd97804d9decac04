"""What one fit works on, how it is scored on a split, and what its checkpoint holds."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from hfwidgets.store.run_metrics import RunMetrics
from hfwidgets.training.checkpoint import save_checkpoint
from hfwidgets.training.config import TrainConfig
from hfwidgets.training.data import predict_logits

__all__ = ["FitState", "RenderFn", "cloned_state", "evaluate", "save_fit", "snapshot"]

#: Augmented training images ``[len(index), 3, H, W]`` for the windows at positions ``index``.
RenderFn = Callable[[np.ndarray, np.random.Generator], np.ndarray]


@dataclass
class FitState:
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
    render: RenderFn | None = None
    base_lrs: list[float] = field(default_factory=list)  # before the schedule scales them
    best_epoch: int = 0
    # The best epoch so far, (val accuracy, -val loss), its number and its weights: kept in the
    # checkpoint, so a resumed run ends with the same best epoch as an uninterrupted one.
    best: tuple[tuple[float, float], int, dict[str, torch.Tensor]] | None = None
    # Where and with what the fit is saved after every epoch, and the run its events name.
    checkpoint_path: str | Path | None = None
    checkpoint_extra: dict[str, Any] | None = None
    run_id: int | None = None


def evaluate(state: FitState, index: np.ndarray) -> tuple[float | None, float | None]:
    """Mean cross-entropy and accuracy of the windows at ``index`` (``None`` when empty)."""
    if not len(index):
        return None, None
    logits = predict_logits(state.net, state.inputs, index, device=state.device)
    target = state.labels[torch.as_tensor(index)]
    loss = float(nn.functional.cross_entropy(logits, target))
    return loss, float((logits.argmax(1) == target).float().mean())


def cloned_state(module: nn.Module) -> dict[str, torch.Tensor]:
    """A copy of ``module``'s state dict, one ``clone`` per tensor.

    ``copy.deepcopy`` of a state dict does the same copies through several Python calls per
    tensor (``bench/epoch_snapshot.py`` compares the two).
    """
    return {name: value.detach().clone() for name, value in module.state_dict().items()}


def snapshot(state: FitState) -> tuple[dict[str, Any], dict[str, Any]]:
    """Copies of the model's and the optimizer's state (taken at each epoch's end)."""
    optimizer = state.optimizer.state_dict()
    per_param = {
        index: {k: v.clone() if isinstance(v, torch.Tensor) else v for k, v in values.items()}
        for index, values in optimizer["state"].items()
    }
    groups = copy.deepcopy(optimizer["param_groups"])
    return cloned_state(state.model), {"state": per_param, "param_groups": groups}


def save_fit(
    state: FitState,
    *,
    config: TrainConfig,
    classes: list[str],
    epoch: int,
    metrics: RunMetrics | None,
) -> None:
    """Write the checkpoint of ``state`` after ``epoch`` (nothing without a checkpoint path)."""
    if state.checkpoint_path is None:
        return
    best: dict[str, Any] = {}
    if state.best is not None:
        best = {
            "best_epoch": state.best[1],
            "best_score": list(state.best[0]),
            "best_state": {k: v.detach().cpu() for k, v in state.best[2].items()},
        }
    save_checkpoint(
        state.checkpoint_path,
        {
            **(state.checkpoint_extra or {}),
            "model": config.model,
            "config": config.to_dict(),
            "classes": classes,
            "epoch": epoch,
            "history": state.history,
            "metrics": None if metrics is None else metrics.to_dict(),
            "model_state": {k: v.detach().cpu() for k, v in state.model.state_dict().items()},
            "optimizer_state": state.optimizer.state_dict(),
            **best,
        },
    )
