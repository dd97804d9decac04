"""``hfw merge --project DIR OTHER``: add a teammate's windows, skipping duplicates."""

from __future__ import annotations

import argparse
import json

from hfwidgets.cli._parsers import Subparsers, project_command
from hfwidgets.errors import HfwError
from hfwidgets.store.merge import merge_projects
from hfwidgets.store.project import Project

__all__ = ["register"]


def _run(args: argparse.Namespace) -> int:
    with Project.open(args.project) as project:
        try:
            report = merge_projects(project, args.other)
        except ValueError as exc:
            raise HfwError(str(exc)) from exc
    if args.json:
        print(json.dumps(report.to_dict()))
        return 0
    print(
        f"merged {args.other} into {args.project}: {report.added} windows added, "
        f"{report.duplicates} duplicates skipped, {report.labels_adopted} labels adopted"
    )
    if report.new_classes:
        print(f"new classes: {', '.join(report.new_classes)}")
    for wid, ours, theirs in report.conflicts:
        print(f"conflict: window {wid} is {ours!r} here but {theirs!r} there (kept {ours!r})")
    return 0


def register(subparsers: Subparsers) -> None:
    """Add the ``merge`` subcommand."""
    parser = project_command(
        subparsers,
        "merge",
        func=_run,
        help="merge a teammate's project into this one (duplicates skipped)",
        project_help="project to merge into",
    )
    parser.add_argument("other", metavar="OTHER", help="the teammate's project folder")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
