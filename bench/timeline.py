"""What a 1-hour 50 Hz session costs on the timeline: SessionTimeline (the min/max envelope of
the view) against plain bqplot drawing every sample, in the same run.

Measured in the kernel, per the whole path a redraw takes there: computing what to draw and
serialising the trace widget's state as the comm message (bqplot's binary buffers), plus the
points the browser must then draw per axis. *Open* is the project read, the widget and its first
frame; *pan* is one redraw after the view moved by a tenth of a 10-minute view (the envelope
recomputes; plain bqplot sends the samples in view, its cheapest way to follow a pan without
holding all 540,000 values in the page). The bench checks that both draw the same extremes.
``--browser`` also measures both in Chromium (``bench/timeline_browser.py``: JupyterLab started
here, Playwright): the time until the page has drawn the hour, and redraws per second while the
kernel pans the view.

Usage: ``python bench/timeline.py [--hours H] [--pans N] [--columns C] [--browser [--pace HZ]]
[--json]``
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

import bqplot as bq
import numpy as np
from ipywidgets.widgets.widget import _remove_buffers

from hfwidgets.sensors import simulate_session
from hfwidgets.store import Project
from hfwidgets.widgets.timeline import SessionTimeline


def _message_bytes(widget: Any) -> int:
    """Bytes of the state message the widget would send (JSON and binary buffers)."""
    state, _paths, buffers = _remove_buffers(widget.get_state())
    return len(json.dumps(state, default=str)) + sum(memoryview(b).nbytes for b in buffers)


def _plain_open(project: Project, sid: int) -> tuple[bq.Lines, int]:
    record = project.sessions.get(sid)
    lines = bq.Lines(
        x=record.t, y=record.xyz.T, scales={"x": bq.LinearScale(), "y": bq.LinearScale()}
    )
    return lines, _message_bytes(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--hours", type=float, default=1.0)
    parser.add_argument("--pans", type=int, default=40)
    parser.add_argument("--columns", type=int, default=600)
    parser.add_argument(
        "--pace", type=float, default=0.0,
        help="pans per second in Chromium (default 0: as fast as the kernel can; a drag: 60)",
    )  # fmt: skip
    parser.add_argument("--browser", action="store_true", help="also measure in Chromium")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    seconds = args.hours * 3600
    t, xyz, _events = simulate_session(seconds, seed=0)
    with tempfile.TemporaryDirectory() as tmp:
        project = Project.create(Path(tmp) / "proj")
        sid = project.sessions.add(t, xyz, rate_hz=50.0, source="simulated arm")

        start = time.perf_counter()
        timeline = SessionTimeline(project, columns=args.columns, keyboard=False)
        open_bytes = _message_bytes(timeline.traces)
        open_s = time.perf_counter() - start
        start = time.perf_counter()
        plain, plain_open_bytes = _plain_open(project, sid)
        plain_open_s = time.perf_counter() - start

        view = 600.0
        timeline.set_view(0.0, view)
        project_s, plain_s, project_points, plain_points, sent, plain_sent = [], [], 0, 0, 0, 0
        for k in range(args.pans):
            lo, hi = (k + 1) * view / 10, (k + 1) * view / 10 + view
            start = time.perf_counter()
            timeline.set_view(lo, hi)
            sent = _message_bytes(timeline.traces)
            project_s.append(time.perf_counter() - start)
            env = timeline.envelope
            assert env is not None
            project_points = env.points
            start = time.perf_counter()
            inside = (t >= lo) & (t <= hi)
            with plain.hold_sync():
                plain.x, plain.y = t[inside], xyz[inside].T
            plain_sent = _message_bytes(plain)
            plain_s.append(time.perf_counter() - start)
            plain_points = int(inside.sum())
            # Same picture: the envelope keeps every extreme of the view.
            shown = xyz[inside]
            if not (
                np.allclose(env.y.max(axis=0), shown.max(axis=0))
                and np.allclose(env.y.min(axis=0), shown.min(axis=0))
            ):
                raise SystemExit(f"pan {k}: the envelope lost an extreme of the view")
        project.close()
        browser = None
        if args.browser:
            from timeline_browser import browser_rows  # beside this script

            browser = browser_rows(
                Path(tmp) / "proj", pans=args.pans, columns=args.columns, pace=args.pace
            )
    rows = [
        {
            "step": "open 1 h",
            "timeline_ms": round(open_s * 1e3, 1),
            "plain_ms": round(plain_open_s * 1e3, 1),
            "timeline_kb": round(open_bytes / 1e3, 1),
            "plain_kb": round(plain_open_bytes / 1e3, 1),
            "timeline_points": timeline.envelope.points if timeline.envelope else 0,
            "plain_points": int(t.size),
        },
        {
            "step": "pan (10 min view)",
            "timeline_ms": round(float(np.median(project_s)) * 1e3, 2),
            "plain_ms": round(float(np.median(plain_s)) * 1e3, 2),
            "timeline_kb": round(sent / 1e3, 1),
            "plain_kb": round(plain_sent / 1e3, 1),
            "timeline_points": project_points,
            "plain_points": plain_points,
        },
    ]
    for row in rows:
        row["kb_ratio"] = round(row["plain_kb"] / row["timeline_kb"], 1)
        row["points_ratio"] = round(row["plain_points"] / row["timeline_points"], 1)
    head = ["step", "timeline_ms", "plain_ms", "timeline_kb", "plain_kb", "kb_ratio",
            "timeline_points", "plain_points", "points_ratio"]  # fmt: skip
    print("  ".join(f"{h:>16}" for h in head))
    for row in rows:
        print("  ".join(f"{row[h]!s:>16}" for h in head))
    pans_per_s = 1.0 / float(np.median(project_s))
    print(f"kernel-side redraws/s while panning: timeline {pans_per_s:.0f}")
    out: dict[str, Any] = {"bench": "timeline", "rows": rows, "redraws_per_s": pans_per_s}
    if browser is not None:
        print("\nChromium (ratio: how many times better the timeline is)")
        print("  ".join(f"{h:>26}" for h in ("step", "timeline", "every sample", "ratio")))
        for row in browser:
            cells = (row["step"], row["timeline"], row["plain"], row["ratio"])
            print("  ".join(f"{c!s:>26}" for c in cells))
        out["browser"] = browser
    if args.json:
        print(json.dumps(out))


if __name__ == "__main__":
    main()
