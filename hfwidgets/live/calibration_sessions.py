"""The sessions a run is calibrated on: recorded ones with labelled windows, or simulated.

A calibration session is a continuous recording with known event times. A project's stored
session gets its events from the event marks placed on it (`project.marks.add`) when it has
marks, else from the windows labelled with the counted class (their middles); a simulated
session knows them from the simulated arm.

Pure: no threads, widgets or torch here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from hfwidgets.store.project import Project

__all__ = [
    "CalibrationSession",
    "labelled_event_times",
    "project_sessions",
    "sessions_for",
    "simulated_sessions",
]


@dataclass(frozen=True, eq=False)
class CalibrationSession:
    """A continuous recording with known event times, before classification."""

    t: NDArray[np.float64]
    xyz: NDArray[np.float32]
    rate_hz: float
    event_times: tuple[float, ...]
    name: str = ""


def labelled_event_times(
    windows: Iterable[Any], *, session_id: int, positive: str = "high-five"
) -> list[float]:
    """Event times of a stored session: the middle of each of its windows labelled ``positive``.

    ``windows`` are `hfwidgets.store.WindowRecord` (``session_id``, ``t0``, ``data``,
    ``rate_hz``, ``label``); ones without ``t0`` cannot be placed and are left out.
    """
    times = []
    for record in windows:
        if record.session_id != session_id or record.label != positive or record.t0 is None:
            continue
        times.append(float(record.t0) + record.data.shape[0] / float(record.rate_hz) / 2)
    return sorted(times)


def simulated_sessions(
    count: int,
    *,
    seconds: float = 150.0,
    rate_hz: float = 50.0,
    seed: int = 1000,
    positive: str = "high-five",
) -> list[CalibrationSession]:
    """``count`` sessions of the simulated arm: high-fives between other motions and rest.

    Each session performs high-fives and the other motions (swing, wave, raise, walk) in
    alternation with 1-2 s of rest between, so about a third of its time holds a high-five;
    ``seed`` + i seeds session i.
    """
    from hfwidgets.sensors.motions import OTHER_KINDS, simulate_session

    if count < 1:
        raise ValueError(f"count={count!r}: simulate at least one session")
    others = [k for k in OTHER_KINDS if k not in ("rest", positive)]
    n_pairs = int(seconds / 4) + 1  # more than fit: the session is cut at `seconds`
    script = [kind for i in range(n_pairs) for kind in ("high-five", others[i % len(others)])]
    sessions = []
    for i in range(count):
        t, xyz, events = simulate_session(seconds, rate_hz=rate_hz, seed=seed + i, script=script)
        sessions.append(
            CalibrationSession(
                t=t,
                xyz=xyz,
                rate_hz=rate_hz,
                event_times=tuple(e.t for e in events if e.kind == positive),
                name=f"simulated seed {seed + i}",
            )
        )
    return sessions


def project_sessions(
    project: Project, ids: Iterable[int] | None = None, *, positive: str = "high-five"
) -> list[CalibrationSession]:
    """A project's stored sessions, with their ``positive`` event marks (a session with marks)
    or labelled ``positive`` windows (one without) as their events.

    Without ``ids``: every stored session that holds at least one mark or labelled window (a
    session nobody labelled says nothing about what happened in it). Unlabelled motions inside
    a session count as "no event": mark or label the session's events before calibrating on it.
    """
    windows = project.windows.all()
    wanted = list(ids) if ids is not None else project.sessions.ids()
    labelled = {w.session_id for w in windows if w.label is not None and w.t0 is not None}
    marked: dict[int, list[float]] = {}
    for mark in project.marks.all():
        events = marked.setdefault(mark.session_id, [])
        if mark.kind == "event" and mark.label == positive:
            events.append(float(mark.at))
    out = []
    for sid in wanted:
        if ids is None and sid not in labelled and sid not in marked:
            continue
        record = project.sessions.get(sid)  # ValueError naming the session when it does not exist
        out.append(
            CalibrationSession(
                t=np.asarray(record.t, dtype=float),
                xyz=np.asarray(record.xyz, dtype=np.float32),
                rate_hz=float(record.rate_hz),
                event_times=tuple(
                    sorted(marked[sid])
                    if sid in marked
                    else labelled_event_times(windows, session_id=sid, positive=positive)
                ),
                name=f"session {sid}",
            )
        )
    return out


def sessions_for(
    project: Project,
    *,
    session_ids: Iterable[int] | None = None,
    simulate: int | None = None,
    rate_hz: float = 50.0,
    positive: str = "high-five",
    seconds: float = 150.0,
) -> tuple[list[CalibrationSession], str]:
    """The sessions to calibrate on, and a few words saying what they are.

    ``session_ids``: those stored sessions; ``simulate``: that many simulated ones; neither:
    the project's stored sessions with labelled windows when it has some, else two simulated.
    """
    if session_ids is not None and simulate is not None:
        raise ValueError("give session ids or a number of simulated sessions, not both")
    if simulate is None:
        stored = project_sessions(project, session_ids, positive=positive)
        if stored:
            events = sum(len(s.event_times) for s in stored)
            names = ", ".join(str(s.name).removeprefix("session ") for s in stored)
            return (
                stored,
                f"recorded session{'s' if len(stored) > 1 else ''} {names} ({events} events)",
            )
        if session_ids is not None:
            raise ValueError("no stored sessions to calibrate on")
        simulate = 2
    sims = simulated_sessions(simulate, seconds=seconds, rate_hz=rate_hz, positive=positive)
    return sims, f"{simulate} simulated session{'s' if simulate > 1 else ''}"
