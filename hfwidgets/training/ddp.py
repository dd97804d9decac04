"""Data-parallel training under ``torchrun`` (DistributedDataParallel; gloo on CPU, NCCL on GPUs).

For projects that outgrow one process: every process holds the model, trains on its shard of
each epoch's batches, and DDP averages the gradients, so all replicas stay identical. Rank 0
prints progress, saves the checkpoint and reports. Run::

    torchrun --nproc-per-node 2 -m hfwidgets.training.ddp --project DIR --model mobilenet_v2 \\
        --weights PATH --freeze-until backbone --epochs 10 --json

or with ``--data FILE.npz`` (arrays ``images`` [N,3,H,W] in [0, 1], ``labels``, optional
``ids`` and ``classes``) and ``--out DIR`` instead of a project.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel

from hfwidgets.models import StagedNet, apply_freeze, build_model, set_train_mode
from hfwidgets.models.freezing import frozen_prefix_length, trainable_param_groups
from hfwidgets.training.checkpoint import save_checkpoint
from hfwidgets.training.config import TrainConfig
from hfwidgets.training.data import predict_logits, resolve_device
from hfwidgets.training.features import FrozenPrefix, compute_features
from hfwidgets.training.metrics import compute_metrics
from hfwidgets.training.split import stratified_split

__all__ = ["main", "train_distributed"]


def _digest(model: nn.Module) -> str:
    """Hash of every parameter and buffer: equal on all ranks when the replicas agree."""
    h = hashlib.sha256()
    for name, tensor in sorted(model.state_dict().items()):
        h.update(name.encode())
        h.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return h.hexdigest()[:16]


def _shard(n: int, epoch: int, seed: int, rank: int, world: int) -> torch.Tensor:
    """This rank's positions of the epoch's shuffled order (as DistributedSampler deals them).

    Every rank draws the same permutation (same seed and epoch) and takes every ``world``-th
    entry; the order is padded by wrapping so all ranks run the same number of batches, which
    DDP's gradient all-reduce needs.
    """
    order = torch.randperm(n, generator=torch.Generator().manual_seed(seed * 1000 + epoch))
    padded = torch.cat([order, order[: (-n) % world]])
    return padded[rank::world]


def _sync_buffers(model: nn.Module) -> None:
    """Copy rank 0's buffers (BatchNorm statistics) to every rank.

    DDP broadcasts buffers before each forward, so after the last batch every rank holds
    statistics of its own shard; rank 0's are the canonical ones.
    """
    for buffer in model.buffers():
        dist.broadcast(buffer, src=0)


def train_distributed(
    images: np.ndarray,
    labels: np.ndarray,
    *,
    config: TrainConfig,
    classes: list[str],
    ids: np.ndarray | None = None,
    checkpoint_path: Path | None = None,
    checkpoint_extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Train in an initialised process group; return the metrics (identical on every rank)."""
    rank, world = dist.get_rank(), dist.get_world_size()
    device = resolve_device(config.device)
    if device.type == "cuda":
        device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
        torch.cuda.set_device(device)
    torch.set_num_threads(config.num_threads)
    torch.manual_seed(config.seed)
    x_all = torch.as_tensor(images, dtype=torch.float32)
    y_all = torch.as_tensor(labels, dtype=torch.int64)
    window_ids = np.arange(len(y_all)) if ids is None else np.asarray(ids)
    train_idx, val_idx = stratified_split(  # same seed: the same split on every rank
        y_all.numpy(), val_fraction=config.val_fraction, seed=config.seed
    )
    model = build_model(config.model, num_classes=len(classes), weights=config.weights)
    apply_freeze(model, config.model, config.frozen)
    model.to(device)
    k = 0 if config.augment else frozen_prefix_length(config.model, config.frozen)
    if k:
        inputs = compute_features(FrozenPrefix(model, config.model, k), x_all, device=device)
        net: nn.Module = StagedNet(model, config.model, start=k).to(device)
    else:
        inputs, net = x_all, StagedNet(model, config.model).to(device)
    ddp = DistributedDataParallel(net, device_ids=[device.index] if device.type == "cuda" else None)
    groups = trainable_param_groups(
        model, config.model, lr=config.lr, head_lr_factor=config.head_lr_factor
    )
    optimizer = torch.optim.AdamW(groups, weight_decay=config.weight_decay)
    loss_fn = nn.CrossEntropyLoss()
    history = []
    for epoch in range(1, config.epochs + 1):
        start = time.perf_counter()
        set_train_mode(model, config.model, config.frozen)
        shard = torch.as_tensor(train_idx)[_shard(len(train_idx), epoch, config.seed, rank, world)]
        total = torch.zeros(3, dtype=torch.float64)  # loss sum, correct, seen (all ranks)
        for begin in range(0, len(shard), config.batch_size):
            index = shard[begin : begin + config.batch_size]
            xb, yb = inputs[index].to(device), y_all[index].to(device)
            optimizer.zero_grad(set_to_none=True)
            logits = ddp(xb)
            loss = loss_fn(logits, yb)
            loss.backward()  # DDP all-reduces (averages) the gradients here
            optimizer.step()
            correct = int((logits.argmax(1) == yb).sum())
            total += torch.tensor([float(loss.detach()) * len(yb), correct, len(yb)])
        dist.all_reduce(total)
        _sync_buffers(model)
        val_loss = val_acc = None
        if len(val_idx):
            logits = predict_logits(net, inputs, np.asarray(val_idx), device=device)
            target = y_all[torch.as_tensor(val_idx)]
            val_loss = float(loss_fn(logits, target))
            val_acc = float((logits.argmax(1) == target).float().mean())
        record = {
            "epoch": epoch,
            "train_loss": float(total[0] / total[2]),
            "train_acc": float(total[1] / total[2]),
            "val_loss": val_loss,
            "val_acc": val_acc,
            "seconds": time.perf_counter() - start,
        }
        history.append(record)
        if rank == 0:
            print(f"epoch {epoch}: " + json.dumps(record), file=sys.stderr)
    where = np.asarray(val_idx if len(val_idx) else train_idx)
    pred = predict_logits(net, inputs, where, device=device).argmax(1).numpy()
    metrics = compute_metrics(
        y_all[torch.as_tensor(where)].numpy(), pred, classes=classes, ids=window_ids[where]
    )
    metrics.update(epochs=config.epochs, history=history, world_size=world,
                   evaluated_on="val" if len(val_idx) else "train")  # fmt: skip
    digests: list[Any] = [None] * world
    dist.all_gather_object(digests, _digest(model))
    metrics["replicas_identical"] = len(set(digests)) == 1
    if rank == 0 and checkpoint_path is not None:
        save_checkpoint(checkpoint_path, {
            **(checkpoint_extra or {}), "model": config.model, "config": config.to_dict(),
            "classes": classes, "epoch": config.epochs, "history": history, "metrics": metrics,
            "model_state": {k: v.detach().cpu() for k, v in model.state_dict().items()},
            "optimizer_state": optimizer.state_dict(),
        })  # fmt: skip
    return metrics


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="torchrun ... -m hfwidgets.training.ddp",
        description="Data-parallel fine-tuning of a project (or an .npz of scalograms).",
    )
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--project", help="project folder (the run is stored there)")
    source.add_argument("--data", help=".npz with images, labels[, ids, classes]")
    p.add_argument("--out", help="with --data: folder for checkpoint.pt and metrics.json")
    p.add_argument("--model", default="mobilenet_v2")
    p.add_argument("--weights", default="DEFAULT")
    group = p.add_mutually_exclusive_group()
    group.add_argument("--freeze")
    group.add_argument("--freeze-until")
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--batch-size", type=int, default=16, help="per process")
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--val-fraction", type=float, default=0.2)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="cpu")
    p.add_argument("--threads", type=int, default=1, help="torch threads per process")
    p.add_argument("--json", action="store_true")
    return p


