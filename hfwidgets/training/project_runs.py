"""A project's training run before the trainer starts: its stored settings and its checks.

:func:`~hfwidgets.training.runner.train_project` and the distributed launcher
(:mod:`~hfwidgets.training.ddp`) both start runs here, so a run's stored settings and its
checkpoint's extras are assembled once. The checks run before the project is written to: a bad
weights file, a frozen-everything config or a resume that cannot work leaves no failed run
behind and never touches a finished one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hfwidgets.models import layer_groups, validate_frozen
from hfwidgets.models.weights import check_weights
from hfwidgets.training.checkpoint import check_resumable, load_checkpoint
from hfwidgets.training.config import ConfigError, TrainConfig
from hfwidgets.training.frozen_features import check_feature_extractor

if TYPE_CHECKING:
    from hfwidgets.scalogram import ScalogramSettings
    from hfwidgets.store import Project

__all__ = ["check_config", "check_resume", "run_records"]


def check_config(config: TrainConfig) -> None:
    """Check what :class:`TrainConfig` cannot check alone: groups, weights, mode.

    Raises
    ------
    ConfigError
        Unknown groups or every group frozen, or a feature-extractor run of a backbone whose
        head is not one linear layer.
    hfwidgets.models.WeightsError
        The weights file is missing, unreadable or not a state dict of ``config.model``.
    """
    try:
        frozen = validate_frozen(config.model, config.frozen)
    except ValueError as exc:
        raise ConfigError(str(exc)) from exc
    if config.mode == "fine-tune" and len(frozen) == len(layer_groups(config.model)):
        raise ConfigError(f"all layer groups of {config.model} are frozen; unfreeze 'head'")
    if config.mode == "feature-extractor":
        check_feature_extractor(config.model)
    check_weights(config.model, config.weights)


def run_records(
    config: TrainConfig,
    *,
    scalogram: ScalogramSettings,
    classes: list[str],
    rate_hz: float,
    window_s: float,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A run's stored settings and the extras every checkpoint of it carries.

    Returns
    -------
    settings : dict
        ``config``, ``classes``, ``scalogram``, ``rate_hz`` and ``window_s``.
    checkpoint_extra : dict
        What a predictor needs besides the weights: ``scalogram``, ``rate_hz``, ``window_s``.
    """
    extra = {"scalogram": scalogram.to_dict(), "rate_hz": float(rate_hz), "window_s": window_s}
    return {"config": config.to_dict(), "classes": list(classes), **extra}, extra


def check_resume(project: Project, run_id: int, config: TrainConfig, classes: list[str]) -> None:
    """Check that run ``run_id`` of ``project`` can continue with ``config`` and ``classes``.

    Raises
    ------
    ValueError
        No such run.
    hfwidgets.training.checkpoint.CheckpointError
        No checkpoint, or one of another model, frozen groups, mode or classes (named).
    """
    project.runs.get(run_id)  # an unknown run is a ValueError naming the project
    path = project.runs.checkpoint_path(run_id)
    state = load_checkpoint(path)
    check_resumable(
        state, config=config.to_dict(), classes=classes, source=f"run {run_id} ({path})"
    )
