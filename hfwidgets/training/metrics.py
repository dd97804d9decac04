"""Classification metrics a person reads after training (scikit-learn does the counting)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

from hfwidgets.store.run_metrics import ClassFigure, EvaluatedOn, RunMetrics

__all__ = ["compute_metrics"]


def compute_metrics(
    y_true: Sequence[int] | np.ndarray,
    y_pred: Sequence[int] | np.ndarray,
    *,
    classes: Sequence[str],
    ids: Sequence[int] | np.ndarray | None = None,
    on: EvaluatedOn = "val",
) -> RunMetrics:
    """Accuracy, per-class precision/recall/F1/support, confusion matrix, misclassified ids.

    Parameters
    ----------
    y_true, y_pred : sequence of int
        Class indices into ``classes``.
    classes : sequence of str
        Class names, in index order.
    ids : sequence of int, optional
        Window id of each example; defaults to the positions.
    on : {"val", "train", "cross-validation"}
        What the windows are (the record's ``evaluated_on``).

    Returns
    -------
    RunMetrics
        ``accuracy``, ``per_class`` (precision/recall/F1/support), ``confusion`` (rows = true
        class, columns = predicted), ``classes``, ``misclassified`` (window ids),
        ``predictions`` and ``true_labels`` (window id -> class as evaluated, so a
        confusion-matrix cell opens exactly the windows it counts, even after some are
        relabelled) and ``n`` (examples).
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
    return RunMetrics(
        accuracy=float((true == pred).mean()) if len(true) else 0.0,
        n=len(true),
        classes=tuple(classes),
        per_class={
            name: ClassFigure(float(precision[i]), float(recall[i]), float(f1[i]), int(support[i]))
            for i, name in enumerate(classes)
        },
        confusion=tuple(tuple(row) for row in confusion_matrix(true, pred, labels=labels).tolist()),
        misclassified=tuple(int(i) for i in window_ids[true != pred]),
        predictions={int(i): classes[int(p)] for i, p in zip(window_ids, pred, strict=True)},
        true_labels={int(i): classes[int(t)] for i, t in zip(window_ids, true, strict=True)},
        evaluated_on=on,
    )
