"""Classification metrics a person reads after training (scikit-learn does the counting)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

__all__ = ["compute_metrics"]


def compute_metrics(
    y_true: Sequence[int] | np.ndarray,
    y_pred: Sequence[int] | np.ndarray,
    *,
    classes: Sequence[str],
    ids: Sequence[int] | np.ndarray | None = None,
) -> dict[str, Any]:
    """Accuracy, per-class precision/recall/F1/support, confusion matrix, misclassified ids.

    Parameters
    ----------
    y_true, y_pred : sequence of int
        Class indices into ``classes``.
    classes : sequence of str
        Class names, in index order.
    ids : sequence of int, optional
        Window id of each example; defaults to the positions.

    Returns
    -------
    dict
        ``accuracy`` (float), ``per_class`` ({name: {precision, recall, f1, support}}),
        ``confusion`` (list of lists, rows = true class, columns = predicted), ``classes``,
        ``misclassified`` (window ids), ``predictions`` and ``true_labels`` ({window id:
        class} as evaluated, so a confusion-matrix cell opens exactly the windows it counts,
        even after some are relabelled), ``n`` (examples), all JSON-safe (ids are string keys).
    """
    true = np.asarray(y_true, dtype=np.int64)
    pred = np.asarray(y_pred, dtype=np.int64)
    if true.shape != pred.shape:
        raise ValueError(f"y_true has {true.shape} entries but y_pred has {pred.shape}")
    window_ids = np.arange(len(true)) if ids is None else np.asarray(ids, dtype=np.int64)
    labels = list(range(len(classes)))
    precision, recall, f1, support = precision_recall_fscore_support(
        true, pred, labels=labels, zero_division=0
    )
    return {
        "accuracy": float((true == pred).mean()) if len(true) else 0.0,
        "n": len(true),
        "classes": list(classes),
        "per_class": {
            name: {
                "precision": float(precision[i]),
                "recall": float(recall[i]),
                "f1": float(f1[i]),
                "support": int(support[i]),
            }
            for i, name in enumerate(classes)
        },
        "confusion": confusion_matrix(true, pred, labels=labels).tolist(),
        "misclassified": [int(i) for i in window_ids[true != pred]],
        "predictions": {
            str(int(i)): classes[int(p)] for i, p in zip(window_ids, pred, strict=True)
        },
        "true_labels": {
            str(int(i)): classes[int(t)] for i, t in zip(window_ids, true, strict=True)
        },
    }
