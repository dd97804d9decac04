"""SerialSource on real pseudo-terminals (the fake Arduino) and pyserial URLs.

The 60 s stream at 1000 lines/s runs twice: paced in real time, as a board sends it, and written
as fast as the pty takes it (bursts, the harder case for the reader). The unplug test runs in
real time.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pytest
import serial

from hfwidgets.sensors import SerialPortError, SerialSource, SourceStatus
from hfwidgets.sensors.fake_arduino import FakeArduino
from hfwidgets.sensors.protocol import format_header, format_line


def _run_to_end(fake: FakeArduino, src: SerialSource) -> None:
    assert fake.join(timeout=90)
    assert fake.wait_drained(timeout=10)
    deadline = time.monotonic() + 5
    while src.stats().good < fake.sent and time.monotonic() < deadline:
        time.sleep(0.01)


@pytest.mark.parametrize(
    "realtime",
    [pytest.param(True, marks=pytest.mark.slow, id="paced"), pytest.param(False, id="burst")],
)
def test_sixty_seconds_at_1000_lines_per_second_lose_nothing(realtime: bool) -> None:
    with FakeArduino(rate_hz=1000, seconds=60, realtime=realtime) as fake:
        src = SerialSource(fake.path, rate_hz=1000, buffer_seconds=70)
        with src:
            _run_to_end(fake, src)
            stats = src.stats()
    assert fake.sent == 60_000
    assert (stats.good, stats.bad, stats.dropped) == (60_000, 0, 0)
    assert stats.rate_hz == pytest.approx(1000)
    t, xyz = src.buffer.snapshot()
    np.testing.assert_allclose(xyz, fake.sent_samples, atol=1e-6)  # every value, in order
    assert np.all(np.diff(t) >= 0)


def test_one_percent_garbage_is_counted_exactly_and_every_good_line_kept() -> None:
    fake = FakeArduino(rate_hz=1000, seconds=20, garbage=0.01, realtime=False, seed=3)
    with fake, SerialSource(fake.path, rate_hz=1000) as src:
        _run_to_end(fake, src)
        stats = src.stats()
    assert fake.garbage_sent == 200
    assert (stats.good, stats.bad, stats.dropped) == (20_000, 200, 0)
    np.testing.assert_allclose(src.buffer.snapshot()[1], fake.sent_samples, atol=1e-6)
    assert src.last_bad_line is not None


def test_unplug_and_replug_recover_within_two_seconds() -> None:
    statuses: list[SourceStatus] = []
    fake = FakeArduino(rate_hz=1000, seconds=4.0, unplug_every=1.5, unplug_for=0.5)
    with fake:
        src = SerialSource(fake.path, rate_hz=1000)
        src.on_status(statuses.append)
        with src:
            _run_to_end(fake, src)
            stats = src.stats()
    assert fake.unplugs == 2
    assert fake.lost_unplugged == 1000
    assert fake.sent == 3000
    # only the samples made while unplugged are missing: the rest arrived, in order, unchanged
    assert stats.good == 3000
    assert stats.reconnects >= 1
    np.testing.assert_allclose(src.buffer.snapshot()[1], fake.sent_samples, atol=1e-6)
    lost = [s for s in statuses if not s.connected]
    back = [s for s in statuses if s.connected and "reconnected" in s.message]
    assert lost
    assert back
    assert "waiting for it to come back" in lost[0].message
    assert len(fake.replugs) == 2
    assert 0 < back[0].time - fake.replugs[0] < 2.0  # recovered within 2 s of the replug


def test_a_port_that_does_not_exist_is_a_clear_error() -> None:
    src = SerialSource("/dev/ttyDOESNOTEXIST9")
    with pytest.raises(
        SerialPortError, match=r"ttyDOESNOTEXIST9.*does not exist.*simulate-arduino"
    ):
        src.start()
    assert not src.running


def test_pyserial_urls_work_and_bad_baud_is_announced() -> None:
    src = SerialSource("loop://", rate_hz=50)
    notes: list[str] = []
    src.on_status(lambda s: notes.append(s.message))
    with src:
        port = src._serial
        assert isinstance(port, serial.SerialBase)
        port.write(format_header(50) + b"".join(format_line(i * 20, 0, 0, 1) for i in range(50)))
        assert src.wait_for_samples(50, timeout=5)
        port.write(b"\xff\xfe\x13garbage\n" * 30)  # what a wrong baud rate looks like
        deadline = time.monotonic() + 5
        while src.stats().bad < 30 and time.monotonic() < deadline:
            time.sleep(0.01)
    assert src.stats().bad == 30
    assert src.stats().good == 50
    assert not any("baud" in n for n in notes)  # good lines came first: not a baud problem


def test_wrong_baud_rate_noise_gets_a_hint() -> None:
    src = SerialSource("loop://")
    notes: list[str] = []
    src.on_status(lambda s: notes.append(s.message))
    with src:
        assert src._serial is not None
        src._serial.write(b"\x80\x9f\xe0garbage\n" * 25)
        deadline = time.monotonic() + 5
        while not any("baud" in n for n in notes) and time.monotonic() < deadline:
            time.sleep(0.01)
    assert any("wrong baud rate" in n and "115200" in n for n in notes)


def test_stop_is_prompt_while_no_data_arrives() -> None:
    with FakeArduino(rate_hz=10, seconds=None, realtime=True) as fake:
        src = SerialSource(fake.path, read_timeout=1.0)
        src.start()
        assert src.wait_for_samples(1, timeout=5)
        start = time.monotonic()
        src.stop()
        assert time.monotonic() - start < 1.5
        assert not src.running
        assert not src.stats().connected


def test_a_board_reset_inside_one_read_keeps_sample_times_on_the_host_clock() -> None:
    # After a stall the reader can get the last lines before a reset, the new boot header and
    # the first lines after it in one read; an hour of uptime must not stamp them in the future.
    src = SerialSource("loop://", rate_hz=50)
    before = b"".join(format_line(3_600_000 + i * 20, 0, 0, 1) for i in range(5))
    after = b"".join(format_line(i * 20, 0, 0, 1) for i in range(5))
    now = time.monotonic()
    src._ingest(before + format_header(50) + after, now)
    t, _ = src.buffer.snapshot()
    assert t.shape == (10,)
    assert np.all(np.diff(t) >= 0)
    assert t.max() <= now


def test_five_khz_whole_millisecond_stream_drops_nothing_and_runs_at_the_header_rate() -> None:
    # The fake stamps whole milliseconds, five samples in each; the reader was told 50 Hz.
    with FakeArduino(rate_hz=5000, seconds=10, realtime=False) as fake:
        src = SerialSource(fake.path, rate_hz=50, buffer_seconds=20)
        with src:
            _run_to_end(fake, src)
            stats = src.stats()
    assert fake.sent == 50_000
    assert (stats.good, stats.bad, stats.dropped) == (50_000, 0, 0)
    assert stats.rate_hz == pytest.approx(5000, rel=0.005)
    assert src.rate_hz == 5000  # the board's header, not the guess


def test_record_at_five_khz_stores_the_session_at_the_rate_of_its_windows(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from hfwidgets.cli import main
    from hfwidgets.store.project import Project

    with FakeArduino(rate_hz=5000, seconds=60, realtime=False) as fake:
        code = main(["record", "--port", fake.path, "--seconds", "3", "--rate", "5000",
                     "--project", str(tmp_path / "p"), "--json"])  # fmt: skip
    assert code == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["dropped"] == 0
    assert result["rate_hz"] == 5000
    with Project.open(tmp_path / "p") as project:
        (session_id,) = project.sessions.ids()
        assert project.sessions.get(session_id).rate_hz == 5000
        assert {w.rate_hz for w in project.windows.all()} <= {5000.0}


def test_the_newest_sample_is_never_stamped_after_it_arrived() -> None:
    # 3600.08 + (now - 3600.08) rounds one ulp past this `now` in float64: the mapped time of
    # the newest sample must still be exactly `now` at most (it failed by one ulp before).
    from hfwidgets.sensors.line_stream import DeviceClock

    now = 562.0002469134
    t_ms = np.array([3_600_000 + i * 20 for i in range(5)], dtype=np.int64)
    t = DeviceClock().map(t_ms, now)
    assert t[-1] == now
    assert np.all(np.diff(t) > 0)


def test_stats_report_no_rate_while_disconnected_and_the_new_rate_after_a_reconnect() -> None:
    # Driven synchronously (no reader thread): the state changes the reader makes on a loss and
    # a reconnect. The rate shown must never be the old one once samples stopped, and after
    # the board came back it must be the rate of the new samples only.
    src = SerialSource("loop://", rate_hz=50)
    src._stream_opened(src.port, again=False)
    src._ingest(format_header(50) + b"".join(format_line(i * 20, 0, 0, 1) for i in range(200)), 1.0)
    assert src.stats().rate_hz == pytest.approx(50)
    src._on_lost(serial.SerialException("unplugged"))
    stats = src.stats()
    assert not stats.connected
    assert stats.rate_hz == 0.0  # was 50 (the last estimate) until the port came back
    src._stream_opened(src.port, again=True)
    # The same board (its clock ran on) now sends at 100 Hz, without a new boot header.
    partial = b"0.1,0.2\n"  # the tail of a line cut by the reconnect: skipped, not counted
    lines = b"".join(format_line(10_000 + i * 10, 0, 0, 1) for i in range(50))
    src._ingest(partial + lines, 20.0)
    stats = src.stats()
    assert stats.connected
    assert stats.rate_hz == pytest.approx(100)  # was 50: the old samples' median interval
    # A deliberate stop is not a loss: the capture's rate stays readable (hfw record stores
    # the session at the rate the device really sent, read after the source stopped).
    src.stop()
    stats = src.stats()
    assert not stats.connected
    assert stats.rate_hz == pytest.approx(100)


def test_a_board_that_counts_says_each_high_five_once_and_loses_no_sample() -> None:
    from hfwidgets.sensors.fake_arduino import COUNT_DELAY_S
    from hfwidgets.sensors.motions import motion_stream

    fake = FakeArduino(rate_hz=50, seconds=120, realtime=False, seed=7, board_counts=True)
    with fake, SerialSource(fake.path, rate_hz=50, buffer_seconds=130) as src:
        _run_to_end(fake, src)
        stats, counted = src.stats(), src.board_count
    # The simulated arm's high-fives whose count falls within the 6000 samples sent.
    arm, made, expected = motion_stream(rate_hz=50, seed=7, events_per_minute=15.0), 0, 0
    while made < fake.sent:
        chunk, events = next(arm)
        made += len(chunk)
        expected += sum(
            e.kind == "high-five" and round((e.t + COUNT_DELAY_S) * 50) < fake.sent for e in events
        )
    assert expected > 5
    assert counted is not None
    assert counted.count == fake.board_count == expected
    assert counted.p is not None
    assert 0.85 <= counted.p <= 1.0
    assert (stats.good, stats.bad, stats.dropped) == (6000, 0, 0)  # count lines are not samples
    np.testing.assert_allclose(src.buffer.snapshot()[1], fake.sent_samples, atol=1e-6)
