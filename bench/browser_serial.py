"""Samples through the browser (Web Serial) against SerialSource on a pty, at 50 Hz and 1 kHz.

The browser path is the real one: JupyterLab and a kernel started here, Chromium driven by
Playwright, the workbench's ``WebSerialPort`` widget (anywidget) reading a scripted
``navigator.serial`` port (``tests/browser/fake_serial.js``: the hfw-imu lines paced at the
rate, in 10 ms reads) and sending byte batches to ``BrowserSerialSource`` in the kernel. Per
rate it reports samples per second into the ring buffer, kernel messages per second (average
and the most in any one second, by the page's send times), good/bad/dropped, and the delay from
a read reaching the page to its samples being in the ring buffer (page and kernel share this
machine's wall clock, so the difference is meaningful; p50/p95 over samples).

The plain alternative, in the same run: ``SerialSource`` reading a pty that a thread writes the
same lines to at the same pace; the delay is from the write to the sample appearing in the ring
buffer (polled every 0.5 ms, so it is up to 0.5 ms late).

    python bench/browser_serial.py [--seconds 20] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # the lab and fake-port helpers of the browser tests

from hfwidgets.sensors import SerialSource  # noqa: E402
from hfwidgets.sensors.protocol import format_header, format_line  # noqa: E402

RATES = (50.0, 1000.0)
CHROMIUM = "/usr/bin/chromium"

_CELL = """\
import json, threading, time
from hfwidgets.sensors import BrowserSerialSource
from hfwidgets.widgets.web_serial import WebSerialPort

source = BrowserSerialSource(rate_hz={rate}, buffer_seconds={seconds} + 60)
source.start()
port = WebSerialPort(source)

def _report():
    first = last = None
    while True:
        total = source.buffer.total
        now = time.monotonic()
        if total and first is None:
            first = now
        if total >= {total}:
            last = now
            break
        time.sleep(0.002)
    time.sleep(0.5)  # the last status or batch
    s = source.stats()
    d = source.delays_ms()
    out = dict(good=s.good, bad=s.bad, dropped=s.dropped, messages=source.messages,
               max_messages_per_s=source.max_messages_per_s(), span_s=last - first,
               delay_p50_ms=float(__import__("numpy").percentile(d, 50)),
               delay_p95_ms=float(__import__("numpy").percentile(d, 95)))
    with open({out!r}, "w") as f:
        json.dump(out, f)

threading.Thread(target=_report, daemon=True).start()
port
"""


def _notebook(path: Path, cell: str) -> None:
    nb = {
        "cells": [
            {"cell_type": "code", "metadata": {}, "source": cell, "outputs": [],
             "execution_count": None}
        ],
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                    "language": "python"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }  # fmt: skip
    path.write_text(json.dumps(nb))


def browser_path(seconds: float) -> list[dict[str, Any]]:
    """Each rate through Chromium, the widget and the kernel; the kernel's numbers."""
    from playwright.sync_api import sync_playwright

    from tests.browser.conftest import CHROMIUM_ARGS
    from tests.browser.fake_serial import fake_serial_script
    from tests.browser.labtools import open_in_lab, run_all_cells
    from tests.jupyter import start_lab

    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "lab"
        root.mkdir()
        server = start_lab(root)
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                for rate in RATES:
                    total = int(rate * seconds)
                    out = Path(tmp) / f"result-{int(rate)}.json"
                    name = f"bench-{int(rate)}.ipynb"
                    cell = _CELL.format(rate=rate, seconds=seconds, total=total, out=str(out))
                    _notebook(root / name, cell)
                    samples = np.round(np.random.default_rng(0).normal(0, 1, (997, 3)), 4)
                    context = browser.new_context()
                    page = context.new_page()
                    page.add_init_script(fake_serial_script(samples))
                    open_in_lab(page, server, name)
                    run_all_cells(page)
                    page.wait_for_selector(".hfw-web-serial button", timeout=60_000)
                    page.evaluate(
                        "cfg => Object.assign(window.__fakeSerial.config, cfg)",
                        {"rate": rate, "total": total, "garbageEvery": 0, "unplugAfter": None},
                    )
                    page.locator(".hfw-web-serial button").click()
                    page.wait_for_function(
                        "() => window.__fakeSerial.done", timeout=int(seconds * 3000) + 60_000
                    )
                    deadline = time.monotonic() + 60
                    while not out.exists() and time.monotonic() < deadline:
                        time.sleep(0.2)
                    result = json.loads(out.read_text())
                    context.close()
                    rows.append(
                        {
                            "path": "browser (Web Serial)",
                            "rate_hz": rate,
                            "sent": total,
                            "good": result["good"],
                            "bad": result["bad"],
                            "dropped": result["dropped"],
                            "samples_per_s": (result["good"] - 1) / result["span_s"],
                            "messages_per_s": result["messages"] / result["span_s"],
                            "max_messages_in_1s": result["max_messages_per_s"],
                            "delay_p50_ms": result["delay_p50_ms"],
                            "delay_p95_ms": result["delay_p95_ms"],
                        }
                    )
                browser.close()
        finally:
            server.stop()
    return rows


