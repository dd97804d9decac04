"""``hfw sessions --project DIR [list | show ID --out PNG [--run ID] | import CSV]``.

``list`` prints one stored session a line, its id first (samples, length, rate, source, marks,
gaps and rate changes); ``show`` draws the session's timeline with its marks (and, with
``--run``, the run's probability, its counts at the run's operating point and the candidate
mistakes); ``import`` stores a long CSV recording (``t_ms,ax,ay,az`` or Edge Impulse's
``timestamp,accX,accY,accZ``) as a session and names its gaps and rate changes.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from hfwidgets.cli._parsers import Subparsers, project_command
from hfwidgets.errors import HfwError
from hfwidgets.store.project import Project
from hfwidgets.store.sessions import SessionInfo

__all__ = ["format_session", "register"]


def format_session(info: SessionInfo) -> str:
    """One line: ``3  180000 samples  3600.0 s  50.0 Hz  long.csv  12 marks  1 gap(s)``."""
    meta = info.meta
    extra = ""
    if meta.get("gaps") or meta.get("rate_changes"):
        extra = f"  {len(meta.get('gaps', []))} gap(s), {len(meta.get('rate_changes', []))} "
        extra += "rate change(s)"
    return (
        f"{info.id}  {info.n} samples  {info.duration_s:.1f} s  {info.rate_hz:.1f} Hz  "
        f"{info.source or '-'}  {info.marks} mark(s){extra}"
    )


def _list(project: Project, args: argparse.Namespace) -> int:
    infos = project.sessions.infos()
    if args.json:
        rows = [{**vars(i), "duration_s": i.duration_s} for i in infos]
        print(json.dumps({"sessions": rows}))
        return 0
    if not infos:
        print(f"no sessions in {project.path} (hfw record, or hfw sessions import CSV)")
    for info in infos:
        print(format_session(info))
    return 0


def _session_id(project: Project, target: str | None) -> int:
    if target is None:
        raise HfwError("give the session's id: hfw sessions --project DIR show ID --out PNG")
    try:
        sid = int(target)
    except ValueError:
        raise HfwError(f"{target!r} is not a session id; `hfw sessions list` shows them") from None
    if sid not in project.sessions.ids():
        known = ", ".join(map(str, project.sessions.ids())) or "none"
        raise HfwError(f"no session {sid} in {project.path} (sessions: {known})")
    return sid


def _show(project: Project, args: argparse.Namespace) -> int:
    from hfwidgets.timeline.model_view import find_candidates, model_trace
    from hfwidgets.timeline.session_picture import render_session_png

    if args.out is None:
        raise HfwError("show draws a PNG: pass --out FILE.png")
    sid = _session_id(project, args.target)
    session = project.sessions.get(sid)
    marks = project.marks.all(sid)
    trace, candidates = None, []
    if args.run is not None:
        from hfwidgets.cli._run_predictor import load_run_predictor

        run_id, predictor = load_run_predictor(project, args.run)
        trace = model_trace(
            session.t, session.xyz, predictor, rate_hz=session.rate_hz, positive=args.positive,
            run_id=run_id,
        )  # fmt: skip
        candidates = find_candidates(trace, marks)
    png = render_session_png(
        session.t, session.xyz, marks, classes=project.classes, trace=trace,
        candidates=candidates,
        title=f"session {sid}: {session.t[-1] - session.t[0]:.1f} s, {len(marks)} mark(s)",
    )  # fmt: skip
    Path(args.out).write_bytes(png)
    summary: dict[str, Any] = {"session": sid, "out": str(args.out), "marks": len(marks)}
    if trace is not None:
        summary |= {
            "run": trace.run_id,
            "counts": len(trace.counts),
            "false_counts": sum(c.kind == "false count" for c in candidates),
            "misses": sum(c.kind == "miss" for c in candidates),
        }
    if args.json:
        print(json.dumps({**summary, "candidates": [vars(c) for c in candidates]}))
    else:
        print(", ".join(f"{k} {v}" for k, v in summary.items()))
        for cand in candidates[:20]:
            print(f"  {cand.describe()}")
    return 0


def _import(project: Project, args: argparse.Namespace) -> int:
    from hfwidgets.store.session_import import import_session_csv

    if args.target is None:
        raise HfwError("give the CSV file: hfw sessions --project DIR import FILE.csv")
    report = import_session_csv(project, args.target, units=args.units)
    if args.json:
        print(json.dumps(report.to_dict()))
    else:
        print("\n".join(report.describe()))
    return 0


def _run(args: argparse.Namespace) -> int:
    if args.action == "import":
        with Project.open_or_create(args.project) as project:
            return _import(project, args)
    with Project.open(args.project) as project:
        try:
            return _show(project, args) if args.action == "show" else _list(project, args)
        except ValueError as exc:
            raise HfwError(str(exc)) from exc


def register(subparsers: Subparsers) -> None:
    """Add the ``sessions`` subcommand."""
    parser = project_command(
        subparsers,
        "sessions",
        func=_run,
        help="list, draw or import a project's continuous sessions (long recordings)",
    )
    parser.add_argument("action", nargs="?", default="list", choices=("list", "show", "import"))
    parser.add_argument("target", nargs="?", help="show: the session id; import: the CSV file")
    parser.add_argument("--out", metavar="PNG", help="show: the picture to write")
    parser.add_argument(
        "--run", type=int, metavar="ID", help="show: draw this run's probability and counts"
    )
    parser.add_argument(
        "--positive", default="high-five", metavar="CLASS", help="the counted class"
    )
    parser.add_argument(
        "--units",
        default="auto",
        choices=("auto", "g", "m/s2"),
        help="import: the readings' unit (auto: by their magnitude)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
