"""`HopGrid`: where a live classifier's windows end on a source's absolute sample index.

The classifier follows ``source.buffer`` by sample index. The grid says which window ends are
due once ``total`` samples have arrived, how long to wait for the next one, and the stream time
of a sample index (what the counter debounces on). It follows the source's rate: a serial
source learns the board's rate from its header after the port opened, often after the
classifier was made, and from then on windows span ``window_s`` of the board's samples.

Pure: no threads or clocks; the classifier holds its lock around it.
"""

from __future__ import annotations

import logging

from hfwidgets.live.hop_windows import HopGeometry
from hfwidgets.resampling import prepare_resampling

__all__ = ["HopGrid"]

log = logging.getLogger(__name__)


class HopGrid:
    """Window ends every ``hop_s`` at ``source_rate``, each with ``window_s`` of history.

    Parameters
    ----------
    window_s, hop_s : float
        Window length and time between two window ends (seconds).
    source_rate, model_rate : float
        The source's rate now and the rate the model's windows are resampled to.
    """

    def __init__(
        self, *, window_s: float, hop_s: float, source_rate: float, model_rate: float
    ) -> None:
        self.window_s, self.hop_s, self.model_rate = float(window_s), float(hop_s), model_rate
        self.rate = float(source_rate)
        self.geo = HopGeometry.of(
            window_s=window_s, hop_s=hop_s, source_rate=source_rate, model_rate=model_rate
        )
        prepare_resampling(from_hz=self.rate, to_hz=model_rate)
        #: Index of the next window's last sample.
        self.next_end = self.geo.window_n - 1
        # Stream time of an index is t0 + (index - i0) / rate: continuous across a rate change.
        self._origin = (0, 0.0)

    def restart(self, total: int) -> None:
        """Begin with the next sample to arrive (``total`` arrived so far), with full history."""
        self.next_end = max(int(total), self.geo.window_n - 1)

    def follow(self, rate: float) -> bool:
        """Cut at ``rate`` from the next window on; True when it changed."""
        rate = float(rate)
        if rate == self.rate or not rate > 0:
            return False
        log.info("the source now runs at %g Hz (was %g Hz): windows follow", rate, self.rate)
        self._origin = (self.next_end, self.stream_time(self.next_end))
        self.rate = rate
        self.geo = HopGeometry.of(
            window_s=self.window_s,
            hop_s=self.hop_s,
            source_rate=rate,
            model_rate=self.model_rate,
        )
        self.next_end = max(self.next_end, self.geo.window_n - 1)
        prepare_resampling(from_hz=rate, to_hz=self.model_rate)
        return True

    def take_due(self, total: int, *, most: int) -> list[int]:
        """Ends of at most ``most`` windows whose samples have all arrived; the grid moves on."""
        ends = list(range(self.next_end, int(total), self.geo.hop_n))[:most]
        if ends:
            self.next_end = ends[-1] + self.geo.hop_n
        return ends

    def stream_time(self, index: int) -> float:
        """Seconds of stream at sample ``index`` (sample count over the rate, not arrival)."""
        i0, t0 = self._origin
        return t0 + (index - i0) / self.rate

    def poll_delay(self, total: int) -> float:
        """How long to sleep while the next window's samples are still missing.

        Sleep until they should be there at the nominal rate (no busy loop), but never longer
        than a quarter hop, in case the source runs faster than real time (a replay); once the
        last sample is due, poll every few milliseconds so latency stays low.
        """
        missing = self.next_end + 1 - int(total)
        fine = min(0.005, 0.25 / self.rate)
        due = max((missing - 1) / self.rate, 0.0)
        return min(due, self.hop_s / 4) + fine
