"""How the live pipeline cuts a stream into windows for a model: one hop grid.

`LiveClassifier` and `classify_recording` share these, so a recording classified offline gives
exactly the windows the live worker would have classified. Windows cut at the source rate are
brought to the model's rate by `hfwidgets.resampling.resample_samples` (`HopGeometry.to_model`),
the resampling import and training use.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from hfwidgets.resampling import resample_samples

__all__ = ["HopGeometry", "cut_windows"]


@dataclass(frozen=True)
class HopGeometry:
    """Sample counts of the hop grid: the same for the live worker and `classify_recording`.

    Attributes
    ----------
    window_n : int
        Samples per window at the source rate.
    hop_n : int
        Samples between two window ends at the source rate.
    source_rate, model_rate : float
        The rate windows are cut at and the predictor's rate (windows are resampled to it).
    """

    window_n: int
    hop_n: int
    source_rate: float
    model_rate: float

    @classmethod
    def of(
        cls, *, window_s: float, hop_s: float, source_rate: float, model_rate: float
    ) -> HopGeometry:
        """Round seconds to samples (at least 2 per window and 1 per hop)."""
        return cls(
            window_n=max(2, round(window_s * source_rate)),
            hop_n=max(1, round(hop_s * source_rate)),
            source_rate=float(source_rate),
            model_rate=float(model_rate),
        )

    def to_model(self, windows: NDArray[np.float32]) -> NDArray[np.float32]:
        """Windows ``[B, window_n, C]`` cut at the source rate, at the model's rate.

        Each window is resampled as an imported window file is (polyphase, on its own), so the
        model sees the samples training saw; ``windows`` itself when the rates agree.
        """
        return resample_samples(windows, from_hz=self.source_rate, to_hz=self.model_rate)


def cut_windows(
    xyz: NDArray[np.float32], *, first_index: int, ends: Sequence[int], window_n: int
) -> NDArray[np.float32]:
    """Stack the windows of ``window_n`` samples that end at the absolute indices ``ends``.

    Parameters
    ----------
    xyz : ndarray, shape (m, 3)
        Samples whose first row has absolute index ``first_index``.
    ends : sequence of int
        Absolute index of each window's last sample; every window must lie inside ``xyz``.

    Returns
    -------
    ndarray of float32, shape (len(ends), window_n, 3)
    """
    if not ends:
        return np.empty((0, window_n, xyz.shape[1]), dtype=np.float32)
    starts = np.asarray(ends, dtype=np.int64) - (window_n - 1) - first_index
    if starts.min() < 0 or starts.max() + window_n > xyz.shape[0]:
        raise ValueError("cut_windows: a requested window lies outside the given samples")
    # One fancy-index gather: rows [start, start + window_n) for every window at once.
    rows = starts[:, None] + np.arange(window_n)[None, :]
    return np.ascontiguousarray(xyz[rows], dtype=np.float32)
