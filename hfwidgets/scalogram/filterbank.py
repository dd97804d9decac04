"""Frequency-domain CWT filter banks (the engine behind scalograms).

``pywt.cwt`` convolves the signal with the sampled *integrated* wavelet at every scale, takes
``-sqrt(scale) * diff`` and crops the centre. All of that is one linear, shift-invariant filter
per scale, so it can be precomputed once per (wavelet, window length, scales) as a frequency
response -- the idea behind MATLAB's ``cwtfilterbank`` -- and applied to a whole batch with one
forward FFT, one multiply and one inverse FFT. The filter taps are taken from PyWavelets itself
(``pywt.integrate_wavelet`` and the very index arithmetic of ``pywt.cwt``), so the result equals
``pywt.cwt(..., method='fft')`` up to float rounding.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
import pywt

__all__ = ["CwtFilterBank", "cwt_filterbank"]

# Same wavelet sampling as pywt.cwt's default, so our taps equal the reference's taps.
_PRECISION = 12
# Complex intermediate per transform block: small enough to stay in cache for short windows and
# to keep a long window's memory linear and modest.
_BLOCK_BYTES = 4 * 2**20


def _fft_length(n: int) -> int:
    """Smallest 2**a * 3**b * 5**c >= n (pocketfft is fastest on such lengths)."""
    best = 1 << max(0, (n - 1).bit_length())
    p5 = 1
    while p5 < best:
        p35 = p5
        while p35 < best:
            p = p35
            while p < n:
                p *= 2
            best = min(best, p)
            p35 *= 3
        p5 *= 5
    return best


@dataclass(frozen=True, eq=False)
class CwtFilterBank:
    """Precomputed CWT of windows of one length at fixed scales.

    Attributes
    ----------
    wavelet : str
        PyWavelets continuous wavelet name (``"cmor1.5-1.0"``, ``"morl"``, ...).
    n_samples : int
        Window length the bank was built for.
    scales : numpy.ndarray
        Scales in samples, one row of output per scale, in the given order.
    fft_length : int
        Padded FFT length (>= ``2 * n_samples - 1``, which is enough to avoid wrap-around on the
        ``n_samples`` outputs that are kept).
    response : numpy.ndarray
        complex64 ``[n_scales, fft_length]`` frequency responses, sign and ``sqrt(scale)``
        already folded in.
    complex_output : bool
        Whether the wavelet is complex (the coefficients then carry a phase).
    """

    wavelet: str
    n_samples: int
    scales: np.ndarray
    fft_length: int
    response: np.ndarray
    complex_output: bool

    def transform(self, signals: np.ndarray) -> np.ndarray:
        """CWT coefficients of a batch of real signals.

        Parameters
        ----------
        signals : numpy.ndarray
            Real array ``[..., n_samples]``.

        Returns
        -------
        numpy.ndarray
            complex64 ``[..., n_scales, n_samples]``; the same numbers as ``pywt.cwt`` (whose
            output puts scales first instead).
        """
        signals = np.asarray(signals, dtype=np.float32)
        if signals.shape[-1] != self.n_samples:
            raise ValueError(
                f"filter bank built for {self.n_samples} samples, got {signals.shape[-1]}"
            )
        spectrum = np.fft.fft(signals, n=self.fft_length, axis=-1)
        product = spectrum[..., None, :] * self.response
        full = np.fft.ifft(product, axis=-1)
        # Index n-1 of the truncated filter is lag 0 at the output sample (see _taps).
        start = self.n_samples - 1
        return full[..., start : start + self.n_samples]

    def values(self, signals: np.ndarray, *, signed: bool) -> np.ndarray:
        """The real part (``signed``) or the magnitude of :meth:`transform`, as float32.

        Rows are transformed in blocks of at most ``_BLOCK_BYTES`` of complex intermediate, so
        memory grows linearly with the window length (one 20,000-sample window needs tens of
        MB, not the gigabytes a dense form would).
        """
        signals = np.asarray(signals, dtype=np.float32)
        lead = signals.shape[:-1]
        flat = signals.reshape(-1, signals.shape[-1])
        n_scales = self.scales.size
        out = np.empty((flat.shape[0], n_scales, self.n_samples), dtype=np.float32)
        per_row = n_scales * self.fft_length * 8
        block = max(1, _BLOCK_BYTES // per_row)
        for start in range(0, flat.shape[0], block):
            coefs = self.transform(flat[start : start + block])
            if signed:
                out[start : start + block] = coefs.real
            else:
                np.abs(coefs, out=out[start : start + block])
        return out.reshape(*lead, n_scales, self.n_samples)


def _taps(int_psi: np.ndarray, step: float, span: float, scale: float, n: int) -> np.ndarray:
    """The ``2n-1`` filter taps of one scale that can reach an output sample.

    Mirrors ``pywt.cwt``: ``conv = x * f``, ``coef = -sqrt(s) * diff(conv)`` cropped by
    ``floor((L - 2) / 2)``; i.e. ``coef[t] = -sqrt(s) * (x * g)[t + off]`` with
    ``g = [f, 0] - [0, f]`` and ``off = floor((L - 2) / 2) + 1``.
    """
    j = (np.arange(scale * span + 1) / (scale * step)).astype(int)
    j = j[j < int_psi.size]
    f = int_psi[j][::-1]
    length = f.size
    if length < 2:
        raise ValueError(f"scale {scale:.4g} is too small for the wavelet sampling")
    g = np.zeros(length + 1, dtype=np.complex128)
    g[:-1] += f
    g[1:] -= f
    offset = (length - 2) // 2 + 1
    # Output t uses g[t + off - k] for k in [0, n): lags off-(n-1) .. off+(n-1).
    lags = np.arange(offset - (n - 1), offset + n)
    valid = (lags >= 0) & (lags < g.size)
    taps = np.zeros(2 * n - 1, dtype=np.complex128)
    taps[valid] = g[lags[valid]]
    return -math.sqrt(scale) * taps


@functools.lru_cache(maxsize=32)
def _cached_bank(wavelet: str, n_samples: int, scales: tuple[float, ...]) -> CwtFilterBank:
    wav = pywt.ContinuousWavelet(wavelet)
    int_psi, x = pywt.integrate_wavelet(wav, precision=_PRECISION)
    int_psi = np.conj(int_psi) if wav.complex_cwt else np.asarray(int_psi, dtype=np.complex128)
    step = float(x[1] - x[0])
    span = float(x[-1] - x[0])
    fft_length = _fft_length(2 * n_samples - 1)
    # One scale at a time: only the complex64 responses are kept, [n_scales, fft_length].
    response = np.empty((len(scales), fft_length), dtype=np.complex64)
    for row, scale in enumerate(scales):
        taps = _taps(int_psi, step, span, scale, n_samples)
        response[row] = np.fft.fft(taps, n=fft_length)
    scale_array = np.asarray(scales, dtype=np.float64)
    for array in (response, scale_array):
        array.setflags(write=False)
    return CwtFilterBank(
        wavelet, n_samples, scale_array, fft_length, response, bool(wav.complex_cwt)
    )


def cwt_filterbank(*, wavelet: str, n_samples: int, scales: np.ndarray) -> CwtFilterBank:
    """Return the (cached) frequency-domain filter bank for one window length and scale set.

    Parameters
    ----------
    wavelet : str
        PyWavelets continuous wavelet name.
    n_samples : int
        Window length in samples (>= 2).
    scales : numpy.ndarray
        Positive scales in samples (``pywt.frequency2scale`` of the normalised frequencies).

    Returns
    -------
    CwtFilterBank
        Reused across calls with the same arguments (an LRU of 32 banks).

    Examples
    --------
    >>> import numpy as np, pywt
    >>> bank = cwt_filterbank(wavelet="morl", n_samples=64, scales=np.array([2.0, 4.0, 8.0]))
    >>> x = np.random.default_rng(0).standard_normal(64)
    >>> ref, _ = pywt.cwt(x, [2.0, 4.0, 8.0], "morl", method="fft")
    >>> bool(np.allclose(bank.transform(x).real, ref, atol=1e-4))
    True
    """
    if n_samples < 2:
        raise ValueError(f"a window needs at least 2 samples, got {n_samples}")
    scales = np.asarray(scales, dtype=np.float64).ravel()
    if scales.size == 0 or not np.all(np.isfinite(scales)) or np.any(scales <= 0):
        raise ValueError("scales must be a non-empty array of positive, finite numbers")
    return _cached_bank(wavelet, int(n_samples), tuple(float(s) for s in scales))
