"""LiveClassifier with a fake predictor: hop grid, counting, latency, callbacks, failures."""

from __future__ import annotations

import threading
import time
from typing import ClassVar

import numpy as np
import pytest

from hfwidgets.live import (
    Counted,
    LiveClassifier,
    Prediction,
    classify_recording,
    score_events,
)
from hfwidgets.sensors.buffer import RingBuffer

RATE = 50.0


class PeakPredictor:
    """Says "high-five" when the window holds a peak above 2 g; records its batch sizes."""

    classes = ("high-five", "other")
    rate_hz = RATE
    window_s = 1.0

    def __init__(self, *, delay_s: float = 0.0, fail_after: int | None = None) -> None:
        self.delay_s = delay_s
        self.fail_after = fail_after
        self.batches: list[int] = []
        self.shapes: list[tuple[int, ...]] = []

    def predict_proba(self, windows: np.ndarray) -> np.ndarray:
        if self.fail_after is not None and len(self.batches) >= self.fail_after:
            raise RuntimeError("model exploded")
        self.batches.append(len(windows))
        self.shapes.append(windows.shape)
        if self.delay_s:
            time.sleep(self.delay_s)
        peak = np.abs(windows).max(axis=(1, 2))
        p = np.where(peak > 2.0, 0.97, 0.03)
        return np.stack([p, 1 - p], axis=1)


class FakeSource:
    def __init__(self, rate_hz: float = RATE, capacity: int = 5000) -> None:
        self.rate_hz = rate_hz
        self.buffer = RingBuffer(capacity)


def bump_stream(seconds: float, bumps: list[float], rate: float = RATE) -> np.ndarray:
    """Rest at 1 g on z, with 3 g spikes (0.1 s wide) at the given times."""
    t = np.arange(round(seconds * rate)) / rate
    xyz = np.zeros((t.size, 3), dtype=np.float32)
    xyz[:, 2] = 1.0
    for b in bumps:
        xyz[np.abs(t - b) < 0.05, 0] = 3.0
    return xyz


def feed(source: FakeSource, xyz: np.ndarray, *, speed: float, chunk: int = 5) -> None:
    """Append samples stamped with time.monotonic(), ``speed`` times faster than real time."""
    for i in range(0, len(xyz), chunk):
        part = xyz[i : i + chunk]
        now = time.monotonic()
        source.buffer.extend(np.full(len(part), now), part)
        time.sleep(len(part) / source.rate_hz / speed)


def settle(live: LiveClassifier, *, hops: int, timeout: float = 10.0) -> None:
    """Wait until the worker classified ``hops`` hops (robust on a loaded machine)."""
    deadline = time.monotonic() + timeout
    while live.stats().hops < hops and live.running and time.monotonic() < deadline:
        time.sleep(0.01)


def n_hops(n_samples: int, *, window_n: int = 50, hop_n: int = 10) -> int:
    return len(range(window_n - 1, n_samples, hop_n))


@pytest.fixture
def source() -> FakeSource:
    return FakeSource()


def test_counts_each_bump_once_and_publishes_events(source: FakeSource) -> None:
    bumps = [1.5, 3.5, 5.5]
    xyz = bump_stream(7.0, bumps)
    predictions: list[Prediction] = []
    events: list[Counted] = []
    live = LiveClassifier(source, PeakPredictor(), hop_s=0.2, threshold=0.8, min_gap_s=1.0)
    live.on_prediction(predictions.append)
    live.on_event(events.append)
    with live:
        feed(source, xyz, speed=10.0)
        settle(live, hops=n_hops(len(xyz)))
    assert live.count == 3
    assert [e.count for e in events] == [1, 2, 3]
    # Windows end every 10 samples from sample 49 (1 s window): the offline grid, exactly.
    assert [p.index for p in predictions] == list(range(49, len(xyz), 10))
    assert set(predictions[0].probs) == {"high-five", "other"}
    assert predictions[0].label == "other"
    stats = live.stats()
    assert stats.hops == len(predictions)
    assert stats.events == 3
    assert stats.dropped_hops == 0
    assert stats.latency_clock == "sample"
    assert 0 <= stats.latency_ms_p50 <= stats.latency_ms_p95 < 1000
    assert not stats.running


def test_live_and_offline_agree(source: FakeSource) -> None:
    xyz = bump_stream(5.0, [1.2, 3.4])
    times = np.arange(len(xyz)) / RATE
    offline = classify_recording(times, xyz, PeakPredictor(), rate_hz=RATE, hop_s=0.2)
    seen: list[Prediction] = []
    with LiveClassifier(source, PeakPredictor(), hop_s=0.2) as live:
        live.on_prediction(seen.append)
        feed(source, xyz, speed=10.0)
        settle(live, hops=n_hops(len(xyz)))
    assert [p.index for p in seen] == [p.index for p in offline.predictions]
    assert [p.probs for p in seen] == [p.probs for p in offline.predictions]
    assert len(offline.events) == live.count == 2
    # Offline times are the recording's clock: score them against the bump times.
    score = score_events(offline.event_times, [1.2, 3.4], tolerance_s=1.0)
    assert score.precision == score.recall == 1.0


