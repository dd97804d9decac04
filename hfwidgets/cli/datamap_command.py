"""``hfw map``: the data map of a project's windows, as a PNG or JSON.

    hfw map --project DIR [--run ID] [--model NAME --weights W] [--colour label|verdict]
            (--out map.png | --json)

With ``--run`` the run's network gives the features and its verdicts (correct, wrong,
unlabelled) can colour the points; without, the pretrained backbone (``--model``, ``--weights``
``DEFAULT``, ``none`` or a state-dict file). The ten strongest outliers are listed (window id and
score), most outlying first. See :mod:`hfwidgets.datamap`.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from hfwidgets.cli._parsers import Subparsers, project_command
from hfwidgets.errors import HfwError
from hfwidgets.store.project import Project

__all__ = ["register"]


def _run(args: argparse.Namespace) -> int:
    from hfwidgets.cli._run_predictor import pick_run
    from hfwidgets.datamap import build_data_map, render_data_map_png

    if args.out is None and not args.json:
        raise HfwError("say where the map goes: --out map.png, or --json to print it")
    if args.colour == "verdict" and args.run is None:
        raise HfwError("--colour verdict needs a run's verdicts: add --run ID (`hfw runs`)")
    with Project.open(args.project) as project:
        if args.run is not None:
            pick_run(project, args.run)
        data_map = build_data_map(
            project, run_id=args.run, model=args.model, weights=args.weights, seed=args.seed
        )
    if args.out is not None:
        out = Path(args.out)
        if out.suffix.lower() != ".png":
            raise HfwError(f"--out {out}: the map is written as PNG; name it *.png")
        out.write_bytes(render_data_map_png(data_map, by=args.colour))
    outliers = data_map.outliers(10)
    if args.json:
        print(json.dumps({**data_map.to_dict(), "out": args.out}))
    else:
        print(f"data map: {data_map.describe()} ({data_map.seconds:.1f} s)")
        if args.out is not None:
            print(f"written to {args.out}")
        if outliers:
            print("farthest from their class (outlier score above 1: nearer another class):")
        for p in outliers:
            print(f"  {p.describe()}")
    return 0


def register(subparsers: Subparsers) -> None:
    """Add the ``map`` subcommand."""
    parser = project_command(
        subparsers,
        "map",
        func=_run,
        help="2-D map of every window (features reduced with scikit-learn), with outliers",
    )
    parser.add_argument("--run", type=int, default=None, metavar="ID", help="a trained run")
    parser.add_argument(
        "--model", default="mobilenet_v2", help="backbone without --run (default mobilenet_v2)"
    )
    parser.add_argument(
        "--weights", default="DEFAULT", help="without --run: DEFAULT, none or a state-dict file"
    )
    parser.add_argument("--colour", choices=("label", "verdict"), default="label")
    parser.add_argument("--seed", type=int, default=0, help="seed of the 2-D layout")
    parser.add_argument("--out", default=None, metavar="PNG", help="write the map as a PNG")
    parser.add_argument("--json", action="store_true", help="every point as JSON (last line)")
