"""``hfw record``: capture from a port (or the simulated arm), cut motion windows, store them.

The raw session and every triggered window go into the project (one transaction at the end, so
an interrupted recording leaves the project as it was). Windows are unlabelled unless
``--label`` is given; label them later in the Labeler.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import time
from types import FrameType
from typing import Any

import numpy as np

from hfwidgets.segmenter import TriggerSegmenter, Window
from hfwidgets.sensors.base import Source
from hfwidgets.sensors.serial_source import SerialSource
from hfwidgets.sensors.simulated import SimulatedSource
from hfwidgets.store.project import Project

__all__ = ["record", "register"]


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def record(
    source: Source,
    *,
    seconds: float,
    segmenter: TriggerSegmenter,
    poll_s: float = 0.1,
) -> tuple[np.ndarray, np.ndarray, list[Window]]:
    """Run ``source`` for ``seconds`` (wall clock) and segment what arrives.

    Returns the whole capture ``(t, xyz)`` (``t`` 0-based) and the triggered windows, whose
    ``t0`` is relative to the first sample. Ctrl-C ends the capture early and keeps what came.
    """
    times, rows, windows = [], [], []
    index = source.buffer.total
    t_first: float | None = None
    source.start()
    deadline = time.monotonic() + seconds
    try:
        while True:
            done = time.monotonic() >= deadline
            first, t, xyz = source.buffer.since(index)
            index = first + t.shape[0]
            if t.size:
                t_first = float(t[0]) if t_first is None else t_first
                times.append(t - t_first)
                rows.append(xyz)
                windows += segmenter.feed(t - t_first, xyz)
            if done:
                break
            time.sleep(min(poll_s, max(0.0, deadline - time.monotonic())))
    except KeyboardInterrupt:
        pass
    finally:
        source.stop()
    t_all = np.concatenate(times) if times else np.zeros(0)
    xyz_all = np.concatenate(rows) if rows else np.zeros((0, 3), np.float32)
    return t_all, xyz_all, windows


def _run(args: argparse.Namespace) -> int:
    source: Source
    if args.port:
        source = SerialSource(args.port, baudrate=args.baud, rate_hz=args.rate)
        origin = f"serial:{args.port}"
    else:
        source = SimulatedSource(rate_hz=args.rate, seed=args.seed, realtime=not args.fast,
                                 duration_s=args.seconds if args.fast else None)  # fmt: skip
        origin = "simulated"
    segmenter = TriggerSegmenter(
        rate_hz=args.rate, window_s=args.window, threshold_g=args.threshold, pre_s=args.pre
    )
    source.start()  # a missing port fails here, before a project folder is created
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        with Project.open_or_create(args.project, rate_hz=args.rate) as project:
            t, xyz, windows = record(source, seconds=0.0 if args.fast else args.seconds,
                                     segmenter=segmenter)  # fmt: skip
            stats = source.stats()
            rate = stats.rate_hz if stats.rate_hz > 0 else args.rate
            if abs(rate - args.rate) <= 0.05 * args.rate:
                rate = args.rate  # the device agrees: session and windows share one rate
            else:
                print(f"warning: the device sends {rate:.1f} Hz but --rate is {args.rate:g}; "
                      "windows were cut assuming --rate, pass the device's rate",
                      file=sys.stderr)  # fmt: skip
            with project.batch():
                session_id = project.add_session(t, xyz, rate_hz=rate, source=origin)
                ids = [
                    project.add_window(
                        w.data,
                        rate_hz=w.rate_hz,
                        source=origin,
                        t0=w.t0,
                        session_id=session_id,
                        label=args.label,
                    )
                    for w in windows
                ]
    finally:
        signal.signal(signal.SIGTERM, previous)
    result = {
        "samples": int(t.shape[0]),
        "bad_lines": stats.bad,
        "dropped": stats.dropped,
        "windows": len(ids),
        "rate_hz": round(rate, 3),
        "reconnects": stats.reconnects,
        "session_id": session_id,
        "project": str(args.project),
    }
    if args.json:
        print(json.dumps(result))
    else:
        print(
            f"recorded {result['samples']} samples at {rate:.1f} Hz from {origin}: "
            f"{len(ids)} windows into {args.project} (session {session_id}); "
            f"{stats.bad} bad lines, {stats.dropped} dropped, {stats.reconnects} reconnects"
        )
        if stats.bad or stats.dropped:
            print("bad lines are skipped and counted; see docs/sensors.md", file=sys.stderr)
    return 0


def register(subparsers: Any) -> None:
    """Add the ``record`` subcommand."""
    parser = subparsers.add_parser(
        "record",
        help="capture from a serial port (or the simulated arm) into a project",
        description="Capture --seconds from --port (the hfw-imu sketch, or `hfw "
        "simulate-arduino`), cut a window around every motion (acceleration magnitude "
        "departing from 1 g by --threshold), and store the raw session and the windows in "
        "the project (created if missing). Without --port the simulated arm is recorded.",
    )
    parser.add_argument("--port", default=None, metavar="PATH", help="device path or pyserial URL")
    parser.add_argument("--seconds", type=float, required=True, metavar="S")
    parser.add_argument("--project", required=True, metavar="DIR", help="project folder")
    parser.add_argument("--baud", type=int, default=115200, help="default 115200")
    parser.add_argument("--rate", type=float, default=50.0, metavar="HZ", help="default 50")
    parser.add_argument("--window", type=float, default=1.5, metavar="S", help="default 1.5")
    parser.add_argument("--pre", type=float, default=0.4, metavar="S",
                        help="seconds kept before the trigger (0.4)")  # fmt: skip
    parser.add_argument("--threshold", type=float, default=0.3, metavar="G",
                        help="trigger when | |a| - 1 g | >= G (0.3)")  # fmt: skip
    parser.add_argument("--label", default=None, help="label every window with this class")
    parser.add_argument("--seed", type=int, default=0, help="simulated arm only")
    parser.add_argument(
        "--fast", action="store_true",
        help="simulated arm only: generate --seconds at once, not in real time",
    )  # fmt: skip
    parser.add_argument("--json", action="store_true", help="print a JSON summary last")
    parser.set_defaults(func=_run)
