"""Raw recordings (sessions) of a project (mixed into :class:`Project`).

A session keeps the whole stream a window was cut from, so windows can be re-cut later with
other settings; times are float64 (source clock, s), samples float32 ``(n, 3)``.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
from numpy.typing import ArrayLike

from hfwidgets.store.arrays import as_samples, decode_array, encode_array
from hfwidgets.store.database import Database
from hfwidgets.store.records import SessionRecord

__all__ = ["SessionsMixin"]


class SessionsMixin:
    """Methods of :class:`Project` that store and read raw recordings."""

    _db: Database
    path: Path

    def add_session(self, t: ArrayLike, xyz: ArrayLike, *, rate_hz: float, source: str) -> int:
        """Store a raw recording (times in s, samples ``(n, 3)``) and return its id."""
        times = np.ascontiguousarray(t, dtype="<f8")
        samples = as_samples(xyz, what="session samples")
        if times.shape != (samples.shape[0],):
            raise ValueError(
                f"session times have shape {times.shape}, expected ({samples.shape[0]},)"
            )
        cur = self._db.execute_write(
            "INSERT INTO sessions (rate_hz, source, n, channels, t, xyz, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                float(rate_hz), source, samples.shape[0], samples.shape[1], times.tobytes(),
                encode_array(samples), time.time(),
            ),
        )  # fmt: skip
        return int(cur.lastrowid or 0)

    def session(self, session_id: int) -> SessionRecord:
        """One raw recording; ``ValueError`` if there is no such id."""
        rows = self._db.query(
            "SELECT id, t, xyz, n, channels, rate_hz, source, created_at FROM sessions "
            "WHERE id = ?",
            (session_id,),
        )
        if not rows:
            raise ValueError(f"no session {session_id} in project {self.path}")
        sid, t, xyz, n, channels, rate, source, created = rows[0]
        return SessionRecord(
            id=sid,
            t=np.frombuffer(t, dtype="<f8").astype(np.float64),
            xyz=decode_array(xyz, rows=n, channels=channels),
            rate_hz=rate,
            source=source,
            created_at=created,
        )

    def session_ids(self) -> list[int]:
        """Ids of the stored raw recordings."""
        return [r[0] for r in self._db.query("SELECT id FROM sessions ORDER BY id")]
