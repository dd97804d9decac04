"""Windows whose class evidence sits at a known time and frequency: a check for explanations.

Each class is a short wavelet-like burst (a Gaussian-windowed sine) on one axis at a time and
frequency of its own, added to noise; every window also carries a distractor burst shared by
all classes, which a faithful explanation must not point at. Used by the tests and by
``bench/explain.py`` to measure how far a heat map's peak lies from the evidence.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = [
    "DISTRACTOR",
    "EVIDENCE",
    "EVIDENCE_3",
    "RATE_HZ",
    "WINDOW_S",
    "Burst",
    "burst",
    "evidence_windows",
]

RATE_HZ = 50.0
WINDOW_S = 1.5


@dataclass(frozen=True)
class Burst:
    """A burst of ``freq_hz`` on ``axis`` (0 x, 1 y, 2 z), centred at ``t_s`` seconds."""

    t_s: float
    freq_hz: float
    axis: int = 0
    amplitude_g: float = 1.5
    cycles: float = 3.0  # Gaussian envelope's width: about this many periods


#: The evidence docs/explain.md measures: class "x-early" is a 6 Hz burst on x at 0.35 s,
#: "z-late" the same burst on z at 1.1 s. Both have one frequency and strength: scalograms are
#: scaled by each window's peak, so evidence of unequal strength would make the distractor's
#: brightness differ by class, and a model would rightly use it (seen with 4 Hz vs 10 Hz).
EVIDENCE = {"x-early": Burst(0.35, 6.0, axis=0), "z-late": Burst(1.1, 6.0, axis=2)}
#: A 2.5 Hz burst on y at 0.75 s in every window of :data:`EVIDENCE`: no class's evidence.
DISTRACTOR = Burst(0.75, 2.5, axis=1)
#: Three classes: a "y-mid" class with the same burst on y at 0.75 s (used without distractor).
EVIDENCE_3 = {**EVIDENCE, "y-mid": Burst(0.75, 6.0, axis=1)}


def burst(spec: Burst, *, n: int, rate_hz: float) -> np.ndarray:
    """``[n]`` samples of one burst (g)."""
    t = np.arange(n) / rate_hz
    sigma = spec.cycles / spec.freq_hz / 4.0
    envelope = np.exp(-0.5 * ((t - spec.t_s) / sigma) ** 2)
    wave = np.sin(2 * np.pi * spec.freq_hz * (t - spec.t_s))
    return np.asarray(spec.amplitude_g * envelope * wave, dtype=np.float32)


def evidence_windows(
    bursts: Sequence[Burst],
    *,
    per_class: int,
    window_s: float = WINDOW_S,
    rate_hz: float = RATE_HZ,
    distractor: Burst | None = None,
    noise_g: float = 0.05,
    jitter_s: float = 0.03,
    seed: int = 0,
) -> tuple[list[np.ndarray], list[int]]:
    """``per_class`` windows of each class ``i`` carrying ``bursts[i]``; labels are indices.

    Each window has gravity on z, white noise of ``noise_g``, its class's burst moved by up to
    ``jitter_s`` and scaled by 0.8-1.2, and the ``distractor`` (if any) at a random strength.
    """
    rng = np.random.default_rng(seed)
    n = round(window_s * rate_hz)
    windows, labels = [], []
    for _ in range(per_class):
        for label, spec in enumerate(bursts):
            xyz = rng.normal(0.0, noise_g, (n, 3)).astype(np.float32)
            xyz[:, 2] += 1.0
            moved = Burst(
                spec.t_s + rng.uniform(-jitter_s, jitter_s),
                spec.freq_hz,
                spec.axis,
                spec.amplitude_g * rng.uniform(0.8, 1.2),
                spec.cycles,
            )
            xyz[:, spec.axis] += burst(moved, n=n, rate_hz=rate_hz)
            if distractor is not None:
                strength = Burst(
                    distractor.t_s,
                    distractor.freq_hz,
                    distractor.axis,
                    distractor.amplitude_g * rng.uniform(0.6, 1.4),
                    distractor.cycles,
                )
                xyz[:, distractor.axis] += burst(strength, n=n, rate_hz=rate_hz)
            windows.append(xyz)
            labels.append(label)
    return windows, labels
