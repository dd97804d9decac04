"""Changing the sample rate of windows: one polyphase filter for every path.

Import, export, ``hfw evaluate``, training, the live classifier and calibration all change a
window's rate with :func:`resample_samples`, so a board streaming at 119 Hz into a model trained
on 50 Hz windows gives the model the samples training gave it (a second, cheaper filter on the
live path would be a train/live skew: other samples, other images).

Each window is resampled on its own, edges included, exactly as an imported window file is: the
live classifier cuts a window at the source rate and resamples it, rather than filtering the
stream and cutting at the model rate, whose samples would differ near the window's edges.
"""

from __future__ import annotations

from fractions import Fraction
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray

__all__ = ["prepare_resampling", "rate_ratio", "resample_samples", "resampled_length"]

# The ratio of two rates as a fraction with a denominator of at most this: 119 Hz -> 50 Hz is
# exactly 50/119, and a rate estimated from timestamps (119.0003 Hz) lands on the same filter.
_MAX_DENOMINATOR = 1000


def rate_ratio(*, from_hz: float, to_hz: float) -> tuple[int, int]:
    """``(up, down)`` of the polyphase filter between two rates, in lowest terms.

    Raises
    ------
    ValueError
        If a rate is not positive.
    """
    if not from_hz > 0 or not to_hz > 0:
        raise ValueError(f"sample rates must be positive, got {from_hz} Hz -> {to_hz} Hz")
    ratio = Fraction(to_hz / from_hz).limit_denominator(_MAX_DENOMINATOR)
    return ratio.numerator, ratio.denominator


def resampled_length(n: int, *, from_hz: float, to_hz: float) -> int:
    """Samples that :func:`resample_samples` makes of ``n`` (``ceil(n * up / down)``)."""
    if from_hz == to_hz:
        return int(n)
    up, down = rate_ratio(from_hz=from_hz, to_hz=to_hz)
    return -(-int(n) * up // down)


@lru_cache(maxsize=16)
def _lowpass(up: int, down: int) -> NDArray[np.float64]:
    # scipy's own design for resample_poly (Kaiser window, beta 5, 10 zero crossings each side),
    # made once per ratio: the live path resamples every hop and firwin is the costly part.
    from scipy.signal import firwin

    most = max(up, down)
    taps = np.asarray(firwin(2 * 10 * most + 1, 1.0 / most, window=("kaiser", 5.0)), np.float64)
    taps.setflags(write=False)
    return taps


def prepare_resampling(*, from_hz: float, to_hz: float) -> None:
    """Import scipy's filter and design the low-pass for these rates now, not at first use.

    The live classifier calls it when it is made (and when the source's rate changes), so its
    first hop does not wait about a second for ``scipy.signal`` to import: hops queued behind
    that wait showed as a doubled p95 latency in ``bench/live_latency.py --source-rate 119``.
    """
    up, down = rate_ratio(from_hz=from_hz, to_hz=to_hz)
    if from_hz != to_hz and up != down:
        import scipy.signal  # noqa: F401  (what resample_samples imports, loaded now)

        _lowpass(up, down)


def resample_samples(
    data: NDArray[np.float32], *, from_hz: float, to_hz: float
) -> NDArray[np.float32]:
    """Resample samples ``(n, channels)``, or a batch of windows ``(B, n, channels)``.

    Uses polyphase filtering (:func:`scipy.signal.resample_poly`, zero padding at the edges),
    which low-pass filters before decimating: going from 119 Hz to 50 Hz with plain interpolation
    would fold the 25-60 Hz content of a punch back into the band the scalogram looks at. The
    rate ratio is approximated by a fraction with a denominator of at most 1000
    (:func:`rate_ratio`). Every window of a batch is resampled on its own, so a window gives the
    same samples alone or in a batch.

    Parameters
    ----------
    data : ndarray, shape (n, channels) or (B, n, channels)
        Samples along the second-to-last axis.
    from_hz, to_hz : float
        The rate of ``data`` and the rate wanted.

    Returns
    -------
    ndarray of float32
        ``data`` itself (not a copy) when the rates are equal, so windows imported at the
        project rate are stored bit-for-bit as read; else ``resampled_length(n)`` samples.

    Raises
    ------
    ValueError
        If a rate is not positive or ``data`` has neither 2 nor 3 dimensions.
    """
    up, down = rate_ratio(from_hz=from_hz, to_hz=to_hz)
    if data.ndim not in (2, 3):
        raise ValueError(
            f"resample_samples: expected (n, channels) or (B, n, channels), got {data.shape}"
        )
    if from_hz == to_hz or up == down:
        return data
    from scipy.signal import resample_poly  # lazy: scipy is slow to import

    out = resample_poly(
        data.astype(np.float64), up, down, axis=data.ndim - 2, window=_lowpass(up, down)
    )
    return np.ascontiguousarray(out, dtype=np.float32)
