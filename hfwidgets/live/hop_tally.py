"""`HopTally`: what a live classifier measured about itself, for `LiveClassifier.stats`.

Hops classified and skipped, each hop's latency and each inference call's duration, and which
clock the latency starts on. Thread-safe: the worker writes, any thread reads.
"""

from __future__ import annotations

import threading
from collections import deque

import numpy as np
from numpy.typing import NDArray

from hfwidgets.live.classifier_events import LiveStats

__all__ = ["HopTally"]

# Sample timestamps within this many seconds of time.monotonic() are taken to be on that clock.
_MONOTONIC_SLACK_S = 1.0


class HopTally:
    """Counters and latencies of a live classifier.

    Latency is measured from the arrival of a window's last sample to the moment its prediction
    is ready. Arrival is the sample's own timestamp when the source stamps samples with
    ``time.monotonic()`` (serial and real-time simulated sources do), otherwise the moment the
    worker first saw the sample: `arrivals` decides on the first hop (``clock``).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._latencies: deque[float] = deque(maxlen=100_000)
        self._infer_ms: deque[float] = deque(maxlen=10_000)
        self.hops = 0
        self.dropped = 0
        self.clock = "observed"
        self._sample_clock: bool | None = None  # decided on the first hop

    def arrivals(self, stamps: NDArray[np.float64], seen_at: float) -> NDArray[np.float64]:
        """When each hop's last sample arrived: its monotonic stamp, else ``seen_at``."""
        if self._sample_clock is None:
            self._sample_clock = abs(seen_at - float(stamps[-1])) < _MONOTONIC_SLACK_S
            self.clock = "sample" if self._sample_clock else "observed"
        return stamps if self._sample_clock else np.full(len(stamps), seen_at)

    def add_hop(self, latency_ms: float) -> None:
        """One hop classified, ``latency_ms`` after its last sample arrived."""
        with self._lock:
            self.hops += 1
            self._latencies.append(latency_ms)

    def add_dropped(self, n: int) -> None:
        """``n`` hops skipped (their samples were overwritten before they were classified)."""
        with self._lock:
            self.dropped += n

    def add_inference(self, ms: float) -> None:
        """One ``predict_proba`` call took ``ms`` milliseconds."""
        with self._lock:
            self._infer_ms.append(ms)

    def latencies(self) -> NDArray[np.float64]:
        """Latency of every hop so far, in milliseconds (a copy)."""
        with self._lock:
            return np.fromiter(self._latencies, dtype=float)

    def stats(self, *, events: int, hop_s: float, running: bool, error: str | None) -> LiveStats:
        """A frozen `LiveStats` of what was tallied so far."""
        with self._lock:
            lat = np.fromiter(self._latencies, dtype=float)
            inf = np.fromiter(self._infer_ms, dtype=float)
            hops, dropped = self.hops, self.dropped
        return LiveStats.measure(
            latencies_ms=lat,
            inference_ms=inf,
            hops=hops,
            events=events,
            dropped_hops=dropped,
            hop_s=hop_s,
            latency_clock=self.clock,
            running=running,
            error=error,
        )
