"""``hfw export``: a project's windows as a dataset folder, or a trained model.

Two forms, one command:

- ``hfw export --project DIR --to DIR2``: labelled windows in the generic layout;
- ``hfw export --project DIR [--run ID] --format torchscript|onnx --out PATH``: a trained
  model with its scalogram settings (``hfwidgets.training.export.export_model``);
- ``hfw export --project DIR [--run ID] --format board --out DIR``: a board model distilled
  from the run, in an Arduino sketch folder, with its accuracy, flash and RAM
  (``hfwidgets.board.bundle.export_board``).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
from pathlib import Path
from typing import Any

from hfwidgets.cli._parsers import Subparsers, project_command
from hfwidgets.errors import HfwError
from hfwidgets.store.exporter import export_generic
from hfwidgets.store.project import Project

__all__ = ["register"]

MODEL_FORMATS = ("torchscript", "onnx", "board")


def _check_form(args: argparse.Namespace) -> str:
    model_opts = [
        flag
        for flag, value in (("--format", args.format), ("--out", args.out), ("--run", args.run))
        if value is not None
    ]
    if args.to is not None and model_opts:
        raise HfwError(
            f"--to (dataset export) cannot be combined with {', '.join(model_opts)} (model "
            "export); use either --to DIR2 or --format torchscript|onnx --out PATH"
        )
    if args.to is not None:
        return "dataset"
    if args.format is None or args.out is None:
        raise HfwError(
            "say what to export: --to DIR2 (labelled windows as CSV folders), "
            "--format torchscript|onnx --out PATH [--run ID] (a trained model) or "
            "--format board --out DIR [--run ID] (a board model and its Arduino sketch)"
        )
    return "model"


def _jsonable(result: Any) -> Any:
    if dataclasses.is_dataclass(result) and not isinstance(result, type):
        return {k: _jsonable(v) for k, v in dataclasses.asdict(result).items()}
    if isinstance(result, dict):
        return {str(k): _jsonable(v) for k, v in result.items()}
    if isinstance(result, list | tuple):
        return [_jsonable(v) for v in result]
    if isinstance(result, Path):
        return str(result)
    return result


def _export_model(project: Project, args: argparse.Namespace) -> Any:
    if args.format == "board":
        from hfwidgets.board.bundle import export_board

        return export_board(
            project, out=Path(args.out), run_id=args.run, positive=args.positive
        ).to_dict()
    try:
        from hfwidgets.training.export import export_model
    except ImportError as exc:
        raise HfwError(f"model export is not available in this installation ({exc})") from exc
    return export_model(project, run_id=args.run, fmt=args.format, out=Path(args.out))


def _run(args: argparse.Namespace) -> int:
    form = _check_form(args)
    with Project.open(args.project) as project:
        try:
            if form == "dataset":
                result: Any = export_generic(project, args.to).to_dict()
            else:
                result = {"model": _jsonable(_export_model(project, args)), "out": args.out}
        except ValueError as exc:
            raise HfwError(str(exc)) from exc
    if args.json:
        print(json.dumps({"form": form, **result}))
    elif form == "dataset":
        labels = ", ".join(f"{k} {v}" for k, v in sorted(result["per_label"].items()))
        print(f"exported {result['files']} windows to {result['path']} ({labels or 'none'})")
        if result["unlabelled_skipped"]:
            print(f"{result['unlabelled_skipped']} unlabelled windows not exported")
    elif args.format == "board":
        _print_board(result["model"])
    else:
        _print_model(Path(args.out), args.format)
    return 0


def _print_model(out: Path, fmt: str) -> None:
    meta = json.loads(out.with_name(out.name + ".json").read_text())
    print(f"exported the CNN of run {meta['run']} ({fmt}) to {out}")
    if meta["run_counts_with"] != "cnn":
        accuracy = meta["cnn_accuracy"]
        shown = "" if accuracy is None else f" (its validation accuracy {accuracy:.3f})"
        print(
            f"note: run {meta['run']} counts with its {meta['run_counts_with']} model, which "
            f"only the notebook runs; the file holds the CNN alone{shown}. To count live with "
            f"what you export: hfw runs use {meta['run']} cnn"
        )


def _print_board(board: dict[str, Any]) -> None:
    def figure(f: dict[str, Any]) -> str:
        low, high = f["interval"]
        return f"{f['accuracy']:.3f} (95 % {low:.3f}-{high:.3f}, {f['correct']}/{f['n']})"

    on = board["board"]["on"]
    print(f"board model of run {board['run_id']} written to {board['sketch']}")
    print(f"accuracy on {on}: board {figure(board['board'])}, run {figure(board['run'])}")
    print(
        f"flash {board['flash_bytes']} B, RAM {board['ram_bytes']} B ({board['size_source']}), "
        f"about {board['latency_ms']:.2f} ms per prediction on the {board['target']} (estimate)"
    )
    for name, fit in board["fits"].items():
        verdict = "fits" if fit["fits"] else "does not fit: " + "; ".join(fit["reasons"])
        print(f"{name}: {verdict}" + (f" ({fit['instead']})" if "instead" in fit else ""))


def register(subparsers: Subparsers) -> None:
    """Add the ``export`` subcommand."""
    parser = project_command(
        subparsers,
        "export",
        func=_run,
        help="export labelled windows (--to DIR2) or a trained model (--format ... --out PATH)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--to", default=None, metavar="DIR2", help="dataset export: new folder")
    parser.add_argument("--run", type=int, default=None, metavar="ID", help="model: run id")
    parser.add_argument("--format", choices=MODEL_FORMATS, default=None, help="model export format")
    parser.add_argument(
        "--out", default=None, metavar="PATH", help="model: output file (board: a folder)"
    )
    parser.add_argument(
        "--positive", default=None, metavar="CLASS",
        help="board: the class the board counts (default high-five, else the first class)",
    )  # fmt: skip
    parser.add_argument("--json", action="store_true", help="print one JSON object")
