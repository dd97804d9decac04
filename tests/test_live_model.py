"""Window cutting and the run's window length, as the live classifier uses them."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest

from hfwidgets.live.hop_windows import cut_windows
from hfwidgets.live.model import (
    FALLBACK_WINDOW_S,
    positive_index,
    project_window_s,
    resolve_window_s,
)
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
            project.windows.add(np.zeros((n, 3), np.float32), rate_hz=50.0, label=label)
        assert project_window_s(project) == pytest.approx(1.5)  # unlabelled 4 s one ignored
