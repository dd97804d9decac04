"""Sample arrays as database blobs, and the checks of samples and rates.

Windows are stored as little-endian float32 bytes with their shape beside them, so a window read
back is bit-for-bit the array that was written, on any machine. The digest of those bytes (and
the rate) identifies a window across projects, which is how merging skips duplicates.
"""

from __future__ import annotations

import hashlib
import math

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "MAX_ABS_G",
    "MAX_RATE_HZ",
    "MIN_RATE_HZ",
    "as_samples",
    "check_rate_hz",
    "decode_array",
    "encode_array",
    "window_digest",
]

_DTYPE = np.dtype("<f4")

# Plausible accelerometer rates and readings: a value outside them is a unit or typing mistake
# (seconds for Hz, raw counts for g). Readings are bounded far above the serial protocol's 32 g
# so synthetic test motions import, while 1e30 "g" does not.
MIN_RATE_HZ = 1.0
MAX_RATE_HZ = 100_000.0
MAX_ABS_G = 1000.0


def check_rate_hz(rate_hz: object, *, what: str = "rate_hz") -> float:
    """Return ``rate_hz`` as a float if it is a plausible sample rate, else ``ValueError``.

    ``what`` names the option or file in the message (``--rate``, ``meta.json line 2``).
    """
    if isinstance(rate_hz, bool) or not isinstance(rate_hz, int | float | np.floating):
        raise ValueError(f"{what}: {rate_hz!r} is not a number of Hz")
    rate = float(rate_hz)
    if not math.isfinite(rate) or not MIN_RATE_HZ <= rate <= MAX_RATE_HZ:
        hint = (
            "; a rate below 1 Hz makes a window span minutes to hours: is it seconds, not Hz?"
            if math.isfinite(rate) and 0 < rate < MIN_RATE_HZ
            else ""
        )
        raise ValueError(
            f"{what}: {rate_hz!r} Hz is not an accelerometer sample rate "
            f"({MIN_RATE_HZ:g}-{MAX_RATE_HZ:g} Hz){hint}"
        )
    return rate


def as_samples(data: ArrayLike, *, what: str = "window") -> NDArray[np.float32]:
    """Check and convert samples to a C-contiguous float32 array of shape ``(n, channels)``.

    Parameters
    ----------
    data : array_like
        Samples, one row per sample (x, y, z in g for the accelerometer).
    what : str
        Names the input in error messages.

    Raises
    ------
    ValueError
        If the array is not two-dimensional, is empty, or holds NaN or infinite values.
    """
    arr = np.asarray(data)
    if arr.ndim != 2:
        raise ValueError(f"{what}: expected a 2-D array (samples, channels), got shape {arr.shape}")
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ValueError(f"{what}: empty array of shape {arr.shape}; a window needs samples")
    if not np.issubdtype(arr.dtype, np.number) or np.iscomplexobj(arr):
        raise ValueError(f"{what}: expected real numbers, got dtype {arr.dtype}")
    out = np.ascontiguousarray(arr, dtype=np.float32)
    finite = np.isfinite(out)
    if not finite.all():
        row, col = np.argwhere(~finite)[0]
        raise ValueError(
            f"{what}: sample {row}, channel {col} is {out[row, col]}; "
            "NaN or infinite values cannot be stored (drop or interpolate them first)"
        )
    return out


def encode_array(arr: NDArray[np.float32]) -> bytes:
    """Return the little-endian float32 bytes of ``arr`` (row-major)."""
    return np.ascontiguousarray(arr, dtype=_DTYPE).tobytes()


def decode_array(blob: bytes, *, rows: int, channels: int) -> NDArray[np.float32]:
    """Rebuild an array written by :func:`encode_array`; a writable native float32 copy.

    Raises
    ------
    ValueError
        If the blob's length does not match ``rows * channels`` float32 values (a damaged row).
    """
    expected = rows * channels * _DTYPE.itemsize
    if len(blob) != expected:
        raise ValueError(
            f"stored array has {len(blob)} bytes, expected {expected} "
            f"for shape ({rows}, {channels})"
        )
    return np.frombuffer(blob, dtype=_DTYPE).reshape(rows, channels).astype(np.float32)


def window_digest(arr: NDArray[np.float32], rate_hz: float) -> str:
    """SHA-256 of a window's bytes, shape and rate: equal digests mean the same recording."""
    h = hashlib.sha256()
    h.update(f"{arr.shape[0]}x{arr.shape[1]}@{float(rate_hz)!r};".encode())
    h.update(encode_array(arr))
    return h.hexdigest()
