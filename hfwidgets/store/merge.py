"""Merge a teammate's project into this one, keeping provenance and skipping duplicates.

A window is a duplicate when its samples and rate are identical (same digest), e.g. both
teammates imported the same recordings. For a duplicate, an unlabelled copy here adopts the
teammate's label; two different labels are a conflict: ours is kept and the conflict reported.
Each new window records where it came from (``origin = "<their project id>:<their window id>"``,
or the origin it already had if the teammate merged it from someone else). Raw sessions behind
new windows come along, and so do the marks placed on them (an event or region with its class,
linked to the copied windows under their new ids): a mark comes along when at least one of its
windows is new here, so merging twice copies nothing twice. Splits and training runs stay behind
(they describe the other project's models). Everything happens in one transaction.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from hfwidgets.errors import HfwError
from hfwidgets.store.arrays import window_digest
from hfwidgets.store.project import Project

__all__ = ["MergeReport", "merge_projects"]


@dataclass(frozen=True)
class MergeReport:
    """What a merge did."""

    added: int
    duplicates: int
    labels_adopted: int
    conflicts: tuple[tuple[int, str, str], ...]  # (our window id, our label, their label)
    new_classes: tuple[str, ...]
    sessions_added: int
    marks_added: int

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        out = asdict(self)
        out["conflicts"] = [list(c) for c in self.conflicts]
        out["new_classes"] = list(self.new_classes)
        return out


def merge_projects(project: Project, other_path: str | os.PathLike[str]) -> MergeReport:
    """Copy the windows of the project at ``other_path`` that ``project`` lacks.

    Raises
    ------
    HfwError
        If ``other_path`` is not a project, or is this same project.
    """
    with Project.open(Path(other_path)) as other:
        if other.project_id == project.project_id:
            raise HfwError(
                f"{other_path}: is the same project as {project.path} (same project id); "
                "nothing to merge"
            )
        theirs = other.windows.all()
        their_classes = other.classes
        their_id = other.project_id
        session_ids = {w.session_id for w in theirs if w.session_id is not None}
        sessions = {sid: other.sessions.get(sid) for sid in sorted(session_ids)}
        their_marks = other.marks.all()

    ours_by_digest = project.windows.digests()
    new_classes = tuple(c for c in their_classes if c not in project.classes)
    added = duplicates = adopted = 0
    conflicts: list[tuple[int, str, str]] = []
    session_map: dict[int, int] = {}
    new_window_ids: dict[int, int] = {}  # their window id -> ours, for windows copied now
    with project.batch():
        for name in new_classes:
            project.add_class(name)
        for rec in theirs:
            digest = window_digest(rec.data, rec.rate_hz)
            if digest in ours_by_digest:
                duplicates += 1
                wid, our_label = ours_by_digest[digest]
                if rec.label is not None and our_label is None:
                    project.labels.set(wid, rec.label)
                    adopted += 1
                elif rec.label is not None and our_label != rec.label:
                    conflicts.append((wid, str(our_label), rec.label))
                continue
            session_id = None
            if rec.session_id is not None:
                if rec.session_id not in session_map:
                    s = sessions[rec.session_id]
                    session_map[rec.session_id] = project.sessions.add(
                        s.t, s.xyz, rate_hz=s.rate_hz, source=s.source
                    )
                session_id = session_map[rec.session_id]
            wid = project.windows.add(
                rec.data,
                rate_hz=rec.rate_hz,
                source=rec.source,
                t0=rec.t0,
                session_id=session_id,
                label=rec.label,
                origin=rec.origin or f"{their_id}:{rec.id}",
            )
            ours_by_digest[digest] = (wid, rec.label)
            new_window_ids[rec.id] = wid
            added += 1
        marks_added = 0
        for mark in their_marks:
            ours = [new_window_ids[w] for w in mark.window_ids if w in new_window_ids]
            if not ours or mark.session_id not in session_map:
                continue  # its windows (and so the mark's labels) are here already
            project.marks.adopt(
                session_map[mark.session_id],
                kind=mark.kind,
                start=mark.start,
                end=mark.end,
                label=mark.label,
                window_ids=ours,
                note=mark.note,
                created_at=mark.created_at,
            )
            marks_added += 1
    return MergeReport(
        added=added,
        duplicates=duplicates,
        labels_adopted=adopted,
        conflicts=tuple(conflicts),
        new_classes=new_classes,
        sessions_added=len(session_map),
        marks_added=marks_added,
    )
