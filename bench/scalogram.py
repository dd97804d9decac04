"""Scalograms per second: hfwidgets' batched filter bank against a loop of pywt.cwt + Pillow.

Both sides do the same work and produce the same images (checked in the run: the largest
difference is printed, and the bench exits with status 1 when it exceeds 1e-5): each window
turned into the gravity frame (its gravity along +z, the default ``frame="gravity"``), mean
removed per axis, complex-Morlet CWT at 64 scales (band derived from the window, the default),
its real part mapped to [0, 1] (``--representation signed``, the default) or its magnitude, peak
normalisation over the window, bilinear resize to 224 x 224. The windows are random motions
(0.5 g noise per axis) around 1 g of gravity pointing a random way, so every window is turned.
The plain alternative is what one would write with the libraries directly: per window, the
frame of `hfwidgets.scalogram.frame` (the one definition of the gravity frame), one
``pywt.cwt(..., method="fft")`` over the three axes (faster than the default ``"conv"`` here),
then ``Image.resize`` per channel. Figures are medians of interleaved runs (batch 1:
20 x --repeats single windows; batch 256: --repeats).

Usage::

    python bench/scalogram.py [--window-s 1.5] [--rate-hz 50] [--repeats 5]
        [--representation signed|magnitude] [--band derived|fixed] [--json]

``--band fixed --representation magnitude`` draws what the version-1 defaults drew (1-20 Hz,
magnitude), for comparing with older figures. ``--before COMMIT`` (implies those two and the
sensor frame, which that code drew) also
times, interleaved in the same run, the scalogram code of an older commit read with ``git show``
(``a9623f9``: numpy up to 4 windows, torch Toeplitz or torch FFT with dense resize matmuls
above, one torch thread), and prints its images/s and the ratio now/before.

Both sides run single-threaded (numpy's FFT and the resize use one core), so the ratio is a
fair one on a busy machine too.
"""

from __future__ import annotations

import argparse
import importlib
import json
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import numpy as np
import pywt
from PIL import Image

from hfwidgets.scalogram import ScalogramSettings, compute_scalograms
from hfwidgets.scalogram.frame import gravity_frame, heading_frame

#: The largest difference between the two sides' images that still counts as the same image.
SAME_IMAGES_ATOL = 1e-5


def plain_scalograms(
    windows: np.ndarray, *, rate_hz: float, settings: ScalogramSettings
) -> np.ndarray:
    """The straightforward loop: frame, pywt.cwt per window, Pillow resize per channel."""
    height, width = settings.size
    settings = settings.resolve(window_s=windows.shape[1] / rate_hz, rate_hz=rate_hz)
    scales = settings.scales(rate_hz)
    signed = settings.representation == "signed"
    out = np.empty((len(windows), 3, height, width), dtype=np.float32)
    frames = {"gravity": gravity_frame, "gravity+heading": heading_frame}
    for i, raw in enumerate(windows):
        window = raw
        if settings.frame in frames:  # one window at a time, as a notebook loop would
            window = frames[settings.frame](raw[None], estimate=settings.gravity)[0]
        signals = window.T.astype(np.float64)
        signals = signals - signals.mean(axis=1, keepdims=True)
        coefs, _ = pywt.cwt(signals, scales, settings.wavelet, method="fft", axis=-1)
        values = np.real(coefs) if signed else np.abs(coefs)  # [scales, 3, n]
        if settings.normalize == "per-axis":
            peak = np.abs(values).max(axis=(0, 2))
        else:  # "global": one peak for the window, so the axes keep their relative size
            peak = np.full(3, np.abs(values).max())
        for axis in range(3):
            channel = (values[:, axis] / peak[axis]).astype(np.float32)
            if signed:
                channel = 0.5 + 0.5 * channel
            image = Image.fromarray(channel, mode="F")
            out[i, axis] = np.asarray(image.resize((width, height), Image.Resampling.BILINEAR))
    return out


def load_before(commit: str) -> ModuleType:
    """The top-level ``hfwidgets/scalogram.py`` (+ ``_cwt_filterbank.py``) of ``commit``."""
    folder = Path(tempfile.mkdtemp(prefix="hfw-scalogram-before-"))

    def show(path: str) -> str:
        return subprocess.run(
            ["git", "show", f"{commit}:{path}"],
            cwd=Path(__file__).resolve().parent,
            check=True,
            capture_output=True,
            text=True,
        ).stdout

    bank = show("hfwidgets/_cwt_filterbank.py")
    code = show("hfwidgets/scalogram.py").replace(
        "from hfwidgets._cwt_filterbank import", "from before_cwt_filterbank import"
    )
    code = "\n".join(line for line in code.splitlines() if "_scalogram_cache" not in line)
    (folder / "before_cwt_filterbank.py").write_text(bank)
    (folder / "before_scalogram.py").write_text(code)
    sys.path.insert(0, str(folder))
    return importlib.import_module("before_scalogram")


