"""The min/max envelope a timeline draws of a 1-hour 50 Hz session at each view."""

from __future__ import annotations

import numpy as np
import pytest

from hfwidgets.timeline import view_envelope

RATE = 50.0


@pytest.fixture(scope="module")
def hour() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    t = np.arange(int(3600 * RATE)) / RATE
    y = rng.normal(0, 0.1, size=(t.size, 3)).astype(np.float32)
    y[:, 2] += 1.0
    y[123_457, 0] = 6.5  # one sample's spike: an envelope must not lose it
    y[99_999, 1] = -4.0
    return t, y


def test_whole_hour_draws_two_points_per_column_and_keeps_every_extreme(
    hour: tuple[np.ndarray, np.ndarray],
) -> None:
    t, y = hour
    env = view_envelope(t, y, start=0.0, end=3600.0, columns=800)
    assert not env.full_resolution
    assert env.samples_in_view == t.size
    assert env.points <= 2 * 800 + 800  # two per column, plus the leftover of the last bin
    assert env.y.max(axis=0) == pytest.approx(y.max(axis=0))  # the spikes are drawn
    assert env.y.min(axis=0) == pytest.approx(y.min(axis=0))
    spike = np.argmax(env.y[:, 0])
    assert env.t_by_channel[0, spike] == pytest.approx(123_457 / RATE)
    assert np.all(np.diff(env.t_by_channel, axis=1) >= 0)  # each axis's line runs forward


def test_every_column_holds_its_own_min_and_max(hour: tuple[np.ndarray, np.ndarray]) -> None:
    t, y = hour
    env = view_envelope(t, y, start=600.0, end=660.0, columns=100)  # 3000 samples, 30 a column
    times = env.t_by_channel[0]
    index = np.round(times * RATE).astype(int)
    assert np.array_equal(env.y[:, 0], y[index, 0])  # every point drawn is a real sample
    for k in (0, 37, 98):
        lo, hi = 599.98 + 0.6 * k, 599.98 + 0.6 * (k + 1)  # the column's samples
        drawn = env.y[(times >= lo - 1e-9) & (times < hi - 1e-9), 0]
        truth = y[(t >= lo - 1e-9) & (t < hi - 1e-9), 0]
        assert drawn.max() == truth.max()
        assert drawn.min() == truth.min()


def test_zoomed_in_view_is_full_resolution(hour: tuple[np.ndarray, np.ndarray]) -> None:
    t, y = hour
    env = view_envelope(t, y, start=1000.0, end=1010.0, columns=800)
    assert env.full_resolution
    assert env.points == 503  # 501 samples (both ends in view) plus one beyond each edge
    assert env.t_by_channel[0, 0] < 1000.0 <= env.t_by_channel[0, 1]
    assert np.array_equal(env.y[1:-1], y[50_000:50_501])


def test_bad_view_is_a_clear_error(hour: tuple[np.ndarray, np.ndarray]) -> None:
    t, y = hour
    with pytest.raises(ValueError, match="must end after it starts"):
        view_envelope(t, y, start=5.0, end=5.0, columns=10)
    with pytest.raises(ValueError, match="at least 1"):
        view_envelope(t, y, start=0.0, end=5.0, columns=0)
