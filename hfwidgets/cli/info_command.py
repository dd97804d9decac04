"""``hfw info --project DIR [--json]``: windows per class and split, runs, checkpoints."""

from __future__ import annotations

import argparse
import json
from typing import Any

from hfwidgets.cli._parsers import Subparsers, project_command
from hfwidgets.store.contents import project_info
from hfwidgets.store.project import Project
from hfwidgets.store.run_metrics import interval_text

__all__ = ["format_info", "register"]


def format_info(info: dict[str, Any]) -> str:
    """Render :func:`hfwidgets.store.contents.project_info` as a short text table."""
    lines = [
        f"project   {info['path']}",
        f"rate      {info['rate_hz']:g} Hz    windows {info['windows']}"
        f"{f' (+{deleted} deleted)' if (deleted := info.get('deleted')) else ''}    "
        f"sessions {info['sessions']}    schema v{info['schema_version']}",
        "",
        f"{'class':<20}{'windows':>8}",
    ]
    lines += [f"{name:<20}{n:>8}" for name, n in info["counts"].items()]
    lines.append(f"{'(unlabelled)':<20}{info['unlabelled']:>8}")
    for name, parts in info["splits"].items():
        train, val = parts["train"], parts["val"]
        lines.append(f"\nsplit {name}: train {sum(train.values())}, val {sum(val.values())}")
        for cls in sorted(set(train) | set(val)):
            lines.append(f"  {cls:<18}train {train.get(cls, 0):>5}   val {val.get(cls, 0):>5}")
    if info["runs"]:
        lines.append("")
        for r in info["runs"]:
            figure = ""
            if r.get("accuracy") is not None:
                figure = (
                    f"  accuracy {r['accuracy']:.3f}{interval_text(r['accuracy'], r['n'])} on "
                    f"{r['n']} windows, counts with {r['chosen']}"
                )
            lines.append(f"run {r['id']:<5}{r['status']}{figure}")
    return "\n".join(lines)


def _run(args: argparse.Namespace) -> int:
    with Project.open(args.project) as project:
        info = project_info(project)
    if args.json:
        print(json.dumps(info))
    else:
        print(format_info(info))
    return 0


def register(subparsers: Subparsers) -> None:
    """Add the ``info`` subcommand."""
    parser = project_command(
        subparsers,
        "info",
        func=_run,
        help="show a project's windows per class and split, runs and checkpoints",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
