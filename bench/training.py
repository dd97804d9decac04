"""Benchmark: 10 epochs with a frozen backbone, cached prefix vs a plain loop; full fine-tuning.

On N simulated arm-motion captures (high-five vs other, 50 Hz, 1.5 s) turned into 224x224
scalograms, with ImageNet MobileNetV2 (../shared/weights, else torchvision's DEFAULT, else
random weights):

1. hfwidgets' Trainer, every group but the head frozen: the frozen prefix runs once and is
   cached, each epoch trains only the head;
2. the plain PyTorch loop a person would write: backbone frozen (requires_grad=False, eval mode)
   but run forward on every batch of every epoch;
3. full fine-tuning (nothing frozen) with the Trainer: training images per second.

Both 1 and 2 use the same split and report validation accuracy. Run::

    python bench/training.py [--windows 200] [--epochs 10] [--threads 2] [--json]
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import torch
from torch import nn

from hfwidgets._paths import shared_weights
from hfwidgets.models import StagedNet, build_model, layer_groups
from hfwidgets.scalogram import ScalogramSettings, compute_scalograms
from hfwidgets.sensors import simulate_windows
from hfwidgets.training.config import TrainConfig
from hfwidgets.training.fit_events import BatchEnded, TrainingCallback
from hfwidgets.training.split import stratified_split
from hfwidgets.training.trainer import Trainer

MODEL = "mobilenet_v2"
RATE = 50.0


def simulated_captures(n: int, *, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``n`` windows of the simulated arm (1.5 s at 50 Hz): half high-fives, half other motions."""
    windows, names = simulate_windows(n // 2, rate_hz=RATE, window_s=1.5, seed=seed)
    labels = np.array([0 if name == "high-five" else 1 for name in names])
    return windows, labels


def _weights() -> str:
    path = shared_weights()
    return str(path) if path is not None else "DEFAULT"


def plain_loop(
    images: np.ndarray,
    labels: np.ndarray,
    train: np.ndarray,
    val: np.ndarray,
    *,
    epochs: int,
    batch_size: int,
    lr: float,
    weights: str,
) -> tuple[float, float]:
    """The usual loop: frozen backbone run forward on every batch. Returns (seconds, val acc).

    Like the Trainer, it measures validation accuracy after every epoch (what a training plot
    shows), running the validation windows through the whole network each time.
    """
    start = time.perf_counter()
    torch.manual_seed(0)
    model = build_model(MODEL, num_classes=2, weights=weights)
    for param in model.features.parameters():
        param.requires_grad_(False)
    net = StagedNet(model, MODEL)  # same input scaling as the Trainer
    optimizer = torch.optim.AdamW(model.classifier.parameters(), lr=lr, weight_decay=0.0)
    x, y = torch.as_tensor(images), torch.as_tensor(labels)
    generator = torch.Generator().manual_seed(0)
    for _ in range(epochs):
        model.train()
        model.features.eval()  # frozen BatchNorm statistics, as the Trainer keeps them
        order = torch.as_tensor(train)[torch.randperm(len(train), generator=generator)]
        for begin in range(0, len(order), batch_size):
            index = order[begin : begin + batch_size]
            optimizer.zero_grad(set_to_none=True)
            loss = nn.functional.cross_entropy(net(x[index]), y[index])
            loss.backward()
            optimizer.step()
        accuracy = _accuracy(net, x, y, val)
    return time.perf_counter() - start, accuracy


def _accuracy(net: nn.Module, x: torch.Tensor, y: torch.Tensor, index: np.ndarray) -> float:
    net.eval()
    with torch.inference_mode():
        batches = [torch.as_tensor(index[i : i + 32]) for i in range(0, len(index), 32)]
        pred = torch.cat([net(x[rows]).argmax(1) for rows in batches])
    return float((pred == y[torch.as_tensor(index)]).float().mean())


def full_finetune_rate(
    images: np.ndarray, labels: np.ndarray, *, threads: int, weights: str, n: int = 64
) -> float:
    """Training images per second with nothing frozen (one epoch of ``n`` windows)."""
    seconds: list[float] = []
    config = TrainConfig(model=MODEL, weights=weights, epochs=1, batch_size=16,
                         val_fraction=0.0, num_threads=threads)  # fmt: skip

    class BatchTimes(TrainingCallback):
        def on_batch_end(self, event: BatchEnded) -> None:
            seconds.append(event.seconds)

    Trainer(config, classes=["high-five", "other"], callbacks=[BatchTimes()]).fit(
        images[:n], labels[:n]
    )
    return n / sum(seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--windows", type=int, default=200)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    weights = _weights()
    windows, labels = simulated_captures(args.windows)
    start = time.perf_counter()
    images = compute_scalograms(windows, rate_hz=RATE, settings=ScalogramSettings())
    scalogram_s = time.perf_counter() - start
    train, val = stratified_split(labels, val_fraction=0.2, seed=0)
    frozen = tuple(layer_groups(MODEL)[:-1])
    config = TrainConfig(model=MODEL, weights=weights, frozen=frozen, epochs=args.epochs,
                         batch_size=16, lr=1e-3, num_threads=args.threads)  # fmt: skip
    start = time.perf_counter()
    result = Trainer(config, classes=["high-five", "other"]).fit(images, labels, split=(train, val))
    cached_s = time.perf_counter() - start
    plain_s, plain_acc = plain_loop(images, labels, train, val, epochs=args.epochs,
                                    batch_size=16, lr=1e-3, weights=weights)  # fmt: skip
    rate = full_finetune_rate(images, labels, threads=args.threads, weights=weights)
    report = {
        "windows": args.windows,
        "epochs": args.epochs,
        "threads": args.threads,
        "model": MODEL,
        "weights": "shared ImageNet file" if weights != "DEFAULT" else "DEFAULT",
        "scalogram_seconds": round(scalogram_s, 3),
        "cached_seconds": round(cached_s, 3),
        "cached_val_acc": round((result.metrics.accuracy or 0.0), 4),
        "plain_seconds": round(plain_s, 3),
        "plain_val_acc": round(plain_acc, 4),
        "speedup": round(plain_s / cached_s, 2),
        "accuracy_gap_points": round(100 * abs((result.metrics.accuracy or 0.0) - plain_acc), 2),
        "full_finetune_images_per_s": round(rate, 2),
    }
    rows = [
        ("scalograms of all windows", scalogram_s, ""),
        (
            "Trainer, frozen backbone, cached prefix",
            cached_s,
            f"{(result.metrics.accuracy or 0.0):.3f}",
        ),
        ("plain loop, frozen backbone run every epoch", plain_s, f"{plain_acc:.3f}"),
    ]
    print(f"{'what':<46} {'seconds':>9} {'val acc':>8}")
    for what, secs, acc in rows:
        print(f"{what:<46} {secs:>9.2f} {acc:>8}")
    gap = report["accuracy_gap_points"]
    print(f"speedup (plain / cached): {report['speedup']}x; accuracy gap {gap} points")
    print(f"full fine-tuning: {rate:.1f} training images/s ({args.threads} threads)")
    if args.json:
        print(json.dumps(report))


if __name__ == "__main__":
    main()
