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


def feed(live: LiveClassifier, xyz: np.ndarray, *, chunk: int = 5) -> list[Prediction]:
    """Append samples stamped with time.monotonic() chunk by chunk, stepping after each one.

    What a reader thread and the worker do, on this thread: every hop is classified once, in
    order, with no sleeping and no waiting for a thread.
    """
    made: list[Prediction] = []
    for i in range(0, len(xyz), chunk):
        part = xyz[i : i + chunk]
        buffer = live.source.buffer
        assert isinstance(buffer, RingBuffer)
        buffer.extend(np.full(len(part), time.monotonic()), part)
        made.extend(live.step())
    return made


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
    returned = feed(live, xyz)
    assert returned == predictions
    assert live.count == 3
    assert [e.count for e in events] == [1, 2, 3]
    # Windows end every 10 samples from sample 49 (1 s window): the offline grid, exactly.
    assert [p.index for p in predictions] == list(range(49, len(xyz), 10))
    assert set(predictions[0].probs) == {"high-five", "other"}
    assert predictions[0].label == "other"
    stats = live.stats()
    assert stats.hops == len(predictions) == n_hops(len(xyz))
    assert stats.events == 3
    assert stats.dropped_hops == 0
    assert stats.latency_clock == "sample"
    assert 0 <= stats.latency_ms_p50 <= stats.latency_ms_p95 < 1000
    assert not stats.running


def test_the_worker_thread_classifies_what_step_would(source: FakeSource) -> None:
    xyz = bump_stream(3.0, [1.5])
    live = LiveClassifier(source, PeakPredictor(), hop_s=0.2)
    done = threading.Event()
    seen: list[Prediction] = []

    def collect(prediction: Prediction) -> None:
        seen.append(prediction)
        if len(seen) == n_hops(len(xyz)):
            done.set()

    live.on_prediction(collect)
    with live:
        assert live.running
        source.buffer.extend(np.full(len(xyz), time.monotonic()), xyz)
        assert done.wait(timeout=30)  # a deadline, not a pace: returns as soon as all are in
    assert not live.running
    assert [p.index for p in seen] == list(range(49, len(xyz), 10))
    assert live.count == 1
    assert live.stats().error is None


def test_live_and_offline_agree(source: FakeSource) -> None:
    xyz = bump_stream(5.0, [1.2, 3.4])
    times = np.arange(len(xyz)) / RATE
    offline = classify_recording(times, xyz, PeakPredictor(), rate_hz=RATE, hop_s=0.2)
    live = LiveClassifier(source, PeakPredictor(), hop_s=0.2)
    seen = feed(live, xyz)
    assert [p.index for p in seen] == [p.index for p in offline.predictions]
    assert [p.probs for p in seen] == [p.probs for p in offline.predictions]
    assert len(offline.events) == live.count == 2
    # Offline times are the recording's clock: score them against the bump times.
    score = score_events(offline.event_times, [1.2, 3.4], tolerance_s=1.0)
    assert score.precision == score.recall == 1.0


def test_backlog_is_classified_in_one_batch(source: FakeSource) -> None:
    predictor = PeakPredictor()
    live = LiveClassifier(source, predictor, hop_s=0.2)
    assert live.step() == []
    # Two seconds arrive at once: (100 - 49) // 10 + 1 = 6 hops, one predict_proba call.
    source.buffer.extend(np.full(100, time.monotonic()), bump_stream(2.0, []))
    assert len(live.step()) == 6
    assert predictor.batches == [6]


def test_slow_model_reports_it_cannot_keep_up(source: FakeSource) -> None:
    predictor = PeakPredictor(delay_s=0.15)  # slower than the 0.1 s hop
    live = LiveClassifier(source, predictor, hop_s=0.1)
    feed(live, bump_stream(1.0, []), chunk=50)  # the first window: one hop
    feed(live, bump_stream(0.3, []), chunk=15)  # three hops arrived during that call
    stats = live.stats()
    assert predictor.batches == [1, 3]  # the backlog was batched, not dropped
    assert stats.inference_ms_p95 >= 150
    assert not stats.keeps_up
    assert stats.dropped_hops == 0


def test_overwritten_samples_become_dropped_hops() -> None:
    source = FakeSource(capacity=60)
    live = LiveClassifier(source, PeakPredictor(), hop_s=0.2, max_batch=2)
    # Four seconds arrive while the model is busy: only the newest 60 samples are still there.
    source.buffer.extend(np.full(200, time.monotonic()), bump_stream(4.0, []))
    made = live.step()
    # Hops end at 49, 59, ..., 199; a window of 50 needs samples from index 140 on: 189, 199.
    assert [p.index for p in made] == [189, 199]
    stats = live.stats()
    assert (stats.hops, stats.dropped_hops) == (2, n_hops(200) - 2)
    assert not stats.keeps_up
    assert stats.error is None


