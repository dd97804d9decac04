"""Pillow's bilinear resize of one array axis, from its filter taps (memory linear in length).

Pillow resamples each axis separately with a triangle filter, widened by the shrink factor when
shrinking (antialiasing) and normalised to sum 1 per output sample. The taps are computed here
with Pillow's own arithmetic (``precompute_coeffs`` in ``libImaging/Resample.c``), so a
``[..., n_in] -> [..., n_out]`` resize equals ``Image.resize(..., BILINEAR)`` of a float image
to float32 rounding, at a few multiply-adds per output sample and without building an
``n_in x n_in`` identity image (which a 20,000-sample window would need 1.6 GB for).
"""

from __future__ import annotations

import functools
import math

import numpy as np

__all__ = ["bilinear_taps", "resize_along"]


@functools.lru_cache(maxsize=64)
def bilinear_taps(n_in: int, n_out: int) -> tuple[np.ndarray, np.ndarray]:
    """Pillow's bilinear filter from ``n_in`` to ``n_out`` samples as ``(index, weight)``.

    Returns
    -------
    index : numpy.ndarray
        intp ``[taps, n_out]``: input sample of each tap (0 where the tap is unused).
    weight : numpy.ndarray
        float32 ``[taps, n_out]``: its weight (0 where unused); each column sums to 1.
    """
    if n_in < 1 or n_out < 1:
        raise ValueError(f"resize sizes must be positive, got {n_in} -> {n_out}")
    scale = n_in / n_out
    filterscale = max(scale, 1.0)
    support = 1.0 * filterscale  # the bilinear (triangle) filter has support 1
    taps = math.ceil(support) * 2 + 1
    centre = (np.arange(n_out) + 0.5) * scale
    # C's (int) cast truncates towards zero; both bounds are clipped to the image as Pillow does.
    low = np.clip(np.trunc(centre - support + 0.5).astype(np.intp), 0, n_in)
    high = np.clip(np.trunc(centre + support + 0.5).astype(np.intp), 0, n_in)
    offsets = np.arange(taps)[:, None]
    index = low[None, :] + offsets  # [taps, n_out]
    used = offsets < (high - low)[None, :]
    distance = np.abs((index - centre[None, :] + 0.5) / filterscale)
    weight = np.where(used, np.clip(1.0 - distance, 0.0, None), 0.0)
    total = weight.sum(axis=0, keepdims=True)
    weight = np.divide(weight, total, out=np.zeros_like(weight), where=total != 0)
    index = np.where(used, index, 0)
    index.setflags(write=False)
    weight32 = weight.astype(np.float32)
    weight32.setflags(write=False)
    return index, weight32


def resize_along(array: np.ndarray, n_out: int, *, axis: int) -> np.ndarray:
    """Bilinear resize (Pillow's, antialiased when shrinking) of one axis of ``array``.

    Parameters
    ----------
    array : numpy.ndarray
        float32 data; every other axis is carried along.
    n_out : int
        New length of ``axis``.
    axis : int
        The axis to resample.

    Returns
    -------
    numpy.ndarray
        float32, ``array.shape`` with ``axis`` of length ``n_out``.

    Examples
    --------
    >>> resize_along(np.array([0.0, 1.0], dtype=np.float32), 4, axis=0).tolist()
    [0.0, 0.25, 0.75, 1.0]
    """
    axis = axis % array.ndim
    index, weight = bilinear_taps(array.shape[axis], n_out)
    shape = [1] * array.ndim
    shape[axis] = n_out
    # Weights broadcast along `axis`; np.take along a leading axis copies whole rows.
    out: np.ndarray = np.take(array, index[0], axis=axis)
    out *= weight[0].reshape(shape)
    for tap in range(1, len(index)):
        if not weight[tap].any():
            continue
        term = np.take(array, index[tap], axis=axis)
        term *= weight[tap].reshape(shape)
        out += term
    return out
