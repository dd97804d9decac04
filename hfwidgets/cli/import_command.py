"""``hfw import SRC --project DIR``: add recordings (generic layout or Arduino IMU CSVs)."""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

from hfwidgets.cli._parsers import Subparsers, project_command
from hfwidgets.errors import HfwError
from hfwidgets.store.arrays import check_rate_hz
from hfwidgets.store.importers import IMPORT_FORMATS, import_path
from hfwidgets.store.project import Project
from hfwidgets.store.schema import DB_NAME

__all__ = ["register"]


def _run(args: argparse.Namespace) -> int:
    folder = Path(args.project)
    try:
        check_rate_hz(args.project_rate, what="--project-rate")
    except ValueError as exc:
        raise HfwError(str(exc)) from None
    existed = (folder / DB_NAME).exists()
    folder_existed = folder.exists()
    # A new project gets only the classes it imports (not the default high-five/other).
    project = (
        Project.open(folder)
        if existed
        else Project.create(folder, classes=(), rate_hz=args.project_rate)
    )
    try:
        report = import_path(
            project, args.src, fmt=args.format, rate_hz=args.rate, label=args.label,
            window=args.window,
        )  # fmt: skip
    except (HfwError, ValueError) as exc:
        project.close()
        if not existed:  # leave no empty project behind a failed first import
            if folder_existed:
                for suffix in ("", "-wal", "-shm"):
                    (folder / (DB_NAME + suffix)).unlink(missing_ok=True)
            else:
                shutil.rmtree(folder, ignore_errors=True)
        raise HfwError(str(exc)) from exc
    project.close()
    if args.json:
        print(json.dumps({"project": str(folder), **report.to_dict()}))
        return 0
    labels = ", ".join(f"{k} {v}" for k, v in sorted(report.per_label.items())) or "none"
    print(
        f"imported {len(report.window_ids)} windows from {report.files} files into {folder} "
        f"({labels}); {report.duplicates} duplicates skipped"
    )
    if report.source_rate_hz != report.rate_hz:
        print(f"resampled {report.source_rate_hz:g} Hz -> {report.rate_hz:g} Hz")
    if report.new_classes and existed:
        print(f"new classes: {', '.join(report.new_classes)}")
    for item in report.skipped:
        print(f"warning: skipped {item}", file=sys.stderr)
    return 0


def register(subparsers: Subparsers) -> None:
    """Add the ``import`` subcommand."""
    parser = project_command(
        subparsers,
        "import",
        func=_run,
        help="import recordings into a project (created if missing)",
        description="Import DIR/<label>/*.csv (generic layout, optional DIR/meta.json with "
        "rate_hz) or Arduino IMU_Capture CSVs (fixed-length recordings back to back). "
        "Windows are resampled to the project rate; windows already present are skipped. "
        "A bad file stops the import before anything is stored.",
    )
    parser.add_argument("src", metavar="SRC", help="folder (generic) or CSV file/folder (arduino)")
    parser.add_argument(
        "--format", choices=IMPORT_FORMATS, default="auto",
        help="auto: generic for a folder of label folders, else arduino-imu",
    )  # fmt: skip
    parser.add_argument(
        "--rate", type=float, default=None, metavar="HZ",
        help="sample rate of the files (generic: overrides meta.json; arduino-imu: 119)",
    )  # fmt: skip
    parser.add_argument(
        "--label", default=None, metavar="NAME", help="arduino-imu: label (default: file stem)"
    )
    parser.add_argument(
        "--window", type=int, default=None, metavar="N",
        help="arduino-imu: samples per recording (default 119)",
    )  # fmt: skip
    parser.add_argument(
        "--project-rate", type=float, default=50.0, metavar="HZ",
        help="rate of a project created by this import (default 50)",
    )  # fmt: skip
    parser.add_argument("--json", action="store_true", help="print one JSON object")
