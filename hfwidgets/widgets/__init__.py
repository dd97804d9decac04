"""The widget kit: thin ipywidgets/bqplot views over the pure parts of hfwidgets.

Each widget works on its own in any notebook; :class:`Workbench` composes them for one project.
The notebook-facing widgets are importable from here (``from hfwidgets.widgets import
Workbench``). Importing this package imports all of them, with ipywidgets and bqplot, but not
torch: the widgets that train or predict import it when they do.
"""

from __future__ import annotations

from hfwidgets.widgets.data_map import DataMapView
from hfwidgets.widgets.freeze_checklist import FreezeChecklist
from hfwidgets.widgets.labeler import Labeler
from hfwidgets.widgets.live_counter import LiveCounter
from hfwidgets.widgets.live_plot import LivePlot
from hfwidgets.widgets.model_picker import ModelPicker
from hfwidgets.widgets.timeline import SessionTimeline
from hfwidgets.widgets.training_panel import TrainingPanel
from hfwidgets.widgets.web_serial import WebSerialPort
from hfwidgets.widgets.window_view import WindowView
from hfwidgets.widgets.workbench import Workbench

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
