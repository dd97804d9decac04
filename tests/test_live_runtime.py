"""The ONNX Runtime path of live counting gives the run's probabilities and keeps its settings."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from hfwidgets.live.operating_point import OperatingPoint
from hfwidgets.live.runtime import OnnxPredictor, live_predictor

pytest.importorskip("onnxruntime")


@pytest.fixture(scope="module")
def run_predictor() -> Any:
    """A RunPredictor with an untrained small network on small scalograms (cheap)."""
    import torch

    from hfwidgets.models import StagedNet, build_architecture
    from hfwidgets.scalogram import ScalogramSettings
    from hfwidgets.training.predictor import RunPredictor

    torch.manual_seed(0)
    net = build_architecture("squeezenet1_1", num_classes=2, pretrained=False)
    predictor = RunPredictor(
        StagedNet(net, "squeezenet1_1"), classes=["high-five", "other"],
        settings=ScalogramSettings(size=(48, 48)), rate_hz=50.0, model_name="squeezenet1_1",
        run_id=4, window_s=1.5,
    )  # fmt: skip
    predictor.operating_point = OperatingPoint(threshold=0.9, consecutive=2)
    return predictor


def test_onnxruntime_gives_the_same_probabilities_as_torch(run_predictor: Any) -> None:
    fast = live_predictor(run_predictor, backend="onnxruntime")
    assert isinstance(fast, OnnxPredictor)
    rng = np.random.default_rng(1)
    windows = (rng.normal(0, 1, (6, 75, 3)) * np.linspace(0.1, 4, 6)[:, None, None]).astype(
        np.float32
    )
    expected = run_predictor.predict_proba(windows)
    got = fast.predict_proba(windows)
    assert got.shape == (6, 2)
    np.testing.assert_allclose(got, expected, atol=1e-4)
    assert np.ptp(expected[:, 0]) > 1e-3  # the windows get different answers: a real check
    np.testing.assert_allclose(fast.predict_proba(windows[0]), expected[:1], atol=1e-4)


def test_the_fast_path_is_the_same_run(run_predictor: Any) -> None:
    fast = live_predictor(run_predictor)  # auto: onnxruntime is installed here
    assert fast.backend == "onnxruntime"  # type: ignore[attr-defined]
    assert list(fast.classes) == ["high-five", "other"]
    assert fast.rate_hz == 50.0
    assert fast.window_s == 1.5  # type: ignore[attr-defined]
    assert fast.run_id == 4  # type: ignore[attr-defined]
    assert fast.operating_point == run_predictor.operating_point  # type: ignore[attr-defined]
    # Calibrating through the fast path arms the run's own predictor (the Live tab reads it).
    before, newer = run_predictor.operating_point, OperatingPoint(threshold=0.7)
    try:
        fast.operating_point = newer  # type: ignore[attr-defined]
        assert run_predictor.operating_point is newer
    finally:
        run_predictor.operating_point = before
    assert live_predictor(run_predictor, backend="torch") is run_predictor
    assert live_predictor(fast) is fast


class _Rule:
    classes = ("high-five", "other")
    rate_hz = 50.0

    def predict_proba(self, windows: np.ndarray) -> np.ndarray:
        return np.tile([0.5, 0.5], (len(windows), 1))


def test_predictors_without_a_network_stay_as_they_are() -> None:
    rule = _Rule()
    assert live_predictor(rule) is rule
    with pytest.raises(ValueError, match="no network"):
        live_predictor(rule, backend="onnxruntime")
    with pytest.raises(ValueError, match="backend='tensorrt' is not one of"):
        live_predictor(rule, backend="tensorrt")
