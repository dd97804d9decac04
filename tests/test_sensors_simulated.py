"""The simulated arm: plausible signals, known events, labelled windows, a realtime thread."""

from __future__ import annotations

import time

import numpy as np
import pytest

from hfwidgets.sensors import (
    MOTION_KINDS,
    SimulatedSource,
    SourceStatus,
    simulate_motion,
    simulate_session,
    simulate_windows,
)


def test_rest_reads_one_g_of_gravity_with_little_noise() -> None:
    xyz, _ = simulate_motion("rest", rate_hz=50, seed=0)
    magnitude = np.linalg.norm(xyz, axis=1)
    assert abs(magnitude.mean() - 1.0) < 0.05
    assert magnitude.std() < 0.05


@pytest.mark.parametrize("rate_hz", [25.0, 50.0, 119.0, 1000.0])
def test_high_five_has_an_impact_spike_far_above_other_motions(rate_hz: float) -> None:
    peaks = {}
    for kind in MOTION_KINDS:
        xyz, _ = simulate_motion(kind, rate_hz=rate_hz, seed=4)
        assert xyz.dtype == np.float32
        assert np.isfinite(xyz).all()
        peaks[kind] = float(np.abs(np.linalg.norm(xyz, axis=1) - 1).max())
    others = max(v for k, v in peaks.items() if k != "high-five")
    assert peaks["high-five"] > 2.0
    assert peaks["high-five"] > 1.5 * others
    assert all(v < 16 for v in peaks.values())  # inside the MPU-9250's largest range


def test_unknown_motion_names_the_choices() -> None:
    with pytest.raises(ValueError, match="high-five"):
        simulate_motion("punch")


def test_session_is_reproducible_and_events_are_inside() -> None:
    t, xyz, events = simulate_session(60, rate_hz=50, seed=7, events_per_minute=20)
    _t2, xyz2, events2 = simulate_session(60, rate_hz=50, seed=7, events_per_minute=20)
    assert t.shape == (3000,)
    assert xyz.shape == (3000, 3)
    np.testing.assert_array_equal(xyz, xyz2)
    assert events == events2
    assert 8 <= len(events) <= 40
    assert all(0 <= e.t < 60 for e in events)
    assert [e.t for e in events] == sorted(e.t for e in events)
    # the impact of each high-five is visible at its reported time
    for e in events:
        if e.kind == "high-five":
            i = round(e.t * 50)
            near = np.linalg.norm(xyz[max(0, i - 3) : i + 4], axis=1)
            assert np.abs(near - 1).max() > 1.5


def test_script_performs_the_listed_motions_in_order() -> None:
    _, _, events = simulate_session(20, rate_hz=50, seed=1, script=["wave", "high-five"])
    assert [e.kind for e in events] == ["wave", "high-five"]


def test_windows_are_labelled_balanced_and_separable_by_peak() -> None:
    windows, labels = simulate_windows(20, rate_hz=50, window_s=1.5, seed=3)
    assert windows.shape == (40, 75, 3)
    assert windows.dtype == np.float32
    assert labels.count("high-five") == labels.count("other") == 20
    peak = np.abs(np.linalg.norm(windows, axis=2) - 1).max(axis=1)
    is_hf = np.array([lab == "high-five" for lab in labels])
    assert peak[is_hf].min() > np.median(peak[~is_hf])


def test_offline_source_fills_buffer_at_once_with_zero_based_times() -> None:
    src = SimulatedSource(rate_hz=100, realtime=False, duration_s=5, script=["high-five"])
    with src:
        pass
    t, xyz = src.buffer.snapshot()
    assert t[0] == 0.0
    assert xyz.shape == (500, 3)
    assert [e.kind for e in src.events] == ["high-five"]


def test_realtime_source_streams_at_its_rate_on_the_monotonic_clock() -> None:
    src = SimulatedSource(rate_hz=200, seed=2)
    seen: list[SourceStatus] = []
    src.on_status(seen.append)
    start = time.monotonic()
    with src:
        assert src.wait_for_samples(100, timeout=5)
        stats = src.stats()
        t, _ = src.buffer.snapshot()
    elapsed = time.monotonic() - start
    assert stats.connected
    assert stats.rate_hz == pytest.approx(200, rel=0.01)
    assert t.size >= 100
    assert t.size <= 200 * elapsed + 5  # never runs ahead of the clock
    assert start - 0.1 < t[0] < start + 0.1
    assert [s.connected for s in seen] == [True, False]
    assert not src.running
