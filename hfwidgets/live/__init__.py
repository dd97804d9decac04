"""Live classification: count high-fives on a stream, fast and without double counts.

- `LiveClassifier`: fixed-hop windows, batched inference, events, latency; on a worker thread
  (`start`) or one step at a time (`step`).
- `Predictor`, `LiveSource`: what it needs from a model and a source (`model.py`); the hop grid
  and window cutting shared with `classify_recording` are in `hop_windows.py`.
- `EventCounter`: pure debounced counting (threshold, hysteresis, minimum gap).
- `score_events`: per-event precision/recall against known event times.
- `classify_recording`: the same pipeline over a whole recording, without threads or clock.
"""

from __future__ import annotations

from hfwidgets.live.classifier import LiveClassifier
from hfwidgets.live.classifier_events import LiveStats, Prediction
from hfwidgets.live.counter import Counted, EventCounter
from hfwidgets.live.model import LiveSource, Predictor, project_window_s
from hfwidgets.live.offline import RecordingResult, classify_recording
from hfwidgets.live.scoring import EventScore, score_events

__all__ = [
    "Counted",
    "EventCounter",
    "EventScore",
    "LiveClassifier",
    "LiveSource",
    "LiveStats",
    "Prediction",
    "Predictor",
    "RecordingResult",
    "classify_recording",
    "project_window_s",
    "score_events",
]
