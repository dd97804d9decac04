"""Benchmark: CPU latency of every backbone, hfwidgets' staged network vs plain torchvision.

For each backbone the table shows what the model picker shows (parameters, ImageNet weights file
size and top-1 accuracy) and the median latency of one 224x224 image through

- hfwidgets' ``StagedNet`` (ImageNet scaling + the groups run one after the other), which the
  trainer, the live predictor and export use, and
- the plain torchvision model on a pre-normalised tensor (the alternative),

with their ratio (the cost of staging; ~1.0 expected). A last row times the whole live path
for one 1.5 s window: scalogram + MobileNetV2 + softmax (``RunPredictor.predict_proba``). Run::

    python bench/model_latency.py [--repeats 10] [--threads 2] [--models a,b] [--json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable

import numpy as np
import torch

from hfwidgets.models import StagedNet, backbone_info, build_model, list_backbones
from hfwidgets.models.staging import ImageNetNormalize
from hfwidgets.scalogram import ScalogramSettings
from hfwidgets.training.predictor import RunPredictor


def _median_ms(fn: Callable[[], object], *, repeats: int, warmup: int = 2) -> float:
    times = []
    for i in range(warmup + repeats):
        start = time.perf_counter()
        fn()
        if i >= warmup:
            times.append((time.perf_counter() - start) * 1000.0)
    return statistics.median(times)


def bench_backbone(name: str, *, repeats: int) -> dict[str, object]:
    info = backbone_info(name)
    model = build_model(name, num_classes=2, weights="none").eval()
    staged = StagedNet(model, name).eval()
    image = torch.rand(1, 3, 224, 224)
    normalised = ImageNetNormalize()(image)
    with torch.inference_mode():
        # Interleave the two so that load from other processes hits both alike.
        staged_ms = plain_ms = 0.0
        for _ in range(2):
            staged_ms += _median_ms(lambda: staged(image), repeats=repeats) / 2
            plain_ms += _median_ms(lambda: model(normalised), repeats=repeats) / 2
    return {
        "model": name,
        "params_m": round(info.params / 1e6, 2),
        "file_mb": info.file_size_mb,
        "imagenet_acc1": info.imagenet_acc1,
        "staged_ms": round(staged_ms, 2),
        "plain_ms": round(plain_ms, 2),
        "ratio": round(staged_ms / plain_ms, 3),
    }


def bench_live_path(*, repeats: int) -> float:
    """Median ms of ``RunPredictor.predict_proba`` on one 75-sample window (50 Hz, 1.5 s)."""
    model = build_model("mobilenet_v2", num_classes=2, weights="none")
    predictor = RunPredictor(
        StagedNet(model, "mobilenet_v2"),
        classes=["high-five", "other"],
        settings=ScalogramSettings(),
        rate_hz=50.0,
        model_name="mobilenet_v2",
    )
    window = np.random.default_rng(0).normal(0, 1, (1, 75, 3)).astype(np.float32)
    return _median_ms(lambda: predictor.predict_proba(window), repeats=repeats)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--models", default=",".join(list_backbones()))
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    rows = [bench_backbone(name, repeats=args.repeats) for name in args.models.split(",")]
    live_ms = bench_live_path(repeats=args.repeats)
    header = f"{'model':<20} {'params M':>8} {'file MB':>8} {'acc@1':>6} {'staged ms':>10} "
    print(header + f"{'plain ms':>9} {'ratio':>6}")
    for r in rows:
        print(f"{r['model']:<20} {r['params_m']:>8} {r['file_mb']:>8} {r['imagenet_acc1']:>6} "
              f"{r['staged_ms']:>10} {r['plain_ms']:>9} {r['ratio']:>6}")  # fmt: skip
    print(f"live path (scalogram + mobilenet_v2 + softmax, one window): {live_ms:.1f} ms")
    if args.json:
        print(json.dumps({"threads": args.threads, "backbones": rows, "live_path_ms": live_ms}))


if __name__ == "__main__":
    main()
