"""Frozen-prefix feature cache and feature-extractor mode (frozen CNN + logistic regression).

When the frozen layer groups are a prefix of the network and no random augmentation is on, the
prefix is a fixed function of each image: run it once, keep its outputs, and each epoch only
trains the rest. With every group but the head frozen, an epoch then costs one small layer.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from torch import nn

from hfwidgets.models import StagedNet, build_model, layer_groups
from hfwidgets.training.data import as_image_tensor
from hfwidgets.training.metrics import compute_metrics

__all__ = [
    "CACHE_LIMIT_BYTES",
    "INFERENCE_BATCH",
    "FrozenPrefix",
    "cache_bytes",
    "compute_features",
    "fit_feature_extractor",
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
) -> torch.Tensor:
    """Run ``prefix`` over ``images`` once, in eval mode and without autograd, batch by batch."""
    was_training = prefix.training
    prefix.eval()
    outputs = []
    try:
        with torch.no_grad():  # not inference_mode: the outputs are inputs of trained layers
            for start in range(0, len(images), batch_size):
                batch = images[start : start + batch_size]
                outputs.append(prefix(batch.to(device) if device is not None else batch))
    finally:
        prefix.train(was_training)
    return torch.cat(outputs)


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
    batch_size: int = INFERENCE_BATCH,
) -> dict[str, Any]:
    """Feature-extractor mode: the pretrained network without its head, then logistic regression.

    The seed's comparison with fine-tuning: every group but the head is frozen and its pooled
    features feed a standardised multinomial logistic regression (scikit-learn).

    Returns
    -------
    dict
        The metrics of :func:`~hfwidgets.training.metrics.compute_metrics` on ``test_index``,
        plus ``"classifier"`` (the fitted scikit-learn pipeline) and ``"feature_dim"``.
    """
    tensor = as_image_tensor(images)
    y = np.asarray(labels, dtype=np.int64)
    net = build_model(model, num_classes=len(classes), weights=weights)
    prefix = FrozenPrefix(net, model, len(layer_groups(model)) - 1)
    feats = compute_features(prefix, tensor, batch_size=batch_size).flatten(1).numpy()
    clf = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000, random_state=seed))
    clf.fit(feats[train_index], y[train_index])
    pred = clf.predict(feats[test_index])
    window_ids = np.arange(len(y)) if ids is None else np.asarray(ids)
    metrics = compute_metrics(y[test_index], pred, classes=classes, ids=window_ids[test_index])
    return {**metrics, "classifier": clf, "feature_dim": int(feats.shape[1])}
