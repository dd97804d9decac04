"""Calibration of the live counter: the sweep on crafted probability streams (exact counts), the
operating point stored with a run, and its use by the counter and the classifier."""

from __future__ import annotations

import math
import time
from pathlib import Path

import numpy as np
import pytest

from hfwidgets.live import EventCounter, LiveClassifier, classify_recording, score_events
from hfwidgets.live.calibration import calibrate, calibrate_run
from hfwidgets.live.calibration_sessions import labelled_event_times, sessions_for
from hfwidgets.live.hop_stream import HopStream, count_stream
from hfwidgets.live.operating_point import (
    METRICS_KEY,
    OperatingPoint,
    store_operating_point,
    stored_operating_point,
)
from hfwidgets.live.sweep import SweepRow, choose_operating_point, pareto_front, sweep
from hfwidgets.sensors.buffer import RingBuffer
from hfwidgets.store import Project
from hfwidgets.store.run_metrics import RunMetrics
from tests.fakes import JoltPredictor

HOP = 0.2
EVENTS = (5.0, 15.0, 25.0, 35.0, 45.0, 55.0)


def crafted_stream() -> HopStream:
    """60 s of hops with 1 s windows (a count matches an event up to 1 s after it).

    - events at 5, 15, 25, 35: three hops at 0.95 right after them;
    - event at 45: 0.95 for three hops, a dip to 0.1, three more at 0.95 (one motion seen
      twice: a double count unless the gap or hops in a row prevent it);
    - event at 55: a weak one, three hops at 0.7;
    - no event at 10 (one stray hop at 0.9) nor at 30 (two hops at 0.85).
    """
    t = np.round(np.arange(0, 60.0 + HOP / 2, HOP), 6)
    p = np.full(t.shape, 0.05)

    def put(times: list[float], value: float) -> None:
        for x in times:
            p[np.isclose(t, x)] = value

    for e in EVENTS[:4]:
        put([e + 0.2, e + 0.4, e + 0.6], 0.95)
    put([45.2, 45.4, 45.6], 0.95)
    put([45.8], 0.1)
    put([46.0, 46.2, 46.4], 0.95)
    put([55.2, 55.4, 55.6], 0.7)
    put([10.0], 0.9)
    put([30.0, 30.2], 0.85)
    return HopStream(t=t, prob=p, event_times=EVENTS, window_s=1.0, name="crafted")


def test_crafted_stream_time_accounting() -> None:
    stream = crafted_stream()
    assert stream.span == pytest.approx((-0.25, 59.25))  # a quarter window in from the edges
    assert stream.scored_events == 6
    assert stream.other_s == pytest.approx(59.5 - 6 * 1.0)  # each event holds one window


@pytest.mark.parametrize(
    ("threshold", "consecutive", "gap", "expected"),
    [
        # 4 clean + 45 + its second bump (0.8 s later) + 55 (0.7) + strays at 10 and 30
        (0.6, 1, 0.6, [5.2, 10.0, 15.2, 25.2, 30.0, 35.2, 45.2, 46.0, 55.2]),
        (0.6, 1, 1.0, [5.2, 10.0, 15.2, 25.2, 30.0, 35.2, 45.2, 55.2]),
        (0.6, 2, 1.0, [5.4, 15.4, 25.4, 30.2, 35.4, 45.4, 55.4]),
        (0.6, 3, 1.0, [5.6, 15.6, 25.6, 35.6, 45.6, 55.6]),
        (0.6, 3, 0.6, [5.6, 15.6, 25.6, 35.6, 45.6, 46.4, 55.6]),
        (0.8, 1, 1.0, [5.2, 10.0, 15.2, 25.2, 30.0, 35.2, 45.2]),
        (0.9, 2, 1.0, [5.4, 15.4, 25.4, 35.4, 45.4]),
        (0.97, 1, 1.0, []),
    ],
)
def test_count_stream_counts_exactly(
    threshold: float, consecutive: int, gap: float, expected: list[float]
) -> None:
    counts = count_stream(
        crafted_stream(), threshold=threshold, consecutive=consecutive, min_gap_s=gap
    )
    np.testing.assert_allclose(counts, expected, atol=1e-9)


