"""The timeline of a stored session as a PNG (``hfw sessions show``; Pillow only).

x, y, z over time (the min/max envelope at the picture's width, so an hour draws as fast as a
minute and keeps every spike), the marks as coloured regions and event lines in their class's
colour with a count per class, and, with a run, its probability of the counted class under the
traces with the threshold, the counts (ticks) and the candidate mistakes (red).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageColor, ImageDraw

from hfwidgets.datamap.scatter import CLASS_COLOURS
from hfwidgets.pictures import png_bytes
from hfwidgets.summary.canvas import GRID, INK, MUTED, Canvas
from hfwidgets.timeline.envelope import view_envelope
from hfwidgets.timeline.model_view import Candidate, ModelTrace

__all__ = ["AXIS_COLOURS", "class_colour", "render_session_png"]

#: x red, y green, z blue, as in the scalograms and the live plot.
AXIS_COLOURS = ("#d62728", "#2ca02c", "#1f77b4")
MISTAKE = "#D55E00"
_LEFT, _RIGHT = 60, 20


def class_colour(classes: Sequence[str], label: str) -> str:
    """The colour of a class: its place in the project's class list (the data map's colours)."""
    k = list(classes).index(label) if label in classes else len(classes)
    return CLASS_COLOURS[k % len(CLASS_COLOURS)]


def _x_of(t: NDArray[np.float64] | float, *, t0: float, t1: float, width: int) -> Any:
    return _LEFT + (np.asarray(t, dtype=float) - t0) / (t1 - t0) * (width - _LEFT - _RIGHT)


def _time_axis(c: Canvas, *, t0: float, t1: float, width: int, y: int) -> None:
    span = t1 - t0
    step = next(s for s in (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 1e9)
                if span / s <= 10)  # fmt: skip
    tick = np.ceil(t0 / step) * step
    while tick <= t1:
        x = float(_x_of(tick, t0=t0, t1=t1, width=width))
        c.draw.line([(x, y), (x, y + 4)], fill=(MUTED,) * 3)
        text = f"{tick / 60:g} min" if step >= 60 else f"{tick:g} s"
        c.text((x, y + 6), text, font=c.small, fill=(MUTED,) * 3, anchor="ma")
        tick += step


def render_session_png(
    t: NDArray[np.float64],
    xyz: NDArray[np.float32],
    marks: Sequence[Any],
    *,
    classes: Sequence[str],
    title: str,
    trace: ModelTrace | None = None,
    candidates: Sequence[Candidate] = (),
    width: int = 1200,
) -> bytes:
    """PNG bytes of a session's timeline with its marks (and a run's probability and counts)."""
    if t.size < 2:
        raise ValueError(f"{title}: fewer than two samples; nothing to draw")
    t0, t1 = float(t[0]), float(t[-1])
    traces_top, traces_h = 60, 260
    model_top, model_h = traces_top + traces_h + 34, 110
    height = (model_top + model_h + 40) if trace is not None else (traces_top + traces_h + 40)
    c = Canvas(width, height)
    c.text((_LEFT, 10), c.fit(title, width - _LEFT - _RIGHT, c.title), font=c.title)
    per_class = Counter(m.label for m in marks)
    x = _LEFT
    for name in classes:
        colour = class_colour(classes, name)
        c.draw.rectangle([x, 38, x + 10, 48], fill=colour)
        words = f"{name}: {per_class.get(name, 0)} mark(s)"
        c.text((x + 14, 36), words, font=c.small)
        x += int(c.draw.textlength(words, font=c.small)) + 34
    # Marks first, so the traces draw over their shading.
    overlay = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    shade = ImageDraw.Draw(overlay)
    bottom = (model_top + model_h) if trace is not None else (traces_top + traces_h)
    for mark in marks:
        rgb = ImageColor.getrgb(class_colour(classes, mark.label))
        xa = float(_x_of(mark.start, t0=t0, t1=t1, width=width))
        xb = float(_x_of(mark.end, t0=t0, t1=t1, width=width))
        if mark.kind == "region":
            shade.rectangle([xa, traces_top, max(xb, xa + 1), bottom], fill=(*rgb, 60))
        else:
            shade.line([(xa, traces_top), (xa, bottom)], fill=(*rgb, 230), width=2)
    c.image.paste(Image.alpha_composite(c.image.convert("RGBA"), overlay).convert("RGB"))
    c.draw.rectangle([_LEFT, traces_top, width - _RIGHT, traces_top + traces_h], outline=GRID)
    env = view_envelope(t, xyz, start=t0, end=t1, columns=width - _LEFT - _RIGHT)
    lo, hi = float(np.min(env.y)), float(np.max(env.y))
    pad = max(0.1, (hi - lo) * 0.05)
    lo, hi = lo - pad, hi + pad
    for k, colour in enumerate(AXIS_COLOURS):
        xs = _x_of(env.t_by_channel[k], t0=t0, t1=t1, width=width)
        ys = traces_top + traces_h - (env.y[:, k] - lo) / (hi - lo) * traces_h
        c.draw.line(list(zip(xs.tolist(), ys.tolist(), strict=True)), fill=colour, width=1)
    c.text((_LEFT - 6, traces_top), f"{hi:.1f} g", font=c.small, anchor="ra")
    c.text((_LEFT - 6, traces_top + traces_h), f"{lo:.1f} g", font=c.small, anchor="rd")
    axis_y = traces_top + traces_h + 4
    if trace is not None:
        _draw_model(c, trace, candidates, t0=t0, t1=t1, width=width, top=model_top, h=model_h)
        axis_y = model_top + model_h + 4
    _time_axis(c, t0=t0, t1=t1, width=width, y=axis_y)
    return png_bytes(c.image)


def _draw_model(
    c: Canvas,
    trace: ModelTrace,
    candidates: Sequence[Candidate],
    *,
    t0: float,
    t1: float,
    width: int,
    top: int,
    h: int,
) -> None:
    run = f"run {trace.run_id}" if trace.run_id is not None else "the run"
    c.text(
        (_LEFT, top - 18),
        c.fit(
            f"{run}: p({trace.positive}), {len(trace.counts)} count(s) at {trace.settings}; "
            f"{len(candidates)} candidate mistake(s)",
            width - _LEFT - _RIGHT,
            c.small,
        ),
        font=c.small,
    )
    c.draw.rectangle([_LEFT, top, width - _RIGHT, top + h], outline=GRID)

    def y_of(p: float) -> float:  # a local scale
        return top + h - float(p) * h

    ty = y_of(trace.threshold)
    c.draw.line([(_LEFT, ty), (width - _RIGHT, ty)], fill=(MUTED,) * 3)
    if trace.t.size:
        env = view_envelope(
            trace.t, trace.prob[:, None].astype(np.float32), start=t0, end=max(t1, t0 + 1e-3),
            columns=width - _LEFT - _RIGHT,
        )  # fmt: skip
        xs = _x_of(env.t_by_channel[0], t0=t0, t1=t1, width=width)
        ys = top + h - env.y[:, 0] * h
        c.draw.line(list(zip(xs.tolist(), ys.tolist(), strict=True)), fill=(INK,) * 3)
    for count in trace.counts:
        xc = float(_x_of(count, t0=t0, t1=t1, width=width))
        c.draw.line([(xc, top + h - 12), (xc, top + h)], fill="#000000", width=2)
    for cand in candidates:
        xc = float(_x_of(cand.t, t0=t0, t1=t1, width=width))
        c.draw.polygon([(xc - 5, top + 2), (xc + 5, top + 2), (xc, top + 10)], fill=MISTAKE)
