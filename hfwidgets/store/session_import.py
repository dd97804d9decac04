"""Import a long recording (a CSV with a time column) as one stored session.

Two layouts are read, told apart by the header (names case-insensitive, extra columns
ignored):

- generic: ``t_ms,ax,ay,az`` (milliseconds, g); ``t_s,ax,ay,az`` in seconds also works;
- Edge Impulse's CSV: ``timestamp,accX,accY,accZ`` (milliseconds; Edge Impulse stores
  acceleration in m/s^2).

Units follow the readings unless given: a recording whose median magnitude is near 9.81 is in
m/s^2 and is divided by standard gravity, one near 1 is in g, anything else is refused with
the option to pass. Time must increase from row to row (a clear error naming the lines
otherwise); gaps and rate changes are kept as recorded and named in the report and in the
session's facts (``hfw sessions list`` shows them). Nothing is written unless the whole file
reads.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from hfwidgets.errors import HfwError
from hfwidgets.store.arrays import check_rate_hz
from hfwidgets.store.csvfiles import read_number_columns
from hfwidgets.store.project import Project
from hfwidgets.store.session_timing import TimeFacts, time_facts

__all__ = ["STANDARD_GRAVITY", "UNITS", "SessionImport", "import_session_csv"]

STANDARD_GRAVITY = 9.80665
Units = Literal["auto", "g", "m/s2"]
UNITS: tuple[Units, ...] = ("auto", "g", "m/s2")

_TIME = ("t_ms", "timestamp", "t_s")
_AXES = (("ax", "accx", "acc_x"), ("ay", "accy", "acc_y"), ("az", "accz", "acc_z"))


@dataclass(frozen=True)
class SessionImport:
    """What importing a long recording stored, and what its time column said."""

    session_id: int
    file: str
    layout: str
    units: str
    samples: int
    duration_s: float
    facts: TimeFacts

    def describe(self) -> list[str]:
        """Lines a person reads: the session, then each gap and rate change."""
        f = self.facts
        lines = [
            f"session {self.session_id}: {self.samples} samples, {self.duration_s:.1f} s at "
            f"{f.rate_hz:.1f} Hz from {self.file} ({self.layout}, {self.units})",
            f"{len(f.gaps)} gap(s), {len(f.rate_changes)} rate change(s)",
        ]
        lines += [f"  {g.describe()}" for g in f.gaps[:20]]
        lines += [f"  {c.describe()}" for c in f.rate_changes[:20]]
        return lines

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (``hfw sessions import --json``)."""
        return {
            "session_id": self.session_id, "file": self.file, "layout": self.layout,
            "units": self.units, "samples": self.samples, "duration_s": self.duration_s,
            **self.facts.to_dict(),
        }  # fmt: skip


def _scale_of(values: np.ndarray, *, units: Units, path: Path) -> tuple[float, str]:
    if units == "g":
        return 1.0, "g"
    if units == "m/s2":
        return 1.0 / STANDARD_GRAVITY, "m/s^2 divided by 9.80665"
    if units != "auto":
        raise ValueError(f"units must be one of {', '.join(UNITS)}, got {units!r}")
    median = float(np.median(np.linalg.norm(values, axis=1)))
    if 6.0 <= median <= 14.0:
        return 1.0 / STANDARD_GRAVITY, f"m/s^2 (median |a| {median:.2f}) divided by 9.80665"
    if 0.3 <= median <= 2.5:
        return 1.0, f"g (median |a| {median:.2f})"
    raise HfwError(
        f"{path}: the median acceleration magnitude is {median:.3g}, neither about 1 (g) nor "
        "about 9.81 (m/s^2); pass --units g or --units m/s2"
    )


def import_session_csv(
    project: Project,
    csv: str | os.PathLike[str],
    *,
    units: Units = "auto",
    source: str | None = None,
) -> SessionImport:
    """Store a long CSV recording as a session (0-based times in s, samples in g).

    Raises
    ------
    HfwError
        Naming the file and line: no time column, a bad number, time that does not increase,
        readings in units that cannot be told; nothing is stored.
    """
    path = Path(csv)
    if not path.is_file():
        raise HfwError(f"{path}: no such file")
    values, lines, names = read_number_columns(
        path,
        [*_AXES, _TIME],
        header_hint="'t_ms,ax,ay,az' or Edge Impulse's 'timestamp,accX,accY,accZ'",
        readings=3,
    )
    time_name = names[3].lower()
    layout = "edge impulse" if time_name == "timestamp" else f"{time_name},ax,ay,az"
    t = values[:, 3] * (1.0 if time_name == "t_s" else 1e-3)
    try:
        facts = time_facts(t, lines, where=str(path))
        check_rate_hz(facts.rate_hz, what=f"{path}: the time column's rate")
    except ValueError as exc:
        raise HfwError(str(exc)) from None
    scale, unit_words = _scale_of(values[:, :3], units=units, path=path)
    xyz = (values[:, :3] * scale).astype(np.float32)
    t0 = t - t[0]
    with project.batch():
        sid = project.sessions.add(t0, xyz, rate_hz=facts.rate_hz, source=source or path.name)
        project.sessions.set_meta(
            sid,
            {"file": path.name, "layout": layout, "units": unit_words, **facts.to_dict()},
        )
    return SessionImport(
        session_id=sid, file=path.name, layout=layout, units=unit_words,
        samples=int(t.size), duration_s=float(t0[-1]), facts=facts,
    )  # fmt: skip
