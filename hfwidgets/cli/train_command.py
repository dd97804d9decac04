"""``hfw train``: fine-tune a backbone on a project's labelled windows, headless.

Progress goes to stderr (one line per epoch); ``--json`` prints one JSON object as the last
stdout line: ``{"run", "accuracy", "classes", "confusion", "per_class", "seconds", "epochs",
"best_epoch", "validation", "baseline", "warnings"}``: ``validation`` says what the accuracy is
measured on (windows, sessions/sources, grouped or cross-validated), ``baseline`` is MiniRocket's
accuracy on the same windows, ``warnings`` (also on stderr) say when the figure is too small to
trust, ``models`` holds the validation figure of the CNN, the baseline and their fusion, and
``chosen`` the one the run counts with (``hfw runs use RUN MODEL`` changes it), and
``augment_check`` the augmented CNN against one trained without augmentation on the same
validation windows (``{"augmented", "plain", "n"}``; the better was kept; ``null`` when not made).
The options are those of :func:`hfwidgets.training.options.add_config_arguments`, shared with
the distributed launcher.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from typing import Any

from hfwidgets.cli._parsers import Subparsers, project_command
from hfwidgets.errors import HfwError
from hfwidgets.store.records import RunRecord
from hfwidgets.store.run_metrics import RunMetrics, interval_text
from hfwidgets.training.fit_events import EpochEnded, FitStarted, TrainingCallback

__all__ = ["ProgressPrinter", "figure_lines", "format_confusion", "register", "train_summary"]


class ProgressPrinter(TrainingCallback):
    """Prints what training is doing to stderr: the split, then one line per epoch."""

    def on_fit_start(self, event: FitStarted) -> None:
        cached = ", frozen prefix cached" if event.cached_features else ""
        print(
            f"training {event.model} on {event.n_train} windows, validating on {event.n_val}"
            f"{cached}",
            file=sys.stderr,
        )

    def on_epoch_end(self, event: EpochEnded) -> None:
        line = f"epoch {event.epoch}: train loss {event.train_loss:.4f} acc {event.train_acc:.3f}"
        if event.val_acc is not None and event.val_loss is not None:
            line += f"  val loss {event.val_loss:.4f} acc {event.val_acc:.3f}"
        print(line, file=sys.stderr)


def format_confusion(classes: Sequence[str], rows: Sequence[Sequence[int]]) -> str:
    """The confusion matrix as a table whose rows and columns are named by class."""
    classes = [str(name) for name in classes]
    if not classes or len(rows) != len(classes):
        return "confusion (rows true, columns predicted): " + json.dumps([list(r) for r in rows])
    width = max(6, *(len(name) for name in classes))
    lines = [
        "confusion (rows: true class, columns: predicted class)",
        " " * (width + 2) + "  ".join(f"{name:>{width}}" for name in classes),
    ]
    for name, row in zip(classes, rows, strict=True):
        lines.append(f"{name:>{width}}  " + "  ".join(f"{int(n):>{width}}" for n in row))
    return "\n".join(lines)


def figure_lines(metrics: RunMetrics) -> list[str]:
    """What the accuracy is measured on, the epoch kept, and the baseline beside it."""
    lines = []
    validation = metrics.validation
    if validation is not None and validation.summary:
        lines.append(validation.summary)
    if metrics.best_epoch and validation is not None and validation.on == "val":
        lines.append(f"kept epoch {metrics.best_epoch} (best validation accuracy)")
    baseline = metrics.baseline
    if baseline is not None and baseline.accuracy is not None:
        lines.append(
            f"baseline {baseline.name}: accuracy {baseline.accuracy:.3f}"
            f"{interval_text(baseline.accuracy, baseline.n)} "
            f"on the same {baseline.n} windows ({baseline.seconds:.1f} s)"
        )
    elif baseline is not None and baseline.error:
        lines.append(f"baseline failed: {baseline.error}")
    if metrics.models:
        figures = ", ".join(
            f"{name} {'-' if f.accuracy is None else f'{f.accuracy:.3f}'}"
            + interval_text(f.accuracy, f.n)
            + (f" (CNN weight {f.cnn_weight:.1f})" if name == "fusion" else "")
            for name, f in metrics.models.items()
        )
        lines.append(f"models on validation: {figures}; counts with: {metrics.chosen}")
    if metrics.augment_check is not None:
        lines.append(metrics.augment_check.summary)
    return lines


def train_summary(record: RunRecord, *, mode: str, seconds: float) -> dict[str, Any]:
    """What ``hfw train --json`` prints: the run's figure, what it is measured on, the baseline."""
    metrics = record.metrics
    stored = metrics.to_dict()
    validation = metrics.validation
    return {
        "run": record.id,
        "status": record.status,
        "mode": mode,
        "accuracy": metrics.accuracy,
        "accuracy_interval": list(interval) if (interval := metrics.accuracy_interval) else None,
        "classes": stored["classes"],
        "confusion": stored["confusion"],
        "per_class": stored["per_class"],
        "misclassified": stored["misclassified"],
        "evaluated_on": metrics.evaluated_on if metrics.trained else None,
        "seconds": round(seconds, 3),
        "epochs": metrics.epochs,
        "best_epoch": metrics.best_epoch,
        "validation": stored.get("validation"),
        "baseline": stored.get("baseline"),
        "warnings": list(validation.warnings) if validation is not None else [],
        "models": {
            name: {**stored["models"][name], "interval": list(f.interval) if f.interval else None}
            for name, f in metrics.models.items()
        },
        "chosen": metrics.chosen,
        "augment_check": stored.get("augment_check"),
    }


def _run(args: argparse.Namespace) -> int:
    from hfwidgets.store import Project
    from hfwidgets.training.options import config_from_args
    from hfwidgets.training.runner import train_project

    config = config_from_args(args)
    started = time.perf_counter()
    with Project.open(args.project) as project:
        try:
            run_id = train_project(
                project, config, callbacks=[ProgressPrinter()], resume_run=args.resume
            )
        except ValueError as exc:  # an unknown run, too few windows: say it, no traceback
            raise HfwError(str(exc)) from exc
        record = project.runs.get(run_id)
    metrics = record.metrics
    summary = train_summary(record, mode=config.mode, seconds=time.perf_counter() - started)
    for warning in summary["warnings"]:
        print(f"warning: {warning}", file=sys.stderr)
    if args.json:
        print(json.dumps(summary))
    else:
        print(
            f"run {run_id} {record.status}: accuracy {metrics.accuracy or 0.0:.3f}"
            f"{interval_text(metrics.accuracy, metrics.n)} on "
            f"{metrics.n} {metrics.evaluated_on} windows after {metrics.epochs} "
            f"epochs in {summary['seconds']:.1f} s"
        )
        for line in figure_lines(metrics):
            print(line)
        print(format_confusion(metrics.classes, metrics.confusion))
    return 0 if record.status in ("finished", "stopped") else 1


def register(subparsers: Subparsers) -> None:
    """Add the ``train`` subcommand."""
    from hfwidgets.training.options import add_config_arguments

    p = project_command(
        subparsers,
        "train",
        func=_run,
        help="fine-tune a CNN on a project's labelled windows",
        description="Fine-tune a torchvision backbone on the scalograms of a project's "
        "labelled windows; the checkpoint and metrics are stored in the project.",
    )
    add_config_arguments(p)
    p.add_argument("--resume", type=int, default=None, metavar="RUN", help="continue run RUN")
    p.add_argument("--json", action="store_true", help="print one JSON object last")
