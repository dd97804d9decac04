"""HopGrid: which window ends are due, and stream time across a change of the source's rate."""

from __future__ import annotations

import pytest

from hfwidgets.live.hop_grid import HopGrid


def test_due_ends_come_once_each_in_order_and_at_most_a_batch_at_a_time() -> None:
    grid = HopGrid(window_s=1.0, hop_s=0.2, source_rate=50.0, model_rate=50.0)
    assert grid.take_due(49, most=16) == []  # the first window needs 50 samples
    assert grid.take_due(50, most=16) == [49]
    assert grid.take_due(120, most=3) == [59, 69, 79]  # a backlog, a batch at a time
    assert grid.take_due(120, most=16) == [89, 99, 109, 119]
    assert grid.take_due(120, most=16) == []


def test_a_rate_change_cuts_at_the_new_rate_and_keeps_stream_time_continuous() -> None:
    grid = HopGrid(window_s=1.0, hop_s=0.2, source_rate=50.0, model_rate=50.0)
    assert grid.take_due(60, most=16) == [49, 59]
    assert grid.stream_time(69) == pytest.approx(69 / 50)
    assert not grid.follow(50.0)
    assert grid.follow(100.0)
    assert (grid.geo.window_n, grid.geo.hop_n, grid.geo.source_rate) == (100, 20, 100.0)
    assert grid.next_end == 99  # a full window of history at the new rate
    # Before the change a sample was 1/50 s, after it 1/100 s; no jump where they meet.
    assert grid.stream_time(99) == pytest.approx(69 / 50 + 30 / 100)
    assert grid.take_due(140, most=16) == [99, 119, 139]


def test_poll_delay_waits_for_the_missing_samples_but_at_most_a_quarter_hop() -> None:
    grid = HopGrid(window_s=1.0, hop_s=0.2, source_rate=50.0, model_rate=50.0)
    assert grid.poll_delay(0) == pytest.approx(0.05 + 0.005)  # 50 missing: a quarter hop
    assert grid.poll_delay(49) == pytest.approx(0.005)  # the last one is due: poll finely