def serial_path(seconds: float) -> list[dict[str, Any]]:
    """Each rate through a pty and SerialSource, in this process."""
    rows: list[dict[str, Any]] = []
    for rate in RATES:
        total = int(rate * seconds)
        leader, follower = os.openpty()
        path = os.ttyname(follower)
        written = np.zeros(total)
        seen = np.full(total, np.nan)
        source = SerialSource(path, rate_hz=rate, buffer_seconds=seconds + 60)
        source.start()

        def write(
            leader: int = leader, rate: float = rate, total: int = total, written: Any = written
        ) -> None:
            os.write(leader, format_header(rate))
            start = time.monotonic()
            for i in range(total):
                due = start + i / rate
                pause = due - time.monotonic()
                if pause > 0:
                    time.sleep(pause)
                written[i] = time.monotonic()
                os.write(leader, format_line(int(i * 1000 / rate), 0.1, 0.2, 1.0))

        writer = threading.Thread(target=write, daemon=True)
        writer.start()
        last_total = 0
        deadline = time.monotonic() + seconds * 3 + 30
        while last_total < total and time.monotonic() < deadline:
            now_total = source.buffer.total
            if now_total > last_total:
                seen[last_total:now_total] = time.monotonic()
                last_total = now_total
            time.sleep(0.0005)
        writer.join()
        stats = source.stats()
        source.stop()
        os.close(leader)
        os.close(follower)
        ok = ~np.isnan(seen)
        delays = (seen[ok] - written[ok]) * 1000.0
        span = float(np.nanmax(seen) - np.nanmin(seen))
        rows.append(
            {
                "path": "server (SerialSource, pty)",
                "rate_hz": rate,
                "sent": total,
                "good": stats.good,
                "bad": stats.bad,
                "dropped": stats.dropped,
                "samples_per_s": (stats.good - 1) / span,
                "messages_per_s": None,
                "max_messages_in_1s": None,
                "delay_p50_ms": float(np.percentile(delays, 50)),
                "delay_p95_ms": float(np.percentile(delays, 95)),
            }
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="streaming time per rate")
    parser.add_argument("--json", action="store_true", help="print one JSON object last")
    args = parser.parse_args()
    browser = browser_path(args.seconds)
    serial = serial_path(args.seconds)
    print(
        f"{'path':28} {'rate':>6} {'good/sent':>13} {'bad':>4} {'drop':>4} {'samples/s':>10} "
        f"{'msgs/s':>7} {'max/1s':>6} {'p50 ms':>7} {'p95 ms':>7}"
    )
    for row in browser + serial:
        msgs = "—" if row["messages_per_s"] is None else f"{row['messages_per_s']:.1f}"
        most = "—" if row["max_messages_in_1s"] is None else str(row["max_messages_in_1s"])
        print(
            f"{row['path']:28} {row['rate_hz']:6.0f} {row['good']:>6}/{row['sent']:<6} "
            f"{row['bad']:4} {row['dropped']:4} {row['samples_per_s']:10.1f} {msgs:>7} "
            f"{most:>6} {row['delay_p50_ms']:7.1f} {row['delay_p95_ms']:7.1f}"
        )
    ratios = {
        f"delay_p50_browser_over_serial_{int(b['rate_hz'])}hz": b["delay_p50_ms"]
        / max(s["delay_p50_ms"], 1e-9)
        for b, s in zip(browser, serial, strict=True)
    }
    for name, value in ratios.items():
        print(f"{name}: {value:.1f}x")
    if args.json:
        print(json.dumps({"seconds": args.seconds, "rows": browser + serial, "ratios": ratios}))


if __name__ == "__main__":
    main()
