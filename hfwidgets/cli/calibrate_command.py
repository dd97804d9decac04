"""``hfw calibrate``: choose a run's counting settings on sessions with known events.

    hfw calibrate --project DIR --run ID [--target-recall 0.95]
                  [--sessions ID ... | --simulate N] [--hop 0.2] [--json]

The run classifies each session once; the threshold, hops in a row and minimum gap are swept
over those probabilities (`hfwidgets.live.calibration`). Prints the settings no other beats on
both recall and false counts per hour (the Pareto front) and the chosen operating point, which
is stored with the run: ``hfw predict``, the Live tab and ``LiveClassifier`` then use it.
"""

from __future__ import annotations

import argparse
import json
import math
from typing import Any

from hfwidgets.cli._parsers import Subparsers
from hfwidgets.cli._run_predictor import add_run_arguments, load_run_predictor
from hfwidgets.errors import HfwError
from hfwidgets.live.calibration import Calibration, calibrate_on_sessions
from hfwidgets.live.operating_point import DEFAULT_TARGET_RECALL

__all__ = ["format_front", "register"]


def format_front(result: Calibration) -> list[str]:
    """The Pareto front as text lines, the chosen setting marked with ``*``."""
    chosen = result.chosen
    lines = [
        f"  {'threshold':>9} {'hops':>4} {'gap s':>6} {'recall':>7} {'precision':>9} "
        f"{'false/h':>8} {'false':>5} {'missed':>6}"
    ]
    rows = list(result.front)
    picked = [
        r
        for r in result.rows
        if (r.threshold, r.consecutive, r.min_gap_s)
        == (chosen.threshold, chosen.consecutive, chosen.min_gap_s)
    ]
    if picked and picked[0] not in rows:
        rows.append(picked[0])
    for r in rows:
        mark = "*" if picked and r == picked[0] else " "
        fph = "n/a" if math.isnan(r.false_per_hour) else f"{r.false_per_hour:.1f}"
        lines.append(
            f"{mark} {r.threshold:>9.3f} {r.consecutive:>4d} {r.min_gap_s:>6g} {r.recall:>7.3f} "
            f"{r.precision:>9.3f} {fph:>8} {r.false_counts:>5d} {r.missed:>6d}"
        )
    return lines


def _run(args: argparse.Namespace) -> int:
    from hfwidgets.store import Project

    if not 0.0 < args.target_recall <= 1.0:
        raise HfwError(f"--target-recall {args.target_recall} must be in (0, 1], e.g. 0.95")
    if args.simulate is not None and args.simulate < 1:
        raise HfwError(f"--simulate {args.simulate} must be at least 1 session")
    if not args.hop > 0:
        raise HfwError(f"--hop {args.hop} must be > 0 seconds")
    with Project.open(args.project) as project:
        run_id, predictor = load_run_predictor(project, args.run)

        def say_sessions(source: str) -> None:
            if not args.json:
                print(f"run {run_id}: classifying {source} ...", flush=True)

        try:
            result = calibrate_on_sessions(
                project,
                run_id,
                predictor,
                session_ids=args.sessions,
                simulate=args.simulate,
                seconds=args.seconds,
                hop_s=args.hop,
                positive=args.positive,
                target_recall=args.target_recall,
                on_sessions=say_sessions,
            )
        except ValueError as exc:
            raise HfwError(f"{exc} (project {project.path})") from exc
    point = result.chosen
    if args.json:
        out: dict[str, Any] = {"run": run_id, **result.to_dict()}
        print(json.dumps(out))
        return 0
    print(
        f"{len(result.rows)} settings tried on {point.source}; "
        f"{point.events} events, {point.other_s / 60:.1f} min without one."
    )
    print("Settings no other beats on both recall and false counts (* = chosen):")
    for line in format_front(result):
        print(line)
    verdict = "" if point.meets_target else f" (no setting reached recall {point.target_recall})"
    print(f"run {run_id} now counts with {point.describe()}{verdict}.")
    print("hfw predict and the Live tab use it; --threshold/--min-gap/--consecutive override it.")
    return 0


def register(subparsers: Subparsers) -> None:
    """Add the ``calibrate`` subcommand."""
    parser = subparsers.add_parser(
        "calibrate",
        help="choose a run's counting threshold on sessions with known events",
        description="Classify recorded (or simulated) sessions with known high-fives once, "
        "sweep the threshold, the hops in a row and the minimum gap, and store the setting "
        "with the fewest false counts per hour at the target recall with the run.",
    )
    add_run_arguments(parser)
    parser.add_argument(
        "--target-recall",
        type=float,
        default=DEFAULT_TARGET_RECALL,
        metavar="R",
        help=f"share of events that must be counted (default {DEFAULT_TARGET_RECALL})",
    )
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--sessions",
        type=int,
        nargs="+",
        metavar="ID",
        help="stored sessions (their event marks, else their labelled windows, are the "
        "events); default: every session with marks or labelled windows, else --simulate 2",
    )
    where.add_argument(
        "--simulate", type=int, metavar="N", help="calibrate on N simulated sessions"
    )
    parser.add_argument(
        "--seconds",
        type=float,
        default=150.0,
        metavar="S",
        help="length of each simulated session (default 150)",
    )
    parser.add_argument("--hop", type=float, default=0.2, metavar="S", help="seconds per hop")
    parser.add_argument("--positive", default="high-five", help="class to count")
    parser.add_argument("--json", action="store_true", help="print one JSON object last")
    parser.set_defaults(func=_run)
