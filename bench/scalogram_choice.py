"""Which scalogram generalises: frozen ImageNet MobileNetV2 features + logistic regression.

A cheap, tuning-free probe of the representation alone (the training recipe is measured by
bench/training.py and bench/recognition.py): every image goes once through the frozen
MobileNetV2 of ../shared/weights (global-pooled 1280 features, ImageNet normalisation), and a
logistic regression with fixed settings (standardised features, C=1, no search) is fitted on
the training part only. Compared, in one run on the same windows:

- representation: ``magnitude`` (|CWT|, the classic image) vs ``signed`` (real part, 0.5 = 0);
- band: fixed 1-20 Hz vs derived from the data (1/window length .. 0.8 x Nyquist);
- image size 224 vs 112 (the network's cost is about 4x lower at 112).

Data (never copied into the repository):

- ``../shared/data/handwriting``: train on ``train/`` (150), test on ``test/`` (850), the
  archive's split; 152 samples per case, rate stated as 50 Hz (an assumption of the README).
- ``../shared/data/punch-flex``: 35 recordings of 119 samples at 119 Hz, stored as a 50 Hz
  project stores them (resampled down) and at their native 119 Hz. Stratified 5-fold (3
  repeats, fixed seeds): ``5-fold`` as recorded, ``turned``: each held-out window turned by a
  random 3-D rotation (another way of holding the sensor) while training stays as recorded,
  and ``turned+aug``: the same turned test windows, the probe trained on 3 randomly turned
  copies of each training window (what rotation augmentation in training gives it).

Usage::

    python bench/scalogram_choice.py [--repeats 3] [--json]

Prints a table and, with ``--json``, a JSON line last. Single-threaded torch (a shared 2-core
machine); a full run takes a few minutes there.
"""

from __future__ import annotations

import argparse
import csv
import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torchvision
from scipy.spatial.transform import Rotation
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from hfwidgets._paths import REPO_DIR, shared_weights
from hfwidgets.resampling import resample_samples
from hfwidgets.scalogram import ScalogramSettings, compute_scalograms

DATA = REPO_DIR.parent / "shared" / "data"
IMAGENET_MEAN = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
IMAGENET_STD = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)


@dataclass(frozen=True)
class Choice:
    name: str
    representation: str
    band: str  # "fixed" (1-20 Hz) or "derived"
    size: int

    def settings(self) -> ScalogramSettings:
        band = {"f_min_hz": 1.0, "f_max_hz": 20.0} if self.band == "fixed" else {}
        return ScalogramSettings(
            representation=self.representation,  # type: ignore[arg-type]
            size=(self.size, self.size),
            **band,
        )


CHOICES = (
    Choice("magnitude, 1-20 Hz (old default)", "magnitude", "fixed", 224),
    Choice("magnitude, derived band", "magnitude", "derived", 224),
    Choice("signed, 1-20 Hz", "signed", "fixed", 224),
    Choice("signed, derived band", "signed", "derived", 224),
    Choice("signed, derived band, 112 px", "signed", "derived", 112),
)


def read_generic(folder: Path) -> tuple[np.ndarray, np.ndarray, float]:
    """``<folder>/<label>/*.csv`` (ax,ay,az) -> windows [N, n, 3], labels [N], rate."""
    rate = float(json.loads((folder / "meta.json").read_text())["rate_hz"])
    windows, labels = [], []
    for label_dir in sorted(p for p in folder.iterdir() if p.is_dir()):
        for path in sorted(label_dir.glob("*.csv")):
            with path.open(newline="") as handle:
                rows = [
                    [float(r["ax"]), float(r["ay"]), float(r["az"])] for r in csv.DictReader(handle)
                ]
            windows.append(rows)
            labels.append(label_dir.name)
    return np.asarray(windows, dtype=np.float32), np.asarray(labels), rate


def read_punch_flex() -> tuple[np.ndarray, np.ndarray]:
    """The 35 recordings as [35, 119, 3] (aX, aY, aZ in g) at 119 Hz, and their labels."""
    windows, labels = [], []
    for name in ("punch", "flex"):
        with (DATA / "punch-flex" / f"{name}.csv").open(newline="") as handle:
            rows = [
                [float(r["aX"]), float(r["aY"]), float(r["aZ"])] for r in csv.DictReader(handle)
            ]
        data = np.asarray(rows, dtype=np.float32).reshape(-1, 119, 3)
        windows.append(data)
        labels += [name] * len(data)
    return np.concatenate(windows), np.asarray(labels)


class Features:
    """Frozen ImageNet MobileNetV2 up to its global pooling (1280 numbers per image)."""

    def __init__(self) -> None:
        net = torchvision.models.mobilenet_v2()
        path = shared_weights()
        if path is None:
            raise SystemExit("needs ../shared/weights/mobilenet_v2-imagenet-derived.pth")
        net.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
        self.body = net.features.eval()

    def __call__(self, images: np.ndarray, batch: int = 32) -> np.ndarray:
        out = []
        with torch.inference_mode():
            for start in range(0, len(images), batch):
                x = torch.from_numpy(images[start : start + batch])
                x = (x - IMAGENET_MEAN) / IMAGENET_STD
                out.append(self.body(x).mean(dim=(2, 3)).numpy())
        return np.concatenate(out)


