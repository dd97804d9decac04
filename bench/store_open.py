"""What the checks on open cost: ``Project.open`` (schema version, ``PRAGMA quick_check``, class
names and labels validated) against opening the same database with plain ``sqlite3`` and reading
its version, in the same run, for projects of growing size.

Usage: ``python bench/store_open.py [--windows N [N ...]] [--repeat R] [--json]``
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import tempfile
import time
from pathlib import Path

import numpy as np

from hfwidgets.store import Project


def _make(folder: Path, n: int) -> Path:
    rng = np.random.default_rng(0)
    with Project.create(folder) as p, p.batch():
        for i in range(n):
            label = ("high-five", "other", None)[i % 3]
            p.windows.add(rng.normal(size=(75, 3)), rate_hz=50.0, label=label)
    return folder


def _best(fn: object, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--windows", type=int, nargs="+", default=[1000, 10000, 40000])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.windows:
            folder = _make(Path(tmp) / f"p{n}", n)
            db = folder / "project.sqlite"

            def checked(folder: Path = folder) -> None:
                Project.open(folder).close()

            def plain(db: Path = db) -> None:
                conn = sqlite3.connect(db)
                conn.execute("PRAGMA user_version").fetchone()
                conn.close()

            checked()  # warm the page cache for both
            rows.append(
                {
                    "windows": n,
                    "mb": round(db.stat().st_size / 1e6, 1),
                    "project_open_ms": round(_best(checked, args.repeat) * 1e3, 2),
                    "plain_sqlite_ms": round(_best(plain, args.repeat) * 1e3, 2),
                }
            )
            rows[-1]["ratio"] = round(rows[-1]["project_open_ms"] / rows[-1]["plain_sqlite_ms"], 1)
    print(f"{'windows':>8} {'MB':>6} {'Project.open ms':>16} {'sqlite3 ms':>11} {'ratio':>6}")
    for r in rows:
        print(
            f"{r['windows']:>8} {r['mb']:>6} {r['project_open_ms']:>16} "
            f"{r['plain_sqlite_ms']:>11} {r['ratio']:>6}"
        )
    if args.json:
        print(json.dumps({"bench": "store_open", "rows": rows}))


if __name__ == "__main__":
    main()
