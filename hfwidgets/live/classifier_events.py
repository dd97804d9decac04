"""Frozen events and summaries published by the live classifier, and its callback list."""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

__all__ = ["LiveStats", "Prediction", "summarize_latency"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Prediction:
    """Class probabilities of one hop.

    Attributes
    ----------
    t : float
        Timestamp of the window's last sample (source clock, seconds).
    probs : dict of str to float
        Probability per class.
    latency_ms : float
        From the arrival of the window's last sample to this prediction.
    index : int
        Absolute buffer index of the window's last sample.
    """

    t: float
    probs: dict[str, float]
    latency_ms: float
    index: int = -1

    @property
    def label(self) -> str:
        """The most probable class."""
        return max(self.probs, key=self.probs.__getitem__)


@dataclass(frozen=True)
class LiveStats:
    """Summary of a live run so far (see `LiveClassifier.stats`).

    ``keeps_up`` is True when no hop had to be skipped and the 95th percentile of one
    ``predict_proba`` call is shorter than the hop, i.e. inference keeps pace with the stream.
    ``latency_clock`` is ``"sample"`` when latency starts at the sample's own monotonic
    timestamp, ``"observed"`` when it starts when the worker first saw the sample.
    """

    hops: int
    events: int
    dropped_hops: int
    latency_ms_p50: float
    latency_ms_p95: float
    inference_ms_p95: float
    hop_ms: float
    keeps_up: bool
    latency_clock: str
    running: bool
    error: str | None

    @classmethod
    def measure(
        cls,
        *,
        latencies_ms: np.ndarray,
        inference_ms: np.ndarray,
        hop_s: float,
        dropped_hops: int,
        **rest: Any,
    ) -> LiveStats:
        """Summarise raw per-hop latencies and per-call inference times."""
        p50, p95 = summarize_latency(latencies_ms)
        inf_p95 = float(np.percentile(inference_ms, 95)) if inference_ms.size else float("nan")
        hop_ms = hop_s * 1000.0
        return cls(
            latency_ms_p50=p50,
            latency_ms_p95=p95,
            inference_ms_p95=inf_p95,
            hop_ms=hop_ms,
            dropped_hops=dropped_hops,
            keeps_up=dropped_hops == 0 and (not inference_ms.size or inf_p95 < hop_ms),
            **rest,
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain dict for JSON (NaN percentiles become None)."""
        out = asdict(self)
        for key, value in out.items():
            if isinstance(value, float) and not np.isfinite(value):
                out[key] = None
        return out


def summarize_latency(latencies_ms: np.ndarray) -> tuple[float, float]:
    """Median and 95th percentile in ms (NaN when there are none)."""
    if latencies_ms.size == 0:
        return float("nan"), float("nan")
    p50, p95 = np.percentile(latencies_ms, [50, 95])
    return float(p50), float(p95)
