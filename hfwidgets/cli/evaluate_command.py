"""``hfw evaluate``: score a trained run on windows in the generic layout.

``--data DIR2`` holds ``DIR2/<label>/*.csv`` (header ``ax,ay,az``) and optionally
``DIR2/meta.json`` with ``{"rate_hz": ...}``; windows are read with the store's generic importer
(into a throw-away project at the model's rate), so resampling matches ``hfw import``.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from hfwidgets.cli._parsers import Subparsers, project_command
from hfwidgets.cli.train_command import format_confusion
from hfwidgets.errors import HfwError

if TYPE_CHECKING:
    from hfwidgets.store import Project

__all__ = ["evaluate_folder", "register"]


def evaluate_folder(
    project: Project, data_dir: str | Path, *, run_id: int | None = None
) -> dict[str, Any]:
    """Metrics of run ``run_id`` of ``project`` on the labelled windows under ``data_dir``.

    Labels the model does not know count as errors (their true class is added to ``classes``).
    """
    from hfwidgets.resampling import resample_samples
    from hfwidgets.store import Project, import_generic
    from hfwidgets.training.data import scalogram_images
    from hfwidgets.training.metrics import compute_metrics
    from hfwidgets.training.predictor import load_predictor, model_probabilities

    predictor = load_predictor(project, run_id)
    with (
        tempfile.TemporaryDirectory(prefix="hfw-evaluate-") as tmp,
        Project.create(Path(tmp) / "eval", classes=(), rate_hz=predictor.rate_hz) as scratch,
    ):
        import_generic(scratch, data_dir)
        records = [r for r in scratch.windows.all() if r.label is not None]
    if not records:
        raise HfwError(f"{data_dir}: no labelled windows to evaluate")
    classes = list(predictor.classes)
    classes += sorted({r.label for r in records if r.label not in classes})  # type: ignore[misc]
    # At the model's rate, as live inference sees windows (import keeps slower files at their
    # own rate; the run's band may not fit them).
    windows = [
        resample_samples(r.data[:, :3], from_hz=r.rate_hz, to_hz=predictor.rate_hz) for r in records
    ]
    images = scalogram_images(
        windows, [predictor.rate_hz] * len(records), settings=predictor.settings
    )
    cnn = np.concatenate(
        [predictor.predict_images(images[i : i + 64]) for i in range(0, len(images), 64)]
    )
    true = np.asarray([classes.index(r.label) for r in records])  # type: ignore[arg-type]
    # Every model of the run on the same windows (the baseline's probabilities computed once);
    # the figure is the one the run counts with: CNN, baseline or fusion.
    run = (
        {}
        if predictor.run_id is None
        else model_probabilities(project, predictor.run_id, windows, cnn)
    )
    proba = run.get(predictor.counts_with)
    if proba is None:
        proba = predictor.blend(windows, cnn)
    figures = compute_metrics(true, proba.argmax(axis=1), classes=classes)
    models = {name: float(np.mean(p.argmax(axis=1) == true)) for name, p in run.items()}
    stored = figures.to_dict()
    # Windows here are files, not project windows: name them by file, not by position.
    return {
        **{key: stored[key] for key in ("accuracy", "n", "classes", "per_class", "confusion")},
        "misclassified": [records[i].source for i in figures.misclassified],
        "predictions": {records[i].source: name for i, name in figures.predictions.items()},
        "true_labels": {records[i].source: name for i, name in figures.true_labels.items()},
        "run": predictor.run_id,
        "model": predictor.counts_with,
        "models": models,
    }


def _run(args: argparse.Namespace) -> int:
    from hfwidgets.store import Project

    started = time.perf_counter()
    with Project.open(args.project) as project:
        try:
            metrics = evaluate_folder(project, args.data, run_id=args.run)
        except ValueError as exc:
            raise HfwError(str(exc)) from exc
    metrics["seconds"] = round(time.perf_counter() - started, 3)
    if args.json:
        print(json.dumps(metrics))
        return 0
    print(
        f"run {metrics['run']} ({metrics['model']} model): accuracy {metrics['accuracy']:.3f} "
        f"on {metrics['n']} windows"
    )
    if len(metrics["models"]) > 1:
        print(
            "models on these windows: "
            + ", ".join(f"{name} {acc:.3f}" for name, acc in metrics["models"].items())
        )
    for name, row in metrics["per_class"].items():
        print(
            f"  {name:>12}: precision {row['precision']:.3f} recall {row['recall']:.3f} "
            f"f1 {row['f1']:.3f} support {row['support']}"
        )
    print(format_confusion(metrics["classes"], metrics["confusion"]))
    if metrics["misclassified"]:
        print("misclassified: " + ", ".join(metrics["misclassified"]))
    return 0


def register(subparsers: Subparsers) -> None:
    """Add the ``evaluate`` subcommand."""
    p = project_command(
        subparsers,
        "evaluate",
        func=_run,
        help="score a trained run on windows in the generic layout",
        description="Evaluate a trained run on DIR2/<label>/*.csv windows (header ax,ay,az; "
        "optional DIR2/meta.json with rate_hz).",
    )
    p.add_argument("--run", type=int, default=None, help="run id (default: latest trained)")
    p.add_argument("--data", required=True, help="folder in the generic layout")
    p.add_argument("--json", action="store_true", help="print one JSON object last")
