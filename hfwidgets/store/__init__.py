"""The project store: labelled windows, sessions, splits and runs in an SQLite folder.

See :class:`Project` for the database API, and :func:`import_generic`,
:func:`import_arduino_imu`, :func:`export_generic` and :func:`merge_projects` for moving data
in and out. Nothing here imports widgets.
"""

from __future__ import annotations

from hfwidgets.store.project import DEFAULT_CLASSES, Project
from hfwidgets.store.records import LabelChange, RunRecord, SessionRecord, WindowRecord
from hfwidgets.store.schema import SCHEMA_VERSION

__all__ = [
    "DEFAULT_CLASSES",
    "SCHEMA_VERSION",
    "LabelChange",
    "Project",
    "RunRecord",
    "SessionRecord",
    "WindowRecord",
]
