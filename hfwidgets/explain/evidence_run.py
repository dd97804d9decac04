"""The trained run whose explanations docs/explain.md measures, made from simulated evidence.

One recipe for the tests and ``bench/explain.py``, so that both measure the same run: a project
of :func:`~hfwidgets.explain.evidence.evidence_windows` (12 per class, seed 0) and MobileNetV2
with its ImageNet weights, only the head trained, 8 epochs at 224 x 224 without augmentation
(seconds on one thread).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from hfwidgets.explain.evidence import DISTRACTOR, EVIDENCE, RATE_HZ, Burst, evidence_windows
from hfwidgets.models import layer_groups
from hfwidgets.scalogram import ScalogramSettings
from hfwidgets.store import Project
from hfwidgets.training.config import TrainConfig
from hfwidgets.training.runner import train_project

__all__ = ["EvidenceRun", "train_evidence_run"]


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
