"""Segmenter: trigger windows around motions, sliding windows for live inference."""

from __future__ import annotations

import numpy as np
import pytest

from hfwidgets.segmenter import TriggerSegmenter, Window, sliding_windows
from hfwidgets.sensors import simulate_session


def _rest(n: int) -> np.ndarray:
    xyz = np.zeros((n, 3), dtype=np.float32)
    xyz[:, 0] = -1.0
    return xyz


def test_window_keeps_pre_trigger_samples_and_fixed_length() -> None:
    xyz = _rest(300)
    xyz[120:125, 2] = 2.5  # a short burst
    seg = TriggerSegmenter(rate_hz=50, window_s=1.5, pre_s=0.4)
    windows = seg.feed(np.arange(300) / 50, xyz)
    assert len(windows) == 1
    w = windows[0]
    assert isinstance(w, Window)
    assert (w.start_index, w.trigger_index) == (100, 120)
    assert w.data.shape == (75, 3)
    assert w.t0 == pytest.approx(2.0)
    assert w.data[20, 2] == pytest.approx(2.5)


def test_refractory_time_merges_one_motion_into_one_window() -> None:
    xyz = _rest(500)
    xyz[100:110, 2] = 2.0
    xyz[130, 2] = 2.0  # still the same motion: within refractory
    xyz[300, 2] = 2.0  # a new motion
    seg = TriggerSegmenter(rate_hz=50, window_s=1.0, pre_s=0.2, refractory_s=1.0)
    windows = seg.feed(np.arange(500) / 50, xyz)
    assert [w.trigger_index for w in windows] == [100, 300]


def test_chunked_feeding_gives_the_same_windows_as_one_feed() -> None:
    t, xyz, _ = simulate_session(90, rate_hz=50, seed=5, events_per_minute=20)
    whole = TriggerSegmenter(rate_hz=50).feed(t, xyz)
    seg = TriggerSegmenter(rate_hz=50)
    chunked = []
    for i in range(0, len(t), 13):
        chunked += seg.feed(t[i : i + 13], xyz[i : i + 13])
    assert len(whole) >= 5
    assert [w.start_index for w in chunked] == [w.start_index for w in whole]
    for a, b in zip(chunked, whole, strict=True):
        np.testing.assert_array_equal(a.data, b.data)


def test_every_simulated_high_five_is_captured() -> None:
    t, xyz, events = simulate_session(120, rate_hz=50, seed=9, events_per_minute=15)
    windows = TriggerSegmenter(rate_hz=50, window_s=1.5, pre_s=0.4).feed(t, xyz)
    high_fives = [e.t for e in events if e.kind == "high-five"]
    assert high_fives
    for peak in high_fives:
        assert any(w.t0 <= peak < w.t0 + w.duration_s for w in windows), peak


def test_window_is_only_returned_once_complete() -> None:
    xyz = _rest(100)
    xyz[50, 2] = 3.0
    seg = TriggerSegmenter(rate_hz=50, window_s=1.0, pre_s=0.2)
    assert seg.feed(np.arange(60) / 50, xyz[:60]) == []
    out = seg.feed(np.arange(60, 100) / 50, xyz[60:])
    assert [w.start_index for w in out] == [40]


def test_trigger_at_stream_start_keeps_full_length() -> None:
    xyz = _rest(100)
    xyz[2, 2] = 3.0
    windows = TriggerSegmenter(rate_hz=50, window_s=1.0, pre_s=0.4).feed(np.arange(100), xyz)
    assert windows[0].start_index == 0
    assert windows[0].data.shape == (50, 3)


def test_bad_options_are_named() -> None:
    with pytest.raises(ValueError, match="pre_s"):
        TriggerSegmenter(rate_hz=50, window_s=1.0, pre_s=1.0)
    with pytest.raises(ValueError, match="threshold_g"):
        TriggerSegmenter(rate_hz=50, threshold_g=0)
    with pytest.raises(ValueError, match=r"\(n, 3\)"):
        TriggerSegmenter(rate_hz=50).feed(np.zeros(3), np.zeros((3, 2)))


def test_sliding_windows_hop_and_offset() -> None:
    t = np.arange(100) / 50
    xyz = _rest(100)
    windows = list(sliding_windows(t, xyz, rate_hz=50, window_s=1.0, hop_s=0.2, start_index=7))
    assert [w.start_index for w in windows] == [7, 17, 27, 37, 47, 57]
    assert all(w.data.shape == (50, 3) for w in windows)
    assert windows[1].t0 == pytest.approx(0.2)
    assert list(sliding_windows(t[:10], xyz[:10], rate_hz=50, window_s=1.0, hop_s=0.2)) == []
