"""Drawing helpers every picture of hfwidgets shares (Pillow only): the PNG encoder, the font,
the x/y/z trace strips.

The scalogram figure, the explanation overlay, the data map and the project summary all encode
and letter with these, so a picture looks and encodes the same wherever it is made.
"""

from __future__ import annotations

import io
from typing import TypeAlias

import numpy as np
from PIL import Image, ImageDraw, ImageFont

__all__ = [
    "AXIS_COLOURS",
    "GRID",
    "INK",
    "LABEL_WIDTH",
    "Font",
    "draw_traces",
    "load_font",
    "png_bytes",
]

#: A font Pillow draws text with: its default font (a bitmap one on Pillow < 10.1).
Font: TypeAlias = ImageFont.FreeTypeFont | ImageFont.ImageFont

#: Trace colours: x red, y green, z blue (the scalogram's channels).
AXIS_COLOURS = ((214, 39, 40), (44, 160, 44), (31, 119, 180))
#: Text and grid-line colours.
INK, GRID = (60, 60, 60), (225, 225, 225)
#: Room for the tick labels left of a trace strip, in pixels.
LABEL_WIDTH = 44


def png_bytes(picture: Image.Image, *, optimize: bool = False) -> bytes:
    """Encode ``picture`` as PNG bytes."""
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG", optimize=optimize)
    return buffer.getvalue()


def load_font(size: int) -> Font:
    """Pillow's default font at ``size`` pixels (a fixed bitmap font on Pillow < 10.1)."""
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1
        return ImageFont.load_default()


def draw_traces(
    draw: ImageDraw.ImageDraw, data: np.ndarray, box: tuple[int, int, int, int], font: Font
) -> None:
    """Draw x, y, z of ``data [n, 3]`` as three stacked strips in ``box`` (left, top, w, h).

    Each strip is scaled to its own range, labelled in g on the left (``LABEL_WIDTH`` pixels).
    """
    left, top, width, height = box
    strip = height / 3
    n = len(data)
    xs = left + np.arange(n) * (width - 1) / max(n - 1, 1)
    for axis in range(3):
        y0 = top + axis * strip
        values = data[:, axis].astype(np.float64)
        low, high = float(values.min()), float(values.max())
        span = high - low
        # A still axis is drawn as a flat line through the middle of its strip.
        unit = (values - low) / span if span > 0 else np.full(n, 0.5)
        ys = y0 + 3 + (1 - unit) * (strip - 6)
        draw.rectangle([left, y0, left + width - 1, y0 + strip - 1], outline=GRID)
        draw.line(list(zip(xs.tolist(), ys.tolist(), strict=True)), fill=AXIS_COLOURS[axis])
        name = "xyz"[axis]
        label_x = left - LABEL_WIDTH + 2
        draw.text((label_x, y0 + 1), f"{name} {high:+.2f}", fill=INK, font=font)
        draw.text((label_x, y0 + strip - 12), f"  {low:+.2f}", fill=INK, font=font)
