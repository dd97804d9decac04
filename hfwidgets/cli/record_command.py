"""``hfw record``: capture from a port (or the simulated arm), cut motion windows, store them.

The raw session and every triggered window go into the project as they arrive: a chunk at
least every second, one transaction each (:class:`~hfwidgets.store.recording.SessionRecorder`),
so a killed recording keeps all but its last second. A write that fails (disk full, database
locked) keeps the samples in memory, says so, and is retried. Windows are unlabelled unless
``--label`` is given; label them later in the Labeler.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import time
from collections.abc import Callable
from types import FrameType

import numpy as np
from numpy.typing import NDArray

from hfwidgets.cli._parsers import Subparsers, project_command
from hfwidgets.errors import HfwError
from hfwidgets.segmenter import TriggerSegmenter, Window
from hfwidgets.sensors.base import Source
from hfwidgets.sensors.serial_source import SerialSource
from hfwidgets.sensors.simulated import SimulatedSource
from hfwidgets.store.arrays import check_rate_hz
from hfwidgets.store.project import Project
from hfwidgets.store.recording import SessionRecorder

__all__ = ["record", "register"]


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


Sink = Callable[[NDArray[np.float64], NDArray[np.float32], list[Window]], object]


def record(
    source: Source,
    *,
    seconds: float,
    segmenter: TriggerSegmenter,
    sink: Sink,
    max_samples: int | None = None,
    start_index: int | None = None,
    poll_s: float = 0.1,
) -> int:
    """Run ``source`` for ``seconds`` (wall clock), segment what arrives, and pass it on.

    Every poll hands ``sink`` the new samples ``(t, xyz)`` (``t`` 0-based) and the windows
    triggered in them (``t0`` relative to the first sample); nothing is kept here. Ctrl-C
    ends the capture early, and so does reaching ``max_samples`` (exactly that many are
    passed on). ``start_index``: the caller started the source already and everything from this
    buffer position is wanted (default: start it here, keep what arrives from now on). Returns
    the number of samples received.
    """
    if start_index is None:
        index = source.buffer.total
        source.start()
    else:
        index = start_index
    t_first: float | None = None
    received = 0
    deadline = time.monotonic() + seconds
    try:
        while True:
            done = time.monotonic() >= deadline
            first, t, xyz = source.buffer.since(index)
            index = first + t.shape[0]
            if max_samples is not None:
                t, xyz = t[: max_samples - received], xyz[: max_samples - received]
                done = done or received + t.shape[0] >= max_samples
            if t.size:
                t_first = float(t[0]) if t_first is None else t_first
                rel = t - t_first
                sink(rel, xyz, segmenter.feed(rel, xyz))
                received += int(t.shape[0])
            if done:
                break
            time.sleep(min(poll_s, max(0.0, deadline - time.monotonic())))
    except KeyboardInterrupt:
        pass
    finally:
        source.stop()
    return received


def _warn(message: str) -> None:
    print(f"hfw record: {message}", file=sys.stderr, flush=True)


def _run(args: argparse.Namespace) -> int:
    try:
        check_rate_hz(args.rate, what="--rate")
    except ValueError as exc:
        raise HfwError(str(exc)) from None
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
    start_index = source.buffer.total  # what arrives while the project opens is kept too
    source.start()  # a missing port fails here, before a project folder is created
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        with Project.open_or_create(args.project, rate_hz=args.rate) as project:
            recorder = SessionRecorder(
                project, rate_hz=args.rate, source=origin, label=args.label, on_problem=_warn
            )
            if not args.fast:
                _warn(
                    f"recording {args.seconds:g} s from {origin} into {args.project} "
                    "(stored every second; Ctrl-C stops early)"
                )
            samples = record(source, seconds=0.0 if args.fast else args.seconds,
                             segmenter=segmenter, sink=recorder.add,
                             max_samples=args.samples, start_index=start_index)  # fmt: skip
            try:
                recorder.close(retry_for_s=float("inf"))
            except KeyboardInterrupt:
                raise HfwError(f"stopped: {recorder.unstored_message()}") from None
            stats = source.stats()
            rate = stats.rate_hz if stats.rate_hz > 0 else args.rate
            if abs(rate - args.rate) <= 0.05 * args.rate:
                rate = args.rate  # the device agrees: session and windows share one rate
            else:
                print(f"warning: the device sends {rate:.1f} Hz but --rate is {args.rate:g}; "
                      "windows were cut assuming --rate, pass the device's rate",
                      file=sys.stderr)  # fmt: skip
            session_id = recorder.session_id
            if session_id is not None and rate != args.rate:
                project.sessions.set_rate(session_id, rate)
            ids = recorder.window_ids
    finally:
        signal.signal(signal.SIGTERM, previous)
    result = {
        "samples": samples,
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


def register(subparsers: Subparsers) -> None:
    """Add the ``record`` subcommand."""
    parser = project_command(
        subparsers,
        "record",
        func=_run,
        help="capture from a serial port (or the simulated arm) into a project",
        description="Capture --seconds from --port (the hfw-imu sketch, or `hfw "
        "simulate-arduino`), cut a window around every motion (acceleration magnitude "
        "departing from 1 g by --threshold), and store the raw session and the windows in "
        "the project (created if missing). Without --port the simulated arm is recorded.",
    )
    parser.add_argument("--port", default=None, metavar="PATH", help="device path or pyserial URL")
    parser.add_argument("--seconds", type=float, required=True, metavar="S")
    parser.add_argument(
        "--samples", type=int, default=None, metavar="N",
        help="stop once N samples have arrived (--seconds is then the longest wait)",
    )  # fmt: skip
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
