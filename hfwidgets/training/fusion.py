"""Fusing the CNN with the MiniRocket baseline, and choosing the run's model on validation.

The fusion averages the two models' class probabilities, ``w * cnn + (1 - w) * baseline``. The
weight ``w`` is chosen on the run's validation windows only (the held-out windows, or the
out-of-fold predictions of a cross-validation); the fusion's own figure is measured so that no
window scores a weight chosen with its help: each validation window is predicted with the
weight chosen on the other validation windows (leave-one-out over the windows, cheap: the
probabilities are computed once). The run then counts with whichever of the CNN, the baseline
and the fusion is best on validation (ties go to the CNN, the product's centre, then the fusion).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray
from torch import nn

from hfwidgets.models import StagedNet
from hfwidgets.store.run_metrics import ModelFigure, ModelName
from hfwidgets.training.data import as_image_tensor, predict_logits

__all__ = [
    "WEIGHTS",
    "choose_model",
    "cnn_probabilities",
    "fuse",
    "fusion_figure",
    "fusion_weight",
]

#: CNN weights tried (0: the baseline alone, 1: the CNN alone).
WEIGHTS = np.round(np.linspace(0.0, 1.0, 11), 2)
_EPS = 1e-9


def fuse(cnn: NDArray[np.floating], baseline: NDArray[np.floating], weight: float) -> NDArray[Any]:
    """Averaged class probabilities ``weight * cnn + (1 - weight) * baseline``."""
    return weight * np.asarray(cnn, dtype=np.float64) + (1.0 - weight) * np.asarray(
        baseline, dtype=np.float64
    )


def _scores(
    cnn: NDArray[Any], baseline: NDArray[Any], labels: NDArray[Any]
) -> tuple[NDArray[Any], NDArray[Any]]:
    """Per weight and window: correct (0/1) and log-probability of the true class."""
    mixed = np.stack([fuse(cnn, baseline, w) for w in WEIGHTS])  # [W, N, K]
    rows = np.arange(len(labels))
    correct = (mixed.argmax(axis=2) == labels[None, :]).astype(np.float64)
    loglik = np.log(mixed[:, rows, labels] + _EPS)
    return correct, loglik


def _best(correct_sum: NDArray[Any], loglik_sum: NDArray[Any]) -> NDArray[np.int64]:
    # Most windows right; among equals the better likelihood; among equals the weight nearest
    # 0.5 (neither model alone), so the choice does not hang on rounding.
    key = correct_sum + 1e-6 * np.tanh(loglik_sum / 1e3) - 1e-9 * np.abs(WEIGHTS - 0.5)[:, None]
    return np.asarray(key.argmax(axis=0), dtype=np.int64)


def fusion_weight(cnn: NDArray[Any], baseline: NDArray[Any], labels: NDArray[Any]) -> float:
    """The CNN weight that predicts the given (validation) windows best."""
    correct, loglik = _scores(cnn, baseline, np.asarray(labels, dtype=np.int64))
    return float(WEIGHTS[_best(correct.sum(1)[:, None], loglik.sum(1)[:, None])[0]])


def fusion_figure(cnn: NDArray[Any], baseline: NDArray[Any], labels: NDArray[Any]) -> ModelFigure:
    """The fusion's weight (chosen on all windows given) and its leave-one-out accuracy."""
    y = np.asarray(labels, dtype=np.int64)
    if not len(y):
        return ModelFigure(None, 0, 0.5)
    correct, loglik = _scores(cnn, baseline, y)
    weight = fusion_weight(cnn, baseline, y)
    # For window i: the weight chosen on the others, then whether it gets window i right.
    others = _best(correct.sum(1, keepdims=True) - correct, loglik.sum(1, keepdims=True) - loglik)
    right = correct[others, np.arange(len(y))]
    return ModelFigure(float(right.mean()), len(y), weight)


def choose_model(models: Mapping[ModelName, ModelFigure]) -> ModelName:
    """The model best on validation (ties: the CNN, then the fusion, then the baseline)."""
    order: tuple[ModelName, ...] = ("cnn", "fusion", "baseline")
    scored = [(models[m].accuracy, -order.index(m), m) for m in order if m in models]
    scored = [s for s in scored if s[0] is not None]
    return max(scored)[2] if scored else "cnn"


def cnn_probabilities(
    model: nn.Module, name: str, images: NDArray[Any], index: NDArray[Any]
) -> NDArray[np.float64]:
    """Class probabilities ``[len(index), K]`` of ``images[index]`` (in [0, 1]) on the CPU.

    ``model`` is a fit's torchvision model (:attr:`FitResult.model`) of backbone ``name``; it
    runs as :class:`~hfwidgets.models.StagedNet`, ImageNet scaling first, as it trained.
    """
    net = StagedNet(model, name)
    logits = predict_logits(net, as_image_tensor(images), np.asarray(index),
                            device=torch.device("cpu"))  # fmt: skip
    return np.asarray(torch.softmax(logits, dim=1).double().numpy(), dtype=np.float64)
