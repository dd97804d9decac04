"""Scalograms per second: hfwidgets' batched filter bank against a loop of pywt.cwt + Pillow.

Both sides produce the same images (checked in the run: the largest difference is printed):
mean removed per axis, complex-Morlet CWT magnitude at 64 scales, per-axis peak
normalisation, bilinear resize to 224 x 224. The plain alternative is what one would write
with the libraries directly: per window, one ``pywt.cwt(..., method="fft")`` over the three
axes (faster than the default ``"conv"`` here), then ``Image.resize`` per channel.

Usage::

    python bench/scalogram.py [--window-s 1.5] [--rate-hz 50] [--repeats 3] [--threads 1] [--json]

``--threads`` sets torch's intra-op threads (the baseline is single-threaded, so 1 is the fair
comparison; 0 leaves torch's default).
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from collections.abc import Callable

import numpy as np
import pywt
import torch
from PIL import Image

from hfwidgets.scalogram import ScalogramCache, ScalogramSettings, compute_scalograms


def plain_scalograms(
    windows: np.ndarray, *, rate_hz: float, settings: ScalogramSettings
) -> np.ndarray:
    """The straightforward loop: pywt.cwt per window, Pillow resize per channel."""
    height, width = settings.size
    scales = settings.scales(rate_hz)
    out = np.empty((len(windows), 3, height, width), dtype=np.float32)
    for i, window in enumerate(windows):
        signals = window.T.astype(np.float64)
        signals = signals - signals.mean(axis=1, keepdims=True)
        coefs, _ = pywt.cwt(signals, scales, settings.wavelet, method="fft", axis=-1)
        magnitude = np.abs(coefs)  # [scales, 3, n]
        peak = magnitude.max(axis=(0, 2))
        for axis in range(3):
            channel = (magnitude[:, axis] / peak[axis]).astype(np.float32)
            image = Image.fromarray(channel, mode="F")
            out[i, axis] = np.asarray(image.resize((width, height), Image.Resampling.BILINEAR))
    return out


def best_seconds(run: Callable[[], object], *, repeats: int) -> float:
    """Fastest of ``repeats`` runs (the least disturbed by other processes)."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--window-s", type=float, default=1.5)
    parser.add_argument("--rate-hz", type=float, default=50.0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if args.threads > 0:
        torch.set_num_threads(args.threads)

    settings = ScalogramSettings()
    n_samples = round(args.window_s * args.rate_hz)
    rng = np.random.default_rng(0)
    windows = rng.standard_normal((256, n_samples, 3)).astype(np.float32)
    compute_scalograms(windows[:2], rate_hz=args.rate_hz, settings=settings)  # build the bank

    rows = []
    for batch in (1, 256):
        subset = windows[:batch]
        # Batch 1 is the live path: time many single windows so the figure is per image.
        calls = 64 if batch == 1 else 1
        batches = [windows[i : i + batch] for i in range(calls)] if batch == 1 else [subset]

        def project(batches: list[np.ndarray] = batches) -> None:
            for b in batches:
                compute_scalograms(b, rate_hz=args.rate_hz, settings=settings)

        def plain(batches: list[np.ndarray] = batches) -> None:
            for b in batches:
                plain_scalograms(b, rate_hz=args.rate_hz, settings=settings)

        images = calls * batch
        project_s = best_seconds(project, repeats=args.repeats)
        plain_s = best_seconds(plain, repeats=args.repeats)
        ours = compute_scalograms(subset, rate_hz=args.rate_hz, settings=settings)
        ref = plain_scalograms(subset, rate_hz=args.rate_hz, settings=settings)
        rows.append(
            {
                "batch": batch,
                "project_images_per_s": images / project_s,
                "plain_images_per_s": images / plain_s,
                "speedup": plain_s / project_s,
                "max_abs_diff": float(np.abs(ours - ref).max()),
            }
        )

    cache = ScalogramCache(max_bytes=2**30)
    cache.compute_scalograms(windows, rate_hz=args.rate_hz, settings=settings)
    cached_s = best_seconds(
        lambda: cache.compute_scalograms(windows, rate_hz=args.rate_hz, settings=settings),
        repeats=args.repeats,
    )

    print(
        f"scalograms {n_samples} samples x 3 axes at {args.rate_hz:g} Hz -> 3x224x224, "
        f"{settings.n_scales} scales {settings.wavelet}; torch threads {torch.get_num_threads()}"
    )
    header = ("batch", "hfwidgets img/s", "pywt+PIL img/s", "ratio", "max|diff|")
    print("{:>5} {:>16} {:>15} {:>7} {:>10}".format(*header))
    for row in rows:
        print(
            f"{row['batch']:>5} {row['project_images_per_s']:>16.0f} "
            f"{row['plain_images_per_s']:>15.0f} {row['speedup']:>6.1f}x "
            f"{row['max_abs_diff']:>10.1e}"
        )
    print(f"ScalogramCache hits (memory), batch 256: {256 / cached_s:.0f} img/s")
    if args.json:
        print(
            json.dumps(
                {
                    "bench": "scalogram",
                    "n_samples": n_samples,
                    "rate_hz": args.rate_hz,
                    "settings": settings.to_dict(),
                    "torch_threads": torch.get_num_threads(),
                    "machine": platform.machine(),
                    "rows": rows,
                    "cache_hit_images_per_s": 256 / cached_s,
                }
            )
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
