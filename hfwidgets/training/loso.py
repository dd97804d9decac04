"""Leave-one-source-out folds for a project with few sessions/sources.

With a handful of sessions or import sources one held-out source is a figure about that source
only (three recorders: one held out gave 0.692 where unseen people gave 0.852). When a project
has between 2 and ``max_sources`` named groups, :func:`loso_folds` returns one fold per group,
each holding that group out, so the pooled figure uses every source once. Windows with no group
stay on the training side of every fold.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sklearn.model_selection import LeaveOneGroupOut

__all__ = ["DEFAULT_MAX_SOURCES", "loso_folds"]

#: Up to this many sessions/sources a run measures by leave-one-source-out by default.
DEFAULT_MAX_SOURCES = 6

Fold = tuple[NDArray[np.int64], NDArray[np.int64]]


def loso_folds(
    labels: NDArray[Any], groups: Sequence[str | None], *, max_sources: int = DEFAULT_MAX_SOURCES
) -> list[Fold] | None:
    """One ``(train, test)`` fold per named group, each holding that group out.

    ``None`` (keep the hold-out split) when there are fewer than 2 or more than ``max_sources``
    named groups (``max_sources=0``: never), or when some fold's training side would lack a
    class. Windows whose group is ``None`` are never held out.
    """
    labels = np.asarray(labels)
    if len(groups) != len(labels):
        raise ValueError(f"{len(labels)} labels but {len(groups)} groups")
    named = np.array([g is not None for g in groups], dtype=bool)
    names = sorted({g for g in groups if g is not None})
    if max_sources < 2 or not 2 <= len(names) <= max_sources:
        return None
    index = np.arange(len(labels), dtype=np.int64)
    codes = np.array([names.index(g) for g in groups if g is not None], dtype=np.int64)
    classes = np.unique(labels)
    folds: list[Fold] = []
    for _, test in LeaveOneGroupOut().split(index[named], groups=codes):
        held = index[named][test]
        train = np.setdiff1d(index, held)
        if len(np.unique(labels[train])) < len(classes):
            return None
        folds.append((train, np.sort(held)))
    return folds
