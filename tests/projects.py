"""Projects the tests build from windows in memory: one way to seed a labelled project."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from hfwidgets.store import Project

RATE_HZ = 50.0


def labelled_project(
    path: Path,
    windows: Iterable[np.ndarray],
    labels: Sequence[str],
    *,
    classes: Sequence[str] = ("high-five", "other"),
    size: int | None = 64,
) -> Project:
    """Create a project at ``path`` holding ``windows`` (50 Hz) with their ``labels``, in order.

    ``size`` is the scalogram's side in pixels (small keeps a test quick; None: the default).
    The window ids are ``project.windows.ids()``, in the order given.
    """
    project = Project.create(path, classes=tuple(classes))
    if size is not None:
        project.settings.set("scalogram", {"size": [size, size]})
    for data, label in zip(windows, labels, strict=True):
        project.windows.add(data, rate_hz=RATE_HZ, label=label)
    return project
