"""Ingest capacity of SerialSource against a plain ``readline()`` loop, same run, same pty.

A fake Arduino (``hfw simulate-arduino --fast``, a separate process so its CPU is not counted)
writes N lines as fast as the reader takes them. Measured in this process, for each reader:
lines/s from open to last sample, and CPU seconds (all threads) per 1000 samples. The plain
loop is what one writes first: ``serial.Serial(port).readline()`` then split and float().

    python bench/ingest.py [--lines 100000] [--json]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import serial

from hfwidgets.sensors.serial_source import SerialSource


def _fake(lines: int, rate: float, link: Path) -> tuple[subprocess.Popen[str], str]:
    cmd = [sys.executable, "-m", "hfwidgets", "simulate-arduino", "--fast", "--json",
           "--rate", str(rate), "--seconds", str(lines / rate), "--link", str(link),
           "--boot", "0"]  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    return proc, proc.stdout.readline().strip()


def run_serial_source(port: str, lines: int) -> tuple[float, float, int]:
    cpu0, wall0 = time.process_time(), time.perf_counter()
    src = SerialSource(port, rate_hz=1000.0, buffer_seconds=lines / 1000 + 10)
    src.start()
    src.wait_for_samples(lines, timeout=300)
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    src.stop()
    return wall, cpu, src.stats().good


def run_plain_readline(port: str, lines: int) -> tuple[float, float, int]:
    cpu0, wall0 = time.process_time(), time.perf_counter()
    ser = serial.Serial(port, 115200, timeout=1.0)
    good = 0
    while good < lines:
        line = ser.readline()
        if not line:
            break
        fields = line.split(b",")
        if len(fields) != 4:
            continue
        try:
            _t, _x, _y, _z = int(fields[0]), float(fields[1]), float(fields[2]), float(fields[3])
        except ValueError:
            continue
        good += 1
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    ser.close()
    return wall, cpu, good


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, reader in (("plain readline()", run_plain_readline),
                             ("SerialSource", run_serial_source)):  # fmt: skip
            proc, port = _fake(args.lines, 1000.0, Path(tmp) / "ttyBENCH")
            try:
                wall, cpu, good = reader(port, args.lines)
            finally:
                proc.terminate()
                proc.wait(timeout=10)
            results[name] = {
                "lines": good,
                "lines_per_s": good / wall,
                "cpu_s_per_1000": 1000 * cpu / max(good, 1),
            }
    plain, ours = results["plain readline()"], results["SerialSource"]
    ratio_rate = ours["lines_per_s"] / plain["lines_per_s"]
    ratio_cpu = ours["cpu_s_per_1000"] / plain["cpu_s_per_1000"]
    print(f"{'reader':<18}{'lines':>9}{'lines/s':>12}{'CPU ms/1000':>14}")
    for name, r in results.items():
        print(
            f"{name:<18}{r['lines']:>9}{r['lines_per_s']:>12.0f}{1000 * r['cpu_s_per_1000']:>14.2f}"
        )
    print(f"SerialSource / plain: {ratio_rate:.2f}x lines/s, {ratio_cpu:.2f}x CPU per sample")
    if args.json:
        print(json.dumps({"results": results, "ratio_lines_per_s": ratio_rate,
                          "ratio_cpu_per_sample": ratio_cpu}))  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
