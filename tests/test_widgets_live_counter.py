"""LiveCounter on the widget models, with a rule-based predictor on scripted simulated sessions."""

from __future__ import annotations

import numpy as np
import pytest

from hfwidgets._worker import Pump
from hfwidgets.live import LiveClassifier
from hfwidgets.sensors import SimulatedSource, simulate_session
from hfwidgets.widgets._throttle import use_pump
from hfwidgets.widgets.live_counter import LiveCounter


class SwingPredictor:
    """'high-five' when the window holds a strong swing: no model needed to test the widget."""

    classes = ("high-five", "other")
    rate_hz = 50.0
    window_s = 1.5

    def predict_proba(self, windows: np.ndarray) -> np.ndarray:
        peak = np.abs(np.linalg.norm(windows, axis=2) - 1.0).max(axis=1)
        p = np.clip((peak - 0.3) / 0.7, 0.0, 1.0)
        return np.stack([p, 1.0 - p], axis=1)


def _recorded_source() -> SimulatedSource:
    """A source with one second already in its buffer; the test appends the rest itself."""
    source = SimulatedSource(rate_hz=50.0, realtime=False, duration_s=1.0)
    source.start()
    return source


def _classify_two_high_fives(counter: LiveCounter) -> LiveClassifier:
    """Stop the counter's classifier thread and classify a scripted session on this thread.

    Two high-fives, as the arm makes them, arrive after counting started; `step` classifies
    every hop of them at once, so the outcome is exact and no test waits on a thread.
    """
    classifier = counter.classifier
    assert classifier is not None
    classifier.stop()
    t, xyz, _ = simulate_session(8.0, rate_hz=50.0, seed=3, script=["high-five", "high-five"])
    counter.source.buffer.extend(t + 1.0 + 1 / 50, xyz)
    # 1.5 s windows every 0.2 s, over the 50 + 400 samples in the buffer
    assert len(classifier.step()) == len(range(74, 450, 10))
    return classifier


def test_counts_simulated_high_fives_and_draws_probabilities() -> None:
    source = _recorded_source()
    pump = Pump(threaded=False)  # the bridge's batches run when the test says
    with use_pump(pump):
        counter = LiveCounter(source, SwingPredictor(), threshold=0.6, min_gap_s=1.0)
    try:
        counter.start_button.value = True  # what clicking Start does
        assert counter.running
        classifier = _classify_two_high_fives(counter)
        assert classifier.count == 2
        assert pump.step() == 1  # the counter's bridge: one batch for every queued hop
        assert counter.count == 2
        assert "2 <span" in counter.count_html.value
        y = np.asarray(counter._prob.y)
        assert len(y) > 10
        assert y.max() >= 0.6
        assert y.min() < 0.6
        assert "latency p50" in counter.stats_html.value
    finally:
        counter.stop()
        source.stop()
    assert not counter.running
    counter.reset_button.click()
    assert counter.count == 0
    assert "0 <span" in counter.count_html.value


def test_without_a_predictor_start_is_disabled_and_explains() -> None:
    source = SimulatedSource(rate_hz=50.0, realtime=False, duration_s=1.0)
    counter = LiveCounter(source)
    assert counter.start_button.disabled
    assert "Train a model first" in counter.stats_html.value
    with pytest.raises(ValueError, match="no predictor"):
        counter.start()


def test_threshold_slider_moves_the_dashed_line() -> None:
    source = SimulatedSource(rate_hz=50.0, realtime=False, duration_s=1.0)
    counter = LiveCounter(source, SwingPredictor())
    counter.threshold_slider.value = 0.9
    assert counter.threshold == 0.9
    np.testing.assert_allclose(np.asarray(counter._threshold_line.y), [0.9, 0.9])


def test_moving_the_threshold_while_counting_keeps_the_same_classifier() -> None:
    source = SimulatedSource(rate_hz=50.0, seed=1)
    counter = LiveCounter(source, SwingPredictor(), threshold=0.6)
    try:
        counter.start()
        classifier = counter.classifier
        counter.threshold_slider.value = 0.95
        assert counter.classifier is classifier  # no restart: its count and latencies carry on
        assert classifier is not None
        assert classifier.threshold == pytest.approx(0.95)
    finally:
        counter.stop()
        source.stop()


def test_stop_shows_the_hits_counted_since_the_last_redraw() -> None:
    source = _recorded_source()
    with use_pump(Pump(threaded=False)):  # no periodic redraw: only stop() can show the count
        counter = LiveCounter(source, SwingPredictor(), threshold=0.6, min_gap_s=1.0)
    try:
        counter.start()
        classifier = _classify_two_high_fives(counter)
        assert counter.count == 0  # nothing applied yet
        counter.stop()
        assert counter.count == classifier.count == 2
        assert "2 <span" in counter.count_html.value
    finally:
        counter.close()
        source.stop()
    assert counter.comm is None
