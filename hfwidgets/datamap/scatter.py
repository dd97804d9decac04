"""The data map's colours, legend and picture (a PNG drawn with Pillow, for a page without a
kernel or ``hfw map --out``)."""

from __future__ import annotations

from typing import Literal

import numpy as np

from hfwidgets.datamap.points import DataMap, MapPoint
from hfwidgets.pictures import load_font, png_bytes

__all__ = [
    "CLASS_COLOURS",
    "UNLABELLED_COLOUR",
    "VERDICT_COLOURS",
    "ColourBy",
    "legend",
    "point_colours",
    "render_data_map_png",
]

ColourBy = Literal["label", "verdict"]

# Colour-blind-safe categorical colours (Okabe-Ito), then more for many classes.
CLASS_COLOURS = (
    "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000",
    "#8c564b", "#7f7f7f", "#bcbd22", "#17becf",
)  # fmt: skip
UNLABELLED_COLOUR = "#b0b0b0"
VERDICT_COLOURS = {
    "correct": "#009E73",
    "wrong": "#D55E00",
    "unlabelled": UNLABELLED_COLOUR,
    "no run": "#0072B2",
}


def point_colours(data_map: DataMap, *, by: ColourBy = "label") -> list[str]:
    """A colour per point: its class (grey unlabelled) or its verdict."""
    if by == "verdict":
        return [VERDICT_COLOURS.get(p.verdict, UNLABELLED_COLOUR) for p in data_map.points]
    if by != "label":
        raise ValueError(f"colour by 'label' or 'verdict', got {by!r}")
    index = {name: i for i, name in enumerate(data_map.classes)}
    colours = []
    for p in data_map.points:
        if p.label is None:
            colours.append(UNLABELLED_COLOUR)
        else:
            k = index.setdefault(p.label, len(index))  # a label the run does not know
            colours.append(CLASS_COLOURS[k % len(CLASS_COLOURS)])
    return colours


def legend(data_map: DataMap, *, by: ColourBy = "label") -> list[tuple[str, str]]:
    """(name, colour) pairs of what the colours mean, in the order of :func:`point_colours`."""
    if by == "verdict":
        seen = {p.verdict for p in data_map.points}
        return [(name, colour) for name, colour in VERDICT_COLOURS.items() if name in seen]
    names = list(data_map.classes)
    names += sorted({p.label for p in data_map.points if p.label and p.label not in names})
    pairs = [(name, CLASS_COLOURS[i % len(CLASS_COLOURS)]) for i, name in enumerate(names)]
    if any(p.label is None for p in data_map.points):
        pairs.append(("unlabelled", UNLABELLED_COLOUR))
    return pairs


def render_data_map_png(
    data_map: DataMap, *, by: ColourBy = "label", size: tuple[int, int] = (720, 560)
) -> bytes:
    """The map as a PNG (Pillow only): points, a ring around the 5 strongest outliers, legend."""
    from PIL import Image, ImageDraw

    width, height = size
    image = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(image)
    font = load_font(13)
    draw.text((10, 8), f"Data map: {data_map.describe()}", fill="black", font=font)
    left, top, right, bottom = 30, 36, width - 170, height - 30
    draw.rectangle((left, top, right, bottom), outline="#cccccc")
    pts = data_map.points
    if pts:
        xs = np.array([p.x for p in pts])
        ys = np.array([p.y for p in pts])
        span_x = float(np.ptp(xs)) or 1.0
        span_y = float(np.ptp(ys)) or 1.0

        def place(p: MapPoint) -> tuple[float, float]:
            px = left + 10 + (p.x - xs.min()) / span_x * (right - left - 20)
            py = bottom - 10 - (p.y - ys.min()) / span_y * (bottom - top - 20)
            return px, py

        for p, colour in zip(pts, point_colours(data_map, by=by), strict=True):
            px, py = place(p)
            draw.ellipse((px - 4, py - 4, px + 4, py + 4), fill=colour)
        for p in data_map.outliers(5):
            px, py = place(p)
            draw.ellipse((px - 8, py - 8, px + 8, py + 8), outline="black", width=2)
            draw.text((px + 9, py - 7), str(p.window_id), fill="black", font=font)
    y = top
    for name, colour in legend(data_map, by=by):
        draw.rectangle((right + 14, y + 3, right + 24, y + 13), fill=colour)
        draw.text((right + 30, y), name[:18], fill="black", font=font)
        y += 18
    draw.ellipse((right + 13, y + 2, right + 25, y + 14), outline="black", width=2)
    draw.text((right + 30, y), "outlier", fill="black", font=font)
    return png_bytes(image)
