"""Debounced event counting over per-hop probabilities (pure: no threads, no clock).

A high-five lasts longer than one hop, so several consecutive hops see it with high confidence.
Counting every confident hop would count one motion three or four times. `EventCounter` counts
once per *run* of confident hops (hysteresis: the run only ends when the probability falls below
a lower release level) and additionally refuses a new count within ``min_gap_s`` of the last one.
Requiring ``consecutive`` confident hops in a row before counting trades a little delay for
fewer counts of a single stray confident hop (`hfwidgets.live.calibration` picks the setting).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Counted", "EventCounter"]


@dataclass(frozen=True)
class Counted:
    """One counted event.

    Attributes
    ----------
    t : float
        Time (source clock, seconds) of the hop that crossed the threshold: the timestamp of the
        last sample of its window.
    count : int
        Running count including this event.
    prob : float
        Probability of the positive class at that hop.
    index : int
        Absolute buffer index of that window's last sample (-1 when not known), e.g. to find
        the event in a replayed recording.
    """

    t: float
    count: int
    prob: float
    index: int = -1


class EventCounter:
    """Count events from a stream of ``(t, probability)`` pairs, once per confident run.

    Parameters
    ----------
    threshold : float
        A hop whose probability is at least this starts an event (0 < threshold <= 1).
    min_gap_s : float
        Minimum time between two counted events; a new run that starts sooner is ignored.
    release : float, optional
        The run ends when the probability drops below this level. Defaults to ``threshold - 0.2``
        (at least 0), so a probability flickering around the threshold does not count twice.
    consecutive : int
        Hops in a row at or above ``threshold`` needed to start a run (1: the first one does);
        the event is counted at the last of them.

    Examples
    --------
    >>> counter = EventCounter(threshold=0.8, min_gap_s=1.0)
    >>> [counter.update(t, p) is not None for t, p in [(0.0, 0.1), (0.2, 0.9), (0.4, 0.95)]]
    [False, True, False]
    >>> counter.count
    1
    """

    def __init__(
        self,
        *,
        threshold: float = 0.8,
        min_gap_s: float = 1.0,
        release: float | None = None,
        consecutive: int = 1,
    ) -> None:
        if min_gap_s < 0:
            raise ValueError(f"min_gap_s={min_gap_s!r} must be >= 0 seconds")
        if isinstance(consecutive, bool) or int(consecutive) != consecutive or consecutive < 1:
            raise ValueError(f"consecutive={consecutive!r} must be a whole number of hops >= 1")
        self.min_gap_s = float(min_gap_s)
        self.consecutive = int(consecutive)
        self.set_threshold(threshold, release=release)
        self.reset()

    def set_threshold(self, threshold: float, *, release: float | None = None) -> None:
        """Change the confidence that counts (e.g. from a slider) without losing the count.

        ``release`` defaults to ``threshold - 0.2`` (at least 0), as in the constructor.
        """
        if not 0.0 < threshold <= 1.0:
            raise ValueError(f"threshold={threshold!r} must be in (0, 1]; e.g. threshold=0.8")
        if release is None:
            release = max(threshold - 0.2, 0.0)
        if not 0.0 <= release <= threshold:
            raise ValueError(
                f"release={release!r} must lie in [0, threshold={threshold!r}]; it is the level "
                "below which a confident run ends"
            )
        self.threshold = float(threshold)
        self.release = float(release)

    @property
    def count(self) -> int:
        """Events counted since construction or the last `reset`."""
        return self._count

    @property
    def last_t(self) -> float | None:
        """Time of the last counted event, or None."""
        return self._last_t

    def reset(self) -> None:
        """Forget the count, the last event time and whether a run is in progress."""
        self._count = 0
        self._last_t: float | None = None
        self._in_run = False
        self._streak = 0  # confident hops in a row before a run starts

    def update(self, t: float, prob: float) -> Counted | None:
        """Feed one hop; return the new `Counted` event if this hop starts one, else None.

        Parameters
        ----------
        t : float
            Hop time in seconds; must not decrease between calls.
        prob : float
            Probability of the positive class at this hop.
        """
        if self._in_run:
            # Still inside the same motion until confidence clearly drops (hysteresis).
            if prob < self.release:
                self._in_run = False
            return None
        if prob < self.threshold:
            self._streak = 0
            return None
        self._streak += 1
        if self._streak < self.consecutive:
            return None
        self._streak = 0
        self._in_run = True
        if self._last_t is not None and t - self._last_t < self.min_gap_s:
            return None
        self._count += 1
        self._last_t = float(t)
        return Counted(t=float(t), count=self._count, prob=float(prob))
