"""Data-parallel training under ``torchrun``: process-group setup around the same Trainer.

For projects that outgrow one process: every process holds the model and runs
:class:`~hfwidgets.training.trainer.Trainer` with a :class:`DistributedStrategy`, which trains
each process on its shard of every epoch's batches inside ``DistributedDataParallel`` (gloo on
CPU, NCCL on GPUs), so DDP averages the gradients and all replicas stay identical. Validation,
checkpoints and events are the Trainer's own; rank 0 prints progress, writes the checkpoint and
reports. Run::

    torchrun --nproc-per-node 2 -m hfwidgets.training.ddp --project DIR --model mobilenet_v2 \\
        --weights PATH --freeze-until backbone --epochs 10 --json

or with ``--data FILE.npz`` (arrays ``images`` [N,3,H,W] in [0, 1], ``labels``, optional
``ids`` and ``classes``) and ``--out DIR`` instead of a project. The training options are
those of ``hfw train`` (:func:`~hfwidgets.training.options.add_config_arguments`).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel

from hfwidgets.store.run_metrics import RunMetrics
from hfwidgets.training.config import TrainConfig
from hfwidgets.training.fit_events import EpochEnded, EventCallback, TrainingCallback
from hfwidgets.training.options import add_config_arguments, config_from_args
from hfwidgets.training.strategy import Strategy
from hfwidgets.training.trainer import FitResult, Trainer

if TYPE_CHECKING:
    from hfwidgets.store import Project

__all__ = ["DistributedStrategy", "main", "train_distributed"]


class DistributedStrategy(Strategy):
    """The Trainer's work spread over the processes of an initialised process group."""

    def __init__(self) -> None:
        self.rank = dist.get_rank()
        self.world_size = dist.get_world_size()

    def device(self, requested: str) -> torch.device:
        device = super().device(requested)
        if device.type == "cuda":  # one GPU per process, as torchrun numbers them
            device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
            torch.cuda.set_device(device)
        return device

    def wrap(self, net: nn.Module, device: torch.device) -> nn.Module:
        return DistributedDataParallel(
            net, device_ids=[device.index] if device.type == "cuda" else None
        )

    def batches(
        self, n: int, *, batch_size: int, generator: torch.Generator
    ) -> Iterator[torch.Tensor]:
        """This rank's share of the epoch's shuffled order, as DistributedSampler deals it.

        Every rank draws the same permutation (same seeded generator) and takes every
        ``world_size``-th entry; the order is padded by wrapping so that all ranks run the same
        number of batches, which DDP's gradient all-reduce needs.
        """
        order = torch.randperm(n, generator=generator)
        padded = torch.cat([order, order[: (-n) % self.world_size]])
        shard = padded[self.rank :: self.world_size]
        for start in range(0, len(shard), batch_size):
            yield shard[start : start + batch_size]

    def count_batches(self, n: int, *, batch_size: int) -> int:
        per_rank = -(-n // self.world_size)  # ceil: the padded shard of every rank
        return -(-per_rank // batch_size)

    def reduce_sum(self, values: torch.Tensor) -> torch.Tensor:
        total = values.clone()
        dist.all_reduce(total)
        return total

    def end_epoch(self, model: nn.Module) -> None:
        """Copy rank 0's buffers (BatchNorm statistics) to every rank.

        DDP broadcasts buffers before each forward, so after the last batch every rank holds
        statistics of its own shard; rank 0's are the canonical ones.
        """
        for buffer in model.buffers():
            dist.broadcast(buffer, src=0)


def _digest(model: nn.Module) -> str:
    """Hash of every parameter and buffer: equal on all ranks when the replicas agree."""
    h = hashlib.sha256()
    for name, tensor in sorted(model.state_dict().items()):
        h.update(name.encode())
        h.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return h.hexdigest()[:16]


def train_distributed(
    images: np.ndarray,
    labels: np.ndarray,
    *,
    config: TrainConfig,
    classes: list[str],
    ids: np.ndarray | None = None,
    checkpoint_path: Path | None = None,
    checkpoint_extra: dict[str, Any] | None = None,
    callbacks: tuple[EventCallback, ...] = (),
    run_id: int | None = None,
) -> FitResult:
    """Fit with the Trainer in an initialised process group; the metrics agree on every rank.

    ``metrics`` gains ``world_size`` and ``replicas_identical`` (whether every rank ended with
    the same weights and buffers). ``callbacks`` are attached on rank 0 only.
    """
    strategy = DistributedStrategy()
    trainer = Trainer(
        config,
        classes=classes,
        callbacks=callbacks if strategy.is_main else (),
        strategy=strategy,
    )
    result = trainer.fit(
        images,
        labels,
        ids=ids,
        checkpoint_path=checkpoint_path,
        checkpoint_extra=checkpoint_extra,
        run_id=run_id,
    )
    digests: list[Any] = [None] * strategy.world_size
    dist.all_gather_object(digests, _digest(result.model))
    result.metrics = result.metrics.replace(
        world_size=strategy.world_size, replicas_identical=len(set(digests)) == 1
    )
    return result


class _EpochLines(TrainingCallback):
    """One JSON line per epoch on stderr (rank 0 only)."""

    def on_epoch_end(self, event: EpochEnded) -> None:
        record = {key: value for key, value in asdict(event).items() if key != "epoch"}
        print(f"epoch {event.epoch}: " + json.dumps(record), file=sys.stderr)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="torchrun ... -m hfwidgets.training.ddp",
        description="Data-parallel fine-tuning of a project (or an .npz of scalograms).",
    )
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--project", help="project folder (the run is stored there)")
    source.add_argument("--data", help=".npz with images, labels[, ids, classes]")
    p.add_argument("--out", help="with --data: folder for checkpoint.pt and metrics.json")
    add_config_arguments(p, default_threads=1)  # --batch-size is per process
    p.add_argument("--json", action="store_true")
    return p


def _load_npz(path: str) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, list[str]]:
    with np.load(path, allow_pickle=False) as data:
        labels = data["labels"]
        classes = [str(c) for c in data["classes"]] if "classes" in data else None
        ids = data["ids"] if "ids" in data.files else None
        return data["images"], labels, ids, classes or [str(i) for i in range(labels.max() + 1)]


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``torchrun -m hfwidgets.training.ddp``; rank 0 prints the result."""
    args = _parser().parse_args(argv)
    if "RANK" not in os.environ:
        print("run me under torchrun: torchrun --nproc-per-node N -m hfwidgets.training.ddp ...",
              file=sys.stderr)  # fmt: skip
        return 2
    config = config_from_args(args)  # before the group: a bad option fails every rank alike
    use_nccl = args.device != "cpu" and torch.cuda.is_available()
    dist.init_process_group("nccl" if use_nccl else "gloo")
    try:
        return _train(args, config)
    finally:
        dist.destroy_process_group()


def _train(args: argparse.Namespace, config: TrainConfig) -> int:
    started = time.perf_counter()
    if args.project:
        from hfwidgets.store import Project

        with Project.open(args.project) as project:
            result, run_id = _train_project(project, config)
            metrics = result.metrics.replace(seconds=time.perf_counter() - started)
            if dist.get_rank() == 0:
                project.runs.update(run_id, status="finished", metrics=metrics)
    else:
        images, labels, ids, classes = _load_npz(args.data)
        out = Path(args.out or ".")
        result = train_distributed(
            images, labels, config=config, classes=classes, ids=ids,
            checkpoint_path=out / "checkpoint.pt", callbacks=(_EpochLines(),),
        )  # fmt: skip
        run_id = None
        metrics = result.metrics.replace(seconds=time.perf_counter() - started)
        if dist.get_rank() == 0 and args.out:
            (out / "metrics.json").write_text(json.dumps(metrics.to_dict()))
    if dist.get_rank() == 0:
        keys = ("accuracy", "classes", "confusion", "per_class", "seconds", "epochs",
                "world_size", "replicas_identical")  # fmt: skip
        stored = metrics.to_dict()
        summary = {"run": run_id, **{key: stored.get(key) for key in keys}}
        print(json.dumps(summary) if args.json else f"accuracy {metrics.accuracy or 0.0:.3f}")
    return 0


def _train_project(project: Project, config: TrainConfig) -> tuple[FitResult, int]:
    """Train a project's labelled windows; rank 0 records the run (failed, if it fails)."""
    from hfwidgets.training.data import (
        project_dataset,
        project_rate_hz,
        project_scalogram_settings,
    )
    from hfwidgets.training.project_runs import check_config, run_records

    check_config(config)
    scalogram = project_scalogram_settings(project)
    images, labels, ids, classes, window_s = project_dataset(project, settings=scalogram)
    settings, extra = run_records(
        config,
        scalogram=scalogram,
        classes=classes,
        rate_hz=project_rate_hz(project),
        window_s=window_s,
    )
    box: list[Any] = [None]
    if dist.get_rank() == 0:
        box[0] = project.runs.add({**settings, "distributed": dist.get_world_size()})
        project.runs.update(box[0], status="running")
    dist.broadcast_object_list(box, src=0)
    run_id = int(box[0])
    try:
        result = train_distributed(
            images, labels, config=config, classes=classes, ids=ids,
            checkpoint_path=project.runs.checkpoint_path(run_id),
            checkpoint_extra=extra, callbacks=(_EpochLines(),), run_id=run_id,
        )  # fmt: skip
    except BaseException as exc:
        if dist.get_rank() == 0:
            project.runs.update(run_id, status="failed", metrics=RunMetrics(error=str(exc)))
        raise
    return result, run_id


if __name__ == "__main__":
    sys.exit(main())
