"""The widget kit: thin ipywidgets/bqplot views over the pure parts of hfwidgets.

Each widget works on its own in any notebook; :class:`Workbench` composes them for one project.
Imports are lazy so that ``import hfwidgets.widgets`` stays cheap (torch loads only with the
widgets that need it).
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = [
    "DataMapView",
    "FreezeChecklist",
    "Labeler",
    "LiveCounter",
    "LivePlot",
    "ModelPicker",
    "SessionTimeline",
    "TrainingPanel",
    "WebSerialPort",
    "WindowView",
    "Workbench",
]

_MODULES = {
    "DataMapView": "data_map",
    "FreezeChecklist": "freeze_checklist",
    "Labeler": "labeler",
    "LiveCounter": "live_counter",
    "LivePlot": "live_plot",
    "ModelPicker": "model_picker",
    "SessionTimeline": "timeline",
    "TrainingPanel": "training_panel",
    "WebSerialPort": "web_serial",
    "WindowView": "window_view",
    "Workbench": "workbench",
}


def __getattr__(name: str) -> Any:
    if name in _MODULES:
        module = importlib.import_module(f"hfwidgets.widgets.{_MODULES[name]}")
        return getattr(module, name)
    raise AttributeError(f"module 'hfwidgets.widgets' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
