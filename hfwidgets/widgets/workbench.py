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

from hfwidgets._worker import Pump
from hfwidgets.capture import WindowCapture
from hfwidgets.sensors.browser_serial import BrowserSerialSource
from hfwidgets.widgets._html import esc, esc_join
from hfwidgets.widgets._throttle import use_pump
from hfwidgets.widgets.data_map import DataMapView
from hfwidgets.widgets.freeze_checklist import FreezeChecklist
from hfwidgets.widgets.guide import Guide
from hfwidgets.widgets.keys import attach_keys
from hfwidgets.widgets.labeler import Labeler, window_source
from hfwidgets.widgets.live_counter import LiveCounter
from hfwidgets.widgets.live_plot import LivePlot
from hfwidgets.widgets.model_picker import ModelPicker, weights_advice
from hfwidgets.widgets.run_list import RunList
from hfwidgets.widgets.source_watch import SILENT_AFTER_S, source_name
from hfwidgets.widgets.training_panel import TrainingPanel
from hfwidgets.widgets.web_serial import WebSerialPort

__all__ = ["SETTINGS_KEY", "Workbench"]

log = logging.getLogger("hfwidgets.widgets")

SETTINGS_KEY = "workbench"  # project setting holding the Workbench's choices
DEFAULT_CLASSES = ("high-five", "other")
SIMULATED = "simulated arm"
BROWSER = BrowserSerialSource.DISPLAY_NAME  # the sensor on the person's computer (Web Serial)
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
    classes
        The classes of a new project (default ``("high-five", "other")``). For a project that
        exists, a list holding all its classes plus new ones adds the new ones (a button
        each); a list that leaves one out changes nothing and the header says so (a class
        with labels is never renamed or dropped from code).
    rate_hz
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
        classes: tuple[str, ...] | None = None,
        rate_hz: float = 50.0,
        weights: str | None = None,
        thumbnail: bool = True,
    ) -> None:
        if isinstance(project, str | os.PathLike):
            from hfwidgets.store import Project

            project = Project.open_or_create(
                Path(project), classes=tuple(classes or DEFAULT_CLASSES), rate_hz=rate_hz
            )
        classes_note = _follow_classes(project, classes)
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

        # One pump runs every periodic part of the bench (plot redraws, capture polls, each
        # widget's event batches): one sleeping thread instead of one per widget.
        self.pump = Pump(name="hfw-workbench")
        with use_pump(self.pump):
            # The plot's default range is the sensor's full range (the sketch's +/-8 g, or what
            # the board's header announces): a high-five's slap passes 4 g, so show it all.
            self.plot = LivePlot(source, autostart=False)
            self.capture = WindowCapture(source)
            self.capture.on_window(self.plot.mark_window)
            # Keys are caught over the whole capture area below, not by the labeler alone.
            self.labeler = Labeler(
                project,
                capture=self.capture,
                thumbnail=thumbnail,
                autostart=False,
                keyboard=False,
            )
            self.picker = _make_model_picker(state, weights)
            self.checklist = FreezeChecklist(
                self.picker.value, frozen=state.get("frozen"), num_classes=len(project.classes)
            )
            self.training = TrainingPanel(
                project,
                model=self.picker.value,
                weights=self.picker.weights,
                frozen=self.checklist.frozen,
                labeler=self.labeler,
                **{
                    k: state[k]
                    for k in ("epochs", "batch_size", "lr", "val_fraction")
                    if k in state
                },
            )
            self.live = LiveCounter(
                source, threshold=float(state.get("threshold", 0.8)), project=project
            )
        self.guide = Guide(project)
        self.runs = RunList(project)
        self.data_map = DataMapView(project, model=self.picker.value, weights=self.picker.weights)
        self.live_note = w.HTML("<small>No run counts live yet: train one (Train tab).</small>")
        self._live_run_id: int | None = None
        self._wire()
        self.port_picker = self._make_port_picker(source)
        self.capture_area = w.VBox([self.port_picker, self.plot, self.labeler, self.guide])
        self.capture_area.add_class("hfw-capture-area")
        # Label keys work over the plot and the buttons too, and never reach JupyterLab (whose
        # command mode would cut the cell on `x`): ipyevents stops them at this container.
        self.key_events = attach_keys(
            self.capture_area, self.labeler.keymap, self.labeler.handle_key
        )
        self.tabs = w.Tab(
            children=[
                self.capture_area,
                w.VBox([self.picker, self.checklist]),
                # Under the panel, where a person looks when a run ends: the data map of that
                # run, then the run list with it among the others.
                w.VBox([self.training, self.data_map, self.runs]),
                w.VBox([self.live_note, self.live]),
            ]
        )
        for i, title in enumerate(TAB_TITLES):
            self.tabs.set_title(i, title)
        warn = f"<br><span style='color:#a00'>{esc(classes_note)}</span>" if classes_note else ""
        header = w.HTML(
            f"<b>High-five workbench</b> · project <code>{esc(project.path)}</code> · "
            f"classes {esc_join(project.classes)}{warn}"
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
        self.capture.start(pump=self.pump)
        self.labeler.start()

    def close(self) -> None:
        """Stop every thread (live counter, training, capture, plot, source) and close."""
        if _OPEN.get(getattr(self, "_key", "")) is self:
            del _OPEN[self._key]
        for part in ("live", "training", "picker", "checklist", "data_map"):
            widget = getattr(self, part, None)  # absent when __init__ failed (then __del__)
            if widget is not None:
                widget.close()
        for part in ("capture", "source"):
            worker = getattr(self, part, None)
            if worker is not None:
                worker.stop()
        for part in ("plot", "labeler", "key_events", "web_serial"):
            widget = getattr(self, part, None)
            if widget is not None:
                widget.close()
        pump = getattr(self, "pump", None)
        if pump is not None:
            pump.stop()
        super().close()

    def use_source(self, source: Any) -> None:
        """Switch every tab to ``source`` (the old one is stopped).

        Live counting that was on goes on with the new source (the count carries on): a person
        who switches sensors while counting has not asked it to stop.
        """
        counting = bool(self.live.running)
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
        self.labeler.source_name = window_source(source)
        self.plot.paused = False  # a pause refers to the old source's buffer
        self.plot.clear_marks()  # and its shaded windows to the old source's trace
        self.plot.source = source
        self.live.source = source
        self.plot.start()
        self.capture.start(pump=self.pump)
        self._follow_web_serial(source)
        if counting:
            self.live.start()

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
        self.runs.on_use(self._load_predictor)
        # A point of the data map opens its window in the labeler; the map's pass over every
        # window gives review its suggestions (order: least confident first).
        self.data_map.on_open(self._open_windows)
        self.data_map.on_suggestions(self.labeler.set_suggestions)
        self.picker.observe(lambda _c: self._map_backbone(), ["value", "weights"])
        self.runs.on_delete(self._run_deleted)
        # Counts move with every label: the guide and the Train tab's plan follow them.
        counts = getattr(self.labeler, "counts_html", None)
        if counts is not None:
            counts.observe(lambda _c: self._counts_changed(), "value")

    def _counts_changed(self) -> None:
        self.guide.refresh()
        self.training.refresh_plan()

    def _run_deleted(self, run_id: int) -> None:
        if self._live_run_id == run_id:  # the live counter's run is gone: disarm it
            self.live.set_predictor(None)
            self.labeler.set_predictor(None)
            self.data_map.run_id = None
            self._live_run_id = None
            self.live_note.value = "<small>No run counts live: the run was deleted.</small>"

    def _show_tab(self, index: int) -> None:
        self.tabs.selected_index = index

    def _open_windows(self, ids: list[int], title: str) -> None:
        self.labeler.show_windows(ids, title=title)
        self._show_tab(0)

    def _map_backbone(self) -> None:
        self.data_map.model, self.data_map.weights = self.picker.value, self.picker.weights

    def _save_state(self) -> None:
        t = self.training
        self.project.set_setting(
            SETTINGS_KEY,
            {
                "model": self.picker.value,
                "weights": self.picker.weights,
                "weights_by_model": dict(self.picker.weights_by_backbone),
                "frozen": list(self.checklist.frozen),
                "epochs": int(t.epochs.value),
                "batch_size": int(t.batch_size.value),
                "lr": float(t.lr.value),
                "val_fraction": float(t.val_fraction.value),
                "threshold": float(self.live.threshold),
            },
        )

    def _after_training(self, event: Any) -> None:
        self.runs.refresh()
        if event.status in _FINAL_OK and event.run_id is not None:
            self._load_predictor(int(event.run_id))
            self.data_map.refresh(run_id=int(event.run_id))  # on a worker; drawn when done
        elif event.status == "failed":
            self._explain_weights_error(str(getattr(event, "error", "") or ""))

    def _explain_weights_error(self, error: str) -> None:
        """Replace the code-level weights hint of a failed run by the dropdown option to pick."""
        options = list(self.picker.weights_dropdown.options)
        advice = weights_advice(error, options, backbone=self.picker.value)
        if advice is not None:
            self.training.progress_html.value = (
                f"<small><span style='color:#a00'><b>Training failed:</b> {esc(advice)}"
                "</span></small>"
            )

    def _load_predictor(self, run_id: int) -> None:
        from hfwidgets.summary import summarize_run
        from hfwidgets.training import load_predictor

        predictor = load_predictor(self.project, run_id)
        self.live.set_predictor(predictor)
        self.labeler.set_predictor(predictor, run_id=run_id)  # suggestions: shown, never stored
        self.data_map.run_id = run_id
        self._live_run_id = run_id
        self.runs.live_run = run_id
        about = summarize_run(self.project, self.project.run(run_id))
        self.live_note.value = (
            f"<small>Counting with <b>run {run_id}</b> ({esc(about.settings_text())}; accuracy "
            f"{esc(about.accuracy_text())}) · pick another in the Train tab's run list</small>"
        )

    # -- sharing ------------------------------------------------------------------------------
    def summary(self, *, run_id: int | None = None) -> Any:
        """A static picture of the project (counts, runs, one run's matrix and curves).

        Its output is a PNG, so a notebook shows it without a kernel, untrusted, or exported
        with ``jupyter nbconvert --to html``; widgets need a running kernel or saved state.
        """
        from hfwidgets.summary import ProjectSummary

        return ProjectSummary(self.project, run_id=run_id)

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any] | None:
        # JupyterLab shows the widget when it can; an untrusted notebook, or one saved without
        # widget state, falls back to the picture and a readable line (not the raw repr).
        from hfwidgets.widgets._static import static_bundle

        picture = self.summary()
        return static_bundle(super()._repr_mimebundle_(**kwargs), picture.text(), png=picture.png())

    def _restore_last_run(self) -> None:
        """Show the newest finished run's curves and matrix, and arm the live counter with it."""
        runs = [r for r in self.project.runs() if r.status in _FINAL_OK]
        if not runs:
            return
        run = max(runs, key=lambda r: r.id)
        self.training.run_id = run.id
        self.runs.refresh()
        if run.metrics:
            self.training.show_metrics(run.metrics, run_id=run.id)
        try:
            self._load_predictor(run.id)
        except Exception as exc:  # e.g. the checkpoint file was not shared with the project
            log.warning("run %s of %s cannot be loaded for live counting: %s", run.id,
                        self.project.path, exc)  # fmt: skip

    # -- sensor choice ------------------------------------------------------------------------
    def _make_port_picker(self, source: Any) -> w.Widget:
        """The Sensor dropdown: the simulated arm and every port the server would list."""
        self.sensor_dropdown = w.Dropdown(
            description="Sensor", options=[SIMULATED], value=SIMULATED
        )
        self.sensor_refresh = w.Button(
            icon="refresh", tooltip="Look for serial ports again", layout=w.Layout(width="40px")
        )
        self.sensor_note = w.HTML()
        self._quiet = False  # set while the code (not a person) changes the dropdown
        # The browser's half of "USB sensor on this computer": shown while that is the source.
        self.web_serial = WebSerialPort(pump=self.pump)
        self.web_serial.layout.display = "none"
        self.web_serial.observe(lambda _c: self.refresh_ports(), "supported")
        self.refresh_ports()
        port = getattr(source, "port", None)
        if isinstance(source, BrowserSerialSource):
            self._select_sensor(BROWSER)
            self._follow_web_serial(source)
        elif port is not None:
            self._select_sensor(str(port))
        elif type(source).__name__ != "SimulatedSource":
            self.sensor_dropdown.disabled = True
            self.sensor_note.value = f"<small>source: {esc(repr(source))}</small>"
        self.sensor_refresh.on_click(lambda _b: self.refresh_ports())
        self.sensor_dropdown.observe(self._on_sensor_pick, "value")
        row = w.HBox([self.sensor_dropdown, self.sensor_refresh, self.sensor_note])
        return w.VBox([row, self.web_serial])

    def refresh_ports(self) -> list[str]:
        """List the serial ports again (as the status bar does); returns their paths."""
        from hfwidgets.server.ports import collect_ports_from_environ

        try:
            ports, warnings = collect_ports_from_environ()
        except Exception as exc:  # no serial support: the simulated arm still works
            ports, warnings = [], [f"ports unavailable: {exc}"]
        devices = [p.device for p in ports]
        options: list[tuple[str, str]] = [(SIMULATED, SIMULATED)]
        options += [(_port_text(p), p.device) for p in ports]
        unavailable = self.web_serial.supported is False
        options.append((f"{BROWSER} (not in this browser)" if unavailable else BROWSER, BROWSER))
        current = self.sensor_dropdown.value
        if current not in [v for _t, v in options]:  # the port in use stays listed
            options.append((f"{current} (not seen now)", current))
        self._quiet = True
        try:
            self.sensor_dropdown.options = options
            self.sensor_dropdown.value = current
        finally:
            self._quiet = False
        seen = (
            f"{len(devices)} serial port(s) seen"
            if devices
            else "no sensor port seen: plug in the board or run `hfw simulate-arduino`"
        )
        notes = "".join(f"<br>{esc(text)}" for text in warnings)
        self.sensor_note.value = f"<small>{esc(seen)}{notes}</small>"
        return devices

    def choose_sensor(self, name: str) -> bool:
        """Read from ``name`` (a port, or ``"simulated arm"``) in every tab; False if it fails.

        The port is opened before the current source is stopped, so a port that cannot be
        opened leaves the workbench streaming as before and says why. A port that opens but
        sends nothing shows in the plot's readout after ``SILENT_AFTER_S`` seconds.
        """
        if name == BROWSER:
            return self._choose_browser()
        if name == SIMULATED:
            from hfwidgets.sensors import SimulatedSource

            source: Any = SimulatedSource(rate_hz=float(self.project.rate_hz))
        else:
            from hfwidgets.sensors.serial_source import SerialSource

            source = SerialSource(name, rate_hz=float(self.project.rate_hz))
        try:
            source.start()
        except Exception as exc:  # a wrong or busy port: keep the current source
            self._select_sensor(_sensor_value(self.source))
            self.sensor_note.value = (
                f"<small><span style='color:#a00'>cannot read {esc(name)}: {esc(exc)}</span>"
                "</small>"
            )
            return False
        self.use_source(source)
        self._select_sensor(name)
        if name == SIMULATED:
            self.sensor_note.value = "<small>reading the simulated arm</small>"
        else:
            self.sensor_note.value = (
                f"<small>reading {esc(source_name(source))}; no data within "
                f"{SILENT_AFTER_S:g} s means a wrong port or baud rate</small>"
            )
        return True

    def _choose_browser(self) -> bool:
        """Read the sensor on the person's computer through the page (Web Serial)."""
        if self.web_serial.supported is False:  # Firefox, Safari, VS Code, plain http
            self._select_sensor(_sensor_value(self.source))
            self.web_serial.layout.display = None  # its text says why and what to do
            self.sensor_note.value = (
                f"<small><span style='color:#a00'>{esc(BROWSER)} cannot be read here: "
                f"{esc(self.web_serial.unsupported_reason)}</span></small>"
            )
            return False
        source = BrowserSerialSource(rate_hz=float(self.project.rate_hz))
        source.start()
        self.use_source(source)
        self._select_sensor(BROWSER)
        self.sensor_note.value = (
            f"<small>reading {esc(BROWSER)} through this browser: click “Connect USB "
            "sensor” below and pick its port</small>"
        )
        return True

    def _follow_web_serial(self, source: Any) -> None:
        """Show the connect button while the browser source is in use; else close its port."""
        web_serial = getattr(self, "web_serial", None)
        if web_serial is None:
            return
        browser = isinstance(source, BrowserSerialSource)
        web_serial.attach(source if browser else None)
        web_serial.layout.display = None if browser else "none"
        if browser:
            # The page names the port only when it opens it: captured windows store that name.
            source.on_status(lambda _status: self._name_windows_after(source))

    def _name_windows_after(self, source: BrowserSerialSource) -> None:
        if self.source is source:
            self.labeler.source_name = window_source(source)

    def check_sensor(self, now: float | None = None) -> Any:
        """Look at the source now (the plot does so twice a second); returns its health."""
        return self.plot.check_source(now)

    def _select_sensor(self, value: str) -> None:
        values = [v for _t, v in self.sensor_dropdown.options]
        self._quiet = True
        try:
            if value not in values:
                self.sensor_dropdown.options = [*self.sensor_dropdown.options, (value, value)]
            self.sensor_dropdown.value = value
        finally:
            self._quiet = False

    def _on_sensor_pick(self, change: dict[str, Any]) -> None:
        if not self._quiet and change["new"] is not None:
            self.choose_sensor(str(change["new"]))


