"""Done-when: a model trained on simulated captures counts simulated high-fives live with event
precision and recall of at least 0.95.

The project is trained with the frozen-prefix fast path (MobileNetV2 with the offline ImageNet
weights, every group but the head frozen, so features are computed once). The stream is a
recorded simulated session with known high-fives, replayed through the real `LiveClassifier`
thread as fast as it can classify (no waiting for the wall clock).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from hfwidgets.live import Counted, LiveClassifier, project_window_s, score_events
from hfwidgets.models import layer_groups
from hfwidgets.scalogram import ScalogramSettings
from hfwidgets.sensors import ReplaySource, simulate_session, simulate_windows
from hfwidgets.store import Project

RATE = 50.0
WINDOW_S = 1.5


@pytest.fixture(scope="module")
def predictor(tmp_path_factory: pytest.TempPathFactory, mobilenet_v2_weights: Path) -> Any:
    from hfwidgets.training import TrainConfig, load_predictor, train_project

    torch.set_num_threads(2)
    project = Project.create(tmp_path_factory.mktemp("live") / "hf", rate_hz=RATE)
    # Smaller images than 224 px: ImageNet features still separate the motions, at 1/4 the cost.
    project.set_setting("scalogram", ScalogramSettings(size=(112, 112)).to_dict())
    windows, labels = simulate_windows(30, rate_hz=RATE, window_s=WINDOW_S, seed=3)
    for window, label in zip(windows, labels, strict=True):
        project.add_window(window, rate_hz=RATE, source="simulated", label=label)
    config = TrainConfig(
        model="mobilenet_v2",
        weights=str(mobilenet_v2_weights),
        frozen=tuple(layer_groups("mobilenet_v2")[:-1]),
        epochs=30,
        lr=3e-3,
        num_threads=2,
    )
    run_id = train_project(project, config)
    assert project_window_s(project) == pytest.approx(WINDOW_S)
    return load_predictor(project, run_id)


@pytest.mark.slow
def test_live_counts_simulated_high_fives(predictor: Any) -> None:
    # 20 high-fives, each followed by another motion, 1-2 s apart; another seed than the
    # training windows, so a session the model never saw.
    others = ("swing", "wave", "raise", "walk")
    script = [kind for i in range(20) for kind in ("high-five", others[i % 4])]
    t, xyz, truth = simulate_session(132.0, rate_hz=RATE, seed=11, script=script)
    high_fives = [e.t for e in truth if e.kind == "high-five"]
    assert len(high_fives) == 20  # enough events for 0.95 to mean something: no miss allowed
    source = ReplaySource(t, xyz, speed=None)
    counted: list[Counted] = []
    live = LiveClassifier(
        source, predictor, hop_s=0.2, window_s=WINDOW_S, threshold=0.8, min_gap_s=1.0
    )
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
    score = score_events(
        event_times,
        high_fives,
        tolerance_s=half,
        offset_s=half,
        within=(live.window_s, float(t[-1]) - half),
    )
    assert score.precision >= 0.95, score
    assert score.recall >= 0.95, score


def test_predictor_knows_its_window_and_classes(predictor: Any) -> None:
    assert list(predictor.classes) == ["high-five", "other"]
    assert float(predictor.rate_hz) == RATE
    # A window of the training length gives a probability row per window.
    probs = np.asarray(predictor.predict_proba(np.zeros((2, 75, 3), dtype=np.float32)))
    assert probs.shape == (2, 2)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-5)
