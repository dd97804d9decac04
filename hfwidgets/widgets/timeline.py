"""SessionTimeline: a stored session's x, y, z over time, its marks as coloured regions and
lines, and marking with the mouse and keys (bqplot; every change stored at once).

What is drawn at each view is `hfwidgets.timeline.view_envelope`'s min/max envelope at the
plot's width (full resolution once zoomed in far enough), so an hour at 50 Hz pans as fast as a
minute. Modes: *pan/zoom* (drag and wheel: bqplot's PanZoom on the time axis), *mark region*
(drag an interval: BrushIntervalSelector) and *mark event* (a click, read by ipyevents); each
mark is stored with the current class (`project.marks.add`, windows cut with the project's
window length) when the mouse is released. Keys as in the labeller: digits and initials choose the
class, ``z`` undoes the session's newest mark, arrows pan, Enter labels the chosen candidate of
the run below (`hfwidgets.widgets.timeline_run.TimelineRun`).
"""

from __future__ import annotations

from typing import Any

import bqplot as bq
import ipywidgets as w
import numpy as np

from hfwidgets.store.marks import Mark
from hfwidgets.store.project import Project
from hfwidgets.timeline.envelope import Envelope
from hfwidgets.timeline.session_picture import AXIS_COLOURS, class_colour
from hfwidgets.widgets._html import esc
from hfwidgets.widgets.keys import KeyMap, attach_keys
from hfwidgets.widgets.timeline_layers import EnvelopeLines, MarkLayers
from hfwidgets.widgets.timeline_run import TimelineRun

__all__ = ["MODES", "SessionTimeline"]

MODES = ("pan/zoom", "mark region", "mark event")
# The labeller's keys that mean nothing on a timeline.
_NOT_HERE = ("discard", "delete")


def _key_help(keymap: KeyMap) -> str:
    text = keymap.describe()
    return (
        text.replace("prev", "pan back")
        .replace("next", "pan on")
        .replace("accept suggestion", "label the chosen candidate")
    )


