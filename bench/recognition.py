"""Benchmark: recognition accuracy of the default workflow and of the MiniRocket baseline.

On real recordings kept outside the repository (``../shared/data``), with the ImageNet
MobileNetV2 of ``../shared/weights``:

1. handwriting: ``hfw import train/`` into a fresh project, ``hfw train`` with the defaults
   (the run's own figure, MiniRocket on the run's split), then the held-out ``test/`` files
   (as ``hfw evaluate`` reads them); MiniRocket trained on the same training windows;
2. punch/flex (Arduino IMU_Capture, 35 recordings): stratified 5-fold; each fold's training
   recordings are written back as IMU_Capture CSVs and imported into a fresh project, trained
   with the defaults, and the fold's test recordings are scored as recorded and turned by a
   random sensor orientation each (uniform over all 3-D rotations, seeded); MiniRocket trained
   on the same training windows scores the same test windows;
3. punch/flex "other grips" (``--only grips``; also part of ``--only punch-flex``): trained on
   the earlier 60 % of each class's recordings, tested on the later 40 %, each test recording
   turned by the fixed orientation of one of 3 simulated other recorders (up to 90 degrees
   about a random axis, the spread of mean gravity between real recorders). The shared data
   is one person's, so this stands in for a cross-person split: other grips, later
   recordings, not other people's motions.

Accuracies pool every test window; seconds are wall time per training run (scalograms,
training, the in-run baseline) and per evaluation. Run::

    python bench/recognition.py [--only handwriting|punch-flex|grips] [--set KEY=VALUE ...]
        [--scalogram KEY=VALUE ...] [--threads 1] [--json]

``--set`` overrides a :class:`~hfwidgets.training.config.TrainConfig` default (``--set augment=false
--set batch_size=16``) and ``--scalogram`` a :class:`~hfwidgets.scalogram.ScalogramSettings`
default (``--scalogram frame=sensor``) to compare a recipe against the defaults. The table
ends with the ratio CNN / MiniRocket per data set; ``--json`` prints the config, the scalogram
overrides and the rows last. Measured figures: docs/training.md, "Measured here".
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np
import torch
from scipy.spatial.transform import Rotation

from hfwidgets._paths import shared_weights
from hfwidgets.cli.evaluate_command import evaluate_folder
from hfwidgets.scalogram import ScalogramSettings
from hfwidgets.store import Project, import_arduino_imu, import_generic
from hfwidgets.training.augment import random_rotation
from hfwidgets.training.baseline import minirocket_predict
from hfwidgets.training.config import TrainConfig
from hfwidgets.training.data import scalogram_images
from hfwidgets.training.predictor import load_predictor, model_probabilities
from hfwidgets.training.runner import train_project
from hfwidgets.training.split import kfold_splits

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
IMU_HEADER = "aX,aY,aZ,gX,gY,gZ"
IMU_WINDOW = 119


def _value(text: str) -> Any:
    if "," in text:  # size=160,160
        return tuple(_value(part) for part in text.split(","))
    low = text.lower()
    if low in ("true", "false"):
        return low == "true"
    if low in ("none", "null"):
        return None
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def make_config(overrides: list[str], *, threads: int | None) -> TrainConfig:
    """The default :class:`TrainConfig` with the shared weights and ``KEY=VALUE`` overrides."""
    weights = shared_weights()
    settings: dict[str, Any] = {"weights": str(weights) if weights else "DEFAULT"}
    if threads:
        settings["num_threads"] = threads
    for item in overrides:
        key, _, text = item.partition("=")
        if key == "frozen":  # frozen=stem,stage1 ; frozen= trains every group
            settings[key] = tuple(t for t in text.split(",") if t)
        else:
            settings[key] = _value(text)
    return TrainConfig(**settings)


def scalogram_settings(overrides: list[str]) -> ScalogramSettings | None:
    """The default :class:`ScalogramSettings` with ``KEY=VALUE`` overrides (None: none given)."""
    if not overrides:
        return None
    return ScalogramSettings(**{k: _value(v) for k, _, v in (o.partition("=") for o in overrides)})


def _records(project: Project) -> list[Any]:
    return [r for r in project.windows.all() if r.label is not None]


def _score(
    project: Project, run_id: int, test: list[Any]
) -> tuple[dict[str, float], float, np.ndarray]:
    """Accuracy of each of run ``run_id``'s models (CNN alone, the run's baseline and fusion,
    and ``chosen``: the one it counts with) on ``test`` records, the seconds, and the CNN's
    predicted classes. The records are at the run's rate (imported into a project at it)."""
    started = time.perf_counter()
    predictor = load_predictor(project, run_id)
    windows = [r.data[:, :3] for r in test]
    images = scalogram_images(windows, [r.rate_hz for r in test], settings=predictor.settings)
    cnn = np.concatenate(
        [predictor.predict_images(images[i : i + 64]) for i in range(0, len(images), 64)]
    )
    truth = np.array([predictor.classes.index(r.label) for r in test])
    accuracy = {
        name: float(np.mean(proba.argmax(1) == truth))
        for name, proba in model_probabilities(project, run_id, windows, cnn).items()
    }
    accuracy["chosen"] = accuracy[predictor.counts_with]
    if "baseline" in accuracy:  # the run's own (trained on its training split), not the bench's
        accuracy["run_baseline"] = accuracy.pop("baseline")
    names = np.array([predictor.classes[i] for i in cnn.argmax(1)])
    return accuracy, time.perf_counter() - started, names