def _load_npz(path: str) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, list[str]]:
    with np.load(path, allow_pickle=False) as data:
        labels = data["labels"]
        classes = [str(c) for c in data["classes"]] if "classes" in data else None
        ids = data.get("ids", None)
        return data["images"], labels, ids, classes or [str(i) for i in range(labels.max() + 1)]


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``torchrun -m hfwidgets.training.ddp``; rank 0 prints the result."""
    from hfwidgets.cli.train import parse_freeze

    args = _parser().parse_args(argv)
    if "RANK" not in os.environ:
        print("run me under torchrun: torchrun --nproc-per-node N -m hfwidgets.training.ddp ...",
              file=sys.stderr)  # fmt: skip
        return 2
    use_nccl = args.device != "cpu" and torch.cuda.is_available()
    dist.init_process_group("nccl" if use_nccl else "gloo")
    try:
        config = TrainConfig(
            model=args.model, weights=args.weights, epochs=args.epochs, lr=args.lr,
            frozen=parse_freeze(args.model, freeze=args.freeze, freeze_until=args.freeze_until),
            batch_size=args.batch_size, val_fraction=args.val_fraction, seed=args.seed,
            device=args.device, num_threads=args.threads,
        )  # fmt: skip
        started = time.perf_counter()
        project = run_id = None
        extra: dict[str, Any] = {}
        ids: np.ndarray | None
        if args.project:
            from hfwidgets.store import Project
            from hfwidgets.training.data import project_dataset, project_scalogram_settings

            project = Project.open(args.project)
            settings = project_scalogram_settings(project)
            images, labels, ids, classes, window_s = project_dataset(project, settings=settings)
            extra = {
                "scalogram": settings.to_dict(),
                "rate_hz": float(project.rate_hz),
                "window_s": window_s,
            }
            box: list[Any] = [None]
            if dist.get_rank() == 0:
                settings_json = {"config": config.to_dict(), "classes": classes, **extra}
                box[0] = project.add_run({**settings_json, "distributed": dist.get_world_size()})
                project.update_run(box[0], status="running")
            dist.broadcast_object_list(box, src=0)
            run_id = int(box[0])
            checkpoint = project.checkpoint_path(run_id)
        else:
            images, labels, ids, classes = _load_npz(args.data)
            checkpoint = Path(args.out or ".") / "checkpoint.pt"
        metrics = train_distributed(
            images, labels, config=config, classes=classes, ids=ids,
            checkpoint_path=checkpoint, checkpoint_extra=extra,
        )  # fmt: skip
        metrics["seconds"] = time.perf_counter() - started
        if dist.get_rank() == 0:
            if project is not None and run_id is not None:
                project.update_run(run_id, status="finished", metrics=metrics)
            elif args.out:
                (Path(args.out) / "metrics.json").write_text(json.dumps(metrics))
            keys = ("accuracy", "classes", "confusion", "per_class", "seconds", "epochs",
                    "world_size", "replicas_identical")  # fmt: skip
            summary = {"run": run_id, **{key: metrics[key] for key in keys}}
            print(json.dumps(summary) if args.json else f"accuracy {metrics['accuracy']:.3f}")
        if project is not None:
            project.close()
    finally:
        dist.destroy_process_group()
    return 0


if __name__ == "__main__":
    sys.exit(main())
