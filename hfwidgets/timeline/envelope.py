"""What a timeline draws of a long recording at the current view: a min/max envelope.

A 1-hour session at 50 Hz holds 180,000 samples per axis; a plot a few hundred pixels wide
cannot show more than two values per pixel column. :func:`view_envelope` cuts the samples in
view into one bin per column and keeps each bin's smallest and largest value, in the order they
occurred (so a spike stays a spike and the line is drawn as the samples would be at that width).
Zoomed in far enough that the view holds at most two samples per column, it returns the samples
themselves: full resolution. Pure numpy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

__all__ = ["Envelope", "view_envelope", "view_slice"]


@dataclass(frozen=True, eq=False)
class Envelope:
    """Points to draw: times ``t`` [m] and values ``y`` [m, channels] (for each channel its
    own times in ``t_by_channel`` [channels, m], since minima and maxima of the axes fall at
    different samples)."""

    t_by_channel: NDArray[np.float64]
    y: NDArray[np.float32]
    full_resolution: bool
    samples_in_view: int

    @property
    def points(self) -> int:
        """Points per channel drawn."""
        return int(self.y.shape[0])


def view_slice(t: NDArray[np.float64], start: float, end: float) -> slice:
    """Indices of the samples from ``start`` to ``end`` (s), with one sample beyond each edge so
    the line reaches the border of the plot."""
    lo = max(int(np.searchsorted(t, start, side="left")) - 1, 0)
    hi = min(int(np.searchsorted(t, end, side="right")) + 1, t.size)
    return slice(lo, hi)


def view_envelope(
    t: NDArray[np.float64],
    y: NDArray[np.float32],
    *,
    start: float,
    end: float,
    columns: int,
) -> Envelope:
    """The min/max envelope of ``y`` (samples [n, channels] at times ``t``) from ``start`` to
    ``end``, for a plot ``columns`` pixels wide.

    Raises
    ------
    ValueError
        When ``columns`` < 1, ``end`` <= ``start`` or the shapes disagree.
    """
    if columns < 1:
        raise ValueError(f"columns must be at least 1, got {columns}")
    if not end > start:
        raise ValueError(f"the view must end after it starts: {start} to {end}")
    if y.ndim != 2 or y.shape[0] != t.shape[0]:
        raise ValueError(f"t {t.shape} and y {y.shape} must be (n,) and (n, channels)")
    part = view_slice(t, start, end)
    tt, yy = t[part], y[part]
    n, channels = yy.shape
    if n <= 2 * columns:
        return Envelope(
            t_by_channel=np.broadcast_to(tt, (channels, n)).copy(),
            y=yy.astype(np.float32, copy=False),
            full_resolution=True,
            samples_in_view=n,
        )
    per_bin = n // columns
    used = per_bin * columns  # the last few samples join the last bin below
    bins = yy[:used].reshape(columns, per_bin, channels)
    lo_i, hi_i = bins.argmin(axis=1), bins.argmax(axis=1)  # [columns, channels]
    first, second = np.minimum(lo_i, hi_i), np.maximum(lo_i, hi_i)
    base = (np.arange(columns) * per_bin)[:, None]
    index = np.stack([base + first, base + second], axis=1).reshape(2 * columns, channels)
    tail = np.arange(used, n)  # keep the samples past the last whole bin exactly
    index = np.concatenate([index, np.repeat(tail[:, None], channels, axis=1)])
    values = np.take_along_axis(yy, index, axis=0)
    return Envelope(
        t_by_channel=tt[index].T.copy(),
        y=values.astype(np.float32, copy=False),
        full_resolution=False,
        samples_in_view=n,
    )
