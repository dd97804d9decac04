"""A project's contents at a glance (``hfw info``, the workbench header)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from hfwidgets.store.project import Project
from hfwidgets.store.schema import SCHEMA_VERSION

__all__ = ["project_info"]


def project_info(project: Project) -> dict[str, Any]:
    """Summarise a project as a JSON-ready dict.

    Keys: ``path``, ``project_id``, ``schema_version``, ``rate_hz``, ``classes``, ``counts``
    (windows per class), ``unlabelled``, ``windows``, ``deleted`` (restorable), ``sessions``,
    ``splits`` (split name -> ``{"train": {class: n}, "val": {class: n}}``), ``runs`` (id,
    status, created_at) and ``checkpoints`` (file names present).
    """
    counts = project.windows.counts()
    unlabelled = project.windows.count_unlabelled()
    labels = {wid: lab for lab in counts for wid in project.windows.ids(label=lab)}
    splits: dict[str, dict[str, dict[str, int]]] = {}
    for name in project.splits.names():
        parts: dict[str, dict[str, int]] = {"train": defaultdict(int), "val": defaultdict(int)}
        for wid, part in project.splits.get(name).items():
            parts[part][labels.get(wid) or "(unlabelled)"] += 1
        splits[name] = {part: dict(by_class) for part, by_class in parts.items()}
    folder = project.path / "checkpoints"
    checkpoints = sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []
    return {
        "path": str(project.path),
        "project_id": project.project_id,
        "schema_version": SCHEMA_VERSION,
        "rate_hz": project.rate_hz,
        "classes": list(project.classes),
        "counts": counts,
        "unlabelled": unlabelled,
        "windows": sum(counts.values()) + unlabelled,
        "deleted": len(project.windows.deleted_ids()),
        "sessions": len(project.sessions.ids()),
        "splits": splits,
        "runs": [
            {
                "id": r.id,
                "status": r.status,
                "created_at": r.created_at,
                "accuracy": r.metrics.accuracy,
                "n": r.metrics.n,
                "accuracy_interval": list(i) if (i := r.metrics.accuracy_interval) else None,
                "chosen": r.metrics.chosen,
            }
            for r in project.runs.all()
        ],
        "checkpoints": checkpoints,
    }
