"""compute_scalograms: the continuous wavelet transform of x, y, z as red, green, blue.

One function serves training (hundreds of windows) and live inference (one window per hop), so
both see identical images for identical resolved :class:`ScalogramSettings`. The transform is
``pywt.cwt`` computed as a cached frequency-domain filter bank (:mod:`.filterbank`); the resize
to the model's input is Pillow's bilinear filter applied through its taps (:mod:`.resize`).

Pipeline per window: turn it into the gravity frame (``frame="gravity"``, :mod:`.frame`), then
per axis: subtract the mean (gravity would otherwise light up the edges of
the zero-padded transform), CWT at ``n_scales`` frequencies spaced geometrically from
``f_max_hz`` (top row) to ``f_min_hz`` (bottom row), the real part (``"signed"``) or magnitude,
divide by the peak (per axis or per window), resize to ``size``, and for signed images map
[-1, 1] to [0, 1] (0.5 = zero). Values are float32 in [0, 1], ready for torchvision's
``Normalize``. Windows are processed in small chunks, so memory stays proportional to the
chunk and the window length, not to the batch.
"""

from __future__ import annotations

import math

import numpy as np

from hfwidgets.scalogram.filterbank import CwtFilterBank, cwt_filterbank
from hfwidgets.scalogram.frame import gravity_frame, heading_frame
from hfwidgets.scalogram.resize import resize_along
from hfwidgets.scalogram.settings import ScalogramSettings

__all__ = ["compute_scalograms", "scalogram_filterbank"]

# Float32 values per chunk of windows ([chunk, 3, S, n] before the resize): a few MB keeps the
# working set in cache; a long window is a chunk of its own.
_CHUNK_VALUES = 2**20


def _check_positive_rate(rate_hz: float) -> None:
    try:
        value = float(rate_hz)
    except (TypeError, ValueError):
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"rate_hz must be a positive number of Hz, got {rate_hz!r}")


def _check_rate(n_samples: int, rate_hz: float, settings: ScalogramSettings) -> None:
    _check_positive_rate(rate_hz)
    resolved = settings.resolve(window_s=n_samples / rate_hz, rate_hz=rate_hz)
    f_min, f_max = float(resolved.frequencies()[-1]), float(resolved.frequencies()[0])
    nyquist = rate_hz / 2
    if f_max > nyquist * (1 + 1e-9):
        raise ValueError(
            f"ScalogramSettings(f_max_hz={f_max:g}) is above the Nyquist frequency "
            f"{nyquist:g} Hz of rate_hz={rate_hz:g}; set f_max_hz <= {nyquist:g} "
            f"(or f_max_hz=None to derive it from the rate)"
        )
    # The lowest row must see at least one oscillation of its wavelet inside the window; shorter
    # windows would show only the zero-padded edges there.
    shortest = math.ceil(rate_hz / f_min - 1e-9)
    if n_samples < max(shortest, 4):
        raise ValueError(
            f"windows of {n_samples} samples ({n_samples / rate_hz:.3g} s at {rate_hz:g} Hz) are "
            f"shorter than the wavelet support at f_min_hz={f_min:g} "
            f"(one period = {shortest} samples); use windows of >= {1 / f_min:.3g} s "
            f"or raise f_min_hz to >= {rate_hz / max(n_samples, 1):.3g}"
        )


def _check_windows(windows: np.ndarray) -> np.ndarray:
    array = np.asarray(windows)
    if array.ndim != 3 or array.shape[-1] != 3:
        hint = "; for one window pass window[None]" if array.ndim == 2 else ""
        raise ValueError(f"windows must have shape [B, n, 3] (x, y, z), got {array.shape}{hint}")
    array = array.astype(np.float32, copy=False)
    bad = ~np.isfinite(array).all(axis=1)  # [B, 3]
    if bad.any():
        where = ", ".join(f"window {b} axis {'xyz'[a]}" for b, a in np.argwhere(bad)[:5])
        raise ValueError(
            f"windows contain NaN or infinite samples ({where}); drop those windows or "
            f"interpolate the gaps before computing scalograms"
        )
    return array


def scalogram_filterbank(
    n_samples: int, *, rate_hz: float, settings: ScalogramSettings
) -> CwtFilterBank:
    """The cached filter bank :func:`compute_scalograms` uses for windows of ``n_samples``.

    Its ``transform(signals[..., n])`` returns complex CWT coefficients ``[..., n_scales, n]``
    equal to ``pywt.cwt(signals, settings.scales(rate_hz), settings.wavelet, method='fft')``.
    """
    _check_rate(n_samples, rate_hz, settings)
    settings = settings.resolve(window_s=n_samples / rate_hz, rate_hz=rate_hz)
    return cwt_filterbank(
        wavelet=settings.wavelet, n_samples=n_samples, scales=settings.scales(rate_hz)
    )


