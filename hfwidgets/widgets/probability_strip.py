"""ProbabilityStrip: the last seconds of the counted class's probability, and the threshold."""

from __future__ import annotations

from collections import deque

import bqplot as bq
import ipywidgets as w
import numpy as np

__all__ = ["ProbabilityStrip"]


class ProbabilityStrip:
    """A bqplot figure of ``P(positive)`` per hop over the last ``strip_s`` seconds.

    Not a widget itself: `figure` is what a layout shows. `add` keeps a hop's probability,
    `redraw` assigns the visible ones in one message (the owner calls it from its bridge).

    Parameters
    ----------
    positive
        Name of the counted class (the axis label).
    strip_s
        Seconds of history drawn.
    hop_s
        Time between hops: how many points the history keeps.
    threshold
        Where the dashed threshold line starts.
    """

    def __init__(
        self, *, positive: str, strip_s: float = 10.0, hop_s: float = 0.2, threshold: float = 0.8
    ) -> None:
        self.strip_s = float(strip_s)
        self._points: deque[tuple[float, float]] = deque(maxlen=max(10, int(strip_s / hop_s) * 2))
        xs = bq.LinearScale(min=-strip_s, max=0.0)
        ys = bq.LinearScale(min=0.0, max=1.0)
        self.line = bq.Lines(
            x=np.zeros(0), y=np.zeros(0), scales={"x": xs, "y": ys}, colors=["#9467bd"]
        )
        self.threshold_line = bq.Lines(
            x=np.array([-strip_s, 0.0]),
            y=np.array([threshold, threshold]),
            scales={"x": xs, "y": ys},
            colors=["#999"],
            line_style="dashed",
        )
        self.figure = bq.Figure(
            marks=[self.line, self.threshold_line],
            axes=[
                bq.Axis(scale=xs, label="seconds"),
                bq.Axis(scale=ys, orientation="vertical", label=f"P({positive})"),
            ],
            animation_duration=0,
            fig_margin={"top": 10, "bottom": 35, "left": 55, "right": 10},
            layout=w.Layout(width="100%", height="170px"),
        )

    def set_threshold(self, value: float) -> None:
        """Move the dashed line to ``value``."""
        self.threshold_line.y = np.array([float(value)] * 2)

    def add(self, t: float, prob: float) -> None:
        """Keep one hop's probability (drawn at the next `redraw`)."""
        self._points.append((float(t), float(prob)))

    def redraw(self) -> None:
        """Draw the last ``strip_s`` seconds, the newest hop at 0."""
        if not self._points:
            return
        t = np.array([p[0] for p in self._points])
        p = np.array([p[1] for p in self._points], dtype=np.float32)
        keep = t >= t[-1] - self.strip_s
        with self.line.hold_sync():
            self.line.x = (t[keep] - t[-1]).astype(np.float32)
            self.line.y = p[keep]
