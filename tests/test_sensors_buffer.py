"""RingBuffer: what consumers see when they snapshot while a reader thread appends."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from hfwidgets.sensors import RingBuffer


def _rows(start: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    idx = np.arange(start, start + n, dtype=np.float64)
    return idx, np.stack([idx, -idx, idx * 0.5], axis=1).astype(np.float32)


def test_snapshot_returns_newest_in_order_across_wraparound() -> None:
    buf = RingBuffer(10)
    for start in range(0, 23, 3):  # chunks of 3 wrap the 10-slot array several times
        buf.extend(*_rows(start, 3))
    assert buf.total == 24
    assert len(buf) == 10
    t, xyz = buf.snapshot(4)
    np.testing.assert_array_equal(t, [20, 21, 22, 23])
    np.testing.assert_array_equal(xyz[:, 1], [-20, -21, -22, -23])
    t_all, _ = buf.snapshot()
    np.testing.assert_array_equal(t_all, np.arange(14, 24))


def test_since_reports_how_far_a_slow_reader_fell_behind() -> None:
    buf = RingBuffer(5)
    buf.extend(*_rows(0, 12))
    first, t, _ = buf.since(3)
    assert first == 7  # 3..6 were overwritten: the reader missed 4 samples
    np.testing.assert_array_equal(t, [7, 8, 9, 10, 11])
    first, t, _ = buf.since(10)
    assert (first, t.tolist()) == (10, [10.0, 11.0])
    first, t, _ = buf.since(12)
    assert (first, t.size) == (12, 0)


def test_extend_larger_than_capacity_keeps_newest_and_counts_all() -> None:
    buf = RingBuffer(4)
    buf.extend(*_rows(0, 11))
    assert buf.total == 11
    np.testing.assert_array_equal(buf.snapshot()[0], [7, 8, 9, 10])


def test_append_single_sample_and_clear() -> None:
    buf = RingBuffer(3)
    buf.append(1.5, [0.1, 0.2, 0.3])
    t, xyz = buf.snapshot()
    assert t.tolist() == [1.5]
    np.testing.assert_allclose(xyz, [[0.1, 0.2, 0.3]], rtol=1e-6)
    buf.clear()
    assert len(buf) == 0
    assert buf.total == 1  # absolute indices stay unique after a clear
    assert buf.snapshot()[0].size == 0


def test_bad_shapes_are_rejected_with_the_expected_shape() -> None:
    buf = RingBuffer(3)
    with pytest.raises(ValueError, match=r"\(n, 3\)"):
        buf.extend(np.zeros(2), np.zeros((2, 2)))
    with pytest.raises(ValueError, match="capacity"):
        RingBuffer(0)


def test_concurrent_writer_never_yields_torn_rows() -> None:
    buf = RingBuffer(64)
    stop = threading.Event()

    def writer() -> None:
        start = 0
        while not stop.is_set() and start < 200_000:
            buf.extend(*_rows(start, 7))
            start += 7

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        for _ in range(2000):
            t, xyz = buf.snapshot(32)
            # every row belongs to its time stamp and times are consecutive
            np.testing.assert_array_equal(xyz[:, 0], t.astype(np.float32))
            if t.size > 1:
                assert np.all(np.diff(t) == 1.0)
    finally:
        stop.set()
        thread.join()
