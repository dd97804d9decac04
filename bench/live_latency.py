"""Live classification latency, bare and inside a running Workbench, per inference backend.

For each backbone (random weights: latency does not depend on their values) the simulated arm
streams in real time (50 Hz, the model's rate, unless ``--source-rate`` says otherwise: then
every window is resampled to 50 Hz as a board at 100 or 119 Hz needs), and windows of 1.5 s
are classified every hop (0.2 s):

- ``live``: `hfwidgets.live.LiveClassifier` alone (follows the buffer by sample index, polls
  finely when a hop's last sample is due, batches any backlog).
- ``workbench``: the same classifier inside a running `hfwidgets.widgets.Workbench`, started
  from its Live tab (``wb.live.start()``): the plot streams and redraws on the pump, the
  capture cuts windows and the labeller renders their thumbnails, the bridges batch widget
  updates, all in this process. No browser is attached, so widget messages are serialised but
  go nowhere: the load of a real kernel is somewhat higher.
- ``plain``: the obvious loop a notebook would write: ``sleep(hop)``, take the newest window,
  classify it (bare, torch).

Backends (``--backends``): ``torch`` is the run's predictor as trained (torch threads as
``--threads`` says, process-wide); ``onnxruntime`` is `hfwidgets.live.runtime.live_predictor`:
the same network in an ONNX Runtime session with one intra-op thread, what the Live tab uses
when onnxruntime is installed.

Latency is from the arrival (timestamp) of a window's last sample to its prediction. Also shown:
the bare inference time of one window (scalogram + network), the floor for both, and whether
inference keeps up with the stream (p95 of one predict call shorter than the hop). "hops" shows
coverage: the live classifier classifies every hop of the grid; the plain loop's period is the
hop plus the inference time, so it skips hops (and can miss short motions). The machine's load
average is printed: on a shared CPU the absolute numbers mostly measure the other tenants.

    python bench/live_latency.py [--seconds 8] [--hop 0.2] [--models mobilenet_v2,googlenet]
                                 [--threads 2] [--backends torch,onnxruntime]
                                 [--where bare,workbench] [--repeats 1] [--source-rate 50]
                                 [--json]

``--counting cnn,fusion`` also measures the run counting with its fusion (the CNN's class
probabilities averaged with a MiniRocket baseline of 10,000 kernels fitted on simulated windows,
as `hfwidgets.training.predictor.load_predictor` arms a run whose chosen model is the
fusion); rows then say ``counting``.

Runs of one model alternate between the settings (bare/workbench x backends), ``--repeats``
times, so a change in the machine's load hits all of them alike; percentiles pool the repeats.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from hfwidgets.live import LiveClassifier
from hfwidgets.live.runtime import live_predictor
from hfwidgets.models import StagedNet, build_model
from hfwidgets.scalogram import ScalogramSettings
from hfwidgets.sensors import SimulatedSource
from hfwidgets.training.predictor import RunPredictor

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
        window_s=WINDOW_S,
    )


def fused(predictor: RunPredictor) -> RunPredictor:
    """``predictor`` counting with a fusion: a MiniRocket baseline fitted on simulated windows."""
    from hfwidgets.training.baseline import fit_minirocket

    rng = np.random.default_rng(0)
    n = round(WINDOW_S * RATE_HZ)
    windows = [rng.normal(0.0, 1.0 + k % 2, (n, 3)).astype(np.float32) for k in range(20)]
    baseline = fit_minirocket(windows, np.arange(20) % 2, n_classes=2)
    predictor.use_model("fusion", baseline=baseline, cnn_weight=0.5)
    return predictor


def bare_inference_ms(predictor: Any, *, repeats: int = 15) -> tuple[float, float]:
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


def _summary(live: LiveClassifier) -> dict[str, Any]:
    stats = live.stats()
    return {
        "latencies": live.latencies.tolist(),
        "hops": stats.hops,
        "dropped": stats.dropped_hops,
        "inference_p95": stats.inference_ms_p95,
        "keeps_up": stats.keeps_up,
    }


def run_live(predictor: Any, *, seconds: float, hop_s: float, source_rate: float) -> dict[str, Any]:
    """The live classifier alone on the simulated arm."""
    source = SimulatedSource(rate_hz=source_rate, seed=1, events_per_minute=20)
    with source, LiveClassifier(source, predictor, hop_s=hop_s, window_s=WINDOW_S) as live:
        time.sleep(seconds)
    return _summary(live)


def run_workbench(
    predictor: Any, *, seconds: float, hop_s: float, backend: str, folder: Path, source_rate: float
) -> dict[str, Any]:
    """The live classifier started from a running Workbench's Live tab (plot, capture, pump)."""
    from hfwidgets.store import Project
    from hfwidgets.widgets import Workbench

    path = folder / f"wb-{time.monotonic_ns()}"
    project = Project.create(path, rate_hz=RATE_HZ)
    source = SimulatedSource(rate_hz=source_rate, seed=1, events_per_minute=20)
    wb = Workbench(project, source=source, weights="none")
    captured: list[object] = []
    wb.capture.on_window(captured.append)  # the labeller renders a thumbnail for each
    try:
        wb.live.hop_s = hop_s
        wb.live.backend = backend
        wb.live.set_predictor(predictor)
        time.sleep(1.0)  # the plot and the capture are running before counting starts
        wb.live.start()
        live = wb.live.classifier
        assert live is not None
        time.sleep(seconds)
        live.stop()
        return {**_summary(live), "captured_windows": len(captured)}
    finally:
        wb.close()
        project.close()


