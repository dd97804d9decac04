"""LivePlot: the three accelerometer axes streaming from any source, drawn with bqplot."""

from __future__ import annotations

import threading
import time
from collections import deque
from typing import TYPE_CHECKING, Any

import bqplot as bq
import ipywidgets as w
import numpy as np
import traitlets

from hfwidgets._worker import Pump, PumpTask
from hfwidgets.sensors.base import FULL_SCALE_G, Source
from hfwidgets.widgets._html import esc
from hfwidgets.widgets._throttle import current_pump

if TYPE_CHECKING:
    from hfwidgets.segmenter import Window

__all__ = ["LivePlot"]

READOUT_PERIOD_S = 0.5
AXIS_COLORS = ["#d62728", "#2ca02c", "#1f77b4"]  # x red, y green, z blue, as in the scalograms


class LivePlot(w.VBox):
    """Stream x, y, z acceleration of ``source`` in a rolling window.

    A periodic task snapshots the ring buffer and assigns whole arrays inside ``hold_sync()``,
    so each redraw is one message, at most ``fps`` per second. The task runs on a shared
    `hfwidgets._worker.Pump` (a Workbench's) or on a pump of the plot's own. Pausing freezes
    the picture (the source keeps recording) and enables scroll-back through the buffer.

    Parameters
    ----------
    source
        A :class:`hfwidgets.sensors.Source`; it is started if it is not running.
    window_s
        Seconds of signal shown.
    fps
        Maximum redraws per second (bounded to 1..30).
    y_range
        Fixed vertical range in g; a fixed range keeps the picture steady while streaming.
        Default: the sensor's full range, ``+/- source.full_scale_g`` (the sketch's +/-8 g,
        `hfwidgets.sensors.base.FULL_SCALE_G`, or what the board's header announces; the axis
        follows a header that arrives later).
    autostart
        Start the updater at once (tests pass ``False`` and call :meth:`refresh`).
    pump
        Where the redraws run; default: the pump of an enclosing
        ``hfwidgets.widgets._throttle.use_pump`` block, else one of the plot's own.
    """

    paused = traitlets.Bool(False, help="Freeze the picture; the source keeps recording.")
    window_s = traitlets.Float(10.0, help="Seconds of signal shown.")
    scroll_s = traitlets.Float(0.0, help="While paused: how far back from the pause to look.")

    def __init__(
        self,
        source: Source,
        *,
        window_s: float = 10.0,
        fps: float = 20.0,
        y_range: tuple[float, float] | None = None,
        autostart: bool = True,
        pump: Pump | None = None,
    ) -> None:
        if window_s <= 0:
            raise ValueError(f"window_s must be positive, got {window_s!r}")
        self.source = source
        self.redraws = 0
        self._captures: deque[tuple[float, float]] = deque(maxlen=50)
        self._captures_lock = threading.Lock()
        self._pause_index: int | None = None
        self._pause_time: float | None = None
        self._last_readout = ""
        self._last_readout_t = -1e9
        self._marks = 0  # windows ever marked: part of what a frame shows
        self._drawn: tuple[Any, ...] | None = None  # what the last frame showed

        self._xs = bq.LinearScale(min=-window_s, max=0.0)
        self._follow_range = y_range is None  # the source's full range, as it announces it
        low, high = _full_range(source) if y_range is None else y_range
        self._ys = bq.LinearScale(min=float(low), max=float(high))
        scales = {"x": self._xs, "y": self._ys}
        self._shade = bq.Lines(
            x=np.zeros((1, 4)),
            y=np.zeros((1, 4)),
            scales=scales,
            fill="inside",
            colors=["#ff7f0e"],
            fill_colors=["#ff7f0e"],
            fill_opacities=[0.2],
            stroke_width=0,
            visible=False,
        )
        self._lines = bq.Lines(
            x=np.zeros(0),
            y=np.zeros((3, 0)),
            scales=scales,
            colors=AXIS_COLORS,
            labels=["x", "y", "z"],
            display_legend=False,  # a legend box inside the plot would cover the newest data
            stroke_width=1.5,
        )
        self.figure = bq.Figure(
            marks=[self._shade, self._lines],
            axes=[
                bq.Axis(scale=self._xs, label="seconds (0 = newest shown)"),
                bq.Axis(scale=self._ys, orientation="vertical", label="acceleration (g)"),
            ],
            animation_duration=0,  # transitions would lag behind a 20 Hz stream
            legend_location="top-left",
            fig_margin={"top": 10, "bottom": 40, "left": 55, "right": 10},
            # Short enough that the labeler below fits the same screen (1280x800) with it.
            layout=w.Layout(width="100%", height="190px"),
        )
        self.pause_button = w.ToggleButton(
            description="Pause",
            icon="pause",
            tooltip="Freeze the plot to look back",
            layout=w.Layout(width="auto", min_width="90px", flex="0 0 auto"),  # never "P..."
        )
        self.scroll = w.FloatSlider(
            value=0.0,
            min=0.0,
            max=0.0,
            step=0.5,
            description="Look back (s)",
            disabled=True,
            continuous_update=True,
            style={"description_width": "initial"},
            layout=w.Layout(display="none"),  # shown while paused, the only time it works
        )
        self.readout = w.HTML(layout=w.Layout(margin="0 0 0 12px"))
        w.link((self.pause_button, "value"), (self, "paused"))
        w.link((self.scroll, "value"), (self, "scroll_s"))
        self.legend = w.HTML(
            "<small>"
            + " · ".join(
                f"<span style='color:{c}'>━</span> {a}"
                for a, c in zip("xyz", AXIS_COLORS, strict=True)
            )
            + "</small>",
            layout=w.Layout(margin="0 0 0 12px"),
        )
        # One row under the figure (legend included): the plot takes no more height than it must.
        controls = w.HBox(
            [self.pause_button, self.scroll, self.legend, self.readout],
            layout=w.Layout(flex_flow="row wrap", align_items="center"),
        )
        super().__init__([self.figure, controls])
        self.window_s = float(window_s)
        self.add_class("hfw-live-plot")

        self.interval_s = 1.0 / min(max(fps, 1.0), 30.0)
        self.pump = pump if pump is not None else current_pump()
        self._task: PumpTask | None = None
        if autostart:
            self.start()

    # -- public API -------------------------------------------------------------------------

    def start(self) -> None:
        """Start the source if needed and the periodic redraw."""
        _ensure_started(self.source)
        if self._task is None:
            if self.pump is None:
                self.pump = Pump(name="hfw-live-plot")
            self._task = self.pump.every(self.interval_s, self.refresh, name="hfw-live-plot")

    @property
    def running(self) -> bool:
        """True while the plot redraws periodically."""
        return getattr(self, "_task", None) is not None

    def stop(self) -> None:
        """Stop redrawing (the source keeps running: other widgets may use it)."""
        task = getattr(self, "_task", None)  # absent when __init__ failed (then __del__)
        if task is not None and self.pump is not None:
            self._task = None
            self.pump.cancel(task)  # a pump of the plot's own ends with its last task

    def close(self) -> None:
        """Stop redrawing and close the widget and its children."""
        self.stop()
        super().close()

    def mark_window(self, window: Window) -> None:
        """Shade a captured window (``t0`` and ``data`` at ``rate_hz``); thread-safe."""
        t0 = float(window.t0)
        span = (t0, t0 + len(window.data) / float(window.rate_hz))
        with self._captures_lock:
            self._captures.append(span)
            self._marks += 1

    def clear_marks(self) -> None:
        """Forget the shaded windows (they belong to the source shown before; thread-safe)."""
        with self._captures_lock:
            self._captures.clear()
            self._marks += 1  # the next frame redraws without them

    def refresh(self) -> None:
        """Redraw once from the current buffer contents (what the updater calls ~20 times/s).

        A frame that would show the same as the last one (paused, or no new samples) sends
        nothing but the readout, so a paused or silent plot costs the front end no messages.
        """
        buffer = self.source.buffer
        shown = (
            id(buffer),
            self._pause_index if self._pause_index is not None else int(buffer.total),
            self.scroll_s,
            self.window_s,
            self._marks,
        )
        # The readout changes every frame (sample counts); half a second is enough to read it
        # and saves the front end one message per frame.
        now = time.monotonic()
        readout = self._last_readout
        if now - self._last_readout_t >= READOUT_PERIOD_S:
            readout, self._last_readout_t = self._readout_text(), now
        if shown == self._drawn:
            if readout != self._last_readout:
                self.readout.value = self._last_readout = readout
            return
        self._drawn = shown
        if self._follow_range:
            low, high = _full_range(self.source)
            if (self._ys.min, self._ys.max) != (low, high):
                self._ys.min, self._ys.max = low, high
        t, xyz = self._visible_samples()
        with self.hold_sync(), self.figure.hold_sync(), self._lines.hold_sync():
            if len(t):
                # Time 0 is the newest sample live, or the moment of the pause.
                end = self._pause_time if self._pause_time is not None else float(t[-1])
                x = (t - end).astype(np.float32)
                self._lines.x = x
                self._lines.y = np.ascontiguousarray(xyz.T, dtype=np.float32)
                lo, hi = -self.scroll_s - self.window_s, -self.scroll_s
                if self._xs.min != lo or self._xs.max != hi:
                    self._xs.min, self._xs.max = lo, hi
                self._update_shading(end, lo, hi)
            elif len(self._lines.x) or self._shade.visible:
                # Nothing from this source yet (a port just picked): show nothing rather than
                # the traces and shading of the source shown before, frozen as if they were its.
                self._lines.x = np.zeros(0, dtype=np.float32)
                self._lines.y = np.zeros((3, 0), dtype=np.float32)
                self._shade.visible = False
            if readout != self._last_readout:
                self.readout.value = readout
                self._last_readout = readout
        self.redraws += 1

    # -- internals --------------------------------------------------------------------------

    @traitlets.observe("paused")
    def _on_pause(self, change: dict[str, Any]) -> None:
        buffer = self.source.buffer
        if change["new"]:
            self._pause_index = int(buffer.total)
            t_last, _ = buffer.snapshot(1)
            self._pause_time = float(t_last[-1]) if len(t_last) else None
            rate = float(self.source.rate_hz)
            held = min(int(buffer.total), _capacity(buffer)) / rate
            self.scroll.max = max(0.0, round(held - self.window_s, 1))
            self.scroll.disabled = False
            self.scroll.layout.display = None
            self.pause_button.description, self.pause_button.icon = "Resume", "play"
        else:
            self._pause_index = None
            self._pause_time = None
            self.scroll.value = 0.0
            self.scroll.disabled = True
            self.scroll.layout.display = "none"
            self.pause_button.description, self.pause_button.icon = "Pause", "pause"
        self.refresh()

    @traitlets.observe("scroll_s", "window_s")
    def _on_view_change(self, change: dict[str, Any]) -> None:
        if self.paused:
            self.refresh()

    def _visible_samples(self) -> tuple[np.ndarray, np.ndarray]:
        buffer = self.source.buffer
        n = max(2, round(self.window_s * float(self.source.rate_hz)))
        if self._pause_index is None:
            t, xyz = buffer.snapshot(n)
            return np.asarray(t), np.asarray(xyz)
        back = round(self.scroll_s * float(self.source.rate_hz))
        start = max(0, self._pause_index - back - n)
        first, t, xyz = buffer.since(start)
        stop = self._pause_index - back - int(first)
        lo = max(0, stop - n)
        return np.asarray(t[lo:stop]), np.asarray(xyz[lo:stop])

    def _update_shading(self, end: float, lo: float, hi: float) -> None:
        with self._captures_lock:
            spans = [(a - end, b - end) for a, b in self._captures]
        spans = [(a, b) for a, b in spans if b > lo and a < hi]
        if not spans:
            if self._shade.visible:
                self._shade.visible = False
            return
        ymin, ymax = float(self._ys.min), float(self._ys.max)
        xs = np.array([[a, a, b, b] for a, b in spans], dtype=np.float32)
        ys = np.tile(np.array([ymin, ymax, ymax, ymin], dtype=np.float32), (len(spans), 1))
        with self._shade.hold_sync():
            self._shade.x, self._shade.y = xs, ys
            self._shade.visible = True

    def check_source(self, now: float | None = None) -> Any:
        """Look at the source now and show it in the readout; returns its ``SourceHealth``.

        The redraw thread does this every half second; tests call it with their own ``now``.
        """
        text, health = self._readout_and_health(now)
        self.readout.value = self._last_readout = text
        return health

    def _readout_text(self) -> str:
        return self._readout_and_health(None)[0]

    def _readout_and_health(self, now: float | None) -> tuple[str, Any]:
        from hfwidgets.sensors.watch import SourceWatch

        watch = getattr(self, "_watch", None)
        if watch is None or watch.source is not self.source:  # use_source() swapped it
            watch = self._watch = SourceWatch(self.source)
        try:
            s = self.source.stats()
            health = watch.check(now)
        except Exception as exc:  # a source without stats still streams
            return f"<span style='color:#a00'>stats unavailable: {esc(exc)}</span>", None
        # A silent or lost source shows why, and no rate: the last estimate would be stale.
        state = "connected" if health.state == "streaming" else f"<b>{esc(health.message)}</b>"
        return (
            f"<code>{health.rate_text} · good {s.good:,} · bad {s.bad:,} · dropped {s.dropped:,}"
            f" · reconnects {s.reconnects} · {state}</code>"
        ), health


def _full_range(source: Source) -> tuple[float, float]:
    """``(-g, g)``: the source's full range, else the sketch's."""
    g = float(getattr(source, "full_scale_g", FULL_SCALE_G) or FULL_SCALE_G)
    return (-g, g)


def _capacity(buffer: Any) -> int:
    return int(getattr(buffer, "capacity", getattr(buffer, "total", 0)))


def _ensure_started(source: Source) -> None:
    """Start ``source`` unless it runs, or already delivered samples (a finished recording)."""
    if not getattr(source, "running", False) and source.buffer.total == 0:
        source.start()
