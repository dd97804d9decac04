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


def test_replay_at_double_speed_releases_each_sample_when_it_is_due() -> None:
    t, xyz, _ = simulate_session(1.0, rate_hz=100, seed=1)
    src = ReplaySource(t, xyz, speed=2.0)
    assert src.release(0.2) == 41  # 0.2 s at 2x: recording times 0.00 .. 0.40
    assert src.release(0.2) == 0
    assert src.release(0.3) == 20
    assert src.release(10.0) == 39
    assert src.finished
    times, got = src.buffer.snapshot()
    np.testing.assert_allclose(times, t / 2)
    np.testing.assert_array_equal(got, xyz)


def test_replay_loops_with_times_going_on() -> None:
    src = ReplaySource([0.0, 0.5], np.zeros((2, 3)), speed=1.0, loop=True)
    assert src.release(2.2) == 5  # passes start every 1.0 s: 0, 0.5, 1.0, 1.5, 2.0
    times, _ = src.buffer.snapshot()
    np.testing.assert_allclose(times, [0.0, 0.5, 1.0, 1.5, 2.0])
    assert not src.finished


def test_replay_in_real_time_is_paced_by_its_thread() -> None:
    t, xyz, _ = simulate_session(1.0, rate_hz=100, seed=1)
    src = ReplaySource(t, xyz, speed=2.0)
    start = time.monotonic()
    src.start()
    try:
        assert src.wait_for_samples(100, timeout=30)
        elapsed = time.monotonic() - start
    finally:
        src.stop()
    assert elapsed >= 0.99 / 2  # the last sample is not due before then
    times, _ = src.buffer.snapshot()
    assert times[-1] - times[0] == pytest.approx(0.99 / 2, abs=1e-9)


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


def test_the_server_reports_ports_as_the_sensors_describe_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from serial.tools.list_ports_common import ListPortInfo

    from hfwidgets.sensors.port_config import collect_ports

    uno = ListPortInfo("/dev/ttyACM0", skip_link_detection=True)
    uno.vid, uno.description, uno.hwid = 0x2341, "Arduino Uno", "USB VID:PID=2341:0043"
    monkeypatch.setattr("hfwidgets.sensors.ports._list_ports.comports", lambda **_: [uno])
    ports, warnings = collect_ports(extra_ports=["loop://"])
    assert all(type(p) is PortInfo for p in ports)  # one class, not two copies that can drift
    port = ports[0]
    assert port == list_ports()[0]
    assert ports[1] == PortInfo(device="loop://", description="configured URL", origin="config")
    assert port.to_json() == {
        "device": "/dev/ttyACM0",
        "description": "Arduino Uno",
        "manufacturer": "",
        "hwid": "USB VID:PID=2341:0043",
        "vid": 0x2341,
        "pid": None,
        "serial_number": "",
        "likely_arduino": True,
        "origin": "system",
    }
    assert warnings == []
