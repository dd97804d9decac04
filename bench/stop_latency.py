"""How long Stop takes to end a training run, wherever in the run it is pressed.

A project of simulated windows is trained as the workbench's Train tab does (MobileNetV2 with the
offline ImageNet weights, the default frozen groups, batch 16, one CPU thread), through the same
``TrainingRunner`` the panel uses. Stop is pressed at three moments:

- right after Start (while the scalograms are drawn and the model is built);
- when the frozen layers' outputs begin to be cached (the slow part of a run's start);
- after the last epoch (the final metrics are still computed; the MiniRocket baseline is not).

For each it reports the seconds from Stop to the run's ``FitEnded`` (what the panel waits for to
say "stopped"), beside the plain alternative measured in the same run: a run left alone, whose
time to its first batch (the first point where a stop was noticed before) and time from its
last epoch to its end (final metrics and baseline) are what a person who pressed Stop would
otherwise have waited.

    python bench/stop_latency.py [--per-class 50] [--json]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

import torch

from hfwidgets._paths import shared_weights
from hfwidgets.sensors import simulate_windows
from hfwidgets.store import Project
from hfwidgets.training import fit_setup
from hfwidgets.training.config import build_train_config
from hfwidgets.training.fit_events import BatchEnded, EpochEnded, FitEnded
from hfwidgets.training.runner import TrainingRunner


def _project(root: Path, name: str, per_class: int) -> Project:
    windows, labels = simulate_windows(per_class, seed=1)
    project = Project.create(root / name)
    with project.batch():
        for data, label in zip(windows, labels, strict=True):
            project.windows.add(data, rate_hz=50.0, label=label)
    return project


def _config(epochs: int) -> Any:
    weights = shared_weights()
    return build_train_config(
        model="mobilenet_v2",
        weights=str(weights) if weights is not None else "none",
        epochs=epochs,
        batch_size=16,
        num_threads=1,
    )


class _Run:
    """One run through TrainingRunner, with the time of every event."""

    def __init__(self, project: Project, config: Any) -> None:
        self.runner = TrainingRunner(project, config)
        self.times: list[tuple[float, Any]] = []
        self.stop_at: float | None = None
        self.runner.on_event(self._seen)
        self.on_event: Any = None

    def _seen(self, event: Any) -> None:
        self.times.append((time.perf_counter(), event))
        if self.on_event is not None:
            self.on_event(event)

    def stop(self) -> None:
        self.stop_at = time.perf_counter()
        self.runner.stop()

    def end(self) -> tuple[float, FitEnded]:
        assert self.runner.join(timeout=3600)
        at, event = next((t, e) for t, e in self.times if isinstance(e, FitEnded))
        return at, event


def _row(
    moment: str, ended: FitEnded, stop_to_end_s: float, alternative_s: float
) -> dict[str, Any]:
    return {"moment": moment, "status": ended.status, "stop_to_end_s": stop_to_end_s,
            "alternative_s": alternative_s}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-class", type=int, default=50, help="windows per class")
    parser.add_argument("--json", action="store_true", help="print one JSON object last")
    args = parser.parse_args()
    torch.set_num_threads(1)
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        config = _config(epochs=1)

        # The plain alternative: a run left alone (its first batch is where a stop used to be
        # noticed; its baseline is what a Stop after the last epoch used to wait for).
        alone = _Run(_project(root, "alone", args.per_class), config)
        started = time.perf_counter()
        alone.runner.start()
        _at, ended = alone.end()
        first_batch = next(t for t, e in alone.times if isinstance(e, BatchEnded)) - started
        last_epoch = max(t for t, e in alone.times if isinstance(e, EpochEnded))
        after_epochs = _at - last_epoch  # final metrics, then the baseline

        # Stop right after Start.
        run = _Run(_project(root, "at-start", args.per_class), config)
        run.runner.start()
        run.stop()
        at, ended = run.end()
        rows.append(_row("right after Start", ended, at - (run.stop_at or at), first_batch))

        # Stop when the frozen layers' outputs begin to be cached.
        run = _Run(_project(root, "in-cache", args.per_class), config)
        real = fit_setup.__dict__["compute_features"]  # patched where fit_setup looks it up

        def caching(*a: Any, **k: Any) -> Any:
            run.stop()
            return real(*a, **k)

        fit_setup.__dict__["compute_features"] = caching
        try:
            cache_from = time.perf_counter()
            run.runner.start()
            at, ended = run.end()
        finally:
            fit_setup.__dict__["compute_features"] = real
        waited = first_batch - ((run.stop_at or cache_from) - cache_from)
        rows.append(_row("while caching frozen layers", ended, at - (run.stop_at or at), waited))

        # Stop after the last epoch (where the baseline would begin).
        run = _Run(_project(root, "after-epochs", args.per_class), config)
        run.on_event = lambda e: run.stop() if isinstance(e, EpochEnded) else None
        run.runner.start()
        at, ended = run.end()
        rows.append(_row("after the last epoch", ended, at - (run.stop_at or at), after_epochs))

    print(f"{2 * args.per_class} windows, MobileNetV2, default frozen groups, 1 thread")
    print(f"{'Stop pressed':<30} {'ends as':<10} {'stop->end s':>12} {'waited before s':>16} "
          f"{'ratio':>7}")  # fmt: skip
    for row in rows:
        row["ratio"] = row["alternative_s"] / max(row["stop_to_end_s"], 1e-6)
        print(f"{row['moment']:<30} {row['status']:<10} {row['stop_to_end_s']:>12.2f} "
              f"{row['alternative_s']:>16.2f} {row['ratio']:>6.0f}x")  # fmt: skip
    if args.json:
        print(json.dumps({"windows": 2 * args.per_class, "rows": rows}))


if __name__ == "__main__":
    main()
