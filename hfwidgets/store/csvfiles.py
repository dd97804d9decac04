"""Strict reading and exact writing of accelerometer CSV files.

Reading checks everything a person could get wrong (no header, wrong header, ragged rows, text
or NaN in a number column) and says which file and line. Writing uses the shortest decimal text
that reads back as the same float32, so export -> import gives bit-identical windows.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from hfwidgets.errors import HfwError
from hfwidgets.store.arrays import MAX_ABS_G

__all__ = ["AXES", "CsvSamples", "read_number_columns", "read_samples_csv", "write_samples_csv"]

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
    values, lines, _ = read_number_columns(path, [(a,) for a in AXES], header_hint="'ax,ay,az'")
    return CsvSamples(path=path, samples=values.astype(np.float32), lines=lines)


def read_number_columns(
    path: Path,
    columns: Sequence[Sequence[str]],
    *,
    header_hint: str,
    readings: int | None = None,
) -> tuple[NDArray[np.float64], NDArray[np.int64], list[str]]:
    """Read number columns of a CSV file by header name: ``(values [n, len(columns)], lines,
    the header name found for each column)``.

    Each entry of ``columns`` lists the names one column may have (case-insensitive; the first
    found wins), so one reader serves several layouts. The first ``readings`` columns (all by
    default) are accelerations, checked against +/-1000 g; the others (a time column) are only
    checked to be finite numbers.
    """
    text = _read_text(path)
    rows = csv.reader(io.StringIO(text))
    header: list[str] | None = None
    index: list[int] = []
    names: list[str] = []
    values: list[list[float]] = []
    lines: list[int] = []
    limit = len(columns) if readings is None else readings
    for row in rows:
        line = rows.line_num
        if not any(cell.strip() for cell in row):
            continue
        if header is None:
            header = [cell.strip().lower() for cell in row]
            found = [next((n for n in options if n.lower() in header), None) for options in columns]
            missing = [options[0] for options, name in zip(columns, found, strict=True) if not name]
            if missing:
                raise HfwError(
                    f"{path} line {line}: header {','.join(row)!r} lacks column(s) "
                    f"{', '.join(missing)}; the first line must be {header_hint} (extra columns "
                    "are ignored)"
                )
            names = [str(n) for n in found]
            index = [header.index(n.lower()) for n in names]
            continue
        if len(row) != len(header):
            raise HfwError(
                f"{path} line {line}: {len(row)} values, but the header has {len(header)} "
                "columns (ragged or truncated row)"
            )
        sample = []
        for k, (name, col) in enumerate(zip(names, index, strict=True)):
            cell = row[col].strip()
            try:
                value = float(cell)
            except ValueError:
                raise HfwError(
                    f"{path} line {line}, column {name}: {cell!r} is not a number"
                ) from None
            if not math.isfinite(value):
                raise HfwError(
                    f"{path} line {line}, column {name}: {cell!r} is not a finite number; "
                    "drop or interpolate missing samples before importing"
                )
            if k < limit and abs(value) > MAX_ABS_G:
                raise HfwError(
                    f"{path} line {line}, column {name}: {cell} g is beyond +/-{MAX_ABS_G:g} g, "
                    "more than any motion accelerometer reads; samples must be in g (raw "
                    "counts: divide by the sensor's counts per g; m/s^2: divide by 9.81)"
                )
            sample.append(value)
        values.append(sample)
        lines.append(line)
    if header is None:
        raise HfwError(f"{path}: empty file; expected a header line {header_hint} and samples")
    if not values:
        raise HfwError(f"{path}: only a header, no samples after line 1")
    return (
        np.asarray(values, dtype=np.float64).reshape(-1, len(columns)),
        np.asarray(lines, dtype=np.int64),
        names,
    )


def write_samples_csv(path: Path, samples: NDArray[np.float32]) -> None:
    """Write ``(n, 3)`` float32 samples under an ``ax,ay,az`` header.

    Each value is the shortest decimal that parses back to the same float32 (numpy's
    float32-to-str), so reading the file gives a bit-identical array.
    """
    text = np.asarray(samples, dtype=np.float32).astype(str)
    body = "\n".join(",".join(row) for row in text)
    path.write_text(f"{','.join(AXES)}\n{body}\n", encoding="utf-8")
