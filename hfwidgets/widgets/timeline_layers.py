"""The layers of a timeline: `EnvelopeLines` draws a long series as the envelope of the view,
`MarkLayers` shades marks and windows, one bqplot mark per class.


Regions are filled rectangles spanning the plot's height, events vertical lines, and the
session's windows (captured or cut from marks) a thin band along the top, all in their class's
colour (unlabelled windows grey). Each layer is one `bqplot.Lines` whose rows are the shapes, so
a session with hundreds of marks is still a handful of marks to draw.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import bqplot as bq
import numpy as np
from numpy.typing import NDArray

from hfwidgets.datamap.scatter import UNLABELLED_COLOUR
from hfwidgets.timeline.envelope import Envelope, view_envelope
from hfwidgets.timeline.session_picture import class_colour

__all__ = ["EnvelopeLines", "MarkLayers"]

_EMPTY = np.zeros((1, 2))
_FAR = 1e3  # beyond any reading: a region's shading spans the plot's height


def _lines(colour: str, scales: dict[str, Any], *, fill: bool) -> bq.Lines:
    return bq.Lines(
        x=_EMPTY, y=_EMPTY, scales=scales, colors=[colour], fill_colors=[colour],
        fill="inside" if fill else "none", fill_opacities=[0.2], opacities=[0.9],
        stroke_width=0 if fill else 2, visible=False,
    )  # fmt: skip


def _set(lines: bq.Lines, x: list[list[float]], y: list[float]) -> None:
    with lines.hold_sync():
        if x:
            lines.x = np.array(x)
            lines.y = np.tile(y, (len(x), 1))
        lines.visible = bool(x)


class EnvelopeLines:
    """A long series (``values`` [n, channels] at times ``t``) drawn as the min/max envelope
    of the view, ``columns`` bins across the plot (`hfwidgets.timeline.view_envelope`).

    The points go to the page as fractions of the view (0 at its start, 1 at its end) on a
    scale of their own that never moves. bqplot redraws a Lines mark whenever its x scale moves,
    and each redraw interpolates the old path string into the new one (d3 transitions, even at
    duration 0); a trace on the time scale would be drawn twice per pan (for the scale's
    message, then for the new envelope), so here a pan is one redraw. Axes, marks and selectors
    stay on the time scale. ``lines`` is the bqplot mark, ``envelope`` the one drawn last.
    """

    def __init__(
        self, y_scale: bq.LinearScale, *, channels: int, columns: int, **style: Any
    ) -> None:
        self.columns = int(columns)
        self.scale = bq.LinearScale(min=0.0, max=1.0)
        self.lines = bq.Lines(
            x=np.zeros((channels, 2)), y=np.zeros((channels, 2)),
            scales={"x": self.scale, "y": y_scale}, **style,
        )  # fmt: skip
        self.envelope: Envelope | None = None
        self._t: NDArray[np.float64] = np.zeros(0)
        self._values: NDArray[np.float32] = np.zeros((0, channels), np.float32)

    def show(self, t: NDArray[np.float64], values: NDArray[Any]) -> None:
        """Hold another series (drawn at the next `draw`)."""
        self._t = np.asarray(t, dtype=np.float64)
        self._values = np.asarray(values, dtype=np.float32).reshape(self._t.size, -1)

    def draw(self, start: float, end: float) -> Envelope | None:
        """Draw the envelope from ``start`` to ``end`` (s); None when there is nothing to draw."""
        if self._t.size < 2 or not end > start:
            return None
        env = view_envelope(self._t, self._values, start=start, end=end, columns=self.columns)
        with self.lines.hold_sync():
            self.lines.x = (env.t_by_channel - start) / (end - start)
            self.lines.y = env.y.T
        self.envelope = env
        return env


class MarkLayers:
    """Per class: ``regions``, ``events`` and ``windows`` layers (``windows[""]``: unlabelled).

    ``marks`` lists them in drawing order (shading under lines), for the figure.
    """

    def __init__(self, classes: Sequence[str], scales: dict[str, Any]) -> None:
        self.classes = tuple(classes)
        colour = {c: class_colour(self.classes, c) for c in self.classes}
        self.regions = {c: _lines(colour[c], scales, fill=True) for c in self.classes}
        self.events = {c: _lines(colour[c], scales, fill=False) for c in self.classes}
        self.windows = {c: _lines(colour[c], scales, fill=True) for c in self.classes}
        self.windows[""] = _lines(UNLABELLED_COLOUR, scales, fill=True)
        self.marks = [*self.regions.values(), *self.windows.values(), *self.events.values()]

    def draw(
        self,
        marks: Sequence[Any],
        windows: Sequence[tuple[int, float, float, str | None]],
        *,
        y_range: tuple[float | None, float | None],
    ) -> None:
        """Draw ``marks`` (`hfwidgets.store.marks.Mark`) and ``windows`` (``(id, start, end,
        label)``, `project.windows.in_session`) with the plot's current ``y_range``."""
        for name in self.classes:
            regions = [m for m in marks if m.label == name and m.kind == "region"]
            events = [m for m in marks if m.label == name and m.kind == "event"]
            _set(
                self.regions[name],
                [[m.start, m.start, m.end, m.end, m.start] for m in regions],
                [-_FAR, _FAR, _FAR, -_FAR, -_FAR],
            )
            _set(self.events[name], [[m.start, m.start] for m in events], [-_FAR, _FAR])
        low = 0.0 if y_range[0] is None else float(y_range[0])
        top = 1.0 if y_range[1] is None else float(y_range[1])
        bottom = top - (top - low) * 0.04
        for name, layer in self.windows.items():
            spans = [[a, a, b, b, a] for _i, a, b, label in windows if (label or "") == name]
            _set(layer, spans, [bottom, top, top, bottom, bottom])
