"""DataMapView: every stored window as a point (bqplot), coloured by label or by a run's verdict;
clicking a point opens that window, and the strongest outliers are ringed and listed.

A view over :func:`hfwidgets.datamap.build_data_map`. The map is computed on a worker thread
(a forward pass over every window: seconds for a few hundred) and drawn by the widget's event
bridge; ``refresh(wait=True)`` computes it on the calling thread (tests, scripts). With a run,
the same pass gives every window's suggestion, handed to ``on_suggestions`` listeners (the
Labeler's review order *least confident first*).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import bqplot as bq
import ipywidgets as w

from hfwidgets._callbacks import CallbackList
from hfwidgets._worker import Worker
from hfwidgets.datamap import (
    DataMap,
    MapPoint,
    legend,
    map_windows,
    point_colours,
)
from hfwidgets.store.project import Project
from hfwidgets.store.run_status import ended_well
from hfwidgets.widgets._close import close_widgets
from hfwidgets.widgets._html import esc
from hfwidgets.widgets._throttle import EventBridge

if TYPE_CHECKING:
    from hfwidgets.training.fit_events import FitEnded

__all__ = ["OUTLIERS_LISTED", "DataMapView"]

log = logging.getLogger("hfwidgets.widgets")

OUTLIERS_LISTED = 5  # ringed on the map and listed as buttons under it
OpenCallback = Callable[[list[int], str], object]


class DataMapView(w.VBox):
    """The data map of a project, for a run or the pretrained backbone.

    Parameters
    ----------
    project
        The :class:`hfwidgets.store.Project` whose windows are drawn.
    model, weights
        The backbone without a run (the Workbench passes the picker's choice).
    seed
        Seed of the 2-D layout.

    ``on_open(cb(window_ids, title))`` is called when a point or a listed outlier is clicked;
    ``on_suggestions(cb(suggestions))`` after a map of a run is drawn.
    """

    def __init__(
        self,
        project: Project,
        *,
        model: str = "mobilenet_v2",
        weights: str = "DEFAULT",
        seed: int = 0,
    ) -> None:
        self.project = project
        self.model = model
        self.weights = weights
        self.seed = seed
        self.run_id: int | None = None
        self.data_map: DataMap | None = None
        self.error = ""
        self._open = CallbackList("open")
        self._suggest = CallbackList("suggestions")
        self._worker: Worker | None = None
        self._lock = threading.Lock()
        self._generation = 0  # a newer request makes an older result stale

        self.colour_by = w.ToggleButtons(
            options=[("Label", "label"), ("Verdict", "verdict")],
            value="label",
            description="Colour by",
            style={"button_width": "80px"},
        )
        self.colour_by.observe(lambda _c: self._draw(), "value")
        self.refresh_button = w.Button(
            description="Draw map", icon="refresh", tooltip="Compute the map again"
        )
        self.refresh_button.on_click(lambda _b: self.refresh())
        self.status = w.HTML(
            "<small>The map of every window appears after training (or click Draw map).</small>"
        )
        self.hover = w.HTML()
        self.legend_html = w.HTML()
        self.outlier_buttons: list[w.Button] = []
        self._outlier_by_window: dict[int, w.Button] = {}  # kept while the window is listed
        self._outlier_head = w.HTML("<small><b>Farthest from their class</b></small>")
        self.outlier_box = w.VBox()

        sx, sy = bq.LinearScale(), bq.LinearScale()
        # The ring under the points: clicks land on the point drawn above it.
        self.rings = bq.Scatter(
            x=[], y=[], scales={"x": sx, "y": sy}, colors=["black"], default_size=160,
            fill=False, stroke="black", stroke_width=2.0,
        )  # fmt: skip
        # Each point is named by its window id (not drawn): a click carries that id, so a
        # click on a map redrawn meanwhile (a window deleted) cannot open another window.
        self.scatter = bq.Scatter(
            x=[], y=[], scales={"x": sx, "y": sy}, colors=["steelblue"], default_size=64,
            stroke="white", names=[], display_names=False,
        )  # fmt: skip
        self.scatter.on_element_click(self._on_click)
        self.scatter.on_hover(self._on_hover)
        axes = [
            bq.Axis(scale=sx, tick_format="0.0f", num_ticks=0),
            bq.Axis(scale=sy, orientation="vertical", tick_format="0.0f", num_ticks=0),
        ]
        self.figure = bq.Figure(
            marks=[self.rings, self.scatter],
            axes=axes,
            fig_margin={"top": 10, "bottom": 20, "left": 20, "right": 10},
            layout=w.Layout(width="640px", height="440px"),
            animation_duration=0,
        )
        self.figure.add_class("hfw-data-map-figure")
        self._bridge = EventBridge(self._apply, widgets=lambda: [self], name="hfw-data-map")
        super().__init__(
            [
                w.HTML("<b>Data map</b> · every window; click a point to open it"),
                w.HBox([self.colour_by, self.refresh_button]),
                self.status,
                w.HBox([self.figure, w.VBox([self.legend_html, self.outlier_box])]),
                self.hover,
            ]
        )
        self.add_class("hfw-data-map")

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any] | None:
        # Without a kernel the output still says what the map shows, and draws it as a PNG.
        from pathlib import Path

        from hfwidgets.datamap import render_data_map_png
        from hfwidgets.widgets._static import static_bundle

        name = Path(self.project.path).name
        if self.data_map is None:
            return static_bundle(
                super()._repr_mimebundle_(**kwargs), f"Data map of project {name}: not drawn yet"
            )
        return static_bundle(
            super()._repr_mimebundle_(**kwargs),
            f"Data map of project {name}: {self.data_map.describe()}",
            png=render_data_map_png(self.data_map, by=self.colour_by.value),
        )

    # -- listeners ----------------------------------------------------------------------------
    def on_open(self, callback: OpenCallback, remove: bool = False) -> None:
        """Register ``callback(window_ids, title)`` for a clicked point or listed outlier."""
        self._open.register(callback, remove=remove)

    def on_suggestions(self, callback: Callable[[list[Any]], object], remove: bool = False) -> None:
        """Register ``callback(suggestions)``, called after a map of a run is drawn."""
        self._suggest.register(callback, remove=remove)

    def follow(self, panel: Any) -> None:
        """Redraw the map with each run that ends well in ``panel`` (a TrainingPanel), on a
        worker: what the Workbench does, for a map shown beside a panel in any notebook."""

        def after(event: FitEnded) -> None:
            if ended_well(event.status) and event.run_id is not None:
                self.refresh(run_id=int(event.run_id))

        panel.on_fit_end(after)

    # -- computing ----------------------------------------------------------------------------
    def refresh(self, *, run_id: int | None = -1, wait: bool = False) -> DataMap | None:
        """Compute the map again (``run_id`` -1 keeps the current run; None: pretrained).

        With ``wait`` it is computed and drawn here and returned; otherwise on a worker thread,
        drawn when done (the status line says so meanwhile).
        """
        if run_id != -1:
            self.run_id = run_id
        with self._lock:
            self._generation += 1
            generation = self._generation
        what = f"run {self.run_id}" if self.run_id is not None else f"pretrained {self.model}"
        self.status.value = f"<small>Computing the map with {esc(what)} …</small>"
        if wait:
            self._apply([self._compute(generation, self.run_id)])
            return self.data_map
        self._bridge.start()
        self._worker = Worker(
            lambda _stop: self._bridge.post(self._compute(generation, self.run_id), urgent=True),
            name="hfw-data-map",
        ).start()
        return None

    def join(self, timeout: float | None = None) -> bool:
        """Wait for a map being computed on the worker, then draw it; False on timeout."""
        worker = self._worker
        if worker is not None and not worker.join(timeout):
            return False
        self._bridge.flush()
        return True

    def _compute(self, generation: int, run_id: int | None) -> tuple[int, Any, list[Any], str]:
        """The map and (with a run) every window's suggestion; runs on any thread."""
        from hfwidgets.suggestions import suggestions_from_outputs

        try:
            data_map, outputs = map_windows(
                self.project, run_id=run_id, model=self.model, weights=self.weights, seed=self.seed
            )
            suggestions = suggestions_from_outputs(outputs) if outputs.probs is not None else []
            return generation, data_map, suggestions, ""
        except Exception as exc:  # shown in the status line; the old map stays
            log.warning("data map of %s failed: %s", self.project.path, exc)
            return generation, None, [], str(exc)

    def _apply(self, results: list[tuple[int, Any, list[Any], str]]) -> None:
        generation, data_map, suggestions, error = results[-1]
        if generation != self._generation:
            return  # a newer request is on its way
        self.error = error
        if data_map is None:
            self.status.value = (
                f"<small><span style='color:#a00'>No map: {esc(error)}</span></small>"
            )
            return
        self.data_map = data_map
        self._draw()
        for exc in self._suggest.fire(suggestions) if suggestions else []:
            log.warning("a suggestions listener failed: %s", exc)

    # -- drawing ------------------------------------------------------------------------------
    def _draw(self) -> None:
        data_map = self.data_map
        if data_map is None:
            return
        by = self.colour_by.value
        if by == "verdict" and data_map.run_id is None:
            note = " · verdicts need a trained run"
        else:
            note = ""
        points = data_map.points
        outliers = data_map.outliers(OUTLIERS_LISTED, min_score=None)
        with self.hold_sync():
            self.scatter.x = [p.x for p in points]
            self.scatter.y = [p.y for p in points]
            self.scatter.names = [str(p.window_id) for p in points]
            self.scatter.colors = point_colours(data_map, by=by) or ["steelblue"]
            self.rings.x = [p.x for p in outliers]
            self.rings.y = [p.y for p in outliers]
            self.legend_html.value = "<br>".join(
                f"<span style='color:{colour}'>●</span> {esc(name)}"
                for name, colour in legend(data_map, by=by)
            ) + ("<br><span>◯</span> outlier" if outliers else "")
            self._list_outliers(outliers)
            self.status.value = (
                f"<small>{esc(data_map.describe())} · {data_map.seconds:.1f} s{esc(note)}</small>"
            )

    def _list_outliers(self, outliers: list[Any]) -> None:
        """A button per listed outlier, the same widget while its window stays listed.

        The list is drawn again on every *Colour by* choice and when a run ends; a button kept
        (only its text updated) stays under the pointer in the front end and a click on it
        lands. A window no longer listed has its button closed.
        """
        listed = {int(p.window_id) for p in outliers}
        for window_id in [wid for wid in self._outlier_by_window if wid not in listed]:
            close_widgets([self._outlier_by_window.pop(window_id)])
        buttons = []
        for point in outliers:
            button = self._outlier_by_window.get(int(point.window_id))
            if button is None:
                button = self._outlier_button(int(point.window_id))
                self._outlier_by_window[int(point.window_id)] = button
            near = f", looks like {point.looks_like}" if point.looks_like else ""
            button.description = f"window {point.window_id} ({point.label})"
            button.tooltip = f"outlier score {point.outlier:.2f}{near}: open it"
            buttons.append(button)
        self.outlier_buttons = buttons
        children = (self._outlier_head, *buttons) if buttons else ()
        if children != self.outlier_box.children:  # the same list sends nothing
            self.outlier_box.children = children

    def _outlier_button(self, window_id: int) -> w.Button:
        button = w.Button(layout=w.Layout(width="220px"))
        button.add_class("hfw-data-map-outlier")
        button.on_click(lambda _b: self.open_window(window_id))
        return button

    # -- interaction --------------------------------------------------------------------------
    def open_window(self, window_id: int) -> None:
        """Open one window (what a click on its point does)."""
        title = f"window {window_id} from the data map"
        self._open.fire([int(window_id)], title)

    def point_index(self, window_id: int) -> int:
        """Index of a window's point in the scatter (tests click it)."""
        if self.data_map is None:
            raise KeyError("no map drawn yet")
        for i, p in enumerate(self.data_map.points):
            if p.window_id == window_id:
                return i
        raise KeyError(f"window {window_id} is not on the map")

    def _point_at(self, event: dict[str, Any]) -> MapPoint | None:
        """The MapPoint a bqplot click or hover event names (None: no map, or not on it now).

        The event's ``name`` is the point's window id. Its ``index`` is a place in the list
        drawn when the person clicked; the map may be drawn again before the click arrives
        (a window deleted, a run ended), and the same place then holds another window. The
        index is read only from a front end that sends no name.
        """
        data = event.get("data") or {}
        if self.data_map is None:
            return None
        name = data.get("name")
        if name is not None:
            try:
                window_id = int(name)
            except (TypeError, ValueError):
                return None
            return next((p for p in self.data_map.points if p.window_id == window_id), None)
        index = data.get("index")
        if index is None or not 0 <= int(index) < len(self.data_map):
            return None
        return self.data_map.points[int(index)]

    def _on_click(self, _mark: Any, event: dict[str, Any]) -> None:
        point = self._point_at(event)
        if point is not None:
            self.open_window(point.window_id)

    def _on_hover(self, _mark: Any, event: dict[str, Any]) -> None:
        point = self._point_at(event)
        if point is not None:
            self.hover.value = f"<small>{esc(point.describe())}</small>"

    def close(self) -> None:
        """Stop the worker's bridge and close the widget."""
        worker = getattr(self, "_worker", None)
        if worker is not None:
            worker.join(5.0)
        bridge = getattr(self, "_bridge", None)
        if bridge is not None:
            bridge.stop()
        super().close()
