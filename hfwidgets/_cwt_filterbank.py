"""Frequency-domain CWT filter banks and fixed resize matrices (the engine behind scalograms).

``pywt.cwt`` convolves the signal with the sampled *integrated* wavelet at every scale, takes
``-sqrt(scale) * diff`` and crops the centre. All of that is one linear, shift-invariant filter
per scale, so it can be precomputed once per (wavelet, window length, scales) as a frequency
response -- the idea behind MATLAB's ``cwtfilterbank`` -- and applied to a whole batch with one
forward FFT, one multiply and one inverse FFT. The filter taps are taken from PyWavelets itself
(``pywt.integrate_wavelet`` and the very index arithmetic of ``pywt.cwt``), so the result equals
``pywt.cwt(..., method='fft')`` up to float rounding.

Resizing the (scales x time) magnitude to the model's input size is linear too: the matrices are
obtained by letting Pillow resize identity images, so the result equals a per-image Pillow
bilinear resize while costing two batched matmuls.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pywt
from PIL import Image

if TYPE_CHECKING:
    import torch

__all__ = [
    "CwtFilterBank",
    "cwt_filterbank",
    "resize_along",
    "resize_matrix",
    "resize_tensor",
]

# Same wavelet sampling as pywt.cwt's default, so our taps equal the reference's taps.
_PRECISION = 12
# Above this the time-domain form of a bank is not built and the FFT route is used (at 64
# scales: complex wavelets up to ~250 samples per window).
_MAX_TOEPLITZ_BYTES = 32 * 2**20


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
    taps : numpy.ndarray
        complex128 ``[n_scales, 2 * n_samples - 1]``: the same filters in time, every tap that
        can reach a kept output sample (tap ``n_samples - 1`` is lag 0).
    complex_output : bool
        Whether the wavelet is complex (the coefficients then carry a phase).
    """

    wavelet: str
    n_samples: int
    scales: np.ndarray
    fft_length: int
    response: np.ndarray
    taps: np.ndarray
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

    @functools.cached_property
    def toeplitz(self) -> np.ndarray | None:
        """The bank in time-domain form, ``[n, parts * n_scales * n]`` float32, or ``None``.

        ``signals @ toeplitz`` gives the real (then, for complex wavelets, the imaginary)
        coefficients of all scales in one matmul -- for 1-2 s windows about 3x cheaper than
        FFT, multiply and inverse FFT. Built from the float64 taps, so it is as exact as the FFT
        route. ``None`` above ``_MAX_TOEPLITZ_BYTES`` (long windows, where the FFT wins).
        """
        n, n_scales = self.n_samples, self.scales.size
        parts = 2 if self.complex_output else 1
        if n * parts * n_scales * n * 4 > _MAX_TOEPLITZ_BYTES:
            return None
        # coef[s, t] = sum_k x[k] * taps[s, t - k + n - 1]
        lag_index = np.arange(n)[None, :] - np.arange(n)[:, None] + n - 1  # [k, t]
        kernel = self.taps[:, lag_index].transpose(1, 0, 2)  # [k, s, t]
        blocks = [kernel.real, kernel.imag] if self.complex_output else [kernel.real]
        return np.stack(blocks, axis=1).reshape(n, -1).astype(np.float32)

    def magnitude(self, signals: np.ndarray) -> np.ndarray:
        """``abs(transform(signals))`` as float32 ``[..., n_scales, n_samples]`` (numpy).

        Deliberately the FFT route: numpy's FFT is single-threaded, so the live path (one
        window per hop) never waits for BLAS threads on a busy machine.
        """
        return np.abs(self.transform(signals)).astype(np.float32, copy=False)

    @functools.cached_property
    def _tensors(self) -> tuple[torch.Tensor | None, torch.Tensor]:
        import torch

        matrix = self.toeplitz
        return (
            None if matrix is None else torch.from_numpy(matrix),
            torch.from_numpy(self.response.copy()),
        )

    def magnitude_tensor(self, signals: torch.Tensor) -> torch.Tensor:
        """:meth:`magnitude` on a float32 torch tensor ``[..., n_samples]``, for large batches.

        Uses :attr:`toeplitz` (one matmul) when built, else torch's FFT.
        """
        import torch

        matrix, response = self._tensors
        if matrix is None:
            spectrum = torch.fft.fft(signals, n=self.fft_length, dim=-1)
            full = torch.fft.ifft(spectrum.unsqueeze(-2) * response, dim=-1)
            start = self.n_samples - 1
            return full[..., start : start + self.n_samples].abs()
        n, n_scales = self.n_samples, self.scales.size
        coefs = (signals.reshape(-1, n) @ matrix).view(
            -1, matrix.shape[1] // (n_scales * n), n_scales, n
        )
        magnitude = (
            torch.hypot(coefs[:, 0], coefs[:, 1]) if self.complex_output else coefs[:, 0].abs()
        )
        return magnitude.view(*signals.shape[:-1], n_scales, n)


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
    taps = np.stack([_taps(int_psi, step, span, s, n_samples) for s in scales])
    response = np.fft.fft(taps, n=fft_length, axis=-1).astype(np.complex64)
    scale_array = np.asarray(scales, dtype=np.float64)
    for array in (response, scale_array, taps):
        array.setflags(write=False)
    return CwtFilterBank(
        wavelet, n_samples, scale_array, fft_length, response, taps, bool(wav.complex_cwt)
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


@functools.lru_cache(maxsize=32)
def resize_matrix(n_in: int, n_out: int) -> np.ndarray:
    """Matrix ``R`` (``[n_out, n_in]``, float32) so that ``R @ v`` is Pillow's bilinear resize.

    Pillow resamples each axis separately with a linear filter, so resizing an identity image
    along one axis yields that filter's matrix exactly (antialiasing included when shrinking).
    """
    if n_in < 1 or n_out < 1:
        raise ValueError(f"resize sizes must be positive, got {n_in} -> {n_out}")
    eye = Image.fromarray(np.eye(n_in, dtype=np.float32), mode="F")
    # resize((width, height)): keep the columns, stretch the rows -> [n_out, n_in].
    matrix = np.asarray(eye.resize((n_in, n_out), Image.Resampling.BILINEAR), dtype=np.float32)
    matrix = np.ascontiguousarray(matrix)
    matrix.setflags(write=False)
    return matrix


@functools.lru_cache(maxsize=32)
def resize_tensor(n_in: int, n_out: int, *, transpose: bool = False) -> torch.Tensor:
    """:func:`resize_matrix` as a contiguous torch tensor (optionally transposed), cached."""
    import torch

    matrix = resize_matrix(n_in, n_out)
    return torch.from_numpy(np.array(matrix.T if transpose else matrix, order="C", copy=True))


@functools.lru_cache(maxsize=32)
def _resize_taps(n_in: int, n_out: int) -> tuple[np.ndarray, np.ndarray]:
    """:func:`resize_matrix` as ``(index, weight)``, each ``[taps, n_out]``: its non-zeros."""
    matrix = resize_matrix(n_in, n_out)
    taps = max(1, int((matrix != 0).sum(axis=1).max()))
    index = np.zeros((taps, n_out), dtype=np.intp)
    weight = np.zeros((taps, n_out), dtype=np.float32)
    for row in range(n_out):
        (nonzero,) = np.nonzero(matrix[row])
        index[: nonzero.size, row] = nonzero
        weight[: nonzero.size, row] = matrix[row, nonzero]
    return index, weight


def resize_along(array: np.ndarray, n_out: int, *, axis: int) -> np.ndarray:
    """Pillow's bilinear resize of one axis, from the non-zeros of :func:`resize_matrix`.

    Same numbers as the matmul (the skipped terms are exact zeros) at a few multiply-adds per
    output instead of ``n_in``, and without BLAS threads: the path for one or a few windows.
    """
    axis = axis % array.ndim
    index, weight = _resize_taps(array.shape[axis], n_out)
    # Weights broadcast along `axis`; np.take along a leading axis copies whole rows.
    shape = [1] * array.ndim
    shape[axis] = n_out
    out = np.take(array, index[0], axis=axis)
    out *= weight[0].reshape(shape)
    for tap in range(1, len(index)):
        term = np.take(array, index[tap], axis=axis)
        term *= weight[tap].reshape(shape)
        out += term
    return out
