"""Guide: what each class looks like, and whether there are enough windows of it yet.

A newcomer does not know what a high-five looks like on three axes, nor how many windows are
enough. The guide shows a reference motion per class, drawn by the simulator (the same forearm
model the simulated sensor uses), and each class's count against a target with a verdict on
balance; :meth:`Guide.refresh` follows the labeler.
"""

from __future__ import annotations

import html
import io
from typing import Any

import ipywidgets as w
import numpy as np

from hfwidgets.store.project import Project
from hfwidgets.summary import TARGET_PER_CLASS, count_verdict
from hfwidgets.widgets._static import static_bundle

__all__ = ["REFERENCE_MOTIONS", "Guide", "reference_motion_png"]

#: The simulator's motion drawn for a class name (a name it knows is drawn as itself).
REFERENCE_MOTIONS = {"high-five": "high-five", "other": "wave"}
_HINTS = {
    "high-five": "a fast raise of the hand ending in a sharp slap (the spike), then a slow return",
    "other": "anything that is not a high-five: a wave, a swing, raising the arm, walking",
}
_AXES = ((214, 39, 40), (44, 160, 44), (31, 119, 180))  # x red, y green, z blue as in the plot


def reference_motion_png(
    kind: str, *, rate_hz: float = 50.0, size: tuple[int, int] = (240, 110), y_g: float = 6.0
) -> bytes:
    """A small PNG of one simulated ``kind`` motion: x, y, z in g over time.

    Parameters
    ----------
    kind : str
        A motion of :data:`hfwidgets.sensors.motions.MOTION_KINDS`.
    rate_hz : float
        Sample rate of the drawing (the project's).
    size : (int, int)
        Width and height in pixels.
    y_g : float
        The vertical range is ``[-y_g, y_g]``.
    """
    from PIL import Image, ImageDraw

    from hfwidgets.sensors import simulate_motion

    xyz, _peak = simulate_motion(kind, rate_hz=rate_hz, seed=0)
    width, height = size
    image = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(image)
    for g in (-2.0, 0.0, 2.0):
        y = height / 2 - g / y_g * (height / 2 - 4)
        draw.line([0, y, width, y], fill=(225, 225, 225) if g else (180, 180, 180))
    t = np.linspace(2, width - 2, len(xyz))
    for axis, colour in enumerate(_AXES):
        ys = height / 2 - np.clip(xyz[:, axis], -y_g, y_g) / y_g * (height / 2 - 4)
        draw.line(list(zip(t.tolist(), ys.tolist(), strict=True)), fill=colour, width=2)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


class Guide(w.VBox):
    """Reference motions and counts against a target for the classes of ``project``.

    Parameters
    ----------
    project : hfwidgets.store.Project
    target : int
        Windows per class to aim for.
    """

    def __init__(self, project: Project, *, target: int = TARGET_PER_CLASS) -> None:
        from hfwidgets.sensors.motions import MOTION_KINDS

        self.project = project
        self.target = int(target)
        self.bars: dict[str, w.IntProgress] = {}
        self.count_labels: dict[str, w.HTML] = {}
        cards = []
        for name in project.classes:
            kind = REFERENCE_MOTIONS.get(name, name if name in MOTION_KINDS else None)
            if kind is not None:
                picture: w.Widget = w.Image(
                    value=reference_motion_png(kind, rate_hz=float(project.rate_hz)),
                    format="png",
                    layout=w.Layout(width="240px", height="110px"),
                )
            else:
                picture = w.HTML(
                    "<small>no reference: record a few and compare them</small>",
                    layout=w.Layout(width="240px", height="110px"),
                )
            hint = _HINTS.get(name, f"simulated {kind}" if kind else "your own motion")
            bar = w.IntProgress(value=0, min=0, max=self.target, layout=w.Layout(width="150px"))
            label = w.HTML()
            self.bars[name], self.count_labels[name] = bar, label
            cards.append(
                w.VBox(
                    [
                        w.HTML(
                            f"<div style='line-height:1.3'><b>{html.escape(name)}</b> "
                            f"<small>({html.escape(hint)})</small></div>",
                            layout=w.Layout(width="240px"),
                        ),
                        picture,
                        w.HBox([bar, label]),
                    ],
                    layout=w.Layout(margin="0 16px 0 0"),
                )
            )
        self.verdict = w.HTML()
        super().__init__(
            [
                w.HTML(
                    "<b>What to record</b> <small>(reference motions from the simulator; "
                    "x red, y green, z blue, ±6 g)</small>"
                ),
                w.HBox(cards, layout=w.Layout(flex_flow="row wrap")),
                self.verdict,
            ]
        )
        self.add_class("hfw-guide")
        self.refresh()

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any] | None:
        counts: dict[str, int] = self.project.windows.counts()
        return static_bundle(
            super()._repr_mimebundle_(**kwargs),
            f"Guide: {count_verdict(counts, target=self.target)}",
        )

    def refresh(self) -> dict[str, int]:
        """Read the counts again; returns them."""
        counts: dict[str, int] = self.project.windows.counts()
        with self.hold_sync():
            for name, bar in self.bars.items():
                n = int(counts.get(name, 0))
                bar.value = min(n, self.target)
                bar.bar_style = "success" if n >= self.target else "warning"
                self.count_labels[name].value = f"<small>{n} / {self.target}</small>"
            self.verdict.value = (
                f"<small>{html.escape(count_verdict(counts, target=self.target))}</small>"
            )
        return counts
