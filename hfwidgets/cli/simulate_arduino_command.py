"""``hfw simulate-arduino``: a pseudo-terminal that speaks the hfw-imu sketch's protocol.

Prints the port's stable path as its first stdout line, so scripts can do::

    PORT=$(hfw simulate-arduino --seconds 60 | head -1) ...

and then streams until ``--seconds`` of samples are done (or Ctrl-C).
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
from types import FrameType

from hfwidgets.cli._parsers import Subparsers
from hfwidgets.sensors.fake_arduino import FakeArduino

__all__ = ["register"]


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt  # SIGTERM ends as cleanly as Ctrl-C: the link is removed


def _run(args: argparse.Namespace) -> int:
    fake = FakeArduino(
        rate_hz=args.rate,
        seconds=args.seconds,
        garbage=args.garbage,
        unplug_every=args.unplug_every,
        unplug_for=args.unplug_for,
        link=args.link,
        realtime=not args.fast,
        boot_s=args.boot,
        seed=args.seed,
        board_counts=args.board_counts,
    )
    previous = signal.signal(signal.SIGTERM, _interrupt)
    fake.start()
    try:
        print(fake.path, flush=True)
        while not fake.join(timeout=0.2):
            pass
        fake.wait_drained(timeout=args.drain)  # let a reader take the last lines
    except KeyboardInterrupt:
        pass
    finally:
        fake.stop()
        signal.signal(signal.SIGTERM, previous)
    summary = {
        "path": fake.path,
        "sent": fake.sent,
        "garbage": fake.garbage_sent,
        "lost_unplugged": fake.lost_unplugged,
        "unheard": fake.unheard,
        "unplugs": fake.unplugs,
        "boots": fake.boots,
        "board_count": fake.board_count,
    }
    if args.json:
        print(json.dumps(summary), flush=True)
    else:
        print(
            f"sent {fake.sent} samples, {fake.garbage_sent} garbage lines; "
            f"{fake.lost_unplugged} samples lost in {fake.unplugs} unplugs",
            file=sys.stderr,
        )
    return 0


def register(subparsers: Subparsers) -> None:
    """Add the ``simulate-arduino`` subcommand."""
    parser = subparsers.add_parser(
        "simulate-arduino",
        help="a fake hfw-imu Arduino on a pseudo-terminal (prints its path first)",
        description="Create a pseudo-terminal that behaves like the hfw-imu sketch on an "
        "Arduino: it waits for a reader to open it (opening resets the board), prints the "
        "header, then streams a simulated arm at --rate. Fault injection: --garbage inserts "
        "bad lines, --unplug-every removes the device (the stable path disappears and comes "
        "back pointing at a new pty). The first stdout line is the stable path.",
    )
    parser.add_argument("--rate", type=float, default=50.0, metavar="HZ", help="default 50")
    parser.add_argument(
        "--seconds", type=float, default=None, metavar="S",
        help="stop after S seconds of samples (default: run until Ctrl-C)",
    )  # fmt: skip
    parser.add_argument(
        "--garbage", type=float, default=0.0, metavar="FRACTION",
        help="extra bad lines per good line, e.g. 0.01 (exact share, random kinds)",
    )  # fmt: skip
    parser.add_argument(
        "--unplug-every", type=float, default=None, metavar="S",
        help="unplug after every S seconds of streaming",
    )  # fmt: skip
    parser.add_argument(
        "--unplug-for", type=float, default=1.0, metavar="S", help="how long unplugged (1 s)"
    )
    parser.add_argument(
        "--link", default=None, metavar="PATH",
        help="stable path to create (default: a fresh temporary folder)/ttyHFW0",
    )  # fmt: skip
    parser.add_argument(
        "--fast", action="store_true",
        help="write as fast as the reader takes lines instead of pacing at --rate",
    )  # fmt: skip
    parser.add_argument(
        "--boot", type=float, default=0.05, metavar="S",
        help="delay between a reader opening the port and the header (a real Uno: ~1.6)",
    )  # fmt: skip
    parser.add_argument(
        "--drain", type=float, default=5.0, metavar="S",
        help="at the end, wait up to S s for the reader to take the last lines",
    )  # fmt: skip
    parser.add_argument("--seed", type=int, default=0, help="seed of the simulated arm")
    parser.add_argument(
        "--board-counts", action="store_true",
        help="act as a board running a board model (hfw export --format board): print "
        "'# count N p=0.97' after each simulated high-five",
    )  # fmt: skip
    parser.add_argument("--json", action="store_true", help="print a JSON summary last")
    parser.set_defaults(func=_run)
