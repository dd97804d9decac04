"""``hfw suggest``: the class a trained run suggests for each window, least confident first.

    hfw suggest --project DIR [--run ID] [--run-from OTHER_DIR] [--unlabelled | --all] [--json]

Lists window id, suggestion and confidence (and the margin over the second class, which orders
the list: the first rows are the windows whose labels would teach the model the most). Nothing
is written: a suggestion becomes a label only when a person accepts it (Labeler, Enter).
``--run-from`` takes the run from another project with the same classes, which pre-labels a
teammate's recordings for checking.
"""

from __future__ import annotations

import argparse
import json
from typing import Any, Literal

from hfwidgets.cli._parsers import Subparsers, project_command
from hfwidgets.errors import HfwError
from hfwidgets.store.project import Project

__all__ = ["format_suggestions", "register"]

ORDER = "margin, least confident first"


def format_suggestions(rows: list[dict[str, Any]]) -> str:
    """A text table of :meth:`~hfwidgets.suggestions.Suggestion.to_dict` rows."""
    if not rows:
        return "no windows to suggest labels for"
    lines = [f"{'window':>7}  {'suggestion':<20}{'confidence':>11}{'margin':>8}  label"]
    for r in rows:
        label = r["label"] if r["label"] is not None else "-"
        mark = "" if r["label"] in (None, r["suggestion"]) else "  (disagrees)"
        lines.append(
            f"{r['window_id']:>7}  {str(r['suggestion'])[:19]:<20}{r['confidence']:>11.1%}"
            f"{r['margin']:>8.3f}  {label}{mark}"
        )
    return "\n".join(lines)


def _run(args: argparse.Namespace) -> int:
    from hfwidgets.cli._run_predictor import pick_run
    from hfwidgets.suggestions import suggest
    from hfwidgets.training.predictor import load_predictor

    which: Literal["all", "unlabelled"] = "all" if args.all else "unlabelled"
    with Project.open(args.project) as project:
        if args.run_from is not None:
            with Project.open(args.run_from) as owner:
                run_id = pick_run(owner, args.run)
                predictor = load_predictor(owner, run_id)
        else:
            run_id = pick_run(project, args.run)
            predictor = load_predictor(project, run_id)
        missing = [c for c in predictor.classes if c not in project.classes]
        if missing:
            raise HfwError(
                f"run {run_id} suggests classes {missing} that {project.path} does not have "
                f"(its classes: {list(project.classes)}); add them or use a run with these classes"
            )
        rows = [s.to_dict() for s in suggest(project, predictor=predictor, which=which)]
    if args.json:
        print(json.dumps({"run": run_id, "which": which, "order": ORDER, "suggestions": rows}))
    else:
        print(f"run {run_id}: {len(rows)} {which} windows, least confident first")
        print(format_suggestions(rows))
    return 0


def register(subparsers: Subparsers) -> None:
    """Add the ``suggest`` subcommand."""
    parser = project_command(
        subparsers,
        "suggest",
        func=_run,
        help="list a run's suggested class per window, least confident first (writes nothing)",
    )
    parser.add_argument(
        "--run", type=int, default=None, metavar="ID", help="run id (default: newest finished)"
    )
    parser.add_argument(
        "--run-from", default=None, metavar="DIR",
        help="take the run from this project (pre-label a teammate's windows with your run)",
    )  # fmt: skip
    which = parser.add_mutually_exclusive_group()
    which.add_argument(
        "--unlabelled", action="store_true", help="only unlabelled windows (the default)"
    )
    which.add_argument(
        "--all", action="store_true", help="every window (a disagreeing label may be a mistake)"
    )
    parser.add_argument("--json", action="store_true", help="one JSON object on the last line")