def _follow_classes(project: Any, classes: tuple[str, ...] | None) -> str:
    """Add the classes ``classes`` names beyond the project's; what to tell when it cannot."""
    if classes is None or tuple(classes) == tuple(project.classes):
        return ""
    missing = [c for c in project.classes if c not in classes]
    if missing:
        return (
            f"classes={tuple(classes)!r} leaves out {', '.join(missing)}, which this project "
            "has: its classes are kept. To add a class, list every class and the new one."
        )
    for name in classes:
        project.add_class(name)  # ValueError naming the rule for a bad name
    return ""


def _sensor_value(source: Any) -> str:
    if isinstance(source, BrowserSerialSource):
        return BROWSER
    port = getattr(source, "port", None)
    return str(port) if port is not None else SIMULATED


def _port_text(port: Any) -> str:
    """``/dev/ttyACM0 (Arduino Uno)`` for the dropdown (option texts are not HTML)."""
    about = port.description or port.manufacturer
    return f"{port.device} ({about})" if about else str(port.device)


def _make_model_picker(state: dict[str, Any], weights: str | None) -> ModelPicker:
    """The picker with the project's remembered weights per backbone, and ``$HFW_WEIGHTS``.

    ``$HFW_WEIGHTS`` wins (it is how tests and offline machines choose): ``none``/``DEFAULT``
    apply to every backbone, a file to the backbone chosen now (shown by its file name, and
    not a second time when it is the built-in offline file).
    """
    model = str(state.get("model", "mobilenet_v2"))
    remembered = {str(k): str(v) for k, v in (state.get("weights_by_model") or {}).items()}
    if "weights" in state and model not in remembered:  # saved before per-backbone memory
        remembered[model] = str(state["weights"])
    env = os.environ.get("HFW_WEIGHTS", "").strip()
    keywords = {"none": "none", "default": "DEFAULT"}
    fallback = keywords.get((env or weights or "").lower())
    if env and fallback is not None:
        remembered = {}
    picker = ModelPicker(model, fallback_weights=fallback)
    for backbone, value in remembered.items():
        if backbone in picker.infos and value not in keywords.values() and Path(value).is_file():
            picker.add_weights_file(value, backbone=backbone)  # a file given earlier
    picker.weights_by_backbone.update({b: v for b, v in remembered.items() if b in picker.infos})
    offered = [v for _t, v in picker.weights_dropdown.options]
    if env:
        picker.choose_weights(env, origin="$HFW_WEIGHTS")
    elif remembered.get(model) in offered:
        picker.weights = remembered[model]
    elif weights:
        picker.choose_weights(weights)
    return picker