class SessionTimeline(w.VBox):
    """A stored session on a timeline, marked with the mouse and keys.

    Parameters
    ----------
    project : hfwidgets.store.Project
        Where the sessions are and the marks go.
    session_id : int, optional
        The session shown first (default: the newest).
    columns : int
        Envelope bins across the plot, two points each (`EnvelopeLines`): 600 draws a point per
        pixel on a 1200-pixel plot (what each costs the browser: ``bench/timeline.py``).
    keyboard : bool
        Class keys, ``z`` and arrows over the widget (ipyevents).
    """

    def __init__(
        self, project: Project, *, session_id: int | None = None, columns: int = 600,
        keyboard: bool = True,
    ) -> None:  # fmt: skip
        self.project = project
        self.classes = tuple(project.classes)
        self.columns = int(columns)
        self.redraws = 0
        self._moving = False
        self.envelope: Envelope | None = None
        self.session_id: int | None = None
        self._t = np.zeros(0)
        self.xs = bq.LinearScale(min=0.0, max=1.0)
        self.ys = bq.LinearScale()
        scales = {"x": self.xs, "y": self.ys}
        self.trace_lines = EnvelopeLines(
            self.ys, channels=3, columns=self.columns, colors=list(AXIS_COLOURS), stroke_width=1
        )
        self.traces = self.trace_lines.lines
        self.layers = MarkLayers(self.classes, scales)
        self.regions, self.events = self.layers.regions, self.layers.events
        self.windows = self.layers.windows
        self.brush = bq.interacts.BrushIntervalSelector(scale=self.xs, color="#555")
        self.panzoom = bq.interacts.PanZoom(scales={"x": [self.xs]})
        self.figure = bq.Figure(
            marks=[*self.layers.marks, self.traces],
            axes=[
                bq.Axis(scale=self.xs, label="seconds"),
                bq.Axis(scale=self.ys, orientation="vertical", label="g"),
            ],
            interaction=self.panzoom, animation_duration=0,
            fig_margin={"top": 10, "bottom": 40, "left": 55, "right": 10},
            layout=w.Layout(width="100%", height="260px"),
        )  # fmt: skip
        self.session_menu = w.Dropdown(description="Session", options=[])
        self.reload_button = w.Button(icon="refresh", tooltip="Re-read sessions and runs")
        self.reload_button.layout = w.Layout(width="44px")
        self.class_buttons = w.ToggleButtons(options=self.classes, description="Class")
        self.mode_buttons = w.ToggleButtons(options=MODES, value=MODES[0])
        self.zoom_in, self.zoom_out = w.Button(description="+"), w.Button(description="−")
        self.left, self.right = w.Button(description="◀"), w.Button(description="▶")
        self.whole = w.Button(description="All")
        self.undo_button = w.Button(description="Undo mark", icon="undo")
        for b in (self.zoom_in, self.zoom_out, self.left, self.right, self.whole):
            b.layout = w.Layout(width="44px" if b is not self.whole else "auto")
        self.message = w.HTML()
        self.counts = w.HTML()
        self.run = TimelineRun(
            project, x_scale=self.xs, on_labelled=self._after_candidate, columns=self.columns
        )
        every = KeyMap.for_classes(self.classes).bindings
        self.keymap = KeyMap({k: a for k, a in every.items() if a not in _NOT_HERE})
        super().__init__(
            [
                w.HBox([self.session_menu, self.reload_button, self.counts]),
                w.HBox([self.class_buttons, self.mode_buttons]),
                self.figure,
                w.HBox(
                    [
                        self.zoom_out,
                        self.zoom_in,
                        self.left,
                        self.right,
                        self.whole,
                        self.undo_button,
                        self.message,
                    ]
                ),
                self.run,
                w.HTML(f"<small>Keys: {esc(_key_help(self.keymap))}</small>"),
            ]
        )
        self.add_class("hfw-timeline")
        self._wire()
        self.key_events = attach_keys(self, self.keymap, self.handle_key) if keyboard else None
        self.refresh_sessions(session_id)

    def _wire(self) -> None:
        self.session_menu.observe(lambda c: self.show_session(c["new"]), "value")
        self.mode_buttons.observe(lambda c: self._set_mode(c["new"]), "value")
        self.xs.observe(lambda _c: None if self._moving else self.redraw(), ["min", "max"])
        self.brush.observe(self._brushed, "brushing")
        # A click in event mode: the page's pointer position (ipyevents), turned into a time
        # on the axis (bqplot's IndexSelector follows the mouse until a second click instead).
        from ipyevents import Event

        self.click_events = Event(source=self.figure, watched_events=["click"])
        self.click_events.on_dom_event(self._clicked)
        self.zoom_in.on_click(lambda _b: self.zoom(0.5))
        self.zoom_out.on_click(lambda _b: self.zoom(2.0))
        self.left.on_click(lambda _b: self.pan(-0.5))
        self.right.on_click(lambda _b: self.pan(0.5))
        self.whole.on_click(lambda _b: self.set_view(*self.span))
        self.undo_button.on_click(lambda _b: self.undo())
        self.reload_button.on_click(lambda _b: self.reload())

    def reload(self) -> None:
        """Re-read the project's sessions and finished runs (new recordings, a run that ended)."""
        self.run.refresh_runs()
        self.refresh_sessions(self.session_id)

    # -- sessions and views ------------------------------------------------------------------

    def refresh_sessions(self, session_id: int | None = None) -> None:
        """Re-read the project's sessions into the menu (and show ``session_id`` or the newest)."""
        infos = self.project.sessions.infos()
        options = [(f"{i.id}: {i.duration_s:.0f} s, {i.source or 'session'}", i.id) for i in infos]
        self.session_menu.options = options
        if not infos:
            self.message.value = "No stored sessions yet: record one (hfw record) or import one."
            return
        wanted = session_id if session_id is not None else infos[-1].id
        if self.session_menu.value == wanted:
            self.show_session(wanted)
        else:
            self.session_menu.value = wanted  # shows it

    def show_session(self, session_id: int | None) -> None:
        """Load a session (its samples, marks and the run's view of it) and show all of it."""
        if session_id is None:
            return
        record = self.project.sessions.get(session_id)
        self.session_id = int(session_id)
        self._t = record.t
        self.trace_lines.show(record.t, record.xyz)
        if self._t.size:
            low, high = float(record.xyz.min()), float(record.xyz.max())
            pad = max(0.1, (high - low) * 0.05)
            self.ys.min, self.ys.max = low - pad, high + pad
        self.run.show_session(record)
        self.draw_marks()
        self.set_view(*self.span)

    @property
    def span(self) -> tuple[float, float]:
        """First and last sample time of the session shown."""
        if self._t.size < 2:
            return (0.0, 1.0)
        return (float(self._t[0]), float(self._t[-1]))

    @property
    def view(self) -> tuple[float, float]:
        """The stretch of time shown."""
        return (float(self.xs.min), float(self.xs.max))

    def set_view(self, start: float, end: float) -> None:
        """Show ``start`` to ``end`` (kept inside the session); one redraw."""
        first, last = self.span
        length = min(max(end - start, 1e-3), last - first)
        start = min(max(start, first), last - length)
        # One scale message (the page redraws once for min and max) and one envelope, not one
        # per trait the observer sees.
        self._moving = True
        try:
            with self.xs.hold_sync():
                self.xs.min, self.xs.max = float(start), float(start + length)
        finally:
            self._moving = False
        self.redraw()

    def zoom(self, factor: float) -> None:
        """Show ``factor`` times the current stretch around its middle (< 1 zooms in)."""
        start, end = self.view
        middle, half = (start + end) / 2, (end - start) * factor / 2
        self.set_view(middle - half, middle + half)

    def pan(self, fraction: float) -> None:
        """Move the view by ``fraction`` of its length (negative: back in time)."""
        start, end = self.view
        shift = (end - start) * fraction
        self.set_view(start + shift, end + shift)

    def redraw(self) -> Envelope | None:
        """Draw the envelope of the current view (what a pan or zoom triggers)."""
        if self._t.size < 2 or not self.xs.max > self.xs.min:
            return None
        env = self.trace_lines.draw(*self.view)
        self.run.draw_view(*self.view)
        self.envelope = env
        self.redraws += 1
        return env

    # -- marks -------------------------------------------------------------------------------

    @property
    def marks(self) -> list[Mark]:
        """The marks of the session shown, in time order."""
        return [] if self.session_id is None else self.project.marks.all(self.session_id)

    def draw_marks(self) -> None:
        """Redraw the marks and windows of the session shown, and the marks per class."""
        marks = self.marks
        spans = [] if self.session_id is None else self.project.windows.in_session(self.session_id)
        self.layers.draw(marks, spans, y_range=(self.ys.min, self.ys.max))
        per_class = {c: sum(m.label == c for m in marks) for c in self.classes}
        self.counts.value = "<small>" + " · ".join(
            f"<span style='color:{class_colour(self.classes, c)}'>■</span> {esc(c)} {n}"
            for c, n in per_class.items()
        ) + "</small>"  # fmt: skip
        self.run.update_marks(marks)

    def _store(
        self, *, at: float | None = None, start: float | None = None, end: float | None = None
    ) -> Mark | None:
        if self.session_id is None:
            self.message.value = "No session shown."
            return None
        label = str(self.class_buttons.value)
        try:
            mark: Mark = self.project.marks.add(
                self.session_id, label=label, at=at, start=start, end=end
            )
        except ValueError as exc:
            self.message.value = f"<span style='color:#a00'>{esc(exc)}</span>"
            return None
        self.message.value = (
            f"Stored {esc(mark.kind)} {esc(label)} at {mark.start:.2f} s"
            f"{f' to {mark.end:.2f} s' if mark.kind == 'region' else ''}: "
            f"{len(mark.window_ids)} window(s)"
        )
        self.draw_marks()
        return mark

    def mark_region(self, start: float, end: float) -> Mark | None:
        """Store a region of the current class (what a brush release does)."""
        return self._store(start=float(start), end=float(end))

    def mark_event(self, at: float) -> Mark | None:
        """Store an event of the current class (what a click in event mode does)."""
        return self._store(at=float(at))

    def undo(self) -> Mark | None:
        """Take the session's newest mark back (its windows are deleted softly)."""
        if self.session_id is None:
            return None
        mark: Mark | None = self.project.marks.undo(self.session_id)
        self.message.value = (
            "Nothing to undo." if mark is None
            else f"Undid {esc(mark.kind)} {esc(mark.label)} at {mark.start:.2f} s"
        )  # fmt: skip
        self.draw_marks()
        return mark

    def _set_mode(self, mode: str) -> None:
        interaction = {MODES[0]: self.panzoom, MODES[1]: self.brush, MODES[2]: None}
        self.figure.interaction = interaction[mode]

    def _brushed(self, change: dict[str, Any]) -> None:
        selected = self.brush.selected
        if change["new"] or selected is None or len(selected) != 2:
            return  # still dragging
        start, end = sorted(float(v) for v in selected)
        if end - start > 1e-3:
            self.mark_region(start, end)
        self.brush.selected = None

    def time_at(self, x_px: float, width_px: float) -> float | None:
        """The time under pixel ``x_px`` of the figure (``width_px`` wide); None off the plot."""
        margin = self.figure.fig_margin
        inner = width_px - margin["left"] - margin["right"]
        where = (x_px - margin["left"]) / inner if inner > 0 else -1.0
        if not 0.0 <= where <= 1.0:
            return None
        start, end = self.view
        return start + where * (end - start)

    def _clicked(self, event: dict[str, Any]) -> None:
        if self.mode_buttons.value != MODES[2]:
            return
        at = self.time_at(
            float(event.get("relativeX", -1)), float(event.get("boundingRectWidth", 0))
        )
        if at is not None:
            self.mark_event(at)

    def _after_candidate(self, mark: Mark) -> None:
        self.message.value = (
            f"Labelled the window {mark.start:.2f}-{mark.end:.2f} s as {esc(mark.label)}"
        )
        self.draw_marks()

    def handle_key(self, action: str) -> None:
        """The action of a key (``label:<class>`` chooses the class; see the module doc)."""
        if action.startswith("label:"):
            self.class_buttons.value = action.removeprefix("label:")
        elif action == "undo":
            self.undo()
        elif action in ("prev", "next"):
            self.pan(-0.5 if action == "prev" else 0.5)
        elif action == "accept":
            self.run.label_chosen()