def _percentiles(latencies: list[float]) -> tuple[float, float]:
    if not latencies:
        return float("nan"), float("nan")
    p50, p95 = np.percentile(latencies, [50, 95])
    return float(p50), float(p95)


def run_plain(
    predictor: Any, *, seconds: float, hop_s: float, source_rate: float
) -> dict[str, Any]:
    """Sleep one hop, classify the newest window, repeat (in a thread, like a real app).

    A source at another rate than the model's is resampled with scipy's polyphase filter, the
    obvious call, so both sides do the same work.
    """
    from fractions import Fraction

    from scipy.signal import resample_poly

    source = SimulatedSource(rate_hz=source_rate, seed=1, events_per_minute=20)
    n = round(WINDOW_S * source_rate)
    ratio = Fraction(RATE_HZ / source_rate).limit_denominator(1000)
    latencies: list[float] = []
    stop = threading.Event()

    def loop() -> None:
        while not stop.wait(hop_s):
            t, xyz = source.buffer.snapshot(n)
            if len(t) < n:
                continue
            window = xyz[None]
            if ratio != 1:
                window = resample_poly(window, ratio.numerator, ratio.denominator, axis=1)
            predictor.predict_proba(np.asarray(window, dtype=np.float32))
            latencies.append((time.monotonic() - float(t[-1])) * 1000.0)

    with source:
        worker = threading.Thread(target=loop, daemon=True)
        worker.start()
        time.sleep(seconds)
        stop.set()
        worker.join()
    return {"latencies": latencies, "hops": len(latencies)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=8.0, help="stream time per run")
    parser.add_argument("--hop", type=float, default=0.2, help="seconds between predictions")
    parser.add_argument("--models", default="mobilenet_v2,googlenet")
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads")
    parser.add_argument("--backends", default="torch,onnxruntime")
    parser.add_argument("--where", default="bare,workbench", help="bare, workbench or both")
    parser.add_argument("--repeats", type=int, default=1, help="alternating runs per setting")
    parser.add_argument(
        "--source-rate", type=float, default=RATE_HZ,
        help=f"Hz the simulated arm streams at; windows are resampled to the model's {RATE_HZ:g}",
    )  # fmt: skip
    parser.add_argument("--counting", default="cnn", help="cnn, fusion or both (cnn,fusion)")
    parser.add_argument("--json", action="store_true", help="print one JSON object last")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    torch.set_num_threads(args.threads)
    backends = args.backends.split(",")
    places = args.where.split(",")
    rows: list[dict[str, Any]] = []
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        for name, counting in [
            (m, c) for m in args.models.split(",") for c in args.counting.split(",")
        ]:
            base = bench_predictor(name)
            if counting == "fusion":
                base = fused(base)
            paths = {b: live_predictor(base, backend=b) for b in backends}
            runs: dict[tuple[str, str], list[dict[str, Any]]] = {}
            for _ in range(args.repeats):
                for where in places:
                    for backend in backends:
                        if where == "bare":
                            got = run_live(
                                paths[backend], seconds=args.seconds, hop_s=args.hop,
                                source_rate=args.source_rate,
                            )  # fmt: skip
                        else:
                            got = run_workbench(
                                base, seconds=args.seconds, hop_s=args.hop, backend=backend,
                                folder=Path(tmp), source_rate=args.source_rate,
                            )  # fmt: skip
                        runs.setdefault((where, backend), []).append(got)
                if "bare" in places:
                    plain = run_plain(
                        base, seconds=args.seconds, hop_s=args.hop, source_rate=args.source_rate
                    )
                    runs.setdefault(("plain loop", "torch"), []).append(plain)
            for backend in backends:
                bare_min, bare_med = bare_inference_ms(paths[backend])
                for where in [*places, "plain loop"]:
                    got_runs = runs.get((where, backend))
                    if not got_runs:
                        continue
                    lat = [x for r in got_runs for x in r["latencies"]]
                    p50, p95 = _percentiles(lat)
                    rows.append(
                        {
                            "model": name if counting == "cnn" else f"{name}+{counting}",
                            "counting": counting,
                            "backend": backend,
                            "where": where,
                            "hop_ms": args.hop * 1000.0,
                            "bare_inference_min_ms": bare_min,
                            "bare_inference_ms": bare_med,
                            "p50_ms": p50,
                            "p95_ms": p95,
                            "hops": sum(r["hops"] for r in got_runs),
                            "dropped_hops": sum(r.get("dropped", 0) for r in got_runs),
                            "inference_p95_ms": max(
                                (r.get("inference_p95") or 0.0) for r in got_runs
                            ),
                            "keeps_up": all(r.get("keeps_up", True) for r in got_runs),
                            "captured_windows": sum(r.get("captured_windows", 0) for r in got_runs),
                        }
                    )
    load_after = os.getloadavg()[0]
    print(
        f"hop {args.hop * 1000:.0f} ms, window {WINDOW_S} s, source {args.source_rate:g} Hz "
        f"-> model {RATE_HZ:g} Hz, "
        f"{args.seconds:g} s per run x {args.repeats}, {args.threads} torch threads, "
        f"load average {load_before:.1f} -> {load_after:.1f} on {os.cpu_count()} CPUs"
    )
    print(
        f"{'model':<22}{'backend':<13}{'where':<12}{'bare min/med ms':>16}{'p50':>8}{'p95':>8}"
        f"{'infer p95':>10}{'hops':>6}{'dropped':>8}{'keeps up':>9}{'captures':>9}"
    )
    for r in rows:
        print(
            f"{r['model']:<22}{r['backend']:<13}{r['where']:<12}"
            f"{r['bare_inference_min_ms']:>8.1f}/{r['bare_inference_ms']:<7.1f}"
            f"{r['p50_ms']:>8.1f}{r['p95_ms']:>8.1f}{r['inference_p95_ms']:>10.1f}"
            f"{r['hops']:>6}{r['dropped_hops']:>8}{'yes' if r['keeps_up'] else 'no':>9}"
            f"{r['captured_windows'] if r['where'] == 'workbench' else '':>9}"
        )
    ratios = _ratios(rows)
    for line in ratios["lines"]:
        print(line)
    if args.json:
        print(
            json.dumps(
                {
                    "hop_s": args.hop,
                    "source_rate_hz": args.source_rate,
                    "seconds": args.seconds,
                    "repeats": args.repeats,
                    "threads": args.threads,
                    "loadavg": [load_before, load_after],
                    "rows": rows,
                    "ratios": ratios["values"],
                }
            )
        )


def _ratios(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """p95 ratios: workbench over bare per backend, and torch over onnxruntime per place."""
    by = {(r["model"], r["backend"], r["where"]): r["p95_ms"] for r in rows}
    values: dict[str, float] = {}
    lines = []
    for (model, backend, where), p95 in by.items():
        if where == "workbench" and (model, backend, "bare") in by:
            ratio = p95 / by[(model, backend, "bare")]
            values[f"{model}/{backend}/p95_workbench_over_bare"] = ratio
            lines.append(f"{model} {backend}: p95 in the workbench / bare = {ratio:.2f}x")
        if backend == "torch" and (model, "onnxruntime", where) in by:
            ratio = p95 / by[(model, "onnxruntime", where)]
            values[f"{model}/{where}/p95_torch_over_onnxruntime"] = ratio
            lines.append(f"{model} {where}: p95 torch / onnxruntime = {ratio:.2f}x")
    return {"values": values, "lines": lines}


if __name__ == "__main__":
    main()
