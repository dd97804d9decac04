"""``hfw mark --project DIR --session ID (--at S | --from S --to S) --label NAME``: mark an event
or a region of a stored session with a class, for scripts (the windows are cut and labelled
at once); ``--undo`` takes the session's newest mark back."""

from __future__ import annotations

import argparse
import json

from hfwidgets.cli._parsers import Subparsers, project_command
from hfwidgets.errors import HfwError
from hfwidgets.store.project import Project

__all__ = ["register"]


def _run(args: argparse.Namespace) -> int:
    with Project.open(args.project) as project:
        try:
            if args.undo:
                mark = project.marks.undo(args.session)
                if mark is None:
                    raise HfwError(f"session {args.session} has no mark to undo")
                verb = "undone"
            else:
                if args.label is None:
                    raise HfwError("--label NAME is needed (one of the project's classes)")
                if (args.at is None) == (args.start is None and args.end is None):
                    raise HfwError("give --at SECONDS (an event) or --from S --to S (a region)")
                mark = project.marks.add(
                    args.session, label=args.label, at=args.at, start=args.start, end=args.end
                )
                verb = "stored"
        except ValueError as exc:
            raise HfwError(f"{exc}; nothing was changed") from exc
    if args.json:
        print(json.dumps({"action": verb, **mark.to_dict()}))
    else:
        where = f"{mark.start:g} s" if mark.kind == "event" else f"{mark.start:g}-{mark.end:g} s"
        print(
            f"mark {mark.id} {verb}: {mark.kind} at {where} on session {mark.session_id}, "
            f"{mark.label}, window(s) {', '.join(map(str, mark.window_ids))}"
        )
    return 0


def register(subparsers: Subparsers) -> None:
    """Add the ``mark`` subcommand."""
    parser = project_command(
        subparsers,
        "mark",
        func=_run,
        help="mark an event or a region of a stored session with a class (cuts its windows)",
    )
    parser.add_argument("--session", type=int, required=True, metavar="ID")
    parser.add_argument("--at", type=float, metavar="SECONDS", help="an event at this time")
    parser.add_argument("--from", dest="start", type=float, metavar="S", help="region start")
    parser.add_argument("--to", dest="end", type=float, metavar="S", help="region end")
    parser.add_argument("--label", metavar="NAME", help="the class")
    parser.add_argument("--undo", action="store_true", help="take the newest mark back")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