def _row(rows: list[SweepRow], threshold: float, consecutive: int, gap: float) -> SweepRow:
    (row,) = [
        r
        for r in rows
        if (r.threshold, r.consecutive, r.min_gap_s) == (threshold, consecutive, gap)
    ]
    return row


def test_sweep_reports_recall_precision_and_false_counts_per_hour() -> None:
    rows = sweep(
        [crafted_stream()], thresholds=(0.6, 0.8, 0.9, 0.97), consecutive=(1, 2, 3),
        min_gaps_s=(0.6, 1.0),
    )  # fmt: skip
    assert len(rows) == 4 * 3 * 2
    per_hour = 3600.0 / 53.5  # one false count in the 53.5 s without an event
    r = _row(rows, 0.6, 1, 0.6)  # strays at 10 and 30 and the double count at 46.0
    assert (r.matched, r.missed, r.false_counts, r.events) == (6, 0, 3, 6)
    assert r.recall == 1.0
    assert r.precision == pytest.approx(6 / 9)
    assert r.false_per_hour == pytest.approx(3 * per_hour)
    r = _row(rows, 0.6, 3, 1.0)  # three in a row: no stray, the gap absorbs the second bump
    assert (r.matched, r.false_counts, r.recall, r.precision) == (6, 0, 1.0, 1.0)
    r = _row(rows, 0.8, 1, 1.0)  # the weak event at 55 is missed
    assert (r.matched, r.missed, r.false_counts) == (5, 1, 2)
    assert r.recall == pytest.approx(5 / 6)
    r = _row(rows, 0.97, 1, 1.0)  # counts nothing
    assert (r.matched, r.false_counts, r.recall, r.precision) == (0, 0, 0.0, 0.0)


def test_choice_fewest_false_counts_at_target_recall_ties_to_higher_threshold() -> None:
    rows = sweep(
        [crafted_stream()], thresholds=(0.6, 0.8, 0.9, 0.97), consecutive=(1, 2, 3),
        min_gaps_s=(0.6, 1.0),
    )  # fmt: skip
    best, meets = choose_operating_point(rows, target_recall=0.95)
    assert meets
    assert (best.threshold, best.consecutive, best.min_gap_s) == (0.6, 3, 1.0)
    # At 0.8 recall several settings count no false event; the highest threshold wins, then
    # the fewest hops in a row that still ignore the strays, then the shorter gap that works.
    best, meets = choose_operating_point(rows, target_recall=0.8)
    assert meets
    assert (best.threshold, best.consecutive, best.min_gap_s) == (0.9, 2, 1.0)


def test_choice_without_any_setting_at_target_takes_the_highest_recall() -> None:
    stream = crafted_stream()
    rows = sweep([stream], thresholds=(0.8, 0.9), consecutive=(1,), min_gaps_s=(1.0,))
    best, meets = choose_operating_point(rows, target_recall=0.95)
    assert not meets
    # Both miss the weak event at 55 (recall 5/6); 0.9 also ignores the 0.85 stray at 30.
    assert best.threshold == 0.9
    assert best.recall == pytest.approx(5 / 6)
    assert best.false_counts == 1


def test_pareto_front_keeps_only_undominated_settings() -> None:
    rows = sweep(
        [crafted_stream()], thresholds=(0.6, 0.8, 0.9), consecutive=(1, 2), min_gaps_s=(0.6, 1.0)
    )
    front = pareto_front(rows)
    assert front
    for a in front:
        for b in rows:
            assert not (
                b.recall >= a.recall
                and b.false_counts <= a.false_counts
                and (b.recall > a.recall or b.false_counts < a.false_counts)
            ), (a, b)
    recalls = [r.recall for r in front]
    assert recalls == sorted(recalls, reverse=True)


def test_sessions_are_pooled() -> None:
    stream = crafted_stream()
    one = calibrate([stream], hop_s=HOP, thresholds=(0.6,), consecutive=(1,), min_gaps_s=(1.0,))
    two = calibrate(
        [stream, stream], hop_s=HOP, thresholds=(0.6,), consecutive=(1,), min_gaps_s=(1.0,)
    )
    assert two.chosen.events == 2 * one.chosen.events == 12
    assert two.chosen.other_s == pytest.approx(2 * one.chosen.other_s)
    assert two.chosen.false_per_hour == pytest.approx(one.chosen.false_per_hour)
    assert two.chosen.sessions == 2


