"""What the live classifier needs from a trained model, and how windows are cut for it.

`LiveClassifier` works with anything that looks like `Predictor` (the object
``hfwidgets.training.load_predictor`` returns, or a fake in tests): class names, the sample rate
the run was trained at, and ``predict_proba`` on raw windows. The predictor owns the scalogram
settings of its run, so live inference and training always share one transform.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "FALLBACK_WINDOW_S",
    "HopGeometry",
    "LiveSource",
    "Predictor",
    "cut_windows",
    "positive_index",
    "project_window_s",
    "resample_windows",
    "resolve_window_s",
]

log = logging.getLogger(__name__)

#: Window length used when neither the caller nor the run says: the capture window of the
#: trigger segmenter and of the simulated captures (``TriggerSegmenter(window_s=1.5)``).
FALLBACK_WINDOW_S = 1.5


@runtime_checkable
class Predictor(Protocol):
    """A trained classifier of raw acceleration windows.

    Attributes
    ----------
    classes : sequence of str
        Class names, in the column order of `predict_proba`.
    rate_hz : float
        Sample rate of the training windows.
    """

    # Read-only properties: a plain attribute of any sequence type (a list) satisfies them.
    @property
    def classes(self) -> Sequence[str]: ...

    @property
    def rate_hz(self) -> float: ...

    def predict_proba(self, windows: NDArray[np.float32]) -> NDArray[Any]:
        """Class probabilities ``[B, C]`` for raw windows ``[B, n, 3]`` (g, at ``rate_hz``)."""
        ...


class _Buffer(Protocol):
    @property
    def total(self) -> int: ...

    def since(self, index: int) -> tuple[int, Any, Any]: ...


class LiveSource(Protocol):
    """What the live classifier reads: a nominal rate and a `hfwidgets.sensors.RingBuffer`."""

    @property
    def rate_hz(self) -> float: ...

    @property
    def buffer(self) -> _Buffer: ...


@dataclass(frozen=True)
class HopGeometry:
    """Sample counts of the hop grid: the same for the live worker and `classify_recording`.

    Attributes
    ----------
    window_n : int
        Samples per window at the source rate.
    hop_n : int
        Samples between two window ends at the source rate.
    model_n : int
        Samples per window at the predictor's rate (windows are resampled to it).
    """

    window_n: int
    hop_n: int
    model_n: int

    @classmethod
    def of(
        cls, *, window_s: float, hop_s: float, source_rate: float, model_rate: float
    ) -> HopGeometry:
        """Round seconds to samples (at least 2 per window and 1 per hop)."""
        return cls(
            window_n=max(2, round(window_s * source_rate)),
            hop_n=max(1, round(hop_s * source_rate)),
            model_n=max(2, round(window_s * model_rate)),
        )


def _lookup_window_s(settings: Mapping[str, Any]) -> float | None:
    """Find the training window length in a run's settings, wherever the trainer put it."""
    for key in ("window_s", "window_seconds"):
        value = settings.get(key)
        if isinstance(value, int | float) and value > 0:
            return float(value)
    for nested in ("segmenter", "data", "window", "dataset"):
        sub = settings.get(nested)
        if isinstance(sub, Mapping):
            found = _lookup_window_s(sub)
            if found is not None:
                return found
    return None


def resolve_window_s(predictor: Predictor, window_s: float | None) -> float:
    """The window length to classify with: explicit, else the one the run was trained with.

    The run's length is read from ``predictor.window_s`` or a ``"window_s"`` entry of a
    ``predictor.settings`` mapping; when neither exists, `FALLBACK_WINDOW_S` is used and a
    warning is logged.

    Raises
    ------
    ValueError
        When ``window_s`` is given and not positive.
    """
    if window_s is not None:
        if not window_s > 0:
            raise ValueError(f"window_s={window_s!r} must be > 0 seconds")
        return float(window_s)
    direct = getattr(predictor, "window_s", None)
    if isinstance(direct, int | float) and direct > 0:
        return float(direct)
    settings = getattr(predictor, "settings", None)
    if isinstance(settings, Mapping):
        found = _lookup_window_s(settings)
        if found is not None:
            return found
    log.warning(
        "the predictor does not say which window length its run was trained on; using the "
        "default capture window of %.1f s. Pass window_s= (seconds, the length of the training "
        "windows; hfwidgets.live.predictor.project_window_s(project) tells it) if it differs.",
        FALLBACK_WINDOW_S,
    )
    return FALLBACK_WINDOW_S


def project_window_s(project: Any) -> float | None:
    """Typical length (seconds) of a project's labelled windows: what its runs trained on.

    The median over labelled windows of ``len(data) / rate_hz``; None without labelled windows.
    Used when a predictor does not carry its run's window length.
    """
    lengths = [
        record.data.shape[0] / float(record.rate_hz)
        for record in project.windows()
        if record.label is not None and record.rate_hz
    ]
    return float(np.median(lengths)) if lengths else None


def positive_index(predictor: Predictor, positive: str) -> int:
    """Column of the class whose events are counted; a clear error if the run lacks it."""
    classes = list(predictor.classes)
    if positive not in classes:
        raise ValueError(
            f"positive={positive!r} is not a class of this run; its classes are {classes}. "
            "Pass positive=<one of them>."
        )
    return classes.index(positive)


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


def resample_windows(windows: NDArray[np.float32], n_out: int) -> NDArray[np.float32]:
    """Linearly resample windows ``[B, n, C]`` to ``n_out`` samples over the same time span.

    Used when the live source runs at another rate than the training windows did, so the
    scalogram's frequency axis means the same thing in both.
    """
    n = windows.shape[1]
    if n == n_out:
        return windows
    # The same weights for every window and channel: one gather and one blend for the batch
    # (what np.interp gives row by row, without a Python loop on the live path).
    pos = np.linspace(0.0, n - 1.0, n_out)
    left = np.minimum(pos.astype(np.int64), n - 2)
    frac = (pos - left)[None, :, None]
    lo, hi = windows[:, left, :], windows[:, left + 1, :]
    return np.asarray(lo + (hi - lo) * frac, dtype=np.float32)
