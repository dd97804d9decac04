"""Strict reading and exact writing of accelerometer CSV files.

Reading checks everything a person could get wrong (no header, wrong header, ragged rows, text
or NaN in a number column) and says which file and line. Writing uses the shortest decimal text
that reads back as the same float32, so export -> import gives bit-identical windows.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from hfwidgets.errors import HfwError
from hfwidgets.store.arrays import MAX_ABS_G

__all__ = ["AXES", "CsvSamples", "read_samples_csv", "write_samples_csv"]

AXES = ("ax", "ay", "az")


@dataclass(frozen=True, eq=False)
class CsvSamples:
    """Samples read from a CSV file with the file line of each row (for error messages)."""

    path: Path
    samples: NDArray[np.float32]
    lines: NDArray[np.int64]


def _read_text(path: Path) -> str:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise HfwError(f"{path}: cannot read ({exc.strerror})") from exc
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise HfwError(
            f"{path} line {line}: not UTF-8 text; is this a damaged or binary file?"
        ) from exc


def read_samples_csv(path: Path) -> CsvSamples:
    """Read the ``ax, ay, az`` columns of a CSV file (header names case-insensitive).

    Extra columns (an IMU's gyroscope ``gX,gY,gZ``) are ignored. Blank lines are skipped.

    Raises
    ------
    HfwError
        Naming the file and line: empty file, missing columns, a row with the wrong number of
        values, a value that is not a finite number or beyond +/-1000 g, or no data rows.
    """
    text = _read_text(path)
    rows = csv.reader(io.StringIO(text))
    header: list[str] | None = None
    columns: list[int] = []
    values: list[tuple[float, float, float]] = []
    lines: list[int] = []
    for row in rows:
        line = rows.line_num
        if not any(cell.strip() for cell in row):
            continue
        if header is None:
            header = [cell.strip().lower() for cell in row]
            missing = [a for a in AXES if a not in header]
            if missing:
                raise HfwError(
                    f"{path} line {line}: header {','.join(row)!r} lacks column(s) "
                    f"{', '.join(missing)}; the first line must be 'ax,ay,az' (extra columns "
                    "are ignored)"
                )
            columns = [header.index(a) for a in AXES]
            continue
        if len(row) != len(header):
            raise HfwError(
                f"{path} line {line}: {len(row)} values, but the header has {len(header)} "
                "columns (ragged or truncated row)"
            )
        sample = []
        for axis, col in zip(AXES, columns, strict=True):
            cell = row[col].strip()
            try:
                value = float(cell)
            except ValueError:
                raise HfwError(
                    f"{path} line {line}, column {axis}: {cell!r} is not a number"
                ) from None
            if not math.isfinite(value):
                raise HfwError(
                    f"{path} line {line}, column {axis}: {cell!r} is not a finite number; "
                    "drop or interpolate missing samples before importing"
                )
            if abs(value) > MAX_ABS_G:
                raise HfwError(
                    f"{path} line {line}, column {axis}: {cell} g is beyond +/-{MAX_ABS_G:g} g, "
                    "more than any motion accelerometer reads; samples must be in g (raw "
                    "counts: divide by the sensor's counts per g; m/s^2: divide by 9.81)"
                )
            sample.append(value)
        values.append((sample[0], sample[1], sample[2]))
        lines.append(line)
    if header is None:
        raise HfwError(f"{path}: empty file; expected a header line 'ax,ay,az' and samples")
    if not values:
        raise HfwError(f"{path}: only a header, no samples after line 1")
    return CsvSamples(
        path=path,
        samples=np.asarray(values, dtype=np.float64).astype(np.float32),
        lines=np.asarray(lines, dtype=np.int64),
    )


def write_samples_csv(path: Path, samples: NDArray[np.float32]) -> None:
    """Write ``(n, 3)`` float32 samples under an ``ax,ay,az`` header.

    Each value is the shortest decimal that parses back to the same float32 (numpy's
    float32-to-str), so reading the file gives a bit-identical array.
    """
    text = np.asarray(samples, dtype=np.float32).astype(str)
    body = "\n".join(",".join(row) for row in text)
    path.write_text(f"{','.join(AXES)}\n{body}\n", encoding="utf-8")