def _prepared_signals(array: np.ndarray, settings: ScalogramSettings) -> np.ndarray:
    """``[B, n, 3]`` windows -> contiguous float32 ``[B, 3, n]`` signals, mean removed."""
    if settings.frame == "gravity":
        array = gravity_frame(array, estimate=settings.gravity)
    elif settings.frame == "gravity+heading":
        array = heading_frame(array, estimate=settings.gravity)
    signals = np.array(array.transpose(0, 2, 1), dtype=np.float32, order="C")
    if settings.remove_mean:
        signals -= signals.mean(axis=-1, keepdims=True)
        # A still axis must come out exactly zero: rounding in the mean leaves ~1e-8 residue
        # that normalisation would blow up into full-brightness noise.
        signals[np.ptp(signals, axis=-1) == 0] = 0.0
    return signals


def _peak_axes(settings: ScalogramSettings) -> tuple[int, ...]:
    return (-2, -1) if settings.normalize == "per-axis" else (-3, -2, -1)


def _images(
    signals: np.ndarray, bank: CwtFilterBank, settings: ScalogramSettings, out: np.ndarray
) -> None:
    """Fill ``out[B, 3, H, W]`` from prepared ``signals[B, 3, n]`` (numpy, single-threaded)."""
    signed = settings.representation == "signed"
    height, width = settings.size
    # The largest per-window array of the chunk: values [3, S, n], half-resized [3, S, W] or
    # the image [3, H, W].
    per_window = 3 * max(settings.n_scales, height) * max(bank.n_samples, width)
    chunk = max(1, _CHUNK_VALUES // per_window)
    for start in range(0, len(signals), chunk):
        values = bank.values(signals[start : start + chunk], signed=signed)  # [b, 3, S, n]
        peak = np.abs(values).max(axis=_peak_axes(settings), keepdims=True)
        # 0 / 0 -> 0: an all-zero channel stays black (or mid-grey when signed), never NaN.
        values *= np.divide(1.0, peak, out=np.zeros_like(peak), where=peak > 0)
        image = resize_along(resize_along(values, width, axis=-1), height, axis=-2)
        if signed:  # [-1, 1] -> [0, 1]; the resize is linear and its weights sum to 1
            image *= 0.5
            image += 0.5
        # Bilinear weights are convex, so only rounding can leave [0, 1].
        np.clip(image, 0.0, 1.0, out=out[start : start + chunk])


def compute_scalograms(
    windows: np.ndarray, *, rate_hz: float, settings: ScalogramSettings | None = None
) -> np.ndarray:
    """Scalogram images of a batch of x, y, z windows.

    Parameters
    ----------
    windows : numpy.ndarray
        ``[B, n, 3]`` acceleration in g (any length ``n``, one rate for the batch).
    rate_hz : float
        Sample rate of the windows.
    settings : ScalogramSettings, optional
        Defaults to ``ScalogramSettings()``. A band left to the data (``None`` edges) is
        resolved from this batch (``n / rate_hz`` seconds, ``rate_hz``); to draw windows of
        several lengths or rates alike, resolve once over all of them
        (:meth:`ScalogramSettings.resolve`) and pass the result, as training does.

    Returns
    -------
    numpy.ndarray
        float32 ``[B, 3, H, W]`` in [0, 1]; channel 0/1/2 = x/y/z; row 0 = ``f_max_hz``.
        An axis that never moves (zero variance) gives a constant channel: 0.5 (zero) for
        signed images, 0 (black) for magnitude images.

    Raises
    ------
    ValueError
        Wrong shape, NaN/inf samples, a non-positive rate, ``f_max_hz`` above Nyquist, or
        windows shorter than one period of ``f_min_hz``; each message names the remedy.

    Examples
    --------
    >>> t = np.arange(75) / 50.0
    >>> w = np.stack([np.sin(2 * np.pi * 3 * t), np.cos(2 * np.pi * 5 * t), 0 * t], axis=1)
    >>> img = compute_scalograms(w[None], rate_hz=50.0)
    >>> img.shape, img.dtype, float(img[0, 2].min()), float(img[0, 2].max())
    ((1, 3, 224, 224), dtype('float32'), 0.5, 0.5)
    """
    settings = settings or ScalogramSettings()
    array = _check_windows(windows)
    batch, n_samples, _ = array.shape
    _check_positive_rate(rate_hz)
    settings = settings.resolve(window_s=n_samples / rate_hz, rate_hz=rate_hz)
    bank = scalogram_filterbank(n_samples, rate_hz=rate_hz, settings=settings)
    result = np.empty((batch, 3, *settings.size), dtype=np.float32)
    _images(_prepared_signals(array, settings), bank, settings, result)
    return result
