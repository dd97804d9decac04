"""``hfw explain``: where in a window's scalogram a run found the evidence for its verdict.

    hfw explain --project DIR --run ID --window ID --out PNG [--class NAME]
                [--method auto|gradcam|occlusion] [--patch F --stride F] [--json]

Writes the heat map over the window's scalogram, with its x, y, z traces under it, as a PNG,
and prints the verdict, its confidence and the time and frequency of the heat's peak.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from hfwidgets.cli._parsers import Subparsers, project_command
from hfwidgets.errors import HfwError

__all__ = ["register"]


def _run(args: argparse.Namespace) -> int:
    import torch

    from hfwidgets.cli._run_predictor import pick_run
    from hfwidgets.explain import explain_stored_window, render_explanation_png
    from hfwidgets.explain.occlusion import DEFAULT_PATCH, DEFAULT_STRIDE
    from hfwidgets.store.project import Project
    from hfwidgets.training.predictor import load_predictor

    if args.threads:
        torch.set_num_threads(args.threads)
    out = Path(args.out)
    if out.suffix.lower() != ".png":
        raise HfwError(f"--out {out} must name a .png file")
    with Project.open(args.project) as project:
        pick_run(project, args.run)
        try:
            record = project.windows.get(args.window)
        except ValueError:
            raise HfwError(
                f"--window {args.window}: {project.path} has no such window "
                f"(`hfw info --project {args.project}` counts them; ids start at 1)"
            ) from None
        predictor = load_predictor(project, args.run)
        if args.target is not None and args.target not in predictor.classes:
            raise HfwError(
                f"--class {args.target!r} is not a class of run {args.run} "
                f"(its classes: {', '.join(predictor.classes)})"
            )
        try:
            explanation = explain_stored_window(
                project,
                args.window,
                predictor=predictor,
                target=args.target,
                method=args.method,
                patch=DEFAULT_PATCH if args.patch is None else args.patch,
                stride=DEFAULT_STRIDE if args.stride is None else args.stride,
            )
        except ValueError as exc:  # Grad-CAM of a network without a conv group, bad patches
            raise HfwError(f"{exc} (--method, --patch, --stride)") from None
        label = record.label if record.label is not None else "unlabelled"
        png = render_explanation_png(
            explanation,
            record.data,
            rate_hz=float(record.rate_hz),
            title=f"window {args.window} (labelled {label}) · run {args.run}",
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(png)
    summary: dict[str, Any] = {**explanation.to_dict(), "label": record.label, "png": str(out)}
    if args.json:
        print(json.dumps(summary))
    else:
        print(f"window {args.window}, run {args.run}: {explanation.describe()}")
        print(f"wrote {out} ({explanation.seconds:.2f} s)")
    return 0


def register(subparsers: Subparsers) -> None:
    """Add the ``explain`` subcommand."""
    parser = project_command(
        subparsers,
        "explain",
        func=_run,
        help="heat map of where in a window's scalogram a run found its verdict (PNG)",
        description="Explain a run's verdict on one stored window: Grad-CAM on the last "
        "convolutional layer group (or occlusion), drawn over the window's scalogram with its "
        "x, y, z traces under it.",
    )
    parser.add_argument("--run", required=True, type=int, metavar="ID", help="run (hfw runs)")
    parser.add_argument("--window", required=True, type=int, metavar="ID", help="window id")
    parser.add_argument("--out", required=True, metavar="PNG", help="picture to write")
    parser.add_argument(
        "--class", dest="target", metavar="NAME", help="class to explain (default: the verdict)"
    )
    parser.add_argument(
        "--method",
        choices=("auto", "gradcam", "occlusion"),
        default="auto",
        help="gradcam (last convolutional group), occlusion (slower, any model) or auto "
        "(Grad-CAM where it applies)",
    )
    parser.add_argument(
        "--patch",
        type=float,
        default=None,
        metavar="FRACTION",
        help="occlusion's patch side, a fraction of the image's (default 1/6)",
    )
    parser.add_argument(
        "--stride",
        type=float,
        default=None,
        metavar="FRACTION",
        help="occlusion's step, a fraction of the image's side (default 1/12)",
    )
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
