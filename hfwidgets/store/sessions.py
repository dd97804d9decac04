"""Raw recordings (sessions) of a project (mixed into :class:`Project`).

A session keeps the whole stream a window was cut from, so windows can be re-cut later with
other settings; times are float64 (source clock, s), samples float32 ``(n, 3)``.

A recording in progress is stored in chunks: :meth:`SessionsMixin.begin_session` makes an empty
session and each :meth:`SessionsMixin.append_session` adds one chunk in its own transaction, so
a killed capture keeps every chunk written before (see :mod:`hfwidgets.store.recording`).
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
from numpy.typing import ArrayLike

from hfwidgets.store.arrays import as_samples, check_rate_hz, decode_array, encode_array
from hfwidgets.store.database import Database
from hfwidgets.store.records import SessionRecord

__all__ = ["SessionsMixin"]


class SessionsMixin:
    """Methods of :class:`Project` that store and read raw recordings."""

    _db: Database
    path: Path

    def add_session(self, t: ArrayLike, xyz: ArrayLike, *, rate_hz: float, source: str) -> int:
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

    def begin_session(self, *, rate_hz: float, source: str) -> int:
        """Start an empty session that :meth:`append_session` fills chunk by chunk."""
        rate_hz = check_rate_hz(rate_hz)
        cur = self._db.execute_write(
            "INSERT INTO sessions (rate_hz, source, n, channels, t, xyz, created_at) "
            "VALUES (?, ?, 0, 3, ?, ?, ?)",
            (float(rate_hz), source, b"", b"", time.time()),
        )
        return int(cur.lastrowid or 0)

    def append_session(self, session_id: int, t: ArrayLike, xyz: ArrayLike) -> int:
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

    def set_session_rate(self, session_id: int, rate_hz: float) -> None:
        """Correct a session's sample rate (once a recording knows the device's real rate)."""
        rate_hz = check_rate_hz(rate_hz)
        cur = self._db.execute_write(
            "UPDATE sessions SET rate_hz = ? WHERE id = ?", (float(rate_hz), session_id)
        )
        if cur.rowcount == 0:
            raise ValueError(f"no session {session_id} in project {self.path}")

    def session(self, session_id: int) -> SessionRecord:
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

    def session_ids(self) -> list[int]:
        """Ids of the stored raw recordings."""
        return [r[0] for r in self._db.query("SELECT id FROM sessions ORDER BY id")]
