"""Windows whose class evidence sits at a known time and frequency, and the run trained on them.

Each class is a short wavelet-like burst (a Gaussian-windowed sine) on one axis at a time and
frequency of its own, added to noise; every window also carries a distractor burst shared by
all classes, which a faithful explanation must not point at. :func:`train_evidence_run` is the
one recipe of the run docs/explain.md measures, for the tests and ``bench/explain.py`` alike: a
project of :func:`evidence_windows` (12 per class, seed 0) and MobileNetV2 with its ImageNet
weights, only the head trained, 8 epochs at 224 x 224 without augmentation (seconds on one
thread).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hfwidgets.models import layer_groups
from hfwidgets.scalogram import ScalogramSettings
from hfwidgets.store import Project
from hfwidgets.training.config import TrainConfig
from hfwidgets.training.runner import train_project

__all__ = [
    "DISTRACTOR",
    "EVIDENCE",
    "EVIDENCE_3",
    "RATE_HZ",
    "WINDOW_S",
    "Burst",
    "EvidenceRun",
    "burst",
    "evidence_windows",
    "train_evidence_run",
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


@dataclass(frozen=True)
class EvidenceRun:
    """The project, its run, and each stored window's id and class (in the same order)."""

    project: Project
    run_id: int
    window_ids: list[int]
    labels: list[str]


def train_evidence_run(
    folder: str | Path,
    weights: str | Path,
    *,
    evidence: Mapping[str, Burst] = EVIDENCE,
    distractor: Burst | None = DISTRACTOR,
    threads: int = 1,
) -> EvidenceRun:
    """Create a project in ``folder`` of simulated ``evidence`` windows and train its run.

    Parameters
    ----------
    folder : str or Path
        Where the project is created (must not exist yet).
    weights : str or Path
        The MobileNetV2 ImageNet weights file.
    evidence : mapping of class name to Burst
        Each class's evidence, in class order.
    distractor : Burst or None
        The burst every window also carries.
    threads : int
        Torch threads for training.
    """
    windows, labels = evidence_windows(
        list(evidence.values()), per_class=12, distractor=distractor, seed=0, rate_hz=RATE_HZ
    )
    classes = list(evidence)
    project = Project.create(folder, classes=classes, rate_hz=RATE_HZ)
    ids = [
        project.windows.add(w, rate_hz=RATE_HZ, label=classes[label])
        for w, label in zip(windows, labels, strict=True)
    ]
    project.settings.set("scalogram", ScalogramSettings(size=(224, 224)).to_dict())
    config = TrainConfig(
        model="mobilenet_v2",
        weights=str(weights),
        frozen=tuple(layer_groups("mobilenet_v2")[:-1]),
        epochs=8,
        batch_size=8,
        lr=1e-2,
        num_threads=threads,
        baseline=False,
        seed=0,
        val_fraction=0.25,
        # The classes differ by WHEN (and at what frequency) a burst happens; the default
        # augmentation's time shift would teach the network to ignore exactly that.
        augment=False,
    )
    run_id = train_project(project, config)
    return EvidenceRun(project, run_id, ids, [classes[label] for label in labels])
