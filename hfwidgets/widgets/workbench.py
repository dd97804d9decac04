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
from hfwidgets.sensors.base import Source, source_label
from hfwidgets.store.project import Project
from hfwidgets.widgets._html import esc, esc_join
from hfwidgets.widgets._throttle import use_pump
from hfwidgets.widgets.data_map import DataMapView
from hfwidgets.widgets.freeze_checklist import FreezeChecklist
from hfwidgets.widgets.guide import Guide
from hfwidgets.widgets.keys import attach_keys
from hfwidgets.widgets.labeler import Labeler
from hfwidgets.widgets.live_counter import LiveCounter
from hfwidgets.widgets.live_plot import LivePlot
from hfwidgets.widgets.run_list import RunList
from hfwidgets.widgets.sensor_menu import BROWSER, SIMULATED, SensorMenu
from hfwidgets.widgets.training_panel import TrainingPanel
from hfwidgets.widgets.workbench_choices import (
    SETTINGS_KEY,
    TRAINING_CHOICES,
    choices_of,
    follow_classes,
    make_model_picker,
)
from hfwidgets.widgets.workbench_runs import RunFollower
from hfwidgets.widgets.workbench_view import BringIntoView

__all__ = ["BROWSER", "SETTINGS_KEY", "SIMULATED", "Workbench"]

log = logging.getLogger("hfwidgets.widgets")

