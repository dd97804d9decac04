"""``hfw runs --project DIR [--json]`` lists training runs; ``hfw runs delete ID`` removes one;
``hfw runs use ID MODEL`` makes run ``ID`` count with its ``cnn``, ``baseline`` or ``fusion``.

Deleting a run removes its record, its train/validation split and its checkpoint file
(tens of MB for a fine-tuned backbone); the other runs keep their ids.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from hfwidgets.cli._parsers import Subparsers, project_command
from hfwidgets.errors import HfwError
from hfwidgets.store.project import Project
from hfwidgets.store.records import RunRecord

__all__ = ["format_runs", "register", "run_summary"]


def run_summary(project: Project, run: RunRecord) -> dict[str, Any]:
    """One run as a JSON-ready dict: id, status, backbone, accuracy, epochs, seconds, times and
    checkpoint size (bytes, ``None`` without a checkpoint file)."""
    checkpoint = project.path / "checkpoints" / f"run-{run.id}.pt"
    return {
        "id": run.id,
        "status": run.status,
        "backbone": run.settings.get("backbone"),
        "accuracy": run.metrics.accuracy,
        "epochs": run.metrics.epochs,
        "chosen": run.metrics.chosen,
        "models": {k: v.accuracy for k, v in run.metrics.models.items()},
        "seconds": run.metrics.seconds,
        "created_at": run.created_at,
        "finished_at": run.finished_at,
        "checkpoint_bytes": checkpoint.stat().st_size if checkpoint.is_file() else None,
    }


def format_runs(rows: list[dict[str, Any]]) -> str:
    """A short text table of :func:`run_summary` rows."""
    if not rows:
        return "no training runs"
    lines = [
        f"{'run':>5}  {'status':<10}{'backbone':<20}{'accuracy':>9}{'model':>10}{'checkpoint':>12}"
    ]
    for r in rows:
        acc = "" if r["accuracy"] is None else f"{r['accuracy']:.3f}"
        size = "" if r["checkpoint_bytes"] is None else f"{r['checkpoint_bytes'] / 1e6:.1f} MB"
        backbone = str(r["backbone"] or "")[:19]
        model = str(r.get("chosen") or "")
        lines.append(f"{r['id']:>5}  {r['status']:<10}{backbone:<20}{acc:>9}{model:>10}{size:>12}")
    return "\n".join(lines)


def _run(args: argparse.Namespace) -> int:
    with Project.open(args.project) as project:
        if args.action == "list":
            if args.run_id is not None:
                raise HfwError("`hfw runs` lists every run; to delete one: hfw runs delete ID")
            rows = [run_summary(project, r) for r in project.runs.all()]
            print(json.dumps({"runs": rows}) if args.json else format_runs(rows))
            return 0
        if args.run_id is None:
            raise HfwError(f"which run? hfw runs {args.action} ID --project DIR (ids: `hfw runs`)")
        if args.action == "use":
            return _use(project, args)
        try:
            freed = project.runs.delete(args.run_id, force=args.force)
        except ValueError as exc:
            known = ", ".join(str(r.id) for r in project.runs.all()) or "none"
            raise HfwError(f"{exc} (runs: {known})") from exc
    if args.json:
        print(json.dumps({"deleted": args.run_id, "freed_bytes": freed}))
    else:
        print(f"deleted run {args.run_id} ({freed / 1e6:.1f} MB of checkpoints freed)")
    return 0


def _use(project: Project, args: argparse.Namespace) -> int:
    if args.model is None:
        raise HfwError(f"which model? hfw runs use {args.run_id} cnn|baseline|fusion")
    try:
        record = project.runs.choose_model(args.run_id, args.model)
    except ValueError as exc:
        raise HfwError(str(exc)) from exc
    figure = record.metrics.models.get(record.metrics.chosen)
    accuracy = figure.accuracy if figure is not None else record.metrics.accuracy
    if args.json:
        print(json.dumps({"run": record.id, "chosen": record.metrics.chosen, "accuracy": accuracy}))
    else:
        shown = "" if accuracy is None else f" (validation accuracy {accuracy:.3f})"
        print(f"run {record.id} counts with its {record.metrics.chosen} model{shown}")
    return 0


def register(subparsers: Subparsers) -> None:
    """Add the ``runs`` subcommand."""
    parser = project_command(
        subparsers,
        "runs",
        func=_run,
        help="list training runs, delete one (runs delete ID), or choose the model a run counts "
        "with (runs use ID cnn|baseline|fusion)",
    )
    parser.add_argument(
        "action", nargs="?", choices=("list", "delete", "use"), default="list",
        help="list (default), delete, or use (choose the run's model)",
    )  # fmt: skip
    parser.add_argument("run_id", nargs="?", type=int, metavar="ID", help="run to delete or use")
    parser.add_argument(
        "model", nargs="?", choices=("cnn", "baseline", "fusion"),
        help="with use: the model the run counts with",
    )  # fmt: skip
    parser.add_argument(
        "--force", action="store_true",
        help="delete a run still marked running (its process was killed)",
    )  # fmt: skip
    parser.add_argument("--json", action="store_true", help="print one JSON object")
