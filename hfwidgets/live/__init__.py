"""Live classification: count high-fives on a stream, fast and without double counts.

- `LiveClassifier`: worker thread, fixed-hop windows, batched inference, events, latency.
- `EventCounter`: pure debounced counting (threshold, hysteresis, minimum gap).
- `score_events`: per-event precision/recall against known event times.
- `classify_recording`: the same pipeline over a whole recording, without threads or clock.
"""

from __future__ import annotations

from hfwidgets.live.classifier import LiveClassifier
from hfwidgets.live.counter import Counted, EventCounter
from hfwidgets.live.events import LiveStats, Prediction
from hfwidgets.live.offline import RecordingResult, classify_recording
from hfwidgets.live.predictor import Predictor
from hfwidgets.live.scoring import EventScore, score_events

__all__ = [
    "Counted",
    "EventCounter",
    "EventScore",
    "LiveClassifier",
    "LiveStats",
    "Prediction",
    "Predictor",
    "RecordingResult",
    "classify_recording",
    "score_events",
]
