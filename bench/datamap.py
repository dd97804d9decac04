"""Time of a data map and of label suggestions for N windows, against the plain alternative.

The project's path (:func:`hfwidgets.datamap.build_data_map`, :func:`hfwidgets.suggestions.suggest`)
draws each window's scalogram at the project's settings (224 x 224 by default), runs the network
in chunks of 64 windows and splits it at the head (features and probabilities in one pass), then
PCA (+ t-SNE from 30 windows on). The plain alternative is what one writes first in a notebook:
all scalograms at once, torchvision's MobileNetV2 ``features`` + average pooling for the map and
a second full forward pass for the probabilities, the same scikit-learn reduction. Same windows,
same weights, one thread, in one run.

    python bench/datamap.py [--windows 200] [--size 224] [--json]

Needs the offline MobileNetV2 weights (../shared/weights, found by hfwidgets._paths).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from hfwidgets._paths import shared_weights
from hfwidgets.datamap import build_data_map, data_map_from_outputs, reduce_to_2d
from hfwidgets.models import build_model
from hfwidgets.scalogram import ScalogramSettings, compute_scalograms
from hfwidgets.sensors import simulate_windows
from hfwidgets.store import Project
from hfwidgets.suggestions import suggest
from hfwidgets.training.checkpoint import load_checkpoint
from hfwidgets.training.config import TrainConfig
from hfwidgets.training.outputs import window_outputs
from hfwidgets.training.predictor import load_predictor
from hfwidgets.training.runner import train_project


def plain_map(windows: np.ndarray, weights: str, size: int, net_state: dict | None) -> float:
    """The notebook way: every image at once, features + pool, a second pass for probabilities."""
    started = time.perf_counter()
    settings = ScalogramSettings(size=(size, size))
    images = torch.as_tensor(compute_scalograms(windows, rate_hz=50.0, settings=settings))
    mean = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
    std = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
    model = build_model("mobilenet_v2", num_classes=2, weights=weights).eval()
    if net_state is not None:
        model.load_state_dict(net_state)
    with torch.inference_mode():
        x = (images - mean) / std
        features = torch.nn.functional.adaptive_avg_pool2d(model.features(x), 1).flatten(1)
        torch.softmax(model(x), dim=1)
    reduce_to_2d(features.numpy())
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--windows", type=int, default=200)
    parser.add_argument("--size", type=int, default=224)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(1)
    weights = shared_weights()
    if weights is None:
        raise SystemExit("offline MobileNetV2 weights not found (../shared/weights)")
    windows, labels = simulate_windows(args.windows // 2, seed=0)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        project = Project.create(Path(tmp) / "p")
        project.settings.set("scalogram", {"size": [args.size, args.size]})
        for data, label in zip(windows, labels, strict=True):
            project.windows.add(data, rate_hz=50.0, label=label)
        config = TrainConfig(weights=str(weights), mode="feature-extractor", num_threads=1,
                             baseline=False)  # fmt: skip
        run_id = train_project(project, config)
        net_state = load_checkpoint(project.runs.checkpoint_path(run_id))["model_state"]

        t = time.perf_counter()
        data_map = build_data_map(project, weights=str(weights))
        rows.append(("map, pretrained backbone (hfwidgets)", time.perf_counter() - t))
        t = time.perf_counter()
        predictor = load_predictor(project, run_id)
        outputs = window_outputs(project, predictor=predictor)
        rows.append(("  features + probabilities of a run", time.perf_counter() - t))
        t = time.perf_counter()
        data_map_from_outputs(outputs)
        rows.append(("  2-D layout + outlier scores", time.perf_counter() - t))
        rows.append(("map of a run (hfwidgets)", rows[-1][1] + rows[-2][1]))
        t = time.perf_counter()
        suggestions = suggest(project, run_id=run_id, which="all")
        rows.append(("suggestions, every window (hfwidgets)", time.perf_counter() - t))
        rows.append(("map + probabilities, plain", plain_map(windows, str(weights), args.size,
                                                             net_state)))  # fmt: skip
        project.close()
    ours = dict(rows)["map of a run (hfwidgets)"]
    plain = dict(rows)["map + probabilities, plain"]
    print(f"{len(windows)} windows, {args.size} px scalograms, MobileNetV2, 1 thread, "
          f"method {data_map.method}")  # fmt: skip
    print(f"{'what':<42}{'seconds':>9}")
    for name, seconds in rows:
        print(f"{name:<42}{seconds:>9.2f}")
    print(f"plain / hfwidgets (map of a run): {plain / ours:.2f}")
    result = {
        "windows": len(windows),
        "size": args.size,
        "method": data_map.method,
        "seconds": {name: round(s, 3) for name, s in rows},
        "suggestions": len(suggestions),
        "ratio_plain_over_hfwidgets": round(plain / ours, 3),
    }
    if args.json:
        print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
