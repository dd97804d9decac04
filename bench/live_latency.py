"""Live classification latency: hfwidgets' LiveClassifier against a plain sleep-and-classify loop.

For each backbone (random weights: latency does not depend on their values) the simulated arm
streams at 50 Hz in real time, and windows of 1.5 s are classified every hop (0.2 s):

- ``live``: `hfwidgets.live.LiveClassifier` (follows the buffer by sample index, polls finely
  when a hop's last sample is due, batches any backlog).
- ``plain``: the obvious loop a notebook would write: ``sleep(hop)``, take the newest window,
  classify it.

Latency is from the arrival (timestamp) of a window's last sample to its prediction. Also shown:
the bare inference time of one window (scalogram + network), the floor for both, and whether
inference keeps up with the stream (p95 of one predict call shorter than the hop). "hops" shows
coverage: the live classifier classifies every hop of the grid; the plain loop's period is the
hop plus the inference time, so it skips hops (and can miss short motions). The machine's load
average is printed: on a shared CPU the absolute numbers mostly measure the other tenants.

    python bench/live_latency.py [--seconds 8] [--hop 0.2] [--models mobilenet_v2,googlenet]
                                 [--threads 2] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import threading
import time
from typing import Any

import numpy as np
import torch

from hfwidgets.live import LiveClassifier
from hfwidgets.models import StagedNet, build_model
from hfwidgets.scalogram import ScalogramSettings
from hfwidgets.sensors import SimulatedSource
from hfwidgets.training import RunPredictor

RATE_HZ = 50.0
WINDOW_S = 1.5


def bench_predictor(name: str) -> RunPredictor:
    """The trained-run predictor of hfwidgets.training, with random weights for ``name``."""
    net = StagedNet(build_model(name, num_classes=2, weights="none"), name)
    return RunPredictor(
        net,
        classes=["high-five", "other"],
        settings=ScalogramSettings(),
        rate_hz=RATE_HZ,
        model_name=name,
    )


def bare_inference_ms(predictor: RunPredictor, *, repeats: int = 15) -> tuple[float, float]:
    """Fastest and median time of classifying one window, no streaming around it.

    The fastest run is the floor on an idle CPU; the median shows what the other tenants of a
    shared machine leave.
    """
    window = np.random.default_rng(0).normal(0, 0.3, (1, round(WINDOW_S * RATE_HZ), 3))
    window = window.astype(np.float32)
    predictor.predict_proba(window)  # warm-up: allocations, lazy init
    times = []
    for _ in range(repeats):
        began = time.perf_counter()
        predictor.predict_proba(window)
        times.append((time.perf_counter() - began) * 1000.0)
    return min(times), statistics.median(times)


def run_live(predictor: RunPredictor, *, seconds: float, hop_s: float) -> dict[str, Any]:
    source = SimulatedSource(rate_hz=RATE_HZ, seed=1, events_per_minute=20)
    with source, LiveClassifier(source, predictor, hop_s=hop_s, window_s=WINDOW_S) as live:
        time.sleep(seconds)
    stats = live.stats()
    return {
        "p50": stats.latency_ms_p50,
        "p95": stats.latency_ms_p95,
        "hops": stats.hops,
        "inference_p95": stats.inference_ms_p95,
        "keeps_up": stats.keeps_up,
    }


def run_plain(predictor: RunPredictor, *, seconds: float, hop_s: float) -> dict[str, Any]:
    """Sleep one hop, classify the newest window, repeat (in a thread, like a real app)."""
    source = SimulatedSource(rate_hz=RATE_HZ, seed=1, events_per_minute=20)
    n = round(WINDOW_S * RATE_HZ)
    latencies: list[float] = []
    stop = threading.Event()

    def loop() -> None:
        while not stop.wait(hop_s):
            t, xyz = source.buffer.snapshot(n)
            if len(t) < n:
                continue
            predictor.predict_proba(xyz[None])
            latencies.append((time.monotonic() - float(t[-1])) * 1000.0)

    with source:
        worker = threading.Thread(target=loop, daemon=True)
        worker.start()
        time.sleep(seconds)
        stop.set()
        worker.join()
    p50, p95 = np.percentile(latencies, [50, 95]) if latencies else (np.nan, np.nan)
    return {"p50": float(p50), "p95": float(p95), "hops": len(latencies)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=8.0, help="stream time per run")
    parser.add_argument("--hop", type=float, default=0.2, help="seconds between predictions")
    parser.add_argument("--models", default="mobilenet_v2,googlenet")
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads")
    parser.add_argument("--json", action="store_true", help="print one JSON object last")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    rows = []
    load_before = os.getloadavg()[0]
    for name in args.models.split(","):
        predictor = bench_predictor(name)
        bare_min, bare = bare_inference_ms(predictor)
        live = run_live(predictor, seconds=args.seconds, hop_s=args.hop)
        plain = run_plain(predictor, seconds=args.seconds, hop_s=args.hop)
        rows.append(
            {
                "model": name,
                "hop_ms": args.hop * 1000.0,
                "bare_inference_ms": bare,
                "bare_inference_min_ms": bare_min,
                "live_p50_ms": live["p50"],
                "live_p95_ms": live["p95"],
                "live_hops": live["hops"],
                "live_inference_p95_ms": live["inference_p95"],
                "keeps_up": bool(live["keeps_up"]),
                "plain_p50_ms": plain["p50"],
                "plain_p95_ms": plain["p95"],
                "plain_hops": plain["hops"],
                "p95_ratio_plain_over_live": plain["p95"] / live["p95"],
            }
        )
    load_after = os.getloadavg()[0]
    header = (
        f"{'model':<14}{'bare min/med ms':>16}{'live p50':>10}{'live p95':>10}{'plain p50':>11}"
        f"{'plain p95':>11}{'p95 ratio':>11}{'infer p95':>11}{'keeps up':>10}"
        f"{'hops live/plain':>17}"
    )
    print(
        f"hop {args.hop * 1000:.0f} ms, window {WINDOW_S} s at {RATE_HZ:g} Hz, "
        f"{args.seconds:g} s per run, {args.threads} torch threads, "
        f"load average {load_before:.1f} -> {load_after:.1f} on {os.cpu_count()} CPUs"
    )
    print(header)
    for r in rows:
        print(
            f"{r['model']:<14}{r['bare_inference_min_ms']:>8.1f}/{r['bare_inference_ms']:<7.1f}{r['live_p50_ms']:>10.1f}"
            f"{r['live_p95_ms']:>10.1f}{r['plain_p50_ms']:>11.1f}{r['plain_p95_ms']:>11.1f}"
            f"{r['p95_ratio_plain_over_live']:>10.2f}x{r['live_inference_p95_ms']:>11.1f}"
            f"{'yes' if r['keeps_up'] else 'no':>10}"
            f"{r['live_hops']:>10}/{r['plain_hops']:<6}"
        )
    if args.json:
        print(
            json.dumps(
                {
                    "hop_s": args.hop,
                    "seconds": args.seconds,
                    "threads": args.threads,
                    "loadavg": [load_before, load_after],
                    "rows": rows,
                }
            )
        )


if __name__ == "__main__":
    main()
