"""Benchmark: one whole default run (scalograms, training, its measurement, the baseline).

N simulated arm-motion captures (high-five vs other, 50 Hz, 1.5 s) from S recorders go into a
project; ``train_project`` runs with the defaults and the shared ImageNet MobileNetV2 weights,
measured two ways in the same process:

1. leave-one-source-out (the default for 2..6 sources): one fold model per source, trained
   without augmentation so the frozen prefix is computed once per fold, then the stored model
   on every window;
2. the one hold-out split (``loso_max_sources=0``, the default for one source or more than
   six), which also trains once without augmentation on the same split and keeps the better
   model on validation (``augment_check``), then trains the stored model on every window
   (``refit``);
3. the hold-out split without the refit (``refit=False``): the refit's cost;
4. the hold-out split without the check and the refit: the plain alternative, one fit.

The issue's budget: 200 windows, measurement included, under 5 minutes on 2 cores. Run::

    python bench/train_run.py [--windows 200] [--sources 4] [--threads 2] [--json PATH]
        [--only loso|holdout]

``--only holdout`` runs the hold-out split alone (way 2), ``--only loso`` way 1 alone.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import torch

from hfwidgets._paths import shared_weights
from hfwidgets.sensors import simulate_windows
from hfwidgets.store import Project
from hfwidgets.store.run_metrics import RunMetrics
from hfwidgets.training.config import TrainConfig
from hfwidgets.training.runner import train_project

RATE = 50.0


def timed_run(windows: int, sources: int, config: TrainConfig) -> tuple[float, RunMetrics]:
    """Seconds of one ``train_project`` on a fresh project, and the run's metrics."""
    data, names = simulate_windows(windows // 2, rate_hz=RATE, window_s=1.5, seed=0)
    with tempfile.TemporaryDirectory() as tmp:
        project = Project.create(Path(tmp) / "p", classes=("high-five", "other"), rate_hz=RATE)
        try:
            for i, (window, label) in enumerate(zip(data, names, strict=True)):
                project.windows.add(window, rate_hz=RATE, label=label,
                                   source=f"recorder{i % sources}.csv#{i}")  # fmt: skip
            start = time.perf_counter()
            run_id = train_project(project, config)
            seconds = time.perf_counter() - start
            return seconds, project.runs.get(run_id).metrics
        finally:
            project.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--windows", type=int, default=200)
    parser.add_argument("--sources", type=int, default=4)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--json", type=Path, default=None, help="write the figures here")
    parser.add_argument("--only", choices=("loso", "holdout"), default=None,
                        help="run one way alone (no ratios)")  # fmt: skip
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    path = shared_weights()
    weights = str(path) if path is not None else "DEFAULT"
    rows = []
    ways = (
        ("leave-one-source-out", 6, True, True),
        ("one hold-out split", 0, True, True),
        ("hold-out, no refit", 0, True, False),
        ("hold-out, one fit", 0, False, False),
    )
    if args.only is not None:
        ways = ways[:1] if args.only == "loso" else ways[1:2]
    for name, max_sources, check, refit in ways:
        config = TrainConfig(weights=weights, num_threads=args.threads, refit=refit,
                             loso_max_sources=max_sources, augment_check=check)  # fmt: skip
        seconds, metrics = timed_run(args.windows, args.sources, config)
        assert metrics.validation is not None
        augment = metrics.augment_check
        rows.append({
            "measured by": name, "seconds": round(seconds, 1), "n": metrics.n,
            "accuracy": metrics.accuracy, "summary": metrics.validation.summary,
            "augment_check": None if augment is None else augment.summary,
        })  # fmt: skip
    print(f"{args.windows} windows, {args.sources} sources, {args.threads} threads, defaults")
    print(f"{'measured by':<24} {'seconds':>8} {'windows':>8} {'accuracy':>9}  augment check")
    for row in rows:
        print(f"{row['measured by']:<24} {row['seconds']:>8.1f} {row['n']:>8} "
              f"{row['accuracy'] or 0.0:>9.3f}  {row['augment_check'] or '-'}")  # fmt: skip
    if args.only is not None:
        if args.json is not None:
            args.json.write_text(json.dumps({"rows": rows}, indent=1))
        return
    ratio = rows[0]["seconds"] / rows[1]["seconds"]
    refit_cost = rows[1]["seconds"] / rows[2]["seconds"]
    check_cost = rows[2]["seconds"] / rows[3]["seconds"]
    print(f"leave-one-source-out / hold-out: {ratio:.2f}x; hold-out with / without the refit: "
          f"{refit_cost:.2f}x; without the refit, with / without the augment check: "
          f"{check_cost:.2f}x; budget 300 s")  # fmt: skip
    if args.json is not None:
        figures = {"rows": rows, "ratio": round(ratio, 2), "refit_cost": round(refit_cost, 2),
                   "check_cost": round(check_cost, 2)}  # fmt: skip
        args.json.write_text(json.dumps(figures, indent=1))


if __name__ == "__main__":
    main()
