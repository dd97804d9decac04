"""`hfw simulate-arduino` and `hfw record`, end to end through a real pseudo-terminal.

The fake writes its lines as fast as they are read; `hfw record --samples N` stops once all N
arrived (``--seconds`` is only the upper bound), so a busy machine changes the time, not the
outcome.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from hfwidgets.cli import main
from hfwidgets.segmenter import TriggerSegmenter
from hfwidgets.sensors.fake_arduino import FakeArduino
from hfwidgets.store.project import Project


def _last_json(text: str) -> dict[str, Any]:
    last: dict[str, Any] = json.loads(text.strip().splitlines()[-1])
    return last


def test_record_from_simulate_arduino_subprocess(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cmd = [sys.executable, "-m", "hfwidgets", "simulate-arduino", "--rate", "50",
           "--seconds", "60", "--garbage", "0.01", "--fast", "--json",
           "--link", str(tmp_path / "ttyHFW0")]  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        port = proc.stdout.readline().strip()
        assert port == str(tmp_path / "ttyHFW0")
        assert Path(port).is_symlink()
        # --samples: done when all 3000 arrived, however slowly a busy machine reads them.
        code = main(["record", "--port", port, "--seconds", "120", "--samples", "3000",
                     "--project", str(tmp_path / "proj"), "--json"])  # fmt: skip
        out, _ = proc.communicate(timeout=20)
    finally:
        proc.kill()
    assert code == 0
    summary = _last_json(out)
    result = _last_json(capsys.readouterr().out)
    assert summary["sent"] == 3000
    assert summary["garbage"] == 30
    assert result["samples"] == 3000
    assert result["bad_lines"] == 30
    assert result["reconnects"] == 0
    assert result["rate_hz"] == pytest.approx(50, rel=0.01)
    assert not Path(port).exists()  # the fake removed its link on exit
    with Project.open(tmp_path / "proj") as project:
        windows = project.windows.all()
        session = project.sessions.get(result["session_id"])
    assert len(windows) == result["windows"] >= 3
    assert session.xyz.shape == (3000, 3)
    assert all(w.data.shape == (75, 3) and w.label is None for w in windows)


def test_recorded_windows_match_segmenting_what_was_sent(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with FakeArduino(rate_hz=50, seconds=90, realtime=False, seed=5) as fake:
        code = main(["record", "--port", fake.path, "--seconds", "120", "--samples", "4500",
                     "--project", str(tmp_path / "p"), "--label", "other", "--json"])  # fmt: skip
    assert code == 0
    result = _last_json(capsys.readouterr().out)
    expected = TriggerSegmenter(rate_hz=50).feed(np.arange(fake.sent) / 50, fake.sent_samples)
    assert result["samples"] == fake.sent == 4500
    assert result["windows"] == len(expected) > 0
    with Project.open(tmp_path / "p") as project:
        stored = project.windows.all()
    assert [w.label for w in stored] == ["other"] * len(expected)
    np.testing.assert_allclose(stored[0].data, expected[0].data, atol=1e-6)


def test_record_without_port_uses_the_simulated_arm(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["record", "--seconds", "60", "--fast", "--project", str(tmp_path / "s"),
                 "--json"])  # fmt: skip
    assert code == 0
    result = _last_json(capsys.readouterr().out)
    assert set(result) >= {"samples", "bad_lines", "windows", "rate_hz", "reconnects"}
    assert result["samples"] == 3000
    assert result["windows"] >= 3


def test_record_from_a_missing_port_fails_clearly_and_creates_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["record", "--port", str(tmp_path / "ttyNONE"), "--seconds", "1",
                 "--project", str(tmp_path / "never")])  # fmt: skip
    assert code == 1
    assert "does not exist" in capsys.readouterr().err
    assert not (tmp_path / "never").exists()


def test_record_killed_12_s_into_a_30_s_capture_keeps_at_least_10_s(tmp_path: Path) -> None:
    import os
    import signal
    import sqlite3
    import time

    project = tmp_path / "killed"
    cmd = [sys.executable, "-m", "hfwidgets", "record", "--seconds", "30", "--rate", "50",
           "--project", str(project)]  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stderr is not None
        started = proc.stderr.readline()  # printed when the capture begins
        assert "recording 30 s" in started
        time.sleep(12.0)  # the scenario is defined in wall-clock time: 12 s into the capture
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        proc.kill()
    conn = sqlite3.connect(project / "project.sqlite")
    assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    conn.close()
    with Project.open(project) as p:
        (sid,) = p.sessions.ids()
        session = p.sessions.get(sid)
    assert session.xyz.shape[0] >= 10 * 50
    assert session.t[-1] - session.t[0] >= 10.0 - 0.02


def test_record_into_a_locked_database_loses_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import sqlite3
    import threading

    folder = tmp_path / "locked"
    Project.create(folder).close()
    lock = sqlite3.connect(folder / "project.sqlite", isolation_level=None,
                           check_same_thread=False)  # fmt: skip
    lock.execute("BEGIN IMMEDIATE")  # another process is writing (an import, a training run)
    released = threading.Timer(2.5, lambda: lock.execute("ROLLBACK"))
    released.start()
    try:
        code = main(["record", "--seconds", "60", "--fast", "--project", str(folder), "--json"])
    finally:
        released.join()
        lock.close()
    assert code == 0
    captured = capsys.readouterr()
    assert "kept in memory and retried" in captured.err
    assert "nothing was lost" in captured.err
    result = _last_json(captured.out)
    assert result["samples"] == 3000
    with Project.open(folder) as p:
        assert p.sessions.get(result["session_id"]).xyz.shape == (3000, 3)
        assert len(p.windows.ids()) == result["windows"] >= 3


def test_a_device_faster_than_rate_stores_the_session_at_the_device_rate(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # hfw record reads the source's measured rate after the capture stopped; a stopped serial
    # source must still report it (it is only unknown while the port is lost).
    with FakeArduino(rate_hz=100, seconds=60, realtime=False) as fake:
        code = main(["record", "--port", fake.path, "--rate", "50", "--samples", "500",
                     "--seconds", "60", "--project", str(tmp_path / "p"), "--json"])  # fmt: skip
    assert code == 0
    out = capsys.readouterr()
    assert "the device sends 100.0 Hz but --rate is 50" in out.err
    with Project.open(tmp_path / "p") as project:
        (session_id,) = project.sessions.ids()
        assert project.sessions.get(session_id).rate_hz == pytest.approx(100.0)
