"""Done-when: a model trained on simulated captures, calibrated on one simulated session,
counts another session's high-fives live with recall of at least 0.95 and at most one false
count per 10 minutes without a high-five (issue 18; before it: precision and recall >= 0.95
at a fixed threshold of 0.8, which later scalogram settings made too low for this model).

The project is trained as the Train tab trains it by default (MobileNetV2 with the offline
ImageNet weights, the default scalogram settings and recipe). Calibration
classifies its session once and sweeps the counting settings over the probabilities; the run
stores the chosen operating point. The counted stream is another recorded simulated session
with known high-fives, replayed through the real `LiveClassifier` (on the ONNX Runtime path
the Live tab uses when it is installed) as fast as it can classify.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from hfwidgets.live import Counted, LiveClassifier, project_window_s, score_events
from hfwidgets.live.calibration import calibrate_run
from hfwidgets.live.calibration_sessions import simulated_sessions
from hfwidgets.live.hop_stream import HopStream
from hfwidgets.live.operating_point import stored_operating_point
from hfwidgets.live.runtime import live_predictor
from hfwidgets.sensors import ReplaySource, simulate_windows
from hfwidgets.store import Project

RATE = 50.0
WINDOW_S = 1.5


@pytest.fixture(scope="module")
def trained(
    tmp_path_factory: pytest.TempPathFactory, mobilenet_v2_weights: Path
) -> tuple[Project, int]:
    from hfwidgets.training.config import TrainConfig
    from hfwidgets.training.runner import train_project

    project = Project.create(tmp_path_factory.mktemp("live") / "hf", rate_hz=RATE)
    windows, labels = simulate_windows(30, rate_hz=RATE, window_s=WINDOW_S, seed=3)
    for window, label in zip(windows, labels, strict=True):
        project.windows.add(window, rate_hz=RATE, source="simulated", label=label)
    # The default workflow a person gets from the Train tab: default scalograms (signed, band
    # from the data) and the default recipe; only the MiniRocket baseline (it measures nothing
    # here and costs a numba compile), the augment check and the refit on every window (a
    # second and third whole fit; tested in test_training_augment_check and test_training_refit)
    # are left out.
    # 12 epochs: auto would train 24 on these 24 windows (the rule: test_training_recipe).
    config = TrainConfig(
        model="mobilenet_v2",
        weights=str(mobilenet_v2_weights),
        epochs=12,
        baseline=False,
        augment_check=False,
        refit=False,
    )
    run_id = train_project(project, config)
    assert project_window_s(project) == pytest.approx(WINDOW_S)
    return project, run_id


@pytest.fixture(scope="module")
def predictor(trained: tuple[Project, int]) -> Any:
    from hfwidgets.training.predictor import load_predictor

    project, run_id = trained
    return load_predictor(project, run_id)


@pytest.mark.slow
def test_calibrated_run_counts_another_session(trained: tuple[Project, int]) -> None:
    from hfwidgets.training.predictor import load_predictor

    project, run_id = trained
    # Calibrate on one session of 51 high-fives between other motions (seed 21) ...
    (calibration,) = simulated_sessions(1, seconds=340.0, rate_hz=RATE, seed=21)
    fast = live_predictor(load_predictor(project, run_id))
    result = calibrate_run(project, run_id, fast, [calibration], source="simulated")
    assert result.chosen.meets_target, result.chosen
    # ... and count a session the model and the calibration never saw (seed 11), with the
    # predictor as the Live tab loads it: the stored point, no counting option given.
    predictor = load_predictor(project, run_id)
    assert predictor.operating_point == stored_operating_point(project, run_id) == result.chosen
    (session,) = simulated_sessions(1, seconds=340.0, rate_hz=RATE, seed=11)
    t = session.t
    high_fives = list(session.event_times)
    source = ReplaySource(t, session.xyz, speed=None)
    counted: list[Counted] = []
    live = LiveClassifier(source, live_predictor(predictor), hop_s=0.2, window_s=WINDOW_S)
    assert live.threshold == result.chosen.threshold
    live.on_event(counted.append)
    expected_hops = len(range(round(live.window_s * RATE) - 1, len(t), 10))
    source.start()  # the whole replay arrives after the classifier was made: every hop counts
    made = live.step()
    stats = live.stats()
    assert len(made) == expected_hops
    assert stats.error is None
    assert stats.hops == expected_hops
    assert stats.dropped_hops == 0
    # Count times back on the recording's clock via the window's last sample index.
    event_times = [float(t[e.index]) for e in counted]
    assert [e.count for e in counted] == list(range(1, len(counted) + 1))
    half = live.window_s / 2
    first_end = round(live.window_s * RATE) - 1  # the first classified window's last sample
    scored = HopStream(
        t=np.array([float(t[first_end]), float(t[-1])]),
        prob=np.zeros(2),
        event_times=tuple(high_fives),
        window_s=live.window_s,
    )
    score = score_events(
        event_times, high_fives, tolerance_s=half, offset_s=half, within=scored.span
    )
    assert len(score.matches) + len(score.missed) >= 50
    assert score.recall >= 0.95, score.to_dict()
    # At most one false count per 10 minutes without a high-five: over this session's few
    # minutes without one, that allows none.
    minutes = scored.other_s / 60.0
    assert len(score.false_positives) <= minutes / 10.0, (score.to_dict(), minutes)


def test_predictor_knows_its_window_and_classes(predictor: Any) -> None:
    assert list(predictor.classes) == ["high-five", "other"]
    assert float(predictor.rate_hz) == RATE
    # A window of the training length gives a probability row per window.
    probs = np.asarray(predictor.predict_proba(np.zeros((2, 75, 3), dtype=np.float32)))
    assert probs.shape == (2, 2)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-5)
