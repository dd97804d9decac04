"""Benchmark: how close an explanation's peak lies to known evidence, and what it costs on a CPU.

Trains the run the tests train (MobileNetV2 with its ImageNet weights, only the head, 8 epochs,
224 x 224 scalograms) on simulated windows whose class evidence is a 6 Hz burst on x at 0.35 s
(class ``x-early``) or on z at 1.1 s (``z-late``), with a shared 2.5 Hz distractor on y at
0.75 s. Then, on held-back windows (another seed, never trained on), it explains each verdict
with Grad-CAM and with occlusion and reports the distance of the heat map's peak from the
evidence (frequency as a ratio and in octaves, time in seconds, both in cells of the 7 x 7
Grad-CAM grid) and the seconds per explanation, beside the plain alternative of one
prediction of the same window (``RunPredictor.predict_proba``), with the ratios. Run::

    python bench/explain.py [--classes 2|3] [--windows 8] [--occlusion-windows 2] [--threads 1]
                            [--json]

``--classes 3`` adds a class with the same burst on y at 0.75 s and drops the distractor.

Needs the offline ImageNet MobileNetV2 weights (``../shared/weights``, or ``$HFW_WEIGHTS_DIR``).
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch

from hfwidgets._paths import shared_weights
from hfwidgets.explain import explain_window
from hfwidgets.training.predictor import load_predictor

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))  # the simulated evidence and its run, shared with the tests

from tests.evidence import (  # noqa: E402
    DISTRACTOR,
    EVIDENCE,
    EVIDENCE_3,
    RATE_HZ,
    WINDOW_S,
    evidence_windows,
    train_evidence_run,
)

CELLS = 7  # MobileNetV2's last feature map at 224 x 224


def _errors(rows: list[dict[str, float]], key: str) -> dict[str, float]:
    values = [abs(r[key]) for r in rows]
    return {"median": round(statistics.median(values), 3), "max": round(max(values), 3)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--windows", type=int, default=8, help="held-back windows per class")
    parser.add_argument(
        "--occlusion-windows", type=int, default=2, help="of those, explained by occlusion too"
    )
    parser.add_argument(
        "--classes", type=int, choices=(2, 3), default=2,
        help="2: x-early, z-late and the distractor; 3: a y-mid class too, no distractor",
    )  # fmt: skip
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    weights = shared_weights()
    if weights is None:
        print("needs the offline MobileNetV2 weights in ../shared/weights", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        evidence = EVIDENCE if args.classes == 2 else EVIDENCE_3
        distractor = DISTRACTOR if args.classes == 2 else None
        run = train_evidence_run(
            Path(tmp) / "proj",
            weights,
            evidence=evidence,
            distractor=distractor,
            threads=args.threads,
        )
        project, run_id = run.project, run.run_id
        train_s = time.perf_counter() - started
        predictor = load_predictor(project, run_id)
        settings = predictor.settings
        octaves_per_cell = math.log2(settings.f_max_hz / settings.f_min_hz) / CELLS
        held, labels = evidence_windows(
            list(evidence.values()), per_class=args.windows, distractor=distractor, seed=1
        )
        classes = list(evidence)
        rows: dict[str, list[dict[str, float]]] = {"gradcam": [], "occlusion": []}
        seconds: dict[str, list[float]] = {"predict": [], "gradcam": [], "occlusion": []}
        correct = 0
        occluded = {label: 0 for label in range(len(classes))}
        for window, label in zip(held, labels, strict=True):
            start = time.perf_counter()
            predictor.predict_proba(window[None], rate_hz=RATE_HZ)
            seconds["predict"].append(time.perf_counter() - start)
            methods = ["gradcam"]
            if occluded[label] < args.occlusion_windows:
                occluded[label] += 1
                methods.append("occlusion")
            for method in methods:
                e = explain_window(predictor, window, rate_hz=RATE_HZ, method=method)
                seconds[method].append(e.seconds)
                correct += method == "gradcam" and e.predicted == classes[label]
                spec = evidence[classes[label]]
                if e.peak_hz is None or e.peak_s is None:
                    continue
                octaves = math.log2(e.peak_hz / spec.freq_hz)
                rows[method].append(
                    {
                        "octaves": octaves,
                        "ratio": 2 ** abs(octaves),
                        "seconds_off": e.peak_s - spec.t_s,
                        "cells_f": abs(octaves) / octaves_per_cell,
                        "cells_t": abs(e.peak_s - spec.t_s) / (WINDOW_S / CELLS),
                    }
                )
        project.close()
    predict_s = statistics.median(seconds["predict"])
    summary: dict[str, object] = {
        "threads": args.threads,
        "classes": classes,
        "train_s": round(train_s, 2),
        "held_back_windows": len(held),
        "accuracy": correct / len(held),
        "predict_s": round(predict_s, 4),
        "methods": {},
    }
    print(f"trained in {train_s:.1f} s; held-back accuracy {correct}/{len(held)}")
    print(
        f"{'method':<10}{'n':>3}{'freq ratio med/max':>20}{'time off s med/max':>20}"
        f"{'cells f/t max':>15}{'s/explanation':>15}{'vs predict':>12}"
    )
    print(f"{'predict':<10}{len(seconds['predict']):>3}{'':>55}{predict_s:>15.3f}{1.0:>12.1f}")
    for method, found in rows.items():
        if not found:
            continue
        ratio, off = _errors(found, "ratio"), _errors(found, "seconds_off")
        cells_f, cells_t = _errors(found, "cells_f")["max"], _errors(found, "cells_t")["max"]
        per = statistics.median(seconds[method])
        summary["methods"][method] = {  # type: ignore[index]
            "n": len(found),
            "freq_ratio": ratio,
            "time_off_s": off,
            "max_cells_f": cells_f,
            "max_cells_t": cells_t,
            "seconds": round(per, 3),
            "vs_predict": round(per / predict_s, 1),
        }
        print(
            f"{method:<10}{len(found):>3}{ratio['median']:>11.2f}/{ratio['max']:<8.2f}"
            f"{off['median']:>11.3f}/{off['max']:<8.3f}{cells_f:>8.2f}/{cells_t:<6.2f}"
            f"{per:>15.3f}{per / predict_s:>12.1f}"
        )
    if args.json:
        print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
