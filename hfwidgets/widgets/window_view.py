"""WindowView: one motion window as three axes plus its scalogram thumbnail."""

from __future__ import annotations

import logging
from typing import Any

import bqplot as bq
import ipywidgets as w
import numpy as np

from hfwidgets.widgets._html import esc
from hfwidgets.widgets.live_plot import AXIS_COLORS

__all__ = ["WindowView", "scalogram_png"]

log = logging.getLogger("hfwidgets.widgets")
_REPORTED: set[str] = set()  # failure kinds already logged, so a bad setting warns once


def scalogram_png(
    data: np.ndarray, *, rate_hz: float, settings: Any = None, size: int = 128
) -> bytes | None:
    """PNG bytes of the scalogram of ``data`` (n, 3), or None when it cannot be rendered.

    The image is the one training sees (x, y, z as red, green, blue, every setting but the size
    kept), drawn by :func:`hfwidgets.scalogram.scalogram_png` at thumbnail size. A thumbnail is
    a convenience: a failure (e.g. a window shorter than one period of the lowest frequency) is
    logged once per kind and the view shows no image instead of breaking labelling.
    """
    try:
        from hfwidgets.scalogram import scalogram_png as draw_png

        return draw_png(data, rate_hz=float(rate_hz), settings=settings, size=(size, size))
    except Exception as exc:  # the thumbnail is optional; labelling must go on
        kind = f"{type(exc).__name__}: {exc}"
        if kind not in _REPORTED:
            _REPORTED.add(kind)
            log.warning("scalogram thumbnail failed: %s", kind)
        return None


class WindowView(w.HBox):
    """Show one window: x, y, z over time (bqplot) and its scalogram image.

    Parameters
    ----------
    scalogram_settings
        Callable returning the project's :class:`ScalogramSettings` (or None for defaults);
        called at each :meth:`show`, so a change of settings shows at the next window.
    thumbnail
        Whether to render scalograms at all (tests of pure labelling logic switch it off).
    """

    def __init__(
        self,
        *,
        scalogram_settings: Any = None,
        thumbnail: bool = True,
        y_range: tuple[float, float] = (-4.0, 4.0),
    ) -> None:
        self._settings = scalogram_settings
        self.thumbnail = thumbnail
        xs = bq.LinearScale()
        ys = bq.LinearScale(min=float(y_range[0]), max=float(y_range[1]))
        self._ys, self._y_range = ys, (float(y_range[0]), float(y_range[1]))
        self.lines = bq.Lines(
            x=np.zeros(0),
            y=np.zeros((3, 0)),
            scales={"x": xs, "y": ys},
            colors=AXIS_COLORS,
            labels=["x", "y", "z"],
        )
        self.figure = bq.Figure(
            marks=[self.lines],
            axes=[
                bq.Axis(scale=xs, label="seconds"),
                bq.Axis(scale=ys, orientation="vertical", label="g"),
            ],
            animation_duration=0,
            fig_margin={"top": 10, "bottom": 35, "left": 45, "right": 10},
            # Small enough that the labeler's buttons fit beside it, and the live plot above it
            # on the same screen (1280x800).
            layout=w.Layout(width="360px", height="165px"),
        )
        self.image = w.Image(format="png", layout=w.Layout(width="128px", height="128px"))
        self.note = w.HTML()
        super().__init__(
            [self.figure, w.VBox([self.image, self.note])],
            layout=w.Layout(align_items="center"),
        )

    def show(self, data: np.ndarray | None, *, rate_hz: float = 50.0, caption: str = "") -> None:
        """Draw ``data`` (n, 3) sampled at ``rate_hz``; None clears the view."""
        with self.lines.hold_sync():
            if data is None or len(data) == 0:
                self.lines.x, self.lines.y = np.zeros(0), np.zeros((3, 0))
            else:
                arr = np.asarray(data, dtype=np.float32)
                self.lines.x = np.arange(len(arr), dtype=np.float32) / float(rate_hz)
                self.lines.y = np.ascontiguousarray(arr.T)
                # A slap passes 4 g: widen the axis to the next 2 g step instead of clipping.
                peak = float(np.nanmax(np.abs(arr))) if np.isfinite(arr).any() else 0.0
                low, high = self._y_range
                limit = max(high, -low, 2.0 * np.ceil(peak / 2.0 + 1e-6) if peak > high else 0.0)
                self._ys.min, self._ys.max = (-limit, limit) if limit > high else (low, high)
        png = None
        if data is not None and len(data) and self.thumbnail:
            settings = self._settings() if callable(self._settings) else self._settings
            png = scalogram_png(data, rate_hz=rate_hz, settings=settings)
        self.image.value = png or b""
        self.image.layout.visibility = "visible" if png else "hidden"
        self.note.value = f"<small>{esc(caption)}</small>" if caption else ""
