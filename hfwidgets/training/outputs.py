"""What a network sees in each stored window: its feature vector and, for a trained run, its
class probabilities.

The data map (:mod:`hfwidgets.datamap`) draws the features; label suggestions
(:mod:`hfwidgets.suggestions`) read the probabilities. Both come from one forward pass over
exactly the images training draws (:func:`~hfwidgets.training.data.scalogram_images` with the
run's resolved scalogram settings, each window at its own rate), split where the head begins:
the features are the input of the head (the pooled output of the last feature group, pooled
here when the head pools itself, as SqueezeNet's does), the probabilities its softmax.

Without a run the pretrained backbone gives the features (the same network feature-extractor
mode freezes) and there are no probabilities.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import torch
from numpy.typing import NDArray

from hfwidgets.errors import HfwError
from hfwidgets.models import StagedNet, build_model
from hfwidgets.scalogram import ScalogramSettings
from hfwidgets.training.data import project_scalogram_settings, scalogram_images
from hfwidgets.training.frozen_features import INFERENCE_BATCH

if TYPE_CHECKING:
    from hfwidgets.store import Project
    from hfwidgets.training.predictor import RunPredictor

__all__ = ["CHUNK", "Which", "WindowOutputs", "forward_split", "window_outputs"]

Which = Literal["all", "unlabelled", "labelled"]

# Scalograms are drawn this many windows at a time: 1000 windows of 224x224 would otherwise
# hold 600 MB of images at once.
CHUNK = 64


@dataclass(frozen=True)
class WindowOutputs:
    """Features (and probabilities) of stored windows, in ``ids`` order.

    Attributes
    ----------
    ids : int64 array ``[N]``
    labels : list of str or None
        The stored label of each window (None: unlabelled).
    features : float32 array ``[N, D]``
        The head's input.
    probs : float32 array ``[N, C]`` or None
        Softmax of the run's head, columns in ``classes`` order; None without a run.
    classes : list of str
        The run's classes (with a run), else the project's.
    backbone : str
    run_id : int or None
    weights : str or None
        The pretrained weights used without a run.
    """

    ids: NDArray[np.int64]
    labels: list[str | None]
    features: NDArray[np.float32]
    probs: NDArray[np.float32] | None
    classes: list[str]
    backbone: str
    run_id: int | None = None
    weights: str | None = None


def forward_split(
    net: StagedNet, images: torch.Tensor, *, batch_size: int = INFERENCE_BATCH
) -> tuple[torch.Tensor, torch.Tensor]:
    """Run ``net`` on images in [0, 1]; return (head inputs ``[B, D]``, logits ``[B, C]``).

    The head inputs are the output of every stage but the last, global-average pooled when it is
    still a feature map (a head that pools itself).
    """
    stages = list(net.stages)
    features, logits = [], []
    was_training = net.training
    net.eval()
    try:
        with torch.inference_mode():
            for start in range(0, len(images), batch_size):
                x = net.normalize(images[start : start + batch_size])
                for stage in stages[:-1]:
                    x = stage(x)
                logits.append(stages[-1](x))
                features.append(x.mean(dim=(2, 3)) if x.ndim == 4 else x.flatten(1))
    finally:
        net.train(was_training)
    if not features:
        return torch.zeros(0, 0), torch.zeros(0, 0)
    return torch.cat(features), torch.cat(logits)


def _records(project: Project, which: Which, ids: Sequence[int] | None) -> list[Any]:
    if ids is not None:
        return list(project.windows.all(ids=list(ids)))
    if which == "unlabelled":
        return list(project.windows.all(label=None))
    records = list(project.windows.all())
    if which == "labelled":
        return [r for r in records if r.label is not None]
    if which != "all":
        raise ValueError(f"which must be 'all', 'unlabelled' or 'labelled', got {which!r}")
    return records


def window_outputs(
    project: Project,
    *,
    predictor: RunPredictor | None = None,
    model: str = "mobilenet_v2",
    weights: str = "DEFAULT",
    which: Which = "all",
    ids: Sequence[int] | None = None,
    settings: ScalogramSettings | None = None,
) -> WindowOutputs:
    """Features (and, with a run, probabilities) of the stored windows of ``project``.

    Parameters
    ----------
    project
        Whose windows (deleted ones are left out).
    predictor
        A trained run (:func:`hfwidgets.training.predictor.load_predictor`, possibly of another
        project: a teammate's windows checked with your run). Its network, classes and scalogram
        settings are used. None: the pretrained ``model`` with ``weights``, no probabilities.
    model, weights
        The backbone and weights (``"DEFAULT"``, ``"none"`` or a state-dict path) without a run.
    which
        ``"all"``, ``"unlabelled"`` or ``"labelled"`` windows; ``ids`` (in that order) wins.
    settings
        Scalogram settings without a run (default: the project's, as training resolves them).

    Raises
    ------
    HfwError
        ``predictor`` has no network to split (an ONNX Runtime wrapper: pass the run's
        :class:`~hfwidgets.training.predictor.RunPredictor`).
    hfwidgets.models.WeightsError
        The weights cannot be had (offline without a file): the message names the options.
    """
    records = _records(project, which, ids)
    if predictor is not None:
        net = getattr(predictor, "net", None)
        if not isinstance(net, StagedNet):
            raise HfwError(
                f"the predictor of run {getattr(predictor, 'run_id', '?')} has no network to "
                "read features from; pass the run's RunPredictor (load_predictor(project, run))"
            )
        scalogram: ScalogramSettings = predictor.settings
        classes = list(predictor.classes)
        backbone = str(predictor.model_name)
        run_id = getattr(predictor, "run_id", None)
        used_weights = None
    else:
        classes = list(project.classes)
        # The head is never used without a run; at least two outputs is what build_model accepts.
        built = build_model(model, num_classes=max(len(classes), 2), weights=weights)
        net = StagedNet(built, model)
        scalogram = settings if settings is not None else project_scalogram_settings(project)
        backbone, run_id, used_weights = model, None, weights
    windows = [np.asarray(r.data[:, :3], dtype=np.float32) for r in records]
    rates = [float(r.rate_hz) for r in records]
    if windows and not scalogram.is_resolved:  # one band for every chunk, as for one batch
        scalogram = scalogram.resolve_over(
            durations_s=[len(w) / r for w, r in zip(windows, rates, strict=True)],
            rates_hz=rates,
        )
    feature_parts: list[torch.Tensor] = []
    logit_parts: list[torch.Tensor] = []
    for start in range(0, len(windows), CHUNK):
        images = scalogram_images(
            windows[start : start + CHUNK], rates[start : start + CHUNK], settings=scalogram
        )
        features, logits = forward_split(net, torch.as_tensor(images))
        feature_parts.append(features)
        logit_parts.append(logits)
    if feature_parts:
        features_all = torch.cat(feature_parts).numpy().astype(np.float32)
        probs_all = torch.softmax(torch.cat(logit_parts), dim=1).numpy().astype(np.float32)
    else:
        features_all = np.zeros((0, 0), dtype=np.float32)
        probs_all = np.zeros((0, len(classes)), dtype=np.float32)
    return WindowOutputs(
        ids=np.array([int(r.id) for r in records], dtype=np.int64),
        labels=[None if r.label is None else str(r.label) for r in records],
        features=features_all,
        probs=probs_all if predictor is not None else None,
        classes=classes,
        backbone=backbone,
        run_id=None if run_id is None else int(run_id),
        weights=used_weights,
    )
