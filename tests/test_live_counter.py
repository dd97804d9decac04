"""EventCounter: one count per high-five, however many hops see it."""

from __future__ import annotations

from typing import Any

import pytest

from hfwidgets.live import Counted, EventCounter


def feed(counter: EventCounter, probs: list[float], *, hop_s: float = 0.2) -> list[Counted]:
    events = []
    for i, p in enumerate(probs):
        event = counter.update(i * hop_s, p)
        if event is not None:
            events.append(event)
    return events


def test_one_run_of_confident_hops_counts_once() -> None:
    counter = EventCounter(threshold=0.8, min_gap_s=0.0)
    events = feed(counter, [0.1, 0.85, 0.95, 0.99, 0.9, 0.2, 0.1])
    assert [e.count for e in events] == [1]
    assert events[0].t == pytest.approx(0.2)
    assert events[0].prob == pytest.approx(0.85)
    assert counter.count == 1


def test_flicker_around_threshold_does_not_double_count() -> None:
    # Hysteresis: dipping to 0.7 (above release 0.6) keeps the same run alive.
    counter = EventCounter(threshold=0.8, min_gap_s=0.0)
    assert len(feed(counter, [0.9, 0.7, 0.9, 0.75, 0.95, 0.1])) == 1


def test_separate_runs_count_separately() -> None:
    counter = EventCounter(threshold=0.8, min_gap_s=1.0)
    probs = [0.9, 0.9, 0.1, 0.1, 0.1, 0.1, 0.1, 0.9, 0.1]  # runs at t=0 and t=1.4
    events = feed(counter, probs)
    assert [(e.count, round(e.t, 3)) for e in events] == [(1, 0.0), (2, 1.4)]


def test_second_run_within_min_gap_is_ignored() -> None:
    counter = EventCounter(threshold=0.8, min_gap_s=1.0)
    events = feed(counter, [0.9, 0.1, 0.9, 0.1, 0.1, 0.1, 0.9])  # runs at 0.0, 0.4, 1.2
    assert [round(e.t, 3) for e in events] == [0.0, 1.2]


def test_release_level_is_configurable() -> None:
    counter = EventCounter(threshold=0.8, min_gap_s=0.0, release=0.8)
    assert len(feed(counter, [0.9, 0.79, 0.9])) == 2


def test_threshold_can_change_without_losing_the_count() -> None:
    counter = EventCounter(threshold=0.8, min_gap_s=0.0)
    feed(counter, [0.9, 0.1])
    counter.set_threshold(0.95)
    assert counter.count == 1
    assert counter.release == pytest.approx(0.75)
    assert counter.update(1.0, 0.9) is None  # no longer confident enough
    assert counter.update(1.2, 0.96) == Counted(t=1.2, count=2, prob=0.96)
    with pytest.raises(ValueError, match="threshold"):
        counter.set_threshold(0.0)


def test_reset_starts_from_zero() -> None:
    counter = EventCounter(threshold=0.5, min_gap_s=5.0)
    feed(counter, [0.9])
    counter.reset()
    assert counter.count == 0
    assert counter.last_t is None
    event = counter.update(0.1, 0.9)  # the gap is forgotten too
    assert event == Counted(t=0.1, count=1, prob=0.9)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"threshold": 0.0}, "threshold"),
        ({"threshold": 1.5}, "threshold"),
        ({"min_gap_s": -1.0}, "min_gap_s"),
        ({"threshold": 0.5, "release": 0.7}, "release"),
    ],
)
def test_bad_options_name_the_option(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        EventCounter(**kwargs)