def test_source_at_another_rate_is_resampled_to_the_run_rate() -> None:
    source = FakeSource(rate_hz=100.0)
    predictor = PeakPredictor()
    live = LiveClassifier(source, predictor, hop_s=0.2)
    made = feed(live, bump_stream(2.0, [1.5], rate=100.0))
    assert len(made) == n_hops(200, window_n=100, hop_n=20)
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
    feed(live, bump_stream(2.0, []))
    live.on_prediction(calls.append, remove=True)
    n = len(calls)
    feed(live, bump_stream(0.6, []))
    assert n == 6 == len(calls)
    assert live.stats().hops == 9
    assert live.stats().error is None


def test_predictor_error_is_raised_by_step_and_reported(source: FakeSource) -> None:
    live = LiveClassifier(source, PeakPredictor(fail_after=1), hop_s=0.2)
    source.buffer.extend(np.full(50, time.monotonic()), bump_stream(1.0, []))
    assert len(live.step()) == 1
    source.buffer.extend(np.full(10, time.monotonic()), bump_stream(0.2, []))
    with pytest.raises(RuntimeError, match="model exploded"):
        live.step()
    assert isinstance(live.error, RuntimeError)
    assert "model exploded" in (live.stats().error or "")


def test_predictor_error_ends_the_worker_thread_and_is_reported(source: FakeSource) -> None:
    live = LiveClassifier(source, PeakPredictor(fail_after=0), hop_s=0.2).start()
    source.buffer.extend(np.full(50, time.monotonic()), bump_stream(1.0, []))
    assert live.join(timeout=30)  # the worker ends on the error by itself
    assert not live.running
    assert isinstance(live.error, RuntimeError)
    assert "model exploded" in (live.stats().error or "")


def test_reset_zeroes_the_count_while_running(source: FakeSource) -> None:
    live = LiveClassifier(source, PeakPredictor(), hop_s=0.2, min_gap_s=0.5)
    feed(live, bump_stream(3.0, [1.5]))
    assert live.count == 1
    live.reset()
    assert live.count == 0
    feed(live, bump_stream(2.0, [0.5]))
    assert live.stats().hops == 21
    assert live.count == 1


def test_threshold_change_while_running_applies_to_later_hops(source: FakeSource) -> None:
    live = LiveClassifier(source, PeakPredictor(), hop_s=0.2, min_gap_s=0.5)
    feed(live, bump_stream(3.0, [1.5]))
    live.threshold = 0.99  # above the fake model's 0.97: nothing counts any more
    feed(live, bump_stream(2.0, [0.5]))
    assert live.stats().hops == 21
    assert live.threshold == 0.99
    assert live.count == 1


def test_stop_returns_promptly_without_data(source: FakeSource) -> None:
    live = LiveClassifier(source, PeakPredictor()).start()
    assert [t.name for t in threading.enumerate()].count("hfw-live") == 1
    began = time.monotonic()
    live.stop()
    assert time.monotonic() - began < 0.5
    assert not live.running
    assert "hfw-live" not in [t.name for t in threading.enumerate()]


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


def test_a_board_announcing_another_rate_after_start_is_cut_at_its_rate() -> None:
    # A serial source learns the board's rate from its header once the port is open, after
    # the classifier was made (hfw predict makes it first). Windows must then span window_s
    # of the board's samples, and the counter's gap must be in real seconds: before, the
    # classifier kept the rate it was made with and fed the model half-second windows.
    predictor = PeakPredictor()
    source = FakeSource(rate_hz=RATE)
    live = LiveClassifier(source, predictor, hop_s=0.2, min_gap_s=1.0)
    source.rate_hz = 2 * RATE  # the header said rate=100
    xyz = bump_stream(6.0, [2.0, 2.6, 4.5], rate=2 * RATE)
    made = feed(live, xyz, chunk=10)
    assert len(made) == n_hops(len(xyz), window_n=100, hop_n=20)
    assert {shape[1] for shape in predictor.shapes} == {50}  # 1 s at the model's 50 Hz
    # Two bumps 0.6 s apart are one count with a 1 s gap; 1.9 s later is a second.
    assert live.count == 2
