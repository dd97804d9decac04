"""Seeded, stratified train/validation splits and cross-validation folds (scikit-learn)."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
from sklearn.model_selection import StratifiedKFold, train_test_split

__all__ = ["kfold_splits", "stratified_split"]


def stratified_split(
    labels: np.ndarray, *, val_fraction: float = 0.2, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Indices ``(train, val)`` holding out ``val_fraction`` of every class.

    With ``val_fraction=0`` everything trains and ``val`` is empty. Each class keeps at least one
    training example.

    Raises
    ------
    ValueError
        Fewer than two examples of some class, or too few examples to hold any out.
    """
    labels = np.asarray(labels)
    index = np.arange(len(labels))
    if val_fraction == 0:
        return index, index[:0]
    classes, counts = np.unique(labels, return_counts=True)
    if len(classes) < 2:
        raise ValueError(f"training needs windows of at least two classes, got {classes.tolist()}")
    if counts.min() < 2:
        rare = classes[counts < 2].tolist()
        raise ValueError(
            f"class(es) {rare} have a single labelled window; label at least two per class "
            "or set val_fraction=0"
        )
    n_val = max(len(classes), round(val_fraction * len(labels)))
    if len(labels) - n_val < len(classes):
        raise ValueError(
            f"{len(labels)} windows are too few to hold out {val_fraction:.0%} per class; "
            "label more windows or lower val_fraction"
        )
    train, val = train_test_split(index, test_size=n_val, stratify=labels, random_state=seed)
    return np.sort(train), np.sort(val)


def kfold_splits(
    labels: np.ndarray, *, folds: int = 5, seed: int = 0
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Stratified ``folds``-fold cross-validation: ``(train, test)`` indices, seeded shuffle."""
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    labels = np.asarray(labels)
    yield from splitter.split(np.zeros(len(labels)), labels)
