"""``hfw train``: fine-tune a backbone on a project's labelled windows, headless.

Progress goes to stderr (one line per epoch); ``--json`` prints one JSON object as the last
stdout line: ``{"run", "accuracy", "classes", "confusion", "per_class", "seconds", "epochs"}``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

from hfwidgets.errors import HfwError

__all__ = ["parse_freeze", "register"]


def parse_freeze(model: str, *, freeze: str | None, freeze_until: str | None) -> tuple[str, ...]:
    """Frozen groups from ``--freeze a,b`` or ``--freeze-until GROUP`` (inclusive).

    ``--freeze-until backbone`` freezes every group but the head.
    """
    from hfwidgets.models import layer_groups, validate_frozen

    groups = layer_groups(model)
    if freeze and freeze_until:
        raise HfwError("use either --freeze GROUPS or --freeze-until GROUP, not both")
    try:
        if freeze_until:
            if freeze_until == "backbone":
                return tuple(groups[:-1])
            if freeze_until not in groups:
                raise ValueError(
                    f"--freeze-until {freeze_until}: {model} has no such group; its groups are "
                    f"{', '.join(groups)} (or 'backbone' for all but the head)"
                )
            return tuple(groups[: groups.index(freeze_until) + 1])
        if freeze:
            return tuple(validate_frozen(model, [g.strip() for g in freeze.split(",") if g]))
    except ValueError as exc:
        raise HfwError(str(exc)) from exc
    return ()


def _progress(event: Any) -> None:
    from hfwidgets.training import EpochEnded, FitStarted

    if isinstance(event, FitStarted):
        cached = ", frozen prefix cached" if event.cached_features else ""
        print(
            f"training {event.model} on {event.n_train} windows, validating on {event.n_val}"
            f"{cached}",
            file=sys.stderr,
        )
    elif isinstance(event, EpochEnded):
        line = f"epoch {event.epoch}: train loss {event.train_loss:.4f} acc {event.train_acc:.3f}"
        if event.val_acc is not None:
            line += f"  val loss {event.val_loss:.4f} acc {event.val_acc:.3f}"
        print(line, file=sys.stderr)


def _run(args: argparse.Namespace) -> int:
    from hfwidgets.store import Project
    from hfwidgets.training import TrainConfig, train_project

    frozen = parse_freeze(args.model, freeze=args.freeze, freeze_until=args.freeze_until)
    try:
        config = TrainConfig(
            model=args.model,
            weights=args.weights,
            frozen=frozen,
            epochs=args.epochs,
            batch_size=args.batch_size,
            lr=args.lr,
            val_fraction=args.val_fraction,
            head_lr_factor=args.head_lr_factor,
            patience=args.patience,
            seed=args.seed,
            augment=args.augment,
            device=args.device,
            **({"num_threads": args.threads} if args.threads else {}),
        )
    except ValueError as exc:
        raise HfwError(str(exc)) from exc
    started = time.perf_counter()
    with Project.open(args.project) as project:
        try:
            run_id = train_project(project, config, callbacks=[_progress], resume_run=args.resume)
        except ValueError as exc:
            raise HfwError(str(exc)) from exc
        record = project.run(run_id)
    metrics = record.metrics
    summary = {
        "run": run_id,
        "status": record.status,
        "accuracy": metrics.get("accuracy"),
        "classes": metrics.get("classes"),
        "confusion": metrics.get("confusion"),
        "per_class": metrics.get("per_class"),
        "misclassified": metrics.get("misclassified"),
        "evaluated_on": metrics.get("evaluated_on"),
        "seconds": round(time.perf_counter() - started, 3),
        "epochs": metrics.get("epochs"),
    }
    if args.json:
        print(json.dumps(summary))
    else:
        print(
            f"run {run_id} {record.status}: accuracy {summary['accuracy']:.3f} on "
            f"{metrics.get('n')} {summary['evaluated_on']} windows after {summary['epochs']} "
            f"epochs in {summary['seconds']:.1f} s"
        )
        print("confusion (rows true, columns predicted): " + json.dumps(summary["confusion"]))
    return 0 if record.status in ("finished", "stopped") else 1


def register(subparsers: Any) -> None:
    """Add the ``train`` subcommand."""
    p = subparsers.add_parser(
        "train",
        help="fine-tune a CNN on a project's labelled windows",
        description="Fine-tune a torchvision backbone on the scalograms of a project's "
        "labelled windows; the checkpoint and metrics are stored in the project.",
    )
    p.add_argument("--project", required=True, help="project folder")
    p.add_argument("--model", default="mobilenet_v2", help="backbone (hfw info lists them)")
    p.add_argument(
        "--weights",
        default="DEFAULT",
        help="DEFAULT (torchvision download/cache), a state-dict PATH, or none",
    )
    group = p.add_mutually_exclusive_group()
    group.add_argument("--freeze", help="comma-separated layer groups to freeze")
    group.add_argument(
        "--freeze-until",
        help="freeze every group up to and including this one ('backbone': all but the head)",
    )
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--lr", type=float, default=1e-3, help="learning rate (AdamW)")
    p.add_argument("--val-fraction", type=float, default=0.2, help="held out, stratified")
    p.add_argument("--head-lr-factor", type=float, default=1.0, help="learn-rate factor of head")
    p.add_argument("--patience", type=int, default=None, help="early stopping patience (epochs)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--augment", action="store_true", help="random time shift and gain")
    p.add_argument("--device", default="cpu", help="cpu, cuda or auto")
    p.add_argument("--threads", type=int, default=None, help="torch CPU threads (default <= 4)")
    p.add_argument("--resume", type=int, default=None, metavar="RUN", help="continue run RUN")
    p.add_argument("--json", action="store_true", help="print one JSON object last")
    p.set_defaults(func=_run)