def test_event_counter_needs_consecutive_hops() -> None:
    counter = EventCounter(threshold=0.8, min_gap_s=0.0, consecutive=2)
    hits = [counter.update(t, p) for t, p in [(0.0, 0.9), (0.2, 0.1), (0.4, 0.9), (0.6, 0.9)]]
    assert [h is not None for h in hits] == [False, False, False, True]
    assert hits[3] is not None
    assert hits[3].t == pytest.approx(0.6)
    with pytest.raises(ValueError, match="consecutive"):
        EventCounter(consecutive=0)


# --- the operating point stored with the run ----------------------------------------------


def _point(**changes: object) -> OperatingPoint:
    values: dict[str, object] = dict(
        threshold=0.9, consecutive=2, min_gap_s=1.5, hop_s=HOP, recall=0.97, precision=0.99,
        false_per_hour=1.5, events=60, sessions=1, other_s=400.0, source="simulated",
    )  # fmt: skip
    values.update(changes)
    return OperatingPoint(**values)  # type: ignore[arg-type]


def test_operating_point_is_stored_with_the_run_and_other_metrics_stay(tmp_path: Path) -> None:
    with Project.create(tmp_path / "p") as project:
        run_id = project.runs.add({"model": "mobilenet_v2"})
        project.runs.update(
            run_id,
            status="finished",
            metrics=RunMetrics.from_dict({"accuracy": 0.93, "epochs": [1]}),
        )
        assert stored_operating_point(project, run_id) is None
        store_operating_point(project, run_id, _point())
    with Project.open(tmp_path / "p") as project:
        metrics = project.runs.get(run_id).metrics
        assert metrics.accuracy == 0.93
        assert metrics.operating_point is not None
        assert metrics.operating_point["threshold"] == 0.9
        assert project.runs.get(run_id).status == "finished"
        assert stored_operating_point(project, run_id) == _point()


def test_a_damaged_stored_point_names_the_run_and_the_remedy(tmp_path: Path) -> None:
    with Project.create(tmp_path / "p") as project:
        run_id = project.runs.add({})
        project.runs.update(run_id, metrics=RunMetrics.from_dict({METRICS_KEY: {"threshold": 1.7}}))
        with pytest.raises(ValueError, match=rf"run {run_id}.*threshold.*hfw calibrate"):
            stored_operating_point(project, run_id)


def test_unmeasured_fields_survive_json(tmp_path: Path) -> None:
    point = OperatingPoint(threshold=0.85)
    data = point.to_dict()
    assert data["recall"] is None
    again = OperatingPoint.from_dict(data)
    assert math.isnan(again.recall)
    assert again.counter_settings() == {"threshold": 0.85, "consecutive": 1, "min_gap_s": 1.0}


class _Fake:
    """One 'high-five' probability per hop from a script; windows of 1 s at 50 Hz."""

    classes = ("high-five", "other")
    rate_hz = 50.0
    window_s = 1.0

    def __init__(self, probs: list[float]) -> None:
        self.probs = list(probs)

    def predict_proba(self, windows: np.ndarray) -> np.ndarray:
        p = np.array([self.probs.pop(0) for _ in range(len(windows))])
        return np.stack([p, 1 - p], axis=1)


class _Source:
    def __init__(self) -> None:
        self.rate_hz = 50.0
        self.buffer = RingBuffer(5000)


def _classify(live: LiveClassifier, hops: int) -> int:
    # The first window ends at sample 49; then one hop every 10 samples.
    n = 50 + 10 * (hops - 1)
    xyz = np.zeros((n, 3), dtype=np.float32)
    buffer = live.source.buffer
    assert isinstance(buffer, RingBuffer)
    buffer.extend(np.full(n, time.monotonic()), xyz)
    live.step()
    return live.count


