"""ReplaySource and port listing."""

from __future__ import annotations

import time

import numpy as np
import pytest

from hfwidgets.sensors import ReplaySource, list_ports, simulate_session
from hfwidgets.sensors.ports import PortInfo, describe_ports


def test_replay_as_fast_as_possible_keeps_the_recording() -> None:
    t, xyz, _ = simulate_session(10, rate_hz=50, seed=1)
    with ReplaySource(t + 100.0, xyz, speed=None) as src:
        assert src.finished
    t2, xyz2 = src.buffer.snapshot()
    np.testing.assert_array_equal(xyz2, xyz)
    np.testing.assert_allclose(t2, t)  # 0-based, whatever the recording's origin
    assert src.rate_hz == pytest.approx(50)


def test_replay_in_real_time_at_double_speed() -> None:
    t, xyz, _ = simulate_session(1.0, rate_hz=100, seed=1)
    src = ReplaySource(t, xyz, speed=2.0)
    start = time.monotonic()
    src.start()
    try:
        time.sleep(0.2)
        midway = src.buffer.total
        assert src.wait_for_samples(100, timeout=3)
        elapsed = time.monotonic() - start
    finally:
        src.stop()
    assert 20 <= midway <= 60  # 0.2 s at 2x of 100 Hz is ~40 samples
    assert 0.4 <= elapsed < 1.5
    times, _ = src.buffer.snapshot()
    assert times[-1] - times[0] == pytest.approx(0.99 / 2, abs=0.01)


def test_replay_rejects_bad_recordings() -> None:
    with pytest.raises(ValueError, match="decrease"):
        ReplaySource([0.0, 2.0, 1.0], np.zeros((3, 3)))
    with pytest.raises(ValueError, match=r"\(n, 3\)"):
        ReplaySource([0.0, 1.0], np.zeros((2, 2)))


def test_list_ports_puts_likely_arduinos_first(monkeypatch: pytest.MonkeyPatch) -> None:
    from serial.tools.list_ports_common import ListPortInfo

    def fake_comports(include_links: bool = True) -> list[ListPortInfo]:
        a = ListPortInfo("/dev/ttyS0")
        b = ListPortInfo("/dev/ttyACM0")
        b.vid, b.pid, b.description = 0x2341, 0x0043, "Arduino Uno"
        return [a, b]

    monkeypatch.setattr("hfwidgets.sensors.ports._list_ports.comports", fake_comports)
    ports = list_ports()
    assert [p.device for p in ports] == ["/dev/ttyACM0", "/dev/ttyS0"]
    assert ports[0].likely_arduino
    assert ports[0].to_dict()["vid"] == 0x2341
    assert "/dev/ttyACM0 (Arduino Uno)" in describe_ports(ports)
    assert "no serial ports" in describe_ports([])
    assert isinstance(ports[1], PortInfo)