DEFAULT_CLASSES = ("high-five", "other")
TAB_TITLES = ("Capture & label", "Model & freeze", "Train", "Live")
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
        project: Project | str | os.PathLike[str],
        *,
        source: Source | None = None,
        classes: tuple[str, ...] | None = None,
        rate_hz: float = 50.0,
        weights: str | None = None,
        thumbnail: bool = True,
    ) -> None:
        if isinstance(project, str | os.PathLike):
            project = Project.open_or_create(
                Path(project), classes=tuple(classes or DEFAULT_CLASSES), rate_hz=rate_hz
            )
        classes_note = follow_classes(project, classes)
        self.project = project
        # Re-running the notebook cell makes a new Workbench for the same project: the old one's
        # threads (source, plot, capture, bridges) and its serial port would otherwise live on.
        self._key = str(Path(project.path).resolve())
        previous = _OPEN.pop(self._key, None)
        if previous is not None:
            log.info("closing the earlier Workbench of %s", self._key)
            previous.close()
        state: dict[str, Any] = dict(project.settings.get(SETTINGS_KEY) or {})
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
            self.picker = make_model_picker(state, weights)
            self.checklist = FreezeChecklist(
                self.picker.value, frozen=state.get("frozen"), num_classes=len(project.classes)
            )
            self.training = TrainingPanel(
                project,
                model=self.picker.value,
                weights=self.picker.weights,
                frozen=self.checklist.frozen,
                labeler=self.labeler,
                **{k: state[k] for k in TRAINING_CHOICES if k in state},
            )
            self.live = LiveCounter(
                source, threshold=float(state.get("threshold", 0.8)), project=project
            )
        self.guide = Guide(project)
        self.runs = RunList(project)
        self.data_map = DataMapView(project, model=self.picker.value, weights=self.picker.weights)
        self.follower = RunFollower(
            project, training=self.training, runs=self.runs, live=self.live,
            labeler=self.labeler, data_map=self.data_map, picker=self.picker,
        )  # fmt: skip
        self.live_note = self.follower.note
        self._wire()
        self.port_picker = self._make_sensor_menu(source)
        self.capture_area = w.VBox([self.port_picker, self.plot, self.labeler, self.guide])
        self.capture_area.add_class("hfw-capture-area")
        # Label keys work over the plot and the buttons too, and never reach JupyterLab (whose
        # command mode would cut the cell on `x`): ipyevents stops them at this container.
        self.key_events = attach_keys(
            self.capture_area, self.labeler.keymap, self.labeler.handle_key
        )
        timeline = self._make_timeline_fold()
        # A tab's page gets its widgets when the tab is first shown: the front end draws a
        # bqplot figure at the size of its container, and a hidden tab has none (each figure
        # there logged "<rect> attribute width: A negative value is not valid").
        self._unshown: dict[int, list[w.Widget]] = {
            1: [self.picker, self.checklist],
            # Under the panel, where a person looks when a run ends: the data map of that
            # run, then the run list with it among the others.
            2: [self.training, self.data_map, self.runs],
            3: [self.live_note, self.live],
        }
        capture = w.VBox([self.capture_area, timeline])
        self.tabs = w.Tab(children=[capture, *(w.VBox() for _ in self._unshown)])
        for i, title in enumerate(TAB_TITLES):
            self.tabs.set_title(i, title)
        self.tabs.observe(lambda change: self._fill_tab(change["new"]), "selected_index")
        warn = f"<br><span style='color:#a00'>{esc(classes_note)}</span>" if classes_note else ""
        header = w.HTML(
            f"<b>High-five workbench</b> · project <code>{esc(project.path)}</code> · "
            f"classes {esc_join(project.classes)}{warn}"
        )
        # After Run All Cells the notebook scrolls to the workbench once it is drawn.
        self.into_view = BringIntoView()
        super().__init__([header, self.tabs, self.into_view])
        self.add_class("hfw-workbench")
        self.follower.restore_last_run()
        _OPEN[self._key] = self
        self.start()

    def _make_timeline_fold(self) -> w.Accordion:
        """The folded timeline of a stored session, its figures drawn when first opened."""
        from hfwidgets.widgets.timeline import SessionTimeline

        # Beside review: a stored session's timeline (marks, regions, a run's mistakes), folded;
        # its figures join the page when the fold is first opened (as a tab's do, below).
        self.timeline = SessionTimeline(self.project)
        timeline = w.Accordion([w.VBox()], titles=("Timeline of a stored session",))
        timeline.selected_index = None

        def open_timeline(change: dict[str, object]) -> None:
            if change["new"] is not None and not timeline.children[0].children:
                timeline.children[0].children = [self.timeline]

        timeline.observe(open_timeline, "selected_index")
        return timeline

    # -- lifecycle ----------------------------------------------------------------------------
    def start(self) -> None:
        """Start streaming and drawing; capturing starts when the person presses *Start
        capturing* (or code calls ``labeler.start_capture()``), so nothing piles up unasked."""
        self.plot.start()
        self.labeler.start(capture=False)

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
        for part in ("plot", "labeler", "key_events", "port_picker", "into_view"):
            widget = getattr(self, part, None)
            if widget is not None:
                widget.close()
        pump = getattr(self, "pump", None)
        if pump is not None:
            pump.stop()
        super().close()

    def use_source(self, source: Source) -> None:
        """Switch every tab to ``source`` (the old one is stopped).

        Live counting that was on goes on with the new source (the count carries on): a person
        who switches sensors while counting has not asked it to stop.
        """
        counting = bool(self.live.running)
        capturing = self.labeler.capturing
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
        self.labeler.source_name = source_label(source)
        self.plot.paused = False  # a pause refers to the old source's buffer
        self.plot.clear_marks()  # and its shaded windows to the old source's trace
        self.plot.source = source
        self.live.source = source
        self.plot.start()
        if capturing:  # a person who paused (or never started) has not asked for windows
            self.labeler.start_capture()
        menu = getattr(self, "port_picker", None)  # absent while __init__ builds it
        if menu is not None:
            menu.follow(source)
        if counting:
            self.live.start()

    def _save_state(self) -> None:
        choices = choices_of(
            picker=self.picker, checklist=self.checklist, training=self.training, live=self.live
        )
        self.project.settings.set(SETTINGS_KEY, choices)

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
        # A confusion-matrix cell opens its windows in the labeler: bring its tab to the front.
        self.training.confusion.on_open(lambda _ids, _title: self._show_tab(0))
        # A point of the data map opens its window in the labeler; the map's pass over every
        # window gives review its suggestions (order: least confident first).
        self.data_map.on_open(self._open_windows)
        self.data_map.on_suggestions(self.labeler.set_suggestions)
        self.picker.observe(lambda _c: self._map_backbone(), ["value", "weights"])
        # Counts move with every label: the guide and the Train tab's plan follow them.
        counts = getattr(self.labeler, "counts_html", None)
        if counts is not None:
            counts.observe(lambda _c: self._counts_changed(), "value")

    def _counts_changed(self) -> None:
        self.guide.refresh()
        self.training.refresh_plan()

    def _show_tab(self, index: int) -> None:
        self.tabs.selected_index = index

    def _fill_tab(self, index: int | None) -> None:
        """Give tab ``index`` its widgets the first time it is shown (see ``_unshown``)."""
        contents = self._unshown.pop(index, None) if index is not None else None
        if index is not None and contents is not None:
            self.tabs.children[index].children = contents

    def _open_windows(self, ids: list[int], title: str) -> None:
        self.labeler.show_windows(ids, title=title)
        self._show_tab(0)

    def _map_backbone(self) -> None:
        self.data_map.model, self.data_map.weights = self.picker.value, self.picker.weights

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

    # -- sensor choice (widgets.sensor_menu) --------------------------------------------------
    def _make_sensor_menu(self, source: Source) -> SensorMenu:
        """The Sensor menu; its parts stay reachable under their earlier names."""
        menu = SensorMenu(
            source,
            rate_hz=float(self.project.rate_hz),
            switch=self.use_source,
            current=lambda: self.source,
            renamed=self._name_windows_after,
            pump=self.pump,
        )
        self.sensor_dropdown, self.sensor_refresh = menu.dropdown, menu.refresh_button
        self.sensor_note, self.web_serial = menu.note, menu.web_serial
        return menu

    def refresh_ports(self) -> list[str]:
        """List the serial ports again (as the status bar does); returns their paths."""
        return self.port_picker.refresh_ports()

    def choose_sensor(self, name: str) -> bool:
        """Read from ``name`` (a port, or ``"simulated arm"``) in every tab; False if it fails.

        The port is opened before the current source is stopped, so a port that cannot be
        opened leaves the workbench streaming as before and says why. A port that opens but
        sends nothing shows in the plot's readout after ``SILENT_AFTER_S`` seconds.
        """
        return self.port_picker.choose(name)

    def _name_windows_after(self, source: Source) -> None:
        if self.source is source:
            self.labeler.source_name = source_label(source)

    def check_sensor(self, now: float | None = None) -> Any:
        """Look at the source now (the plot does so twice a second); returns its health."""
        return self.plot.check_source(now)
