"""What live classification needs from a trained model and from a source.

`LiveClassifier` works with anything that looks like `Predictor` (the object
``hfwidgets.training.predictor.load_predictor`` returns, or a fake in tests): class names, the
sample rate the run was trained at, and ``predict_proba`` on raw windows. The predictor owns the
scalogram settings of its run, so live inference and training always share one transform. This
module also answers the questions asked of a model before classifying: which window length
(`resolve_window_s`, `project_window_s`) and which column is the counted class (`positive_index`).
How windows are cut and resampled is in `hfwidgets.live.hop_windows`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

import numpy as np
from numpy.typing import NDArray

from hfwidgets.store.project import Project

__all__ = [
    "FALLBACK_WINDOW_S",
    "LiveSource",
    "Predictor",
    "SampleBuffer",
    "positive_index",
    "project_window_s",
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


class SampleBuffer(Protocol):
    """The part of `hfwidgets.sensors.RingBuffer` the live classifier reads."""

    @property
    def total(self) -> int: ...

    def since(self, index: int) -> tuple[int, NDArray[np.float64], NDArray[np.float32]]: ...


class LiveSource(Protocol):
    """What the live classifier reads: a nominal rate and a `hfwidgets.sensors.RingBuffer`.

    Every `hfwidgets.sensors.Source` is one; so is a bare object with those two attributes.
    """

    @property
    def rate_hz(self) -> float: ...

    @property
    def buffer(self) -> SampleBuffer: ...


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
    found = settings.get("window_s") if isinstance(settings, Mapping) else None
    if isinstance(found, int | float) and found > 0:  # the key the trainer writes, nowhere else
        return float(found)
    log.warning(
        "the predictor does not say which window length its run was trained on; using the "
        "default capture window of %.1f s. Pass window_s= (seconds, the length of the training "
        "windows; hfwidgets.live.project_window_s(project) tells it) if it differs.",
        FALLBACK_WINDOW_S,
    )
    return FALLBACK_WINDOW_S


def project_window_s(project: Project) -> float | None:
    """Typical length (seconds) of a project's labelled windows: what its runs trained on.

    The median over labelled windows of ``len(data) / rate_hz``; None without labelled windows.
    Used when a predictor does not carry its run's window length.
    """
    lengths = [
        record.data.shape[0] / float(record.rate_hz)
        for record in project.windows.all()
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