def _baseline(train: list[Any], test: list[Any], *, seed: int) -> float:
    classes = sorted({r.label for r in train})
    pred = minirocket_predict(
        [r.data[:, :3] for r in train],
        [classes.index(r.label) for r in train],
        [r.data[:, :3] for r in test],
        seed=seed,
    )
    truth = [r.label for r in test]
    return float(np.mean([classes[p] == t for p, t in zip(pred, truth, strict=True)]))


#: The models each row scores on the same test windows, in the table's order: the run's CNN
#: alone, MiniRocket trained on all the same training windows (the plain alternative), the
#: run's fusion of its CNN and its own baseline (weight chosen on the run's validation), and
#: ``chosen``: the model the run counts with, which ``hfw evaluate`` reports.
MODELS = ("cnn", "baseline", "fusion", "chosen")

SCALOGRAM: ScalogramSettings | None = None  # --scalogram overrides, stored in each project


def _train(project: Project, config: TrainConfig) -> tuple[int, float, dict[str, Any]]:
    if SCALOGRAM is not None:
        project.settings.set("scalogram", SCALOGRAM.to_dict())
    started = time.perf_counter()
    run_id = train_project(project, config)
    return run_id, time.perf_counter() - started, project.runs.get(run_id).metrics


#: The generic-layout data sets of the bench: folder under ``../shared/data``, row name.
HANDWRITING = {
    "handwriting": "handwriting train -> test",
    "handwriting-10hz": "handwriting 10 Hz train -> test",
}


def handwriting(config: TrainConfig, tmp: Path, *, name: str = "handwriting") -> dict[str, Any]:
    """``hfw import train/``, ``hfw train``, ``hfw evaluate --data test/`` (850 windows).

    The test figure is :func:`~hfwidgets.cli.evaluate_command.evaluate_folder`'s, the function
    behind ``hfw evaluate``, so the row scores exactly what a person's ``hfw evaluate`` would
    (test windows resampled to the run's rate, drawn with the run's settings).
    """
    src = DATA / name
    with Project.create(tmp / name, classes=(), rate_hz=50.0) as project:
        import_generic(project, src / "train")
        run_id, train_s, metrics = _train(project, config)
        started = time.perf_counter()
        evaluated = evaluate_folder(project, src / "test", run_id=run_id)
        eval_s = time.perf_counter() - started
        models = evaluated["models"]
        rate = load_predictor(project, run_id).rate_hz
        train = _records(project)
    with Project.create(tmp / f"{name}-test", classes=(), rate_hz=rate) as scratch:
        import_generic(scratch, src / "test")
        test = _records(scratch)
    base = _baseline(train, test, seed=config.seed)
    return {
        "dataset": HANDWRITING[name],
        "n_train": len(train),
        "n_test": len(test),
        "cnn": models["cnn"],
        "baseline": base,
        "fusion": models.get("fusion"),
        "chosen": float(evaluated["accuracy"]),
        "chosen_model": evaluated["model"],
        "run_reported": metrics.accuracy,
        "run_baseline": metrics.baseline.accuracy if metrics.baseline else None,
        "run_validation": metrics.validation.summary if metrics.validation else None,
        "best_epoch": metrics.best_epoch,
        "train_s": train_s,
        "eval_s": eval_s,
    }


