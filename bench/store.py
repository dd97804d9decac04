"""Benchmark the project store against the plain alternatives, in the same run.

1. Durable label writes: ``project.labels.set`` (SQLite WAL, synchronous=FULL) vs rewriting a
   ``labels.json`` atomically with fsync per click (temp file + fsync + rename).
2. Loading every window for training: ``project.windows.all()`` vs ``np.loadtxt`` over the
   exported generic CSV folder.

Usage: ``python bench/store.py [--labels N] [--windows N] [--json]``
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

import numpy as np

from hfwidgets.store import Project, export_generic


def _json_labels(folder: Path, ids: list[int]) -> float:
    labels: dict[str, str] = {}
    path = folder / "labels.json"
    start = time.perf_counter()
    for wid in ids:
        labels[str(wid)] = "high-five"
        tmp = path.with_suffix(".tmp")
        with tmp.open("w") as fh:
            json.dump(labels, fh)
            fh.flush()
            os.fsync(fh.fileno())
        tmp.replace(path)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--labels", type=int, default=300)
    parser.add_argument("--windows", type=int, default=1000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        with Project.create(root / "p") as p:
            with p.batch():
                ids = [
                    p.windows.add(rng.normal(size=(75, 3)), rate_hz=50.0, label="other")
                    for _ in range(args.windows)
                ]
            label_ids = ids[: args.labels]
            start = time.perf_counter()
            for wid in label_ids:
                p.labels.set(wid, "high-five")
            t_store = time.perf_counter() - start
            t_json = _json_labels(root, label_ids)

            export_generic(p, root / "csv")
            start = time.perf_counter()
            loaded = p.windows.all()
            t_load = time.perf_counter() - start
        start = time.perf_counter()
        files = sorted((root / "csv").rglob("*.csv"))
        arrays = [np.loadtxt(f, delimiter=",", skiprows=1, dtype=np.float32) for f in files]
        t_csv = time.perf_counter() - start
    assert len(arrays) == len(loaded)

    n = len(label_ids)
    results = {
        "labels": n,
        "windows": len(loaded),
        "set_label_ms": 1000 * t_store / n,
        "json_fsync_label_ms": 1000 * t_json / n,
        "label_ratio_json_over_store": t_json / t_store,
        "load_windows_s": t_load,
        "load_csv_s": t_csv,
        "load_ratio_csv_over_store": t_csv / t_load,
    }
    print(f"{'operation':<44}{'hfwidgets.store':>16}{'plain':>12}{'ratio':>8}")
    print(
        f"{'durable label write, ms/label (n=' + str(n) + ')':<44}"
        f"{results['set_label_ms']:>16.2f}{results['json_fsync_label_ms']:>12.2f}"
        f"{results['label_ratio_json_over_store']:>8.2f}"
    )
    print(
        f"{'load ' + str(len(loaded)) + ' windows (75x3), s':<44}"
        f"{t_load:>16.3f}{t_csv:>12.3f}{results['load_ratio_csv_over_store']:>8.2f}"
    )
    print("plain: labels.json rewritten + fsync + rename per label; np.loadtxt per CSV file")
    if args.json:
        print(json.dumps(results))


if __name__ == "__main__":
    main()
