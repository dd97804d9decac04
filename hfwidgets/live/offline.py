"""The live pipeline over a whole recording at once: no thread, no clock, as fast as possible.

Same hop grid, same window cutting and resampling, same `EventCounter` as `LiveClassifier`, so
a recorded session (or a simulated one with known high-fives) can be scored in seconds, and a
threshold can be tuned on it before trying it live.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import ArrayLike

from hfwidgets.live.classifier_events import Prediction
from hfwidgets.live.counter import Counted, EventCounter
from hfwidgets.live.hop_windows import HopGeometry, cut_windows
from hfwidgets.live.model import Predictor, positive_index, resolve_window_s

__all__ = ["RecordingResult", "classify_recording"]


@dataclass(frozen=True)
class RecordingResult:
    """Every hop's prediction and every counted event of one recording."""

    predictions: tuple[Prediction, ...]
    events: tuple[Counted, ...]

    @property
    def event_times(self) -> list[float]:
        """Times of the counted events (for `score_events`)."""
        return [e.t for e in self.events]


def classify_recording(
    t: ArrayLike,
    xyz: ArrayLike,
    predictor: Predictor,
    *,
    rate_hz: float,
    hop_s: float = 0.2,
    window_s: float | None = None,
    threshold: float = 0.8,
    min_gap_s: float = 1.0,
    positive: str = "high-five",
    batch_size: int = 64,
    consecutive: int = 1,
) -> RecordingResult:
    """Classify every hop of a recording and count events, exactly as `LiveClassifier` would.

    Parameters
    ----------
    t : array, shape (n,)
        Sample times in seconds.
    xyz : array, shape (n, 3)
        Acceleration in g.
    predictor : Predictor
        See `hfwidgets.live.Predictor`.
    rate_hz : float
        Sample rate of the recording.
    hop_s, window_s, threshold, min_gap_s, positive, consecutive
        As for `LiveClassifier` (here without the run's operating point: the counting
        settings are explicit, as `hfwidgets.live.calibration` sweeps them).
    batch_size : int
        Windows per ``predict_proba`` call.

    Returns
    -------
    RecordingResult
        Predictions carry ``latency_ms = nan`` (there is no arrival to measure from).
    """
    tt = np.asarray(t, dtype=float).reshape(-1)
    xx = np.asarray(xyz, dtype=np.float32)
    if xx.ndim != 2 or xx.shape[0] != tt.shape[0]:
        raise ValueError(f"t {tt.shape} and xyz {xx.shape} must be (n,) and (n, 3)")
    if not rate_hz > 0 or not hop_s > 0:
        raise ValueError(f"rate_hz={rate_hz!r} and hop_s={hop_s!r} must be > 0")
    win_s = resolve_window_s(predictor, window_s)
    pos = positive_index(predictor, positive)
    classes = tuple(predictor.classes)
    geo = HopGeometry.of(
        window_s=win_s, hop_s=hop_s, source_rate=rate_hz, model_rate=float(predictor.rate_hz)
    )
    counter = EventCounter(threshold=threshold, min_gap_s=min_gap_s, consecutive=consecutive)
    predictions: list[Prediction] = []
    events: list[Counted] = []
    all_ends = list(range(geo.window_n - 1, tt.shape[0], geo.hop_n))
    for start in range(0, len(all_ends), batch_size):
        ends = all_ends[start : start + batch_size]
        windows = cut_windows(xx, first_index=0, ends=ends, window_n=geo.window_n)
        probs = np.asarray(predictor.predict_proba(geo.to_model(windows)))
        for row, end in zip(probs, ends, strict=True):
            pred = Prediction(
                t=float(tt[end]),
                probs=dict(zip(classes, (float(p) for p in row), strict=True)),
                latency_ms=float("nan"),
                index=end,
            )
            predictions.append(pred)
            counted = counter.update(pred.t, float(row[pos]))
            if counted is not None:
                events.append(replace(counted, index=end))
    return RecordingResult(predictions=tuple(predictions), events=tuple(events))