def test_the_classifier_counts_with_the_predictors_operating_point() -> None:
    # Two confident hops in a row: counted with consecutive=2, and only once per run.
    script = [0.1, 0.9, 0.1, 0.9, 0.9, 0.9, 0.1]
    predictor = _Fake(script)
    predictor.operating_point = _point(threshold=0.85, consecutive=2, min_gap_s=0.0)  # type: ignore[attr-defined]
    live = LiveClassifier(_Source(), predictor, hop_s=HOP)
    assert (live.threshold, live.consecutive, live.min_gap_s) == (0.85, 2, 0.0)
    assert _classify(live, len(script)) == 1
    # Without the point the same stream counts twice (each confident run once).
    live = LiveClassifier(_Source(), _Fake(script), hop_s=HOP, min_gap_s=0.0)
    assert (live.threshold, live.consecutive) == (0.8, 1)
    assert _classify(live, len(script)) == 2


def test_explicit_options_override_the_operating_point() -> None:
    predictor = _Fake([])
    predictor.operating_point = _point()  # type: ignore[attr-defined]
    live = LiveClassifier(_Source(), predictor, threshold=0.6, consecutive=1)
    assert (live.threshold, live.consecutive, live.min_gap_s) == (0.6, 1, 1.5)
    live.apply_operating_point(_point(threshold=0.7, consecutive=3, min_gap_s=0.5))
    assert (live.threshold, live.consecutive, live.min_gap_s) == (0.7, 3, 0.5)


def test_calibrate_run_stores_the_point_and_arms_the_predictor(tmp_path: Path) -> None:
    with Project.create(tmp_path / "p") as project:
        run_id = project.runs.add({})
        project.runs.update(
            run_id, status="finished", metrics=RunMetrics.from_dict({"accuracy": 0.9})
        )
        sessions, source = sessions_for(project, simulate=1, seconds=40.0)
        assert source == "1 simulated session"
        assert len(sessions[0].event_times) >= 5
        predictor = JoltPredictor()
        result = calibrate_run(project, run_id, predictor, sessions, source=source)
        stored = stored_operating_point(project, run_id)
        assert stored == result.chosen
        assert predictor.operating_point == result.chosen
        assert stored is not None
        assert stored.source == "1 simulated session"
        assert project.runs.get(run_id).metrics.accuracy == 0.9


def test_recorded_sessions_take_their_labelled_windows_as_events(tmp_path: Path) -> None:
    with Project.create(tmp_path / "p", rate_hz=50.0) as project:
        t = np.arange(1000) / 50.0 + 100.0
        sid = project.sessions.add(t, np.zeros((1000, 3)), rate_hz=50.0, source="port")
        other = project.sessions.add(t, np.zeros((1000, 3)), rate_hz=50.0, source="port")
        w = np.zeros((75, 3))
        project.windows.add(w, rate_hz=50.0, t0=102.0, session_id=sid, label="high-five")
        project.windows.add(w, rate_hz=50.0, t0=110.0, session_id=sid, label="other")
        project.windows.add(w, rate_hz=50.0, t0=104.0, session_id=sid, label="high-five")
        assert labelled_event_times(project.windows.all(), session_id=sid) == [102.75, 104.75]
        sessions, source = sessions_for(project)  # the unlabelled session is left out
        assert [s.name for s in sessions] == [f"session {sid}"]
        assert source == f"recorded session {sid} (2 events)"
        assert sessions[0].event_times == (102.75, 104.75)
        with pytest.raises(ValueError, match=f"no session {other + 5}"):
            sessions_for(project, session_ids=[other + 5])


# --- done when: calibrate on one session, count on another ---------------------------------


def _features(windows: np.ndarray) -> np.ndarray:
    """Shift-invariant summaries of a window: how hard and how jerky the motion is, per axis."""
    w = np.asarray(windows, dtype=np.float64)
    mag = np.linalg.norm(w, axis=2)
    m = np.abs(mag - 1.0)
    cols = [m.max(1), m.mean(1), (m > 0.5).mean(1), (m > 1.5).mean(1)]
    for axis in range(3):
        cols += [w[:, :, axis].max(1), w[:, :, axis].min(1), w[:, :, axis].std(1)]
    jerk = np.abs(np.diff(mag, axis=1))
    cols += [jerk.max(1), jerk.mean(1)]
    return np.stack(cols, axis=1)


