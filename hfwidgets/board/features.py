"""What the board model sees: a fixed-length window cut to a few samples and the axes' extremes.

The features are chosen so the board computes exactly what Python computes: samples picked by
integer index arithmetic and per-axis minima and maxima involve no rounding at all, so the
generated C (``hfw_board.h``) and :func:`board_features` agree bit for bit on the same window.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["POINTS_PER_AXIS", "board_features", "fit_window", "n_features", "sample_indices"]

#: Samples kept per axis (spread evenly over the window).
POINTS_PER_AXIS = 16


def n_features(points: int = POINTS_PER_AXIS) -> int:
    """Features per window: ``points`` samples of x, y, z, then the minimum and maximum of each."""
    return 3 * points + 6


def sample_indices(n: int, points: int = POINTS_PER_AXIS) -> np.ndarray:
    """Indices of the ``points`` samples kept from an ``n``-sample window (centres of equal parts).

    ``(2 k + 1) n // (2 points)``: integer arithmetic, the same in C.
    """
    if n < 1 or points < 1:
        raise ValueError(f"a window of n={n} samples cannot give {points} points; need n >= 1")
    k = np.arange(points, dtype=np.int64)
    return ((2 * k + 1) * n) // (2 * points)


def fit_window(window: np.ndarray, n: int) -> np.ndarray:
    """The ``n``-sample window the board would hold: the centre ``n`` samples, or edge-padded.

    Trigger-cut windows put the motion in the middle; the board's ring buffer holds the last
    ``n`` samples, which a motion passes through as it slides.
    """
    array = np.asarray(window, dtype=np.float32)
    if array.ndim != 2 or array.shape[1] != 3 or len(array) == 0:
        raise ValueError(f"a window must have shape (n, 3) with n >= 1, got {array.shape}")
    if len(array) >= n:
        start = (len(array) - n) // 2
        return array[start : start + n]
    before = (n - len(array)) // 2
    return np.pad(array, ((before, n - len(array) - before), (0, 0)), mode="edge")


def board_features(
    windows: Sequence[np.ndarray] | np.ndarray, *, n: int, points: int = POINTS_PER_AXIS
) -> np.ndarray:
    """Features ``[B, 3 * points + 6]`` (float32) of windows cut to ``n`` samples each.

    Order: x at the kept samples, then y, then z, then min x, y, z, then max x, y, z.
    """
    fitted = np.stack([fit_window(w, n) for w in windows]) if len(windows) else np.zeros((0, n, 3))
    fitted = fitted.astype(np.float32)
    picked = fitted[:, sample_indices(n, points), :]  # [B, points, 3]
    parts = [picked.transpose(0, 2, 1).reshape(len(fitted), -1), fitted.min(1), fitted.max(1)]
    out: np.ndarray = np.concatenate(parts, axis=1).astype(np.float32)
    return out