def _imu_recordings(path: Path) -> np.ndarray:
    rows = np.loadtxt(path, delimiter=",", skiprows=1, dtype=np.float64)
    return rows.reshape(-1, IMU_WINDOW, rows.shape[1])


def _write_imu(path: Path, recordings: np.ndarray) -> None:
    flat = recordings.reshape(-1, recordings.shape[-1])
    np.savetxt(path, flat, delimiter=",", header=IMU_HEADER, comments="", fmt="%.5f")


def _turn(recordings: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Each recording seen by a sensor held in a random orientation (accel and gyro turned)."""
    out = recordings.copy()
    for rec in out:
        matrix = random_rotation(rng)
        rec[:, :3] = rec[:, :3] @ matrix.T
        rec[:, 3:6] = rec[:, 3:6] @ matrix.T
    return out


def _punch_flex() -> tuple[np.ndarray, np.ndarray, list[str]]:
    """The 35 recordings ``[R, 119, 6]``, their class indices and the class names."""
    src = DATA / "punch-flex"
    by_class = {name: _imu_recordings(src / f"{name}.csv") for name in ("punch", "flex")}
    names = list(by_class)
    recordings = np.concatenate([by_class[n] for n in names])
    labels = np.concatenate([np.full(len(by_class[n]), i) for i, n in enumerate(names)])
    return recordings, labels, names


def punch_flex(config: TrainConfig, tmp: Path, *, folds: int = 5) -> dict[str, Any]:
    """Stratified k-fold over the 35 recordings; test as recorded and randomly re-oriented."""
    recordings, labels, names = _punch_flex()
    turned = _turn(recordings, np.random.default_rng(12345))
    return _kfold(config, tmp / "pf", recordings, labels, names, turned=turned, folds=folds) | {
        "dataset": f"punch/flex {folds}-fold"
    }


def _turn_about_gravity(recording: np.ndarray, degrees: float) -> np.ndarray:
    """One IMU recording as a sensor turned ``degrees`` about its mean acceleration sees it."""
    out = recording.copy()
    axis = recording[:, :3].mean(axis=0)
    matrix = Rotation.from_rotvec(axis / np.linalg.norm(axis) * np.radians(degrees)).as_matrix()
    out[:, :3] = recording[:, :3] @ matrix.T
    out[:, 3:6] = recording[:, 3:6] @ matrix.T
    return out


def punch_flex_mirror(config: TrainConfig, tmp: Path, *, folds: int = 5) -> dict[str, Any]:
    """Mirror pairs with gravity kept: can the model tell a motion from the same motion made
    the other way round (a stroke left from a stroke right)?

    Every other punch and every other flex is class ``other way``: the recording turned half a
    circle about its own gravity axis, so its horizontal motion points the opposite way while
    the sensor is worn as before (what a stroke right is to a stroke left, for motions in a
    vertical plane). The rest is class ``as recorded``. Only the direction of the horizontal
    motion separates the classes; stratified k-fold over the recordings.
    """
    recordings, labels, _ = _punch_flex()
    mirror = np.zeros(len(labels), dtype=int)
    for cls in np.unique(labels):
        mirror[np.flatnonzero(labels == cls)[1::2]] = 1
    pairs = recordings.copy()
    for i in np.flatnonzero(mirror):
        pairs[i] = _turn_about_gravity(recordings[i], 180.0)
    names = ["as recorded", "other way"]
    return _kfold(config, tmp / "mirror", pairs, mirror, names, turned=None, folds=folds) | {
        "dataset": f"punch/flex mirror pairs {folds}-fold"
    }


def _wrong_recordings(
    records: list[Any], predicted: np.ndarray, order: np.ndarray, names: list[str]
) -> list[int]:
    """Indices (into all recordings) of the misclassified test ``records``.

    ``order`` lists the fold's test recordings class by class (the order of ``names``), as
    they were written; within a class, import keeps the recordings' order.
    """
    per_class: dict[str, list[int]] = {}
    start = 0
    for name in names:
        count = sum(r.label == name for r in records)
        per_class[name] = [int(i) for i in order[start : start + count]]
        start += count
    seen = dict.fromkeys(names, 0)
    out = []
    for record, guess in zip(records, predicted, strict=True):
        index = per_class[record.label][seen[record.label]]
        seen[record.label] += 1
        if guess != record.label:
            out.append(index)
    return out


def _kfold(
    config: TrainConfig,
    tmp: Path,
    recordings: np.ndarray,
    labels: np.ndarray,
    names: list[str],
    *,
    turned: np.ndarray | None,
    folds: int,
) -> dict[str, Any]:
    """Stratified k-fold: train on each fold's rest, score the fold (and ``turned`` copies)."""
    correct: dict[str, int] = defaultdict(int)  # right answers of each model (and "_turned")
    counted: dict[str, int] = defaultdict(int)  # the windows each model was scored on
    n = 0
    train_s: list[float] = []
    eval_s: list[float] = []
    reported: list[float] = []
    parts = {"test": recordings} | ({} if turned is None else {"turned": turned})
    wrong: dict[str, list[int]] = {"cnn": [], "cnn_turned": []}
    for k, (train, test) in enumerate(kfold_splits(labels, folds=folds, seed=0)):
        fold = tmp / f"fold{k}"
        for part in ("train", *parts):
            (fold / part).mkdir(parents=True)
        for i, name in enumerate(names):
            _write_imu(fold / "train" / f"{name}.csv", recordings[train][labels[train] == i])
            for part, data in parts.items():
                _write_imu(fold / part / f"{name}.csv", data[test][labels[test] == i])
        with Project.create(fold / "project", classes=(), rate_hz=50.0) as project:
            import_arduino_imu(project, fold / "train")
            run_id, seconds, metrics = _train(project, config)
            train_s.append(seconds)
            reported.append(float(metrics.accuracy or 0.0))
            rate = load_predictor(project, run_id).rate_hz
            train_records = _records(project)
            for part in parts:
                with Project.create(fold / f"{part}-p", classes=(), rate_hz=rate) as scratch:
                    import_arduino_imu(scratch, fold / part)
                    test_records = _records(scratch)
                accuracy, secs, predicted = _score(project, run_id, test_records)
                eval_s.append(secs)
                suffix = "" if part == "test" else "_turned"
                wrong[f"cnn{suffix}"] += _wrong_recordings(
                    test_records, predicted, test[np.argsort(labels[test], kind="stable")], names
                )
                accuracy["baseline"] = _baseline(train_records, test_records, seed=config.seed)
                for model, acc in accuracy.items():
                    correct[f"{model}{suffix}"] += round(acc * len(test_records))
                    counted[f"{model}{suffix}"] += len(test_records)
        n += len(test)
        print(f"  {tmp.name} fold {k + 1}/{folds}: {seconds:.1f} s", file=sys.stderr)
    row: dict[str, Any] = {
        "n_train": int(len(labels) * (folds - 1) / folds),
        "n_test": n,
        "run_reported": float(np.mean(reported)),
        "train_s": float(np.mean(train_s)),
        "eval_s": float(np.mean(eval_s)),
        "wrong": sorted(wrong["cnn"]),
    }
    # Each model over the windows of the folds whose run had it (a run without a baseline has
    # no fusion); ``*_n`` says how many windows that was when it is not every one.
    for key, right in correct.items():
        row[key] = right / counted[key]
        if counted[key] != n:
            row[f"{key}_n"] = counted[key]
    if turned is not None:
        row["wrong_turned"] = sorted(wrong["cnn_turned"])
    return row


def punch_flex_other_hold(config: TrainConfig, tmp: Path, *, recorders: int = 3) -> dict[str, Any]:
    """Train on the earlier 60 % of each class's recordings; test on the later 40 % as if
    ``recorders`` other people held the sensor: each test recording turned by its simulated
    recorder's fixed orientation (a turn of up to 90 degrees about a random axis, the spread of
    mean gravity seen between real recorders), recorders assigned in turn.

    The shared punch/flex data is one person's (README), so this simulates other people's
    grips; it does not measure other people's motions.
    """
    src = DATA / "punch-flex"
    rng = np.random.default_rng(2024)
    grips = [random_rotation(rng, max_deg=90.0) for _ in range(recorders)]
    folder = tmp / "pf-hold"
    (folder / "train").mkdir(parents=True)
    (folder / "test").mkdir()
    for name in ("punch", "flex"):
        recordings = _imu_recordings(src / f"{name}.csv")
        cut = round(0.6 * len(recordings))
        test = recordings[cut:].copy()
        for i, rec in enumerate(test):
            matrix = grips[i % recorders]
            rec[:, :3] = rec[:, :3] @ matrix.T
            rec[:, 3:6] = rec[:, 3:6] @ matrix.T
        _write_imu(folder / "train" / f"{name}.csv", recordings[:cut])
        _write_imu(folder / "test" / f"{name}.csv", test)
    with Project.create(folder / "project", classes=(), rate_hz=50.0) as project:
        import_arduino_imu(project, folder / "train")
        run_id, train_s, metrics = _train(project, config)
        rate = load_predictor(project, run_id).rate_hz
        train_records = _records(project)
        with Project.create(folder / "test-p", classes=(), rate_hz=rate) as scratch:
            import_arduino_imu(scratch, folder / "test")
            test_records = _records(scratch)
        accuracy, eval_s, _ = _score(project, run_id, test_records)
    return {
        "dataset": f"punch/flex later, {recorders} other grips",
        "n_train": len(train_records),
        "n_test": len(test_records),
        **accuracy,
        "baseline": _baseline(train_records, test_records, seed=config.seed),
        "run_reported": metrics.accuracy,
        "train_s": train_s,
        "eval_s": eval_s,
    }


def _fmt(value: Any) -> str:
    return f"{value:.3f}" if isinstance(value, float) else ("-" if value is None else str(value))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--only", action="append", choices=(*HANDWRITING, "punch-flex", "5-fold", "grips",
        "mirror"), default=None,
        help="rows to run (repeatable; punch-flex = 5-fold and grips; default all)",
    )  # fmt: skip
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument(
        "--scalogram", action="append", default=[], metavar="KEY=VALUE",
        help="override a ScalogramSettings default (frame=sensor)",
    )  # fmt: skip
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default <= 4)")
    parser.add_argument("--json", action="store_true", help="print one JSON object last")
    args = parser.parse_args(argv)
    if not DATA.is_dir():
        print(f"no data at {DATA}", file=sys.stderr)
        return 1
    config = make_config(args.set, threads=args.threads)
    global SCALOGRAM
    SCALOGRAM = scalogram_settings(args.scalogram)
    torch.set_num_threads(config.num_threads)
    rows = []
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="hfw-bench-recognition-") as tmp:
        only = set(args.only or ())
        if "punch-flex" in only:
            only |= {"5-fold", "grips"}
        for name in HANDWRITING:
            if not only or name in only:
                rows.append(handwriting(config, Path(tmp), name=name))
                print(f"  {name}: {rows[-1]['train_s']:.1f} s", file=sys.stderr)
        if not only or "grips" in only:
            rows.append(punch_flex_other_hold(config, Path(tmp)))
            print(f"  punch/flex other grips: {rows[-1]['train_s']:.1f} s", file=sys.stderr)
        if not only or "5-fold" in only:
            rows.append(punch_flex(config, Path(tmp)))
        if not only or "mirror" in only:
            rows.append(punch_flex_mirror(config, Path(tmp)))
        total_s = time.perf_counter() - started
    # One column per model the rows score (and its figure on turned windows, where measured).
    columns = ["dataset", "n_train", "n_test"]
    columns += [f"{m}{part}" for m in MODELS for part in ("", "_turned")]
    columns += ["run_reported", "train_s", "eval_s"]
    print(" | ".join(columns))
    for row in rows:
        print(" | ".join(_fmt(row.get(c)) for c in columns))
    for row in rows:
        if row.get("baseline"):
            print(f"{row['dataset']}: CNN / baseline = {row['cnn'] / row['baseline']:.2f}")
        if row.get("fusion") is not None:  # the rule: never below the better by 0.01
            better = max(row["cnn"], row["baseline"])
            verdict = "ok" if row["fusion"] >= better - 0.01 else "BELOW"
            print(f"{row['dataset']}: fusion {row['fusion']:.3f} against the better of CNN and "
                  f"baseline {better:.3f} - 0.01: {verdict}")  # fmt: skip
    print(f"whole bench: {total_s:.0f} s", file=sys.stderr)
    if args.json:
        scalogram = SCALOGRAM.to_dict() if SCALOGRAM is not None else None
        print(json.dumps({"config": config.to_dict(), "scalogram": scalogram, "rows": rows,
                          "seconds": total_s}))  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