def interleaved_seconds(*runs: Callable[[int], object], repeats: int) -> list[np.ndarray]:
    """Durations of ``repeats`` calls of each run (given the repeat index), interleaved so
    that load from other processes falls on both sides alike."""
    times = np.zeros((len(runs), repeats))
    for r in range(repeats):
        for i, run in enumerate(runs):
            start = time.perf_counter()
            run(r)
            times[i, r] = time.perf_counter() - start
    return list(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--window-s", type=float, default=1.5)
    parser.add_argument("--rate-hz", type=float, default=50.0)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--representation", choices=("signed", "magnitude"), default="signed")
    parser.add_argument("--band", choices=("derived", "fixed"), default="derived")
    parser.add_argument("--before", metavar="COMMIT", help="also time this commit's code")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    before = None
    if args.before:
        import torch  # the old code's batch path; one thread, as the rest of the bench

        torch.set_num_threads(1)
        args.band, args.representation = "fixed", "magnitude"
        before = load_before(args.before)
        old_settings = before.ScalogramSettings(f_min_hz=1.0, f_max_hz=20.0)
    band = {"f_min_hz": 1.0, "f_max_hz": 20.0} if args.band == "fixed" else {}
    # The older code had no gravity frame: against it, all three sides draw the sensor frame.
    frame = "sensor" if before is not None else "gravity"
    settings = ScalogramSettings(representation=args.representation, frame=frame, **band)
    n_samples = round(args.window_s * args.rate_hz)
    rng = np.random.default_rng(0)
    gravity = rng.standard_normal((256, 1, 3))
    gravity /= np.linalg.norm(gravity, axis=2, keepdims=True)
    windows = (gravity + 0.5 * rng.standard_normal((256, n_samples, 3))).astype(np.float32)
    compute_scalograms(windows[:2], rate_hz=args.rate_hz, settings=settings)  # build the bank

    rows = []
    # Batch 1 is the live path: many single windows, median per call (p90 shows the tail).
    # Batch 256 is a training set: the median of --repeats whole-batch runs.
    for batch, repeats in ((1, 20 * args.repeats), (256, args.repeats)):

        def project(r: int, batch: int = batch) -> None:
            start = (r * batch) % len(windows)
            compute_scalograms(
                windows[start : start + batch], rate_hz=args.rate_hz, settings=settings
            )

        def plain(r: int, batch: int = batch) -> None:
            start = (r * batch) % len(windows)
            plain_scalograms(
                windows[start : start + batch], rate_hz=args.rate_hz, settings=settings
            )

        def earlier(r: int, batch: int = batch) -> None:
            if before is not None:
                start = (r * batch) % len(windows)
                before.compute_scalograms(
                    windows[start : start + batch], rate_hz=args.rate_hz, settings=old_settings
                )

        project_s, plain_s, before_s = interleaved_seconds(project, plain, earlier, repeats=repeats)
        ours = compute_scalograms(windows[:batch], rate_hz=args.rate_hz, settings=settings)
        ref = plain_scalograms(windows[:batch], rate_hz=args.rate_hz, settings=settings)
        rows.append(
            {
                "batch": batch,
                "project_images_per_s": batch / float(np.median(project_s)),
                "plain_images_per_s": batch / float(np.median(plain_s)),
                "speedup": float(np.median(plain_s) / np.median(project_s)),
                "project_p90_ms": float(np.percentile(project_s, 90) * 1e3),
                "plain_p90_ms": float(np.percentile(plain_s, 90) * 1e3),
                "max_abs_diff": float(np.abs(ours - ref).max()),
            }
        )
        if before is not None:
            rows[-1]["before_images_per_s"] = batch / float(np.median(before_s))
            rows[-1]["now_over_before"] = float(np.median(before_s) / np.median(project_s))

    print(
        f"scalograms {n_samples} samples x 3 axes at {args.rate_hz:g} Hz -> 3x224x224, "
        f"{settings.n_scales} scales {settings.wavelet} {settings.representation}"
    )
    header = (
        "batch",
        "hfwidgets img/s",
        "pywt+PIL img/s",
        "ratio",
        "p90 ms ours/plain",
        "max|diff|",
    )
    print("{:>5} {:>16} {:>15} {:>7} {:>18} {:>10}".format(*header))
    for row in rows:
        p90 = f"{row['project_p90_ms']:.1f}/{row['plain_p90_ms']:.1f}"
        print(
            f"{row['batch']:>5} {row['project_images_per_s']:>16.0f} "
            f"{row['plain_images_per_s']:>15.0f} {row['speedup']:>6.1f}x {p90:>18} "
            f"{row['max_abs_diff']:>10.1e}"
        )
    if before is not None:
        for row in rows:
            print(
                f"batch {row['batch']:>3}: {args.before} {row['before_images_per_s']:.0f} img/s, "
                f"now {row['project_images_per_s']:.0f} img/s: now/before "
                f"{row['now_over_before']:.2f}x"
            )
    worst = max(row["max_abs_diff"] for row in rows)
    same = worst <= SAME_IMAGES_ATOL
    if not same:
        print(
            f"FAILED: the two sides' images differ by {worst:.1e} (> {SAME_IMAGES_ATOL:g}); "
            "they no longer do the same work, so the ratio means nothing",
            file=sys.stderr,
        )
    if args.json:
        print(
            json.dumps(
                {
                    "bench": "scalogram",
                    "same_images": same,
                    "n_samples": n_samples,
                    "rate_hz": args.rate_hz,
                    "settings": settings.to_dict(),
                    "machine": platform.machine(),
                    "before": args.before,
                    "rows": rows,
                }
            )
        )
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
