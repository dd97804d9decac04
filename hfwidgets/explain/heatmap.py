"""Explanation: a heat map on a scalogram's grid, with the frequency and time of each row/column.

A scalogram image of ``settings.size = (H, W)`` pixels is the wavelet transform's
``n_scales x n`` grid (geometric frequencies from ``f_max_hz`` at the top to ``f_min_hz`` at
the bottom, one column per sample) resized with Pillow's bilinear filter. Pillow maps output
pixel ``j`` to input position ``(j + 0.5) * n_in / n_out - 0.5``, so each pixel row has a
frequency and each pixel column a time; :func:`image_grid` computes both, and a heat map over
the image inherits them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from hfwidgets.scalogram import ScalogramSettings

__all__ = ["METHODS", "Explanation", "image_grid", "normalised", "peak_of"]

#: Ways to explain a verdict: Grad-CAM on the last convolutional group, occlusion of patches.
METHODS = ("gradcam", "occlusion")


def _source_positions(n_in: int, n_out: int) -> np.ndarray:
    """Input position (fractional index) of each of ``n_out`` resized samples (Pillow's)."""
    positions = (np.arange(n_out) + 0.5) * (n_in / n_out) - 0.5
    return np.clip(positions, 0.0, n_in - 1.0)


def image_grid(
    settings: ScalogramSettings, *, n_samples: int, rate_hz: float
) -> tuple[np.ndarray, np.ndarray]:
    """Frequency of each pixel row and time of each pixel column of a scalogram image.

    Parameters
    ----------
    settings : ScalogramSettings
        Resolved settings (both band edges set), as a run stores them.
    n_samples : int
        Samples of the window drawn.
    rate_hz : float
        Its sample rate.

    Returns
    -------
    frequencies_hz : numpy.ndarray
        ``[H]``, top row first (the highest frequency), geometric like the transform's rows.
    times_s : numpy.ndarray
        ``[W]`` seconds from the window's first sample.
    """
    height, width = settings.size
    f_max, f_min = float(settings.frequencies()[0]), float(settings.frequencies()[-1])
    rows = _source_positions(settings.n_scales, height) / max(settings.n_scales - 1, 1)
    frequencies = f_max * (f_min / f_max) ** rows
    times = _source_positions(n_samples, width) / float(rate_hz)
    return frequencies.astype(np.float64), times.astype(np.float64)


def normalised(heat: np.ndarray) -> np.ndarray:
    """``heat`` clipped at 0 and divided by its maximum (all zeros stays all zeros)."""
    array = np.clip(np.asarray(heat, dtype=np.float32), 0.0, None)
    top = float(array.max()) if array.size else 0.0
    return array / top if top > 0 else np.zeros_like(array)


def peak_of(
    heat: np.ndarray,
    frequencies_hz: np.ndarray,
    times_s: np.ndarray,
    *,
    reach: tuple[int, int] = (0, 0),
) -> tuple[float | None, float | None]:
    """Frequency and time of the heat map's peak.

    The hottest pixel, refined to the heat-weighted centre of the pixels within ``reach``
    ``(rows, columns)`` of it: a map brought up from a coarse grid (Grad-CAM's 7 x 7 cells at
    224 pixels) is flat-topped or peaks on a cell's centre, and the centre of the hot spot lies
    nearer the evidence than the cell does.

    Returns
    -------
    peak_hz, peak_s : float or None
        ``(None, None)`` for a map without heat or a flat one (the same everywhere points
        nowhere).
    """
    if heat.size == 0 or float(heat.max()) <= 0 or float(np.ptp(heat)) <= 1e-6:
        return None, None
    row, col = np.unravel_index(int(np.argmax(heat)), heat.shape)
    r0, r1 = max(0, row - reach[0]), min(heat.shape[0], row + reach[0] + 1)
    c0, c1 = max(0, col - reach[1]), min(heat.shape[1], col + reach[1] + 1)
    patch = np.asarray(heat[r0:r1, c0:c1], dtype=np.float64) ** 2  # the top counts most
    rows = float((patch.sum(axis=1) * np.arange(r0, r1)).sum() / patch.sum())
    cols = float((patch.sum(axis=0) * np.arange(c0, c1)).sum() / patch.sum())
    # Rows are geometric in frequency: interpolate the logarithm.
    log_f = np.interp(rows, np.arange(len(frequencies_hz)), np.log(frequencies_hz))
    return float(np.exp(log_f)), float(np.interp(cols, np.arange(len(times_s)), times_s))


@dataclass(frozen=True)
class Explanation:
    """Where in a window's scalogram the model found the evidence for one class.

    Attributes
    ----------
    method : {"gradcam", "occlusion"}
    target : str
        The class explained (the verdict unless another was asked for).
    predicted : str
        The model's verdict on the window.
    probabilities : dict of str to float
        The model's class probabilities, in the run's class order.
    heatmap : numpy.ndarray
        float32 ``[H, W]`` in [0, 1] on the scalogram's pixel grid (1 = the strongest
        evidence for ``target``; all zeros when the model found none).
    frequencies_hz, times_s : numpy.ndarray
        Frequency of each row (top first) and time of each column (:func:`image_grid`).
    peak_hz, peak_s : float or None
        Frequency and time of the hottest pixel (None when there is no heat).
    image : numpy.ndarray
        float32 ``[3, H, W]``: the scalogram the model saw (the one training drew).
    layer : str or None
        The layer group Grad-CAM read (``None`` for occlusion).
    cells : tuple of int
        ``(rows, columns)`` of the map before it was brought to the pixel grid: Grad-CAM's
        feature map, or occlusion's patch positions. Its resolution.
    seconds : float
        Time taken to compute the map.
    run_id, window_id : int or None
        Which run explained which stored window, when known.
    window_s : float
        Duration of the window (samples / rate).
    """

    method: str
    target: str
    predicted: str
    probabilities: dict[str, float]
    heatmap: np.ndarray
    frequencies_hz: np.ndarray
    times_s: np.ndarray
    peak_hz: float | None
    peak_s: float | None
    image: np.ndarray
    layer: str | None = None
    cells: tuple[int, int] = (0, 0)
    seconds: float = 0.0
    run_id: int | None = None
    window_id: int | None = None
    window_s: float = 0.0

    @property
    def confidence(self) -> float:
        """Probability of the verdict."""
        return float(self.probabilities[self.predicted])

    def describe(self) -> str:
        """One line for people: verdict, class explained, method and peak."""
        method = f"Grad-CAM ({self.layer})" if self.method == "gradcam" else "occlusion"
        text = f"verdict {self.predicted} ({self.confidence:.0%})"
        if self.target != self.predicted:
            text += f"; explaining {self.target} ({self.probabilities[self.target]:.0%})"
        if self.peak_hz is None or self.peak_s is None:
            return f"{text}; {method} found no evidence for {self.target}"
        return f"{text}; {method} peaks at {self.peak_hz:.3g} Hz, {self.peak_s:.2f} s"

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe summary (the map's shape, not its pixels)."""
        return {
            "run": self.run_id,
            "window": self.window_id,
            "method": self.method,
            "layer": self.layer,
            "target": self.target,
            "predicted": self.predicted,
            "confidence": self.confidence,
            "probabilities": dict(self.probabilities),
            "peak_hz": self.peak_hz,
            "peak_s": self.peak_s,
            "shape": list(self.heatmap.shape),
            "cells": list(self.cells),
            "f_min_hz": float(self.frequencies_hz.min()),
            "f_max_hz": float(self.frequencies_hz.max()),
            "window_s": self.window_s,
            "seconds": self.seconds,
        }
