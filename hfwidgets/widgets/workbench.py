"""Workbench: the whole job for one project, as tabs in the order of the work.

Capture & label → Model & freeze → Train → Live. It only composes the widgets and wires their
traits together; the choices (backbone, weights, frozen groups, training settings, threshold)
are stored in the project, so re-running the notebook reopens the project as it was.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import ipywidgets as w

from hfwidgets.widgets.capture import WindowCapture
from hfwidgets.widgets.freeze_checklist import FreezeChecklist
from hfwidgets.widgets.labeler import Labeler
from hfwidgets.widgets.live_counter import LiveCounter
from hfwidgets.widgets.live_plot import LivePlot
from hfwidgets.widgets.model_picker import ModelPicker
from hfwidgets.widgets.training_panel import TrainingPanel

__all__ = ["SETTINGS_KEY", "Workbench"]

log = logging.getLogger("hfwidgets.widgets")

SETTINGS_KEY = "workbench"  # project setting holding the Workbench's choices
SIMULATED = "simulated arm"
TAB_TITLES = ("Capture & label", "Model & freeze", "Train", "Live")
_FINAL_OK = ("completed", "finished")
_OPEN: dict[str, Workbench] = {}  # the open Workbench of each project folder


class Workbench(w.VBox):
    """Capture, label, choose and freeze a backbone, train and count live, for one project.

    Parameters
    ----------
    project
        A :class:`hfwidgets.store.Project`, or a folder path (opened, or created with
        ``classes`` and ``rate_hz``).
    source
        A live source; None starts a :class:`hfwidgets.sensors.SimulatedSource` and offers the
        serial ports the machine sees in a picker.
    classes, rate_hz
        Used only when ``project`` is a path that does not exist yet.
    weights
        Initial weights when the project has no stored choice; ``$HFW_WEIGHTS`` overrides it
        (``"none"``, ``"DEFAULT"`` or a state-dict path), which is how tests stay offline.
    thumbnail
        Render scalogram thumbnails in the labeler.
    """

    def __init__(
        self,
        project: Any,
        *,
        source: Any | None = None,
        classes: tuple[str, ...] = ("high-five", "other"),
        rate_hz: float = 50.0,
        weights: str | None = None,
        thumbnail: bool = True,
    ) -> None:
        if isinstance(project, str | os.PathLike):
            from hfwidgets.store import Project

            project = Project.open_or_create(Path(project), classes=classes, rate_hz=rate_hz)
        self.project = project
        # Re-running the notebook cell makes a new Workbench for the same project: the old one's
        # threads (source, plot, capture, bridges) and its serial port would otherwise live on.
        self._key = str(Path(project.path).resolve())
        previous = _OPEN.pop(self._key, None)
        if previous is not None:
            log.info("closing the earlier Workbench of %s", self._key)
            previous.close()
        state: dict[str, Any] = dict(project.get_setting(SETTINGS_KEY) or {})
        if source is None:
            from hfwidgets.sensors import SimulatedSource

            source = SimulatedSource(rate_hz=float(project.rate_hz))
        self.source = source

        self.plot = LivePlot(source, autostart=False)
        self.capture = WindowCapture(source)
        self.capture.on_window(self.plot.mark_window)
        self.labeler = Labeler(project, capture=self.capture, thumbnail=thumbnail, autostart=False)
        self.picker = ModelPicker(state.get("model", "mobilenet_v2"))
        chosen_weights = os.environ.get("HFW_WEIGHTS") or state.get("weights") or weights
        if chosen_weights:
            self.picker.weights = _known_weights(self.picker, chosen_weights)
        self.checklist = FreezeChecklist(
            self.picker.value, frozen=state.get("frozen"), num_classes=len(project.classes)
        )
        self.training = TrainingPanel(
            project,
            model=self.picker.value,
            weights=self.picker.weights,
            frozen=self.checklist.frozen,
            labeler=self.labeler,
            **{k: state[k] for k in ("epochs", "batch_size", "lr", "val_fraction") if k in state},
        )
        self.live = LiveCounter(source, threshold=float(state.get("threshold", 0.8)))
        self._wire()
        self.port_picker = self._make_port_picker(source)
        self.tabs = w.Tab(
            children=[
                w.VBox([self.port_picker, self.plot, self.labeler]),
                w.VBox([self.picker, self.checklist]),
                self.training,
                self.live,
            ]
        )
        for i, title in enumerate(TAB_TITLES):
            self.tabs.set_title(i, title)
        header = w.HTML(
            f"<b>High-five workbench</b> · project <code>{project.path}</code> · "
            f"classes {', '.join(project.classes)}"
        )
        super().__init__([header, self.tabs])
        self.add_class("hfw-workbench")
        self._restore_last_run()
        _OPEN[self._key] = self
        self.start()

    # -- lifecycle ----------------------------------------------------------------------------
    def start(self) -> None:
        """Start streaming, capturing and drawing."""
        self.plot.start()
        self.labeler.start()

    def close(self) -> None:
        """Stop every thread (live counter, training, capture, plot, source) and close."""
        if _OPEN.get(getattr(self, "_key", "")) is self:
            del _OPEN[self._key]
        for part in ("live", "training", "picker", "checklist"):
            widget = getattr(self, part, None)  # absent when __init__ failed (then __del__)
            if widget is not None:
                widget.close()
        for part in ("capture", "source"):
            worker = getattr(self, part, None)
            if worker is not None:
                worker.stop()
        for part in ("plot", "labeler"):
            widget = getattr(self, part, None)
            if widget is not None:
                widget.close()
        super().close()

    def use_source(self, source: Any) -> None:
        """Switch every tab to ``source`` (the old one is stopped)."""
        self.live.stop()
        self.capture.stop()
        self.source.stop()
        self.source = source
        self.capture.on_window(self.plot.mark_window, remove=True)
        self.capture.on_window(self.labeler.add_window, remove=True)
        self.capture = WindowCapture(source)
        self.capture.on_window(self.plot.mark_window)
        self.capture.on_window(self.labeler.add_window)
        self.labeler.capture = self.capture
        self.labeler.source_name = type(source).__name__
        self.plot.paused = False  # a pause refers to the old source's buffer
        self.plot.source = source
        self.live.source = source
        self.plot.start()
        self.capture.start()

    # -- wiring -------------------------------------------------------------------------------
    def _wire(self) -> None:
        w.dlink((self.picker, "value"), (self.checklist, "backbone"))
        w.dlink((self.picker, "value"), (self.training, "model"))
        w.dlink((self.picker, "weights"), (self.training, "weights"))
        w.dlink((self.checklist, "frozen"), (self.training, "frozen"))
        for widget, names in (
            (self.picker, ["value", "weights"]),
            (self.checklist, ["frozen"]),
            (self.live, ["threshold"]),
        ):
            widget.observe(lambda _c: self._save_state(), names)
        for control in (
            self.training.epochs,
            self.training.batch_size,
            self.training.lr,
            self.training.val_fraction,
        ):
            control.observe(lambda _c: self._save_state(), "value")
        self.training.on_fit_end(self._after_training)
        # A confusion-matrix cell opens its windows in the labeler: bring its tab to the front.
        self.training.confusion.on_open(lambda _ids, _title: self._show_tab(0))

    def _show_tab(self, index: int) -> None:
        self.tabs.selected_index = index

    def _save_state(self) -> None:
        t = self.training
        self.project.set_setting(
            SETTINGS_KEY,
            {
                "model": self.picker.value,
                "weights": self.picker.weights,
                "frozen": list(self.checklist.frozen),
                "epochs": int(t.epochs.value),
                "batch_size": int(t.batch_size.value),
                "lr": float(t.lr.value),
                "val_fraction": float(t.val_fraction.value),
                "threshold": float(self.live.threshold),
            },
        )

    def _after_training(self, event: Any) -> None:
        if event.status in _FINAL_OK and event.run_id is not None:
            self._load_predictor(int(event.run_id))

    def _load_predictor(self, run_id: int) -> None:
        from hfwidgets.training import load_predictor

        self.live.set_predictor(load_predictor(self.project, run_id))

    def _restore_last_run(self) -> None:
        """Show the newest finished run's curves and matrix, and arm the live counter with it."""
        runs = [r for r in self.project.runs() if r.status in _FINAL_OK]
        if not runs:
            return
        run = max(runs, key=lambda r: r.id)
        self.training.run_id = run.id
        if run.metrics:
            self.training.show_metrics(run.metrics, run_id=run.id)
        try:
            self._load_predictor(run.id)
        except Exception as exc:  # e.g. the checkpoint file was not shared with the project
            log.warning("run %s of %s cannot be loaded for live counting: %s", run.id,
                        self.project.path, exc)  # fmt: skip

    def _make_port_picker(self, source: Any) -> w.Widget:
        """A dropdown of the simulated arm and the serial ports this kernel's machine sees."""
        dropdown = w.Dropdown(description="Sensor", options=[SIMULATED], value=SIMULATED)
        refresh = w.Button(icon="refresh", tooltip="Look for serial ports again")
        note = w.HTML()

        def fill(_b: Any = None) -> None:
            try:
                from hfwidgets.sensors.ports import list_ports

                ports = [p.device for p in list_ports()]
            except Exception as exc:  # no serial support: the simulated arm still works
                ports, note.value = [], f"<small>ports unavailable: {exc}</small>"
            dropdown.options = [SIMULATED, *ports]
            note.value = note.value or f"<small>{len(ports)} serial port(s) seen</small>"

        def choose(change: dict[str, Any]) -> None:
            if change["new"] == SIMULATED:
                from hfwidgets.sensors import SimulatedSource

                self.use_source(SimulatedSource(rate_hz=float(self.project.rate_hz)))
            else:
                from hfwidgets.sensors.serial_source import SerialSource

                self.use_source(SerialSource(change["new"], rate_hz=float(self.project.rate_hz)))

        refresh.on_click(fill)
        fill()
        if type(source).__name__ != "SimulatedSource":
            dropdown.disabled = True
            note.value = f"<small>source: {source!r}</small>"
        dropdown.observe(choose, "value")
        return w.HBox([dropdown, refresh, note])


def _known_weights(picker: ModelPicker, weights: str) -> str:
    """Add a path or keyword not among the picker's options, so it can be selected."""
    values = [v for _t, v in picker.weights_dropdown.options]
    if weights not in values:
        picker.weights_dropdown.options = [*picker.weights_dropdown.options, (weights, weights)]
    return weights
