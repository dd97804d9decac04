"""The project store: labelled windows, sessions, splits and runs in an SQLite folder.

See :class:`Project` for the database API, and :func:`import_generic`,
:func:`import_arduino_imu`, :func:`export_generic` and :func:`merge_projects` for moving data
in and out. Nothing here imports widgets.
"""

from __future__ import annotations

from hfwidgets.store.exporter import ExportReport, export_generic
from hfwidgets.store.importers import (
    ImportReport,
    import_arduino_imu,
    import_generic,
    import_path,
)
from hfwidgets.store.merge import MergeReport, merge_projects
from hfwidgets.store.project import DEFAULT_CLASSES, Project
from hfwidgets.store.records import LabelChange, RunRecord, SessionRecord, WindowRecord
from hfwidgets.store.schema import SCHEMA_VERSION

__all__ = [
    "DEFAULT_CLASSES",
    "SCHEMA_VERSION",
    "ExportReport",
    "ImportReport",
    "LabelChange",
    "MergeReport",
    "Project",
    "RunRecord",
    "SessionRecord",
    "WindowRecord",
    "export_generic",
    "import_arduino_imu",
    "import_generic",
    "import_path",
    "merge_projects",
]
