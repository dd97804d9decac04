"""Feature-extractor mode's one step: a logistic regression on the cached features is the head."""

from __future__ import annotations

import threading
import time
from typing import Any

from hfwidgets._callbacks import CallbackList
from hfwidgets.store.run_status import RunStatus
from hfwidgets.training.config import ConfigError, TrainConfig
from hfwidgets.training.fit_events import EpochEnded, EpochStarted, FitStarted
from hfwidgets.training.fit_state import FitState, evaluate, save_fit
from hfwidgets.training.frozen_features import fit_logistic_head, set_linear_head

__all__ = ["fit_head"]


def fit_head(
    state: FitState,
    *,
    config: TrainConfig,
    classes: list[str],
    events: CallbackList,
    stop_event: threading.Event,
    save: bool,
) -> tuple[RunStatus, int]:
    """Fit the head in one step; ``(status, last epoch)`` as the fine-tuning loop returns.

    ``save``: write the checkpoint (the main process of a distributed run only).
    """
    if not state.cached or state.inputs.ndim != 2:
        raise ConfigError(
            "feature-extractor mode needs the cached pooled features of every group but "
            "the head; do not pass cache_features=False"
        )
    if state.first_epoch > 1:  # resumed after its one step: nothing is left to fit
        return "finished", state.first_epoch - 1
    n_train, n_val = len(state.train_idx), len(state.val_idx)
    events.fire(FitStarted(n_train, n_val, 1, config.model, 1, True, state.run_id))
    if stop_event.is_set():
        return "stopped", 0
    events.fire(EpochStarted(1, 1))
    start = time.perf_counter()
    features, labels = state.inputs.cpu().numpy(), state.labels.numpy()
    weight, bias = fit_logistic_head(
        features[state.train_idx],
        labels[state.train_idx],
        num_classes=len(classes),
        seed=config.seed,
    )
    set_linear_head(state.model, config.model, weight=weight, bias=bias)
    record: dict[str, Any] = {"epoch": 1}
    for split, index in (("train", state.train_idx), ("val", state.val_idx)):
        record[f"{split}_loss"], record[f"{split}_acc"] = evaluate(state, index)
    record["seconds"] = time.perf_counter() - start
    state.history.append(record)
    if save:
        save_fit(state, config=config, classes=classes, epoch=1, metrics=None)
    events.fire(EpochEnded(**record))
    return "finished", 1
