"""What a long recording's time column says: its rate, its gaps and where its rate changed.

Pure numpy. A recording is stored as it was sampled (never interpolated over a gap), so the
timeline and the import report can name every gap and rate change instead of hiding them.
"""

from __future__ import annotations

import itertools
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "GAP_FACTOR",
    "RATE_CHANGE",
    "Gap",
    "RateChange",
    "TimeFacts",
    "time_facts",
]

#: A step longer than this many typical steps is a gap (one lost sample at 50 Hz is one).
GAP_FACTOR = 1.5
#: A rate that differs from the one before by more than this fraction is a rate change.
RATE_CHANGE = 0.1


@dataclass(frozen=True)
class Gap:
    """Samples missing after ``at_s`` for ``seconds`` (the step to the next sample)."""

    at_s: float
    seconds: float
    line: int

    def describe(self) -> str:
        """``gap of 0.52 s after 12.30 s (line 617)``."""
        return f"gap of {self.seconds:.2f} s after {self.at_s:.2f} s (line {self.line})"


@dataclass(frozen=True)
class RateChange:
    """The sample rate changes from ``from_hz`` to ``to_hz`` at ``at_s``."""

    at_s: float
    from_hz: float
    to_hz: float
    line: int

    def describe(self) -> str:
        """``rate 50.0 Hz -> 25.0 Hz at 60.00 s (line 3001)``."""
        return (
            f"rate {self.from_hz:.1f} Hz -> {self.to_hz:.1f} Hz at {self.at_s:.2f} s "
            f"(line {self.line})"
        )


@dataclass(frozen=True)
class TimeFacts:
    """A recording's typical rate, its gaps and its rate changes (times 0-based, s)."""

    rate_hz: float
    gaps: tuple[Gap, ...]
    rate_changes: tuple[RateChange, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (what the session's ``meta`` keeps)."""
        return {
            "rate_hz": self.rate_hz,
            "gaps": [asdict(g) for g in self.gaps],
            "rate_changes": [asdict(c) for c in self.rate_changes],
        }


def _local_step(dt: NDArray[np.float64], k: int = 8) -> NDArray[np.float64]:
    """The typical step around each step: the larger of the medians of the ``k`` steps before
    and the ``k`` after (so the first step of a slower rate is not a gap, a lost sample is)."""
    if dt.size <= 2 * k:
        return np.full(dt.shape, float(np.median(dt)))
    pad = np.concatenate([np.full(k, dt[:k].mean()), dt, np.full(k, dt[-k:].mean())])
    runs = np.median(np.lib.stride_tricks.sliding_window_view(pad, k), axis=1)
    before, after = runs[: dt.size], runs[k + 1 : k + 1 + dt.size]
    return np.asarray(np.maximum(before, after), dtype=np.float64)


def _block_rate(t: NDArray[np.float64]) -> float:
    return float(1.0 / np.median(np.diff(t)))


def time_facts(
    t: NDArray[np.float64], lines: NDArray[np.int64], *, where: str, block_s: float = 2.0
) -> TimeFacts:
    """Check that time increases and name the gaps and rate changes of a recording.

    Parameters
    ----------
    t : array (n,)
        Sample times in seconds (0-based or not).
    lines : array (n,)
        The file line of each sample (for the messages).
    where : str
        The file, for the error message.
    block_s : float
        The stretch over which a rate is measured (a rate change shorter than this is not
        told apart from jitter).

    Raises
    ------
    ValueError
        When time does not increase from one sample to the next (naming the lines), or there
        are fewer than two samples.
    """
    if t.size < 2:
        raise ValueError(f"{where}: {t.size} sample(s); a recording needs at least two")
    dt = np.diff(t)
    bad = np.flatnonzero(dt <= 0)
    if bad.size:
        i = int(bad[0])
        raise ValueError(
            f"{where} line {lines[i + 1]}: time {t[i + 1]:g} does not come after {t[i]:g} "
            f"(line {lines[i]}); the time column must increase. Sort the rows by time or "
            "split the file where the clock was reset"
        )
    step = float(np.median(dt))
    gap_at = np.flatnonzero(dt > GAP_FACTOR * _local_step(dt))
    gaps = tuple(
        Gap(at_s=float(t[i] - t[0]), seconds=float(dt[i]), line=int(lines[i + 1])) for i in gap_at
    )
    changes: list[RateChange] = []
    block = max(8, round(block_s / step))
    edges = [0, *(int(i) + 1 for i in gap_at), t.size]  # rates are measured between gaps
    current: float | None = None
    for lo, hi in itertools.pairwise(edges):
        for start in range(lo, hi - 1, block):
            part = t[start : min(start + block + 1, hi)]
            if part.size < max(4, block // 2) and current is not None:
                continue  # a short tail says little about the rate
            rate = _block_rate(part)
            if current is not None and abs(rate - current) > RATE_CHANGE * current:
                changes.append(
                    RateChange(
                        at_s=float(t[start] - t[0]), from_hz=current, to_hz=rate,
                        line=int(lines[start]),
                    )
                )  # fmt: skip
            if current is None or abs(rate - current) > RATE_CHANGE * current:
                current = rate
    # Rounded: a millisecond clock gives 1 / 0.02 = 50.000000000001.
    return TimeFacts(rate_hz=round(1.0 / step, 6), gaps=gaps, rate_changes=tuple(changes))
