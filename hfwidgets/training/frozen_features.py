"""Frozen-prefix feature cache and feature-extractor mode (frozen CNN + logistic regression).

Feature-extractor mode (``TrainConfig(mode="feature-extractor")``) caches the features of every
group but the head, fits a logistic regression on them in one step, and writes it into the
head, so its runs are ordinary checkpoints (predictor, export and live inference need nothing
else).

When the frozen layer groups are a prefix of the network and no random augmentation is on, the
prefix is a fixed function of each image: run it once, keep its outputs, and each epoch only
trains the rest. With every group but the head frozen, an epoch then costs one small layer.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler
from torch import nn

from hfwidgets.models import StagedNet, channels_last
from hfwidgets.models.registry import get_spec
from hfwidgets.models.weights import build_skeleton
from hfwidgets.training.config import ConfigError, TrainConfig
from hfwidgets.training.fit_events import StopRequested

__all__ = [
    "CACHE_LIMIT_BYTES",
    "INFERENCE_BATCH",
    "FrozenPrefix",
    "cache_bytes",
    "check_feature_extractor",
    "compute_features",
    "feature_extractor_config",
    "fit_feature_extractor",
    "fit_logistic_head",
    "set_linear_head",
]

# Above this the trainer runs the frozen prefix every batch instead of caching its outputs
# (a prefix of only the stem gives ~1.6 MB per 224x224 image for MobileNetV2).
CACHE_LIMIT_BYTES = 2 * 1024**3

# Images per forward pass when nothing is trained. Measured on CPU with MobileNetV2 at 224x224:
# batches of 16 ran 1.5x faster per image than batches of 64 (activations stay in cache).
INFERENCE_BATCH = 16


class FrozenPrefix(nn.Module):
    """The first ``k`` stages of a :class:`~hfwidgets.models.StagedNet`, images in [0, 1] in."""

    def __init__(self, model: nn.Module, name: str, k: int) -> None:
        super().__init__()
        full = StagedNet(model, name)
        self.normalize = full.normalize
        self.stages = nn.ModuleList(list(full.stages)[:k])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.normalize(x)
        for stage in self.stages:
            x = stage(x)
        return x


def cache_bytes(
    prefix: nn.Module, images: torch.Tensor, *, device: torch.device | None = None
) -> int:
    """Memory the cached outputs of ``prefix`` for all ``images`` would take (one probe image)."""
    if len(images) == 0:
        return 0
    probe = compute_features(prefix, images[:1], device=device)
    return probe.numel() * probe.element_size() * len(images)


def compute_features(
    prefix: nn.Module,
    images: torch.Tensor,
    *,
    batch_size: int = INFERENCE_BATCH,
    device: torch.device | None = None,
    stop_event: threading.Event | None = None,
) -> torch.Tensor:
    """Run ``prefix`` over ``images`` once, in eval mode and without autograd, batch by batch.

    A set ``stop_event`` raises :class:`~hfwidgets.training.fit_events.StopRequested` before the
    next batch: caching 200 windows takes tens of seconds on a laptop's CPU, too long to make a
    person who pressed Stop wait.
    """
    was_training = prefix.training
    prefix.eval()
    outputs = []
    try:
        with torch.no_grad():  # not inference_mode: the outputs are inputs of trained layers
            for start in range(0, len(images), batch_size):
                if stop_event is not None and stop_event.is_set():
                    raise StopRequested("stopped while computing the frozen layers' outputs")
                batch = images[start : start + batch_size]
                outputs.append(
                    prefix(channels_last(batch.to(device) if device is not None else batch))
                )
    finally:
        prefix.train(was_training)
    return torch.cat(outputs)


def check_feature_extractor(name: str) -> None:
    """Check that backbone ``name``'s head is one linear layer on pooled features.

    Feature-extractor mode writes a logistic regression into that layer, so a head that is
    anything else (SqueezeNet classifies with a convolution over a feature map) cannot take it.

    Raises
    ------
    ConfigError
        Naming the backbone and what to use instead.
    """
    spec = get_spec(name)
    skeleton = build_skeleton(name, device="meta")
    head = skeleton.get_submodule(spec.head_path)
    group = spec.groups[-1]
    leaves = [
        module
        for path in group.modules
        for module in skeleton.get_submodule(path).modules()
        if not list(module.children())
    ]
    linear = isinstance(head, nn.Linear) and not group.pool
    if not linear or any(m is not head and not isinstance(m, nn.Dropout) for m in leaves):
        raise ConfigError(
            f"feature-extractor mode needs a head that is one linear layer; {name}'s is not. "
            f"Fine-tune {name} with every group but the head frozen (the 'feature extractor' "
            "freeze preset) instead, or pick another backbone"
        )


def fit_logistic_head(
    features: np.ndarray, labels: np.ndarray, *, num_classes: int, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """A standardised multinomial logistic regression, folded into one linear layer.

    Parameters
    ----------
    features : array ``[N, D]``
    labels : array ``[N]`` of class indices in ``0..num_classes-1``

    Returns
    -------
    weight, bias : arrays ``[num_classes, D]`` and ``[num_classes]`` (float32)
        ``softmax(features @ weight.T + bias)`` equals the regression's probabilities. A class
        absent from ``labels`` gets a bias so low that it is never predicted.
    """
    x = np.asarray(features, dtype=np.float64)
    y = np.asarray(labels, dtype=np.int64)
    scaler = StandardScaler().fit(x)
    clf = LogisticRegression(max_iter=2000, random_state=seed).fit(scaler.transform(x), y)
    coef, intercept = clf.coef_, clf.intercept_
    if len(clf.classes_) == 2:  # sigmoid(d) == softmax([-d/2, d/2])
        coef, intercept = (
            np.vstack([-coef / 2, coef / 2]),
            np.hstack([-intercept / 2, intercept / 2]),
        )
    scale = np.asarray(scaler.scale_, dtype=np.float64)
    mean = np.asarray(scaler.mean_, dtype=np.float64)
    weight = np.zeros((num_classes, x.shape[1]))
    bias = np.full(num_classes, -1e4)
    rows = clf.classes_.astype(np.int64)
    weight[rows] = coef / scale  # (x - mean) / scale @ coef.T == x @ (coef / scale).T - ...
    bias[rows] = intercept - (coef / scale) @ mean
    return weight.astype(np.float32), bias.astype(np.float32)


def fit_feature_extractor(
    images: np.ndarray | torch.Tensor,
    labels: Sequence[int] | np.ndarray,
    *,
    model: str,
    weights: str,
    classes: Sequence[str],
    train_index: np.ndarray,
    test_index: np.ndarray,
    ids: Sequence[int] | np.ndarray | None = None,
    seed: int = 0,
) -> dict[str, Any]:
    """Feature-extractor mode on arrays: a trainer run with ``mode="feature-extractor"``.

    The seed's comparison with fine-tuning: every group but the head is frozen, its pooled
    features feed a standardised multinomial logistic regression (scikit-learn), and the
    regression becomes the head.

    Returns
    -------
    dict
        The metrics of :func:`~hfwidgets.training.metrics.compute_metrics` on ``test_index``,
        plus ``"model"`` (the network with the fitted head) and ``"feature_dim"``.
    """
    from hfwidgets.training.config import TrainConfig
    from hfwidgets.training.trainer import Trainer

    config = TrainConfig(
        model=model, weights=weights, mode="feature-extractor", seed=seed, num_threads=1
    )
    result = Trainer(config, classes=classes).fit(
        images, labels, ids=ids, split=(np.asarray(train_index), np.asarray(test_index))
    )
    head = result.model.get_submodule(get_spec(model).head_path)
    assert isinstance(head, nn.Linear)  # check_feature_extractor made sure
    return {**result.metrics.to_dict(), "model": result.model, "feature_dim": int(head.in_features)}


def feature_extractor_config(config: TrainConfig) -> TrainConfig:
    """``config`` as feature-extractor mode runs it: all but the head frozen, one step, no
    augmentation (returned unchanged in fine-tune mode)."""
    if config.mode != "feature-extractor":
        return config
    check_feature_extractor(config.model)
    frozen = tuple(get_spec(config.model).group_names[:-1])
    return replace(config, frozen=frozen, epochs=1, augment=False)


def set_linear_head(model: nn.Module, name: str, *, weight: np.ndarray, bias: np.ndarray) -> None:
    """Write ``weight`` ``[C, D]`` and ``bias`` ``[C]`` into the linear head of ``model``."""
    head = model.get_submodule(get_spec(name).head_path)
    if not isinstance(head, nn.Linear):
        raise TypeError(f"the head of {name} is a {type(head).__name__}, not nn.Linear")
    with torch.no_grad():
        head.weight.copy_(torch.as_tensor(weight, dtype=head.weight.dtype))
        head.bias.copy_(torch.as_tensor(bias, dtype=head.bias.dtype))
