"""Export a project's labelled windows in the generic layout (``DIR/<label>/<name>.csv``).

The files are written into a temporary sibling folder that is renamed into place at the end,
so an interrupted export never leaves a half-written dataset that looks complete.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from hfwidgets.errors import HfwError
from hfwidgets.resampling import resample_samples
from hfwidgets.store.csvfiles import write_samples_csv
from hfwidgets.store.project import Project

__all__ = ["ExportReport", "export_generic"]


@dataclass(frozen=True)
class ExportReport:
    """What an export wrote: files per label, unlabelled windows left out, the rate."""

    path: str
    files: int
    per_label: dict[str, int]
    unlabelled_skipped: int
    resampled: int
    rate_hz: float

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return asdict(self)


def _check_destination(dst: Path) -> None:
    if dst.exists() and (not dst.is_dir() or any(dst.iterdir())):
        raise HfwError(
            f"{dst}: already exists and is not an empty folder; export to a new folder "
            "(nothing was written)"
        )


def export_generic(project: Project, dst_dir: str | os.PathLike[str]) -> ExportReport:
    """Write every labelled window as ``DST/<label>/w<id>.csv`` plus ``DST/meta.json``.

    Windows at another rate than the project's are resampled to it, since ``meta.json`` holds
    one rate for the whole folder. Unlabelled windows are left out (and counted).
    Importing the result into a project at the same rate gives bit-identical windows.
    """
    dst = Path(dst_dir)
    _check_destination(dst)
    dst.parent.mkdir(parents=True, exist_ok=True)
    rate = project.rate_hz
    per_label: Counter[str] = Counter()
    resampled = 0
    tmp = Path(tempfile.mkdtemp(prefix=f".{dst.name}.", dir=dst.parent))
    try:
        tmp.chmod(0o755)  # mkdtemp makes it private; the dataset is meant to be shared
        for label in project.classes:
            (tmp / label).mkdir()
        for rec in project.windows.all():
            if rec.label is None:
                continue
            data = rec.data
            if rec.rate_hz != rate:
                data = resample_samples(data, from_hz=rec.rate_hz, to_hz=rate)
                resampled += 1
            folder = tmp / rec.label
            folder.mkdir(exist_ok=True)
            write_samples_csv(folder / f"w{rec.id:06d}.csv", data)
            per_label[rec.label] += 1
        for label in project.classes:  # the generic layout has no empty label folders
            if not per_label[label]:
                (tmp / label).rmdir()
        meta = {
            "rate_hz": rate,
            "classes": list(project.classes),
            "exported_from": project.project_id,
        }
        (tmp / "meta.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
        _check_destination(dst)  # someone may have written there meanwhile
        if dst.exists():
            dst.rmdir()
        tmp.rename(dst)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return ExportReport(
        path=str(dst),
        files=sum(per_label.values()),
        per_label=dict(per_label),
        unlabelled_skipped=project.windows.count_unlabelled(),
        resampled=resampled,
        rate_hz=rate,
    )
