"""LiveCounter on the widget models, with a rule-based predictor on scripted simulated sessions."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from hfwidgets._worker import Pump
from hfwidgets.live import LiveClassifier
from hfwidgets.live.operating_point import stored_operating_point
from hfwidgets.sensors import SimulatedSource, simulate_session
from hfwidgets.sensors.protocol import BoardCount
from hfwidgets.store import Project
from hfwidgets.store.run_metrics import RunMetrics
from hfwidgets.widgets._throttle import use_pump
from hfwidgets.widgets.live_counter import LiveCounter
from tests.fakes import JoltPredictor

#: The rule predictor's full scale here: 'high-five' for a strong swing, no model needed.
SWING_G = 0.7


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
    classifier: LiveClassifier | None = counter.classifier
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
        counter = LiveCounter(source, JoltPredictor(full_g=SWING_G), threshold=0.6, min_gap_s=1.0)
    try:
        counter.start_button.value = True  # what clicking Start does
        assert counter.running
        classifier = _classify_two_high_fives(counter)
        assert classifier.count == 2
        assert pump.step() == 1  # the counter's bridge: one batch for every queued hop
        assert counter.count == 2
        assert "2 <span" in counter.count_html.value
        y = np.asarray(counter.probabilities.line.y)
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
    counter = LiveCounter(source, JoltPredictor(full_g=SWING_G))
    counter.threshold_slider.value = 0.9
    assert counter.threshold == 0.9
    np.testing.assert_allclose(np.asarray(counter.probabilities.threshold_line.y), [0.9, 0.9])


def test_moving_the_threshold_while_counting_keeps_the_same_classifier() -> None:
    source = SimulatedSource(rate_hz=50.0, seed=1)
    counter = LiveCounter(source, JoltPredictor(full_g=SWING_G), threshold=0.6)
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
        counter = LiveCounter(source, JoltPredictor(full_g=SWING_G), threshold=0.6, min_gap_s=1.0)
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


# --- Calibrate section ----------------------------------------------------------------------


def _project_with_run(tmp_path: Path) -> tuple[Project, int]:
    project = Project.create(tmp_path / "p", rate_hz=50.0)
    run_id = project.runs.add({})
    project.runs.update(run_id, status="finished", metrics=RunMetrics.from_dict({"accuracy": 0.9}))
    return project, run_id


def test_calibrate_stores_the_point_and_the_live_tab_says_it(tmp_path: Path) -> None:
    project, run_id = _project_with_run(tmp_path)
    source = SimulatedSource(rate_hz=50.0, realtime=False, duration_s=1.0)
    counter = LiveCounter(source, project=project, calibrate_seconds=40.0)
    counter.set_predictor(JoltPredictor(full_g=SWING_G, run_id=run_id))
    assert f"Run {run_id}</b> counts with threshold 0.8 (slider)" in counter.operating_html.value
    assert "not calibrated" in counter.operating_html.value
    result = counter.calibrate(wait=True)
    assert result is not None
    point = stored_operating_point(project, run_id)
    assert point is not None
    assert point == result.chosen
    assert counter.threshold == pytest.approx(point.threshold)  # the slider follows
    assert "its operating point: threshold" in counter.operating_html.value
    assert f"stored with run {run_id}" in counter.calibrate_html.value
    assert counter.calibrate_table.value.count("<tr") == len(result.front) + 1
    assert counter.calibrate_plot in counter.calibration_view.plot_box.children  # drawn
    assert len(np.asarray(counter.calibration_view.all_points.x)) == len(result.rows)
    # Counting now uses the whole point, not only its threshold.
    counter.start()
    try:
        assert counter.classifier is not None
        assert counter.classifier.consecutive == point.consecutive
        assert counter.classifier.min_gap_s == point.min_gap_s
    finally:
        counter.close()
        source.stop()
        project.close()


def test_the_calibrate_button_works_on_a_thread_and_applies_on_the_pump(tmp_path: Path) -> None:
    project, run_id = _project_with_run(tmp_path)
    source = SimulatedSource(rate_hz=50.0, realtime=False, duration_s=1.0)
    pump = Pump(threaded=False)
    with use_pump(pump):
        counter = LiveCounter(
            source,
            JoltPredictor(full_g=SWING_G, run_id=run_id),
            project=project,
            calibrate_seconds=30.0,
        )
    try:
        counter.calibrate_button.click()
        assert counter.calibrate_button.disabled  # one calibration at a time
        assert counter._cal_worker is not None
        counter._cal_worker.join(60)
        assert counter.calibration is None  # nothing shown until the pump applies it
        pump.step()
        assert counter.calibration is not None
        assert not counter.calibrate_button.disabled
        assert stored_operating_point(project, run_id) == counter.calibration.chosen
    finally:
        counter.close()
        project.close()


def test_calibrate_without_a_project_run_explains() -> None:
    source = SimulatedSource(rate_hz=50.0, realtime=False, duration_s=1.0)
    counter = LiveCounter(source, JoltPredictor(full_g=SWING_G))
    assert counter.calibrate() is None
    assert "trained run of this project" in counter.calibrate_html.value


def test_a_stored_point_from_a_shared_project_is_escaped(tmp_path: Path) -> None:
    from hfwidgets.live.operating_point import OperatingPoint

    evil = "<img src=x onerror=alert(1)>"
    # 0.995: the top of the sweep, which a confident network often gets; the slider holds it
    point = OperatingPoint(threshold=0.995, recall=0.97, precision=1.0, false_per_hour=0.0,
                           source=evil)  # fmt: skip
    source = SimulatedSource(rate_hz=50.0, realtime=False, duration_s=1.0)
    counter = LiveCounter(source, JoltPredictor(full_g=SWING_G, run_id=3, operating_point=point))
    for html_value in (counter.operating_html.value, counter.calibrate_html.value):
        assert evil not in html_value
        assert "&lt;img src=x onerror=alert(1)&gt;" in html_value
    assert counter.threshold == pytest.approx(0.995)
    assert counter.threshold_slider.value == pytest.approx(0.995)
    assert "threshold 0.995, 1 hop" in counter.operating_html.value
    assert "slider overrides" not in counter.operating_html.value


class _CountingBoard(SimulatedSource):
    """A source whose board says what it counted (as a board-model sketch's '# count' lines)."""

    reading: BoardCount | None = None

    @property
    def board_count(self) -> BoardCount | None:
        return self.reading


def test_the_boards_count_shows_beside_the_notebooks_since_start() -> None:
    source = _CountingBoard(rate_hz=50.0, realtime=False, duration_s=1.0)
    source.start()
    pump = Pump(threaded=False)
    with use_pump(pump):
        counter = LiveCounter(source, JoltPredictor(full_g=SWING_G), threshold=0.6, min_gap_s=1.0)
    try:
        assert counter.board_view.value == ""  # a board that never counted shows nothing
        source.reading = BoardCount(5, 0.9)  # it counted five before the notebook started
        counter.start_button.value = True
        classifier = _classify_two_high_fives(counter)
        source.reading = BoardCount(7, 0.97)  # ... and the same two high-fives since
        pump.step()
        assert classifier.count == 2
        html = counter.board_view.value
        assert "hfw-board-total' style='font-size:24px'>7</b>" in html
        assert "p=0.97" in html
        assert "<b class='hfw-board-since'>2</b> on the board" in html
        assert "<b class='hfw-notebook-since'>2</b> in the notebook" in html
        assert counter.board_view in counter.children
    finally:
        counter.stop()
        source.stop()
    counter.reset_button.click()  # both count from here again
    assert "<b class='hfw-board-since'>0</b>" in counter.board_view.value
