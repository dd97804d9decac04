"""Raw recordings (sessions) of a project: ``project.sessions``.

A session keeps the whole stream a window was cut from, so windows can be re-cut later with
other settings; times are float64 (source clock, s), samples float32 ``(n, 3)``.

A recording in progress is stored in chunks: :meth:`Sessions.begin` makes an empty
session and each :meth:`Sessions.append` adds one chunk in its own transaction, so
a killed capture keeps every chunk written before (see :mod:`hfwidgets.store.recording`).
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from hfwidgets.store.arrays import as_samples, check_rate_hz, decode_array, encode_array
from hfwidgets.store.database import Database
from hfwidgets.store.records import SessionRecord

__all__ = ["SessionInfo", "Sessions"]


@dataclass(frozen=True)
class SessionInfo:
    """A stored session at a glance, read without its samples (``hfw sessions list``)."""

    id: int
    n: int
    rate_hz: float
    source: str
    created_at: float
    start_s: float | None
    end_s: float | None
    meta: dict[str, Any]
    marks: int

    @property
    def duration_s(self) -> float:
        """Seconds from the first sample to the last (0 without samples)."""
        if self.start_s is None or self.end_s is None:
            return 0.0
        return self.end_s - self.start_s


def _first_last(blobs: list[bytes]) -> tuple[float | None, float | None]:
    filled = [b for b in blobs if b]
    if not filled:
        return None, None
    first = float(np.frombuffer(filled[0][:8], dtype="<f8")[0])
    last = float(np.frombuffer(filled[-1][-8:], dtype="<f8")[0])
    return first, last


class Sessions:
    """Store and read a project's raw recordings (``project.sessions``)."""

    def __init__(self, db: Database, path: Path) -> None:
        self._db = db
        self.path = path

    def add(self, t: ArrayLike, xyz: ArrayLike, *, rate_hz: float, source: str) -> int:
        """Store a raw recording (times in s, samples ``(n, 3)``) and return its id."""
        rate_hz = check_rate_hz(rate_hz)
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

    def begin(self, *, rate_hz: float, source: str) -> int:
        """Start an empty session that :meth:`append` fills chunk by chunk."""
        rate_hz = check_rate_hz(rate_hz)
        cur = self._db.execute_write(
            "INSERT INTO sessions (rate_hz, source, n, channels, t, xyz, created_at) "
            "VALUES (?, ?, 0, 3, ?, ?, ?)",
            (float(rate_hz), source, b"", b"", time.time()),
        )
        return int(cur.lastrowid or 0)

    def append(self, session_id: int, t: ArrayLike, xyz: ArrayLike) -> int:
        """Append samples to a session as one chunk (one transaction); return its sample count."""
        times = np.ascontiguousarray(t, dtype="<f8")
        samples = as_samples(xyz, what="session samples")
        if times.shape != (samples.shape[0],):
            raise ValueError(
                f"session times have shape {times.shape}, expected ({samples.shape[0]},)"
            )
        with self._db.write() as conn:
            row = conn.execute(
                "SELECT n, channels FROM sessions WHERE id = ?", (session_id,)
            ).fetchone()
            if row is None:
                raise ValueError(f"no session {session_id} in project {self.path}")
            if row[1] != samples.shape[1]:
                raise ValueError(
                    f"session {session_id} has {row[1]} channels, got {samples.shape[1]}"
                )
            seq = conn.execute(
                "SELECT COALESCE(MAX(seq), 0) + 1 FROM session_chunks WHERE session_id = ?",
                (session_id,),
            ).fetchone()[0]
            conn.execute(
                "INSERT INTO session_chunks (session_id, seq, n, t, xyz) VALUES (?, ?, ?, ?, ?)",
                (session_id, seq, samples.shape[0], times.tobytes(), encode_array(samples)),
            )
            total = int(row[0]) + int(samples.shape[0])
            conn.execute("UPDATE sessions SET n = ? WHERE id = ?", (total, session_id))
        return total

    def set_rate(self, session_id: int, rate_hz: float) -> None:
        """Correct a session's sample rate (once a recording knows the device's real rate)."""
        rate_hz = check_rate_hz(rate_hz)
        cur = self._db.execute_write(
            "UPDATE sessions SET rate_hz = ? WHERE id = ?", (float(rate_hz), session_id)
        )
        if cur.rowcount == 0:
            raise ValueError(f"no session {session_id} in project {self.path}")

    def get(self, session_id: int) -> SessionRecord:
        """One raw recording (its chunks joined in order); ``ValueError`` if there is no such id."""
        rows = self._db.query(
            "SELECT id, t, xyz, channels, rate_hz, source, created_at FROM sessions WHERE id = ?",
            (session_id,),
        )
        if not rows:
            raise ValueError(f"no session {session_id} in project {self.path}")
        sid, t, xyz, channels, rate, source, created = rows[0]
        times = [np.frombuffer(t, dtype="<f8")]
        parts = [decode_array(xyz, rows=len(t) // 8, channels=channels)]
        for n, ct, cxyz in self._db.query(
            "SELECT n, t, xyz FROM session_chunks WHERE session_id = ? ORDER BY seq",
            (session_id,),
        ):
            times.append(np.frombuffer(ct, dtype="<f8"))
            parts.append(decode_array(cxyz, rows=n, channels=channels))
        return SessionRecord(
            id=sid,
            t=np.concatenate(times).astype(np.float64),
            xyz=np.concatenate(parts),
            rate_hz=rate,
            source=source,
            created_at=created,
        )

    def ids(self) -> list[int]:
        """Ids of the stored raw recordings."""
        return [r[0] for r in self._db.query("SELECT id FROM sessions ORDER BY id")]

    def set_meta(self, session_id: int, meta: Mapping[str, Any]) -> None:
        """Store a session's facts (JSON: the imported file, its gaps and rate changes)."""
        cur = self._db.execute_write(
            "UPDATE sessions SET meta = ? WHERE id = ?", (json.dumps(dict(meta)), session_id)
        )
        if cur.rowcount == 0:
            raise ValueError(f"no session {session_id} in project {self.path}")

    def infos(self) -> list[SessionInfo]:
        """Every stored session at a glance, oldest first, without decoding samples."""
        counts = dict(
            self._db.query(
                "SELECT session_id, COUNT(*) FROM marks WHERE deleted_at IS NULL "
                "GROUP BY session_id"
            )
        )
        out = []
        for sid, n, rate, source, created, t, meta in self._db.query(
            "SELECT id, n, rate_hz, source, created_at, t, meta FROM sessions ORDER BY id"
        ):
            chunks = [r[0] for r in self._db.query(
                "SELECT t FROM session_chunks WHERE session_id = ? ORDER BY seq", (sid,)
            )]  # fmt: skip
            first, last = _first_last([t, *chunks])
            out.append(
                SessionInfo(
                    id=sid, n=int(n), rate_hz=float(rate), source=source,
                    created_at=float(created), start_s=first, end_s=last,
                    meta=json.loads(meta or "{}"), marks=int(counts.get(sid, 0)),
                )
            )  # fmt: skip
        return out
