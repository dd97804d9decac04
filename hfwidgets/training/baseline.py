"""A 1-D baseline beside every run: MiniRocket (aeon) on the raw windows, on the same split.

A user fine-tuning a CNN on scalograms wants to know whether transfer learning helps on their
data at all. MiniRocket (Dempster, Schmidt and Webb, 2021) is a strong, fast classifier of raw
time series with no settings to tune; trained on the same training windows and measured on the
same validation windows, its accuracy is the figure the CNN has to beat.

aeon compiles MiniRocket's kernels with numba the first time it runs on a machine (about 25 s on
two cores, cached afterwards); a fit on a few hundred windows then takes about a second.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["BASELINE_NAME", "as_series", "baseline_metrics", "minirocket_predict"]

BASELINE_NAME = "MiniRocket (aeon)"

# MiniRocket's kernels span 9 samples: shorter windows are padded with their last sample.
_MIN_LENGTH = 9


def as_series(windows: Sequence[NDArray[Any]], *, length: int | None = None) -> NDArray[np.float32]:
    """Windows ``(n, 3)`` as aeon's ``[N, 3, length]`` (resampled to one length, the median).

    Windows of a project nearly always share one length; the odd one out is linearly resampled
    so that the whole set fits one array.
    """
    if not len(windows):
        raise ValueError("no windows given")
    lengths = [len(w) for w in windows]
    target = max(_MIN_LENGTH, int(length or np.median(lengths)))
    out = np.empty((len(windows), 3, target), dtype=np.float32)
    for i, window in enumerate(windows):
        xyz = np.asarray(window, dtype=np.float64)[:, :3]
        if xyz.ndim != 2 or xyz.shape[1] != 3 or len(xyz) < 2:
            raise ValueError(f"window {i} must have shape (n >= 2, 3), got {xyz.shape}")
        if len(xyz) == target:
            out[i] = xyz.T
            continue
        where = np.linspace(0.0, len(xyz) - 1.0, target)
        for axis in range(3):
            out[i, axis] = np.interp(where, np.arange(len(xyz)), xyz[:, axis])
    return out


def minirocket_predict(
    train_windows: Sequence[NDArray[Any]],
    train_labels: Sequence[int] | NDArray[Any],
    test_windows: Sequence[NDArray[Any]],
    *,
    seed: int = 0,
) -> NDArray[np.int64]:
    """Fit MiniRocket on the training windows; return its predicted class for each test window."""
    from aeon.classification.convolution_based import MiniRocketClassifier

    length = int(np.median([len(w) for w in train_windows]))
    x_train = as_series(train_windows, length=length)
    x_test = as_series(test_windows, length=length)
    clf = MiniRocketClassifier(random_state=seed, n_jobs=1)
    clf.fit(x_train, np.asarray(train_labels, dtype=np.int64))
    return np.asarray(clf.predict(x_test), dtype=np.int64)


def baseline_metrics(
    windows: Sequence[NDArray[Any]],
    labels: Sequence[int] | NDArray[Any],
    *,
    splits: Sequence[tuple[NDArray[Any], NDArray[Any]]],
    seed: int = 0,
) -> dict[str, Any]:
    """MiniRocket's accuracy on the test side of each split (pooled over the splits).

    Parameters
    ----------
    windows : sequence of ``(n, 3)`` arrays
    labels : class index of each window
    splits : ``(train_index, test_index)`` pairs: one hold-out split, or the folds of a
        cross-validation (every window then is predicted once, by the model that did not see it)

    Returns
    -------
    dict
        ``name``, ``accuracy`` (``None`` when no split has a test side), ``n`` (windows
        predicted), ``seconds``, ``predictions`` ({position: class index}).
    """
    started = time.perf_counter()
    y = np.asarray(labels, dtype=np.int64)
    predictions: dict[int, int] = {}
    for train, test in splits:
        if not len(test):
            continue
        pred = minirocket_predict(
            [windows[i] for i in train], y[train], [windows[i] for i in test], seed=seed
        )
        predictions.update({int(i): int(p) for i, p in zip(test, pred, strict=True)})
    tested = np.array(sorted(predictions), dtype=np.int64)
    correct = sum(predictions[int(i)] == y[i] for i in tested)
    return {
        "name": BASELINE_NAME,
        "accuracy": float(correct / len(tested)) if len(tested) else None,
        "n": len(tested),
        "seconds": time.perf_counter() - started,
        "predictions": predictions,
    }