class LogisticPredictor:
    """A small learned predictor (logistic regression on window summaries), fitted on
    simulated capture windows: milliseconds per session, so a test can afford long sessions.
    Like a trained network it is confident on most windows and wrong on some."""

    classes = ("high-five", "other")
    rate_hz = 50.0
    window_s = 1.5

    def __init__(self, *, n_per_class: int, seed: int) -> None:
        from hfwidgets.sensors import simulate_windows

        windows, labels = simulate_windows(n_per_class, rate_hz=50.0, window_s=1.5, seed=seed)
        x = _features(windows)
        y = np.array([label == "high-five" for label in labels], dtype=float)
        self.mean, self.scale = x.mean(0), x.std(0) + 1e-9
        z = self._design(windows)
        self.weights = np.zeros(z.shape[1])
        for _ in range(3000):  # plain gradient descent: deterministic, no extra dependency
            p = 1.0 / (1.0 + np.exp(-z @ self.weights))
            self.weights -= 0.5 * (z.T @ (p - y) / len(y) + 1e-3 * self.weights)

    def _design(self, windows: np.ndarray) -> np.ndarray:
        z = (_features(windows) - self.mean) / self.scale
        design: np.ndarray = np.c_[z, np.ones(len(z))]
        return design

    def predict_proba(self, windows: np.ndarray) -> np.ndarray:
        p = 1.0 / (1.0 + np.exp(-self._design(windows) @ self.weights))
        return np.stack([p, 1.0 - p], axis=1)


def test_calibrated_on_one_session_counts_another_with_few_misses_and_false_counts(
    tmp_path: Path,
) -> None:
    from hfwidgets.live.calibration_sessions import simulated_sessions
    from hfwidgets.sensors import ReplaySource

    predictor = LogisticPredictor(n_per_class=20, seed=5)
    # Calibrate on one session of 51 high-fives between other motions ...
    (calibration,) = simulated_sessions(1, seconds=340.0, seed=21)
    assert len(calibration.event_times) >= 50
    with Project.create(tmp_path / "p") as project:
        run_id = project.runs.add({})
        project.runs.update(
            run_id, status="finished", metrics=RunMetrics.from_dict({"accuracy": 0.9})
        )
        result = calibrate_run(project, run_id, predictor, [calibration], source="simulated")
        assert result.chosen.meets_target
        assert stored_operating_point(project, run_id) == result.chosen
    # ... and count, live, on another: more than 10 minutes without a high-five in it.
    (other,) = simulated_sessions(1, seconds=1500.0, seed=77)
    source = ReplaySource(other.t, other.xyz, speed=None, buffer_seconds=1600.0)
    live = LiveClassifier(source, predictor, hop_s=HOP)  # the run's point, nothing else given
    assert live.operating_point == result.chosen
    counted: list[float] = []
    live.on_event(lambda e: counted.append(float(other.t[e.index])))
    source.start()
    live.step()
    assert live.stats().dropped_hops == 0
    stream = HopStream(
        t=np.array([0.0, float(other.t[-1])]), prob=np.zeros(2), event_times=other.event_times,
        window_s=1.5,
    )  # fmt: skip
    half = 0.75
    score = score_events(
        counted, other.event_times, tolerance_s=half, offset_s=half, within=stream.span
    )
    events = len(score.matches) + len(score.missed)
    assert events >= 50
    assert score.recall >= 0.95, score.to_dict()
    assert stream.other_s >= 600.0
    false_per_10_min = len(score.false_positives) / (stream.other_s / 600.0)
    assert false_per_10_min <= 1.0, score.to_dict()
    # The uncalibrated defaults (0.8, one hop, 1 s) do worse on the same session: calibration
    # is what makes the counter trustworthy here.
    default = count_stream(
        HopStream.from_recording(
            classify_recording(other.t, other.xyz, predictor, rate_hz=50.0),
            other.event_times,
            window_s=1.5,
        ),
        threshold=0.8,
    )
    plain = score_events(
        default, other.event_times, tolerance_s=half, offset_s=half, within=stream.span
    )
    assert len(plain.false_positives) > len(score.false_positives)