def test_backlog_is_classified_in_one_batch(source: FakeSource) -> None:
    predictor = PeakPredictor()
    live = LiveClassifier(source, predictor, hop_s=0.2)
    live.start()
    time.sleep(0.05)
    # Two seconds arrive at once: (100 - 49) // 10 + 1 = 6 hops, one predict_proba call.
    source.buffer.extend(np.full(100, time.monotonic()), bump_stream(2.0, []))
    deadline = time.monotonic() + 3
    while live.stats().hops < 6 and time.monotonic() < deadline:
        time.sleep(0.01)
    live.stop()
    assert predictor.batches == [6]


def test_slow_model_reports_it_cannot_keep_up(source: FakeSource) -> None:
    predictor = PeakPredictor(delay_s=0.15)  # slower than the 0.1 s hop
    with LiveClassifier(source, predictor, hop_s=0.1) as live:
        feed(source, bump_stream(3.0, []), speed=1.5)
        settle(live, hops=n_hops(150, hop_n=5))
    stats = live.stats()
    assert not stats.keeps_up
    assert max(predictor.batches) > 1  # the backlog was batched, not dropped
    assert stats.dropped_hops == 0


def test_overwritten_samples_become_dropped_hops() -> None:
    source = FakeSource(capacity=60)
    predictor = PeakPredictor(delay_s=0.3)
    with LiveClassifier(source, predictor, hop_s=0.2, max_batch=2) as live:
        feed(source, bump_stream(4.0, []), speed=4.0)
        time.sleep(0.7)
    stats = live.stats()
    assert stats.dropped_hops > 0
    assert not stats.keeps_up
    assert stats.error is None


def test_source_at_another_rate_is_resampled_to_the_run_rate() -> None:
    source = FakeSource(rate_hz=100.0)
    predictor = PeakPredictor()
    with LiveClassifier(source, predictor, hop_s=0.2) as live:
        feed(source, bump_stream(2.0, [1.5], rate=100.0), speed=10.0)
        settle(live, hops=n_hops(200, window_n=100, hop_n=20))
    assert {shape[1] for shape in predictor.shapes} == {50}  # 1 s at the run's 50 Hz
    assert live.count == 1


def test_a_failing_callback_does_not_stop_the_worker(source: FakeSource) -> None:
    calls: list[Prediction] = []

    def broken(_: Prediction) -> None:
        raise RuntimeError("widget went away")

    live = LiveClassifier(source, PeakPredictor(), hop_s=0.2)
    live.on_prediction(broken)
    live.on_prediction(calls.append)
    live.on_prediction(calls.append)  # registered once only
    with live:
        feed(source, bump_stream(2.0, []), speed=10.0)
        settle(live, hops=6)
        live.on_prediction(calls.append, remove=True)
        n = len(calls)
        feed(source, bump_stream(0.6, []), speed=10.0)
        settle(live, hops=9)
    assert n == 6 == len(calls)
    assert live.stats().error is None


def test_predictor_error_ends_the_worker_and_is_reported(source: FakeSource) -> None:
    live = LiveClassifier(source, PeakPredictor(fail_after=1), hop_s=0.2)
    with live:
        feed(source, bump_stream(2.0, []), speed=10.0)
        settle(live, hops=6)
        assert not live.running
    assert isinstance(live.error, RuntimeError)
    assert "model exploded" in (live.stats().error or "")


def test_reset_zeroes_the_count_while_running(source: FakeSource) -> None:
    with LiveClassifier(source, PeakPredictor(), hop_s=0.2, min_gap_s=0.5) as live:
        feed(source, bump_stream(3.0, [1.5]), speed=10.0)
        settle(live, hops=11)
        assert live.count == 1
        live.reset()
        assert live.count == 0
        feed(source, bump_stream(2.0, [0.5]), speed=10.0)
        settle(live, hops=21)
        assert live.count == 1


def test_threshold_change_while_running_applies_to_later_hops(source: FakeSource) -> None:
    with LiveClassifier(source, PeakPredictor(), hop_s=0.2, min_gap_s=0.5) as live:
        feed(source, bump_stream(3.0, [1.5]), speed=10.0)
        settle(live, hops=11)
        live.threshold = 0.99  # above the fake model's 0.97: nothing counts any more
        feed(source, bump_stream(2.0, [0.5]), speed=10.0)
        settle(live, hops=21)
    assert live.threshold == 0.99
    assert live.count == 1


def test_stop_returns_promptly_without_data(source: FakeSource) -> None:
    live = LiveClassifier(source, PeakPredictor()).start()
    time.sleep(0.05)
    began = time.monotonic()
    live.stop()
    assert time.monotonic() - began < 0.5
    assert not live.running
    assert threading.active_count() >= 1


def test_bad_options_are_explained(source: FakeSource) -> None:
    with pytest.raises(ValueError, match=r"positive='wave'.*high-five"):
        LiveClassifier(source, PeakPredictor(), positive="wave")
    with pytest.raises(ValueError, match="hop_s"):
        LiveClassifier(source, PeakPredictor(), hop_s=0)

    class NoWindow:
        classes = ("high-five", "other")
        rate_hz = RATE
        settings: ClassVar[dict[str, object]] = {}

        def predict_proba(self, windows: np.ndarray) -> np.ndarray:
            return np.zeros((len(windows), 2))

    assert LiveClassifier(source, NoWindow()).window_s == 1.5  # the capture default
    assert LiveClassifier(source, NoWindow(), window_s=2.0).window_s == 2.0
