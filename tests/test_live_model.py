"""Window cutting, resampling and the run's window length, as the live classifier uses them."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest

from hfwidgets.live.model import (
    FALLBACK_WINDOW_S,
    positive_index,
    project_window_s,
    resolve_window_s,
)
from hfwidgets.live.windows import cut_windows, resample_windows
from hfwidgets.store import Project


class Run:
    classes = ("high-five", "other")
    rate_hz = 50.0

    def __init__(self, **attrs: object) -> None:
        self.__dict__.update(attrs)

    def predict_proba(self, windows: np.ndarray) -> np.ndarray:
        return np.full((len(windows), 2), 0.5)


def test_cut_windows_ends_at_the_requested_absolute_indices() -> None:
    xyz = np.repeat(np.arange(100, 120, dtype=np.float32)[:, None], 3, axis=1)  # row = index
    windows = cut_windows(xyz, first_index=100, ends=[104, 110, 119], window_n=5)
    assert windows.shape == (3, 5, 3)
    assert windows[:, :, 0].tolist() == [
        [100, 101, 102, 103, 104],
        [106, 107, 108, 109, 110],
        [115, 116, 117, 118, 119],
    ]
    with pytest.raises(ValueError, match="outside"):
        cut_windows(xyz, first_index=100, ends=[103], window_n=5)


def test_resampling_keeps_the_shape_of_the_signal() -> None:
    ramp = np.linspace(0.0, 1.0, 150, dtype=np.float32)
    windows = np.stack([ramp, 2 * ramp, -ramp], axis=1)[None]  # 1.5 s at 100 Hz
    out = resample_windows(windows, 75)  # 1.5 s at 50 Hz
    assert out.shape == (1, 75, 3)
    np.testing.assert_allclose(out[0, :, 0], np.linspace(0.0, 1.0, 75), atol=1e-6)
    np.testing.assert_allclose(out[0, :, 1], 2 * out[0, :, 0], atol=1e-6)
    assert resample_windows(windows, 150) is windows  # same length: no copy


@pytest.mark.parametrize(("n", "n_out"), [(119, 75), (75, 150), (2, 5)])
def test_resampling_matches_linear_interpolation_of_each_window_and_axis(
    n: int, n_out: int
) -> None:
    windows = np.random.default_rng(n).standard_normal((4, n, 3)).astype(np.float32)
    out = resample_windows(windows, n_out)
    src, dst = np.linspace(0.0, 1.0, n), np.linspace(0.0, 1.0, n_out)
    for i in range(4):
        for axis in range(3):
            np.testing.assert_allclose(
                out[i, :, axis], np.interp(dst, src, windows[i, :, axis]), atol=1e-6
            )
    assert out.dtype == np.float32
    assert out.shape == (4, n_out, 3)


def test_window_length_comes_from_the_run_when_not_given() -> None:
    assert resolve_window_s(Run(window_s=2.0), None) == 2.0
    assert resolve_window_s(Run(settings={"window_s": 1.2}), None) == 1.2
    # One key, the one the trainer writes: nothing nested or differently named is guessed at.
    assert resolve_window_s(Run(settings={"data": {"window_s": 0.9}}), None) == FALLBACK_WINDOW_S
    assert resolve_window_s(Run(settings={"window_seconds": 0.9}), None) == FALLBACK_WINDOW_S
    assert resolve_window_s(Run(window_s=2.0), 1.0) == 1.0  # explicit wins
    with pytest.raises(ValueError, match="window_s=-1"):
        resolve_window_s(Run(), -1.0)


def test_unknown_window_length_falls_back_to_the_capture_default_with_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="hfwidgets.live.model"):
        assert resolve_window_s(Run(settings=object()), None) == FALLBACK_WINDOW_S == 1.5
    assert "pass window_s=" in caplog.text.lower()


def test_positive_class_must_be_one_of_the_run() -> None:
    assert positive_index(Run(), "other") == 1
    with pytest.raises(ValueError, match=r"'punch' is not a class.*high-five"):
        positive_index(Run(), "punch")


def test_project_window_length_is_the_median_labelled_window(tmp_path: Path) -> None:
    with Project.create(tmp_path / "p", rate_hz=50.0) as project:
        assert project_window_s(project) is None
        for n, label in [(75, "high-five"), (75, "other"), (60, "other"), (200, None)]:
            project.add_window(np.zeros((n, 3), np.float32), rate_hz=50.0, label=label)
        assert project_window_s(project) == pytest.approx(1.5)  # unlabelled 4 s one ignored
