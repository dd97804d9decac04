"""score_events: per-event precision and recall with a time tolerance."""

from __future__ import annotations

import pytest

from hfwidgets.live import score_events


def test_perfect_counts() -> None:
    score = score_events([1.1, 3.05, 6.2], [1.0, 3.0, 6.0], tolerance_s=0.5)
    assert (score.precision, score.recall, score.f1) == (1.0, 1.0, 1.0)
    assert score.matches == ((1.1, 1.0), (3.05, 3.0), (6.2, 6.0))
    assert score.false_positives == ()
    assert score.missed == ()


def test_double_count_costs_precision_not_recall() -> None:
    score = score_events([1.0, 1.3], [1.1], tolerance_s=0.5)
    assert score.recall == 1.0
    assert score.precision == 0.5
    assert len(score.false_positives) == 1


def test_miss_and_spurious_event() -> None:
    score = score_events([1.0, 9.0], [1.0, 4.0], tolerance_s=0.5)
    assert score.precision == 0.5
    assert score.recall == 0.5
    assert score.missed == (4.0,)
    assert score.false_positives == (9.0,)
    assert score.f1 == pytest.approx(0.5)


def test_tolerance_is_inclusive_and_offset_is_subtracted() -> None:
    assert score_events([1.5], [1.0], tolerance_s=0.5).recall == 1.0
    assert score_events([1.51], [1.0], tolerance_s=0.5).recall == 0.0
    # A counter firing 0.8 s after each motion still matches with offset_s=0.8.
    assert score_events([1.8, 4.8], [1.0, 4.0], tolerance_s=0.2, offset_s=0.8).f1 == 1.0


def test_matching_maximises_pairs_where_nearest_first_would_not() -> None:
    # Nearest-first pairs 0.9 with 1.2 and leaves both 0.5 and 1.5 alone (1 match);
    # the best one-to-one matching is 0.9-0.5 and 1.5-1.2 (2 matches).
    score = score_events([0.9, 1.5], [0.5, 1.2], tolerance_s=0.45)
    assert score.recall == 1.0
    assert score.precision == 1.0
    assert score.matches == ((0.9, 0.5), (1.5, 1.2))


def test_input_order_does_not_matter() -> None:
    a = score_events([3.0, 1.0, 2.1], [2.0, 1.1, 3.2], tolerance_s=0.3)
    b = score_events([1.0, 2.1, 3.0], [1.1, 2.0, 3.2], tolerance_s=0.3)
    assert a == b


def test_empty_streams() -> None:
    assert score_events([], [], tolerance_s=1.0).f1 == 1.0
    nothing_counted = score_events([], [1.0], tolerance_s=1.0)
    assert (nothing_counted.precision, nothing_counted.recall) == (0.0, 0.0)
    nothing_happened = score_events([1.0], [], tolerance_s=1.0)
    assert (nothing_happened.precision, nothing_happened.recall) == (0.0, 0.0)


def test_bad_input() -> None:
    with pytest.raises(ValueError, match="tolerance_s"):
        score_events([1.0], [1.0], tolerance_s=0)
    with pytest.raises(ValueError, match="finite"):
        score_events([float("nan")], [1.0], tolerance_s=1.0)


def test_to_dict_for_json() -> None:
    d = score_events([1.0, 5.0], [1.0], tolerance_s=0.5).to_dict()
    assert d == {
        "precision": 0.5,
        "recall": 1.0,
        "f1": pytest.approx(2 / 3),
        "matched": 1,
        "false_positives": 1,
        "missed": 0,
    }


def test_within_ignores_events_cut_off_at_the_stream_edges() -> None:
    # The 0.2 s motion started before the stream was classified; the 9.9 s count came from a
    # window the stream ended in. Neither should count against the counter.
    score = score_events([3.0, 9.9], [0.2, 3.1], tolerance_s=0.5, within=(1.0, 9.0))
    assert (score.precision, score.recall) == (1.0, 1.0)
    assert len(score.matches) == 1


def test_within_keeps_a_pair_whose_count_fired_just_outside() -> None:
    # The motion at 1.5 s lies inside the scored stretch; its count (corrected to 0.9 s) lies
    # just before it. It is a hit, not a miss plus an ignored count.
    score = score_events([1.65, 4.0], [1.5, 3.4], tolerance_s=0.75, offset_s=0.75, within=(1.0, 9))
    assert score.recall == 1.0
    assert score.precision == 1.0
    assert score.matches == ((1.65, 1.5), (4.0, 3.4))