def probe() -> object:
    return make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=3000))


def images_and_features(
    windows: np.ndarray, rate_hz: float, settings: ScalogramSettings, features: Features
) -> tuple[np.ndarray, float, float]:
    start = time.perf_counter()
    images = compute_scalograms(windows, rate_hz=rate_hz, settings=settings)
    middle = time.perf_counter()
    feats = features(images)
    end = time.perf_counter()
    return feats, (middle - start) / len(windows), (end - middle) / len(windows)


def turned(windows: np.ndarray, seed: int) -> np.ndarray:
    """Each window turned by its own random 3-D rotation (the sensor held another way)."""
    rotations = Rotation.random(len(windows), random_state=seed).as_matrix().astype(np.float32)
    return np.einsum("bij,bnj->bni", rotations, windows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="5-fold repeats on punch/flex")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    features = Features()

    hw_train, hw_train_y, hw_rate = read_generic(DATA / "handwriting" / "train")
    hw_test, hw_test_y, _ = read_generic(DATA / "handwriting" / "test")
    pf_raw, pf_y = read_punch_flex()
    punch_flex = {
        "50": (np.stack([resample_samples(w, from_hz=119.0, to_hz=50.0) for w in pf_raw]), 50.0),
        "119": (pf_raw, 119.0),
    }

    rows = []
    for choice in CHOICES:
        settings = choice.settings()
        row: dict[str, object] = {"choice": choice.name, "settings": settings.to_dict()}
        # Handwriting: one band for both parts, resolved over the training windows only.
        resolved = settings.resolve(window_s=hw_train.shape[1] / hw_rate, rate_hz=hw_rate)
        train_f, image_s, net_s = images_and_features(hw_train, hw_rate, resolved, features)
        test_f, _, _ = images_and_features(hw_test, hw_rate, resolved, features)
        model = probe().fit(train_f, hw_train_y)  # type: ignore[attr-defined]
        row["handwriting"] = float((model.predict(test_f) == hw_test_y).mean())
        row["band_handwriting_hz"] = [round(resolved.f_min_hz or 0, 3), resolved.f_max_hz]
        row["scalogram_ms"] = image_s * 1e3
        row["network_ms"] = net_s * 1e3
        for key, (windows, rate) in punch_flex.items():
            resolved = settings.resolve(window_s=windows.shape[1] / rate, rate_hz=rate)
            plain, _, _ = images_and_features(windows, rate, resolved, features)
            copies = 3
            augmented, _, _ = images_and_features(
                np.concatenate([turned(windows, seed=7 + c) for c in range(copies)]),
                rate,
                resolved,
                features,
            )
            plain_acc, turned_acc, augmented_acc = [], [], []
            for repeat in range(args.repeats):
                folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=repeat)
                for fold, (train, test) in enumerate(folds.split(plain, pf_y)):
                    model = probe().fit(plain[train], pf_y[train])  # type: ignore[attr-defined]
                    plain_acc.append(float((model.predict(plain[test]) == pf_y[test]).mean()))
                    turned_windows = turned(windows[test], seed=1000 * repeat + fold)
                    turned_f, _, _ = images_and_features(turned_windows, rate, resolved, features)
                    turned_acc.append(float((model.predict(turned_f) == pf_y[test]).mean()))
                    rows_of = np.concatenate([train + c * len(windows) for c in range(copies)])
                    model = probe().fit(augmented[rows_of], np.tile(pf_y[train], copies))  # type: ignore[attr-defined]
                    augmented_acc.append(float((model.predict(turned_f) == pf_y[test]).mean()))
            row[f"punch_flex_{key}hz_5fold"] = float(np.mean(plain_acc))
            row[f"punch_flex_{key}hz_turned"] = float(np.mean(turned_acc))
            row[f"punch_flex_{key}hz_turned_aug"] = float(np.mean(augmented_acc))
            row[f"band_punch_flex_{key}hz"] = [round(resolved.f_min_hz or 0, 3), resolved.f_max_hz]
        rows.append(row)
        print(f"  done: {choice.name}", flush=True)

    header = (
        "choice",
        "handwriting",
        "pf@50 5-fold",
        "pf@50 turned",
        "pf@50 turned+aug",
        "pf@119 5-fold",
        "pf@119 turned",
        "pf@119 turned+aug",
        "img ms",
        "net ms",
    )
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join("---" for _ in header) + "|")
    for row in rows:
        cells = [
            str(row["choice"]),
            *(
                f"{row[k]:.3f}"
                for k in (
                    "handwriting",
                    "punch_flex_50hz_5fold",
                    "punch_flex_50hz_turned",
                    "punch_flex_50hz_turned_aug",
                    "punch_flex_119hz_5fold",
                    "punch_flex_119hz_turned",
                    "punch_flex_119hz_turned_aug",
                )
            ),
            f"{row['scalogram_ms']:.2f}",
            f"{row['network_ms']:.1f}",
        ]
        print("| " + " | ".join(cells) + " |")
    if args.json:
        print(json.dumps({"bench": "scalogram_choice", "repeats": args.repeats, "rows": rows}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
