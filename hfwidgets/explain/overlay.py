"""The explanation as a picture: heat over the scalogram, the three axes under it, one time axis.

Drawn with Pillow through the shared drawing helpers (:mod:`hfwidgets.pictures`: the encoder,
font and trace strips the scalogram figure uses), so it looks like the other scalogram figures
and needs no matplotlib. The heat is blended over a dimmed copy of the image the model saw; the
peak is ringed and a line marks its time across the traces.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PIL import Image, ImageDraw

from hfwidgets.explain.heatmap import Explanation
from hfwidgets.pictures import INK, draw_traces, load_font, png_bytes
from hfwidgets.scalogram.render import scalogram_rgb

__all__ = ["heat_colours", "render_explanation_png"]

_BACKGROUND = (255, 255, 255)
_MARK = (0, 200, 255)
_MARGIN = 8
_LABEL_W = 48
_TITLE_H = 34
_TRACES_H = 150
_MIN_PANEL_W = 420


def heat_colours(heat: np.ndarray) -> np.ndarray:
    """A "hot" colour map: ``[H, W]`` in [0, 1] -> uint8 ``[H, W, 3]`` (black, red, yellow,
    white)."""
    h = np.clip(np.asarray(heat, dtype=np.float32), 0.0, 1.0)
    rgb = np.stack([np.clip(3 * h, 0, 1), np.clip(3 * h - 1, 0, 1), np.clip(3 * h - 2, 0, 1)])
    return np.rint(rgb.transpose(1, 2, 0) * 255).astype(np.uint8)


def _printable(text: str) -> str:
    """Control characters (a class name may hold a terminal escape) drawn as '?'."""
    return "".join(ch if ch.isprintable() else "?" for ch in str(text))


def _overlay(explanation: Explanation, size: tuple[int, int]) -> Image.Image:
    """The dimmed scalogram with the heat blended over it, at ``size`` (width, height)."""
    base = Image.fromarray(scalogram_rgb(explanation.image), mode="RGB").resize(
        size, Image.Resampling.BILINEAR
    )
    heat = Image.fromarray(explanation.heatmap.astype(np.float32), mode="F").resize(
        size, Image.Resampling.BILINEAR
    )
    h = np.clip(np.asarray(heat, dtype=np.float32), 0.0, 1.0)[..., None]
    dimmed = 0.45 * np.asarray(base, dtype=np.float32) + 0.55 * 128.0
    alpha = 0.8 * h
    blended = (1 - alpha) * dimmed + alpha * heat_colours(h[..., 0]).astype(np.float32)
    return Image.fromarray(np.rint(blended).astype(np.uint8), mode="RGB")


def _time_ticks(duration_s: float) -> list[float]:
    step = next(s for s in (0.1, 0.2, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300) if duration_s / s <= 8)
    return [i * step for i in range(int(duration_s / step + 1e-9) + 1)]


def render_explanation_png(
    explanation: Explanation,
    window: Any,
    *,
    rate_hz: float,
    title: str | None = None,
) -> bytes:
    """PNG bytes: the heat map over the window's scalogram, its x, y, z traces underneath.

    Parameters
    ----------
    explanation : Explanation
        From :func:`hfwidgets.explain.explain_window` for ``window``.
    window : numpy.ndarray
        The ``[n, 3]`` samples explained (or an object with such a ``.data``).
    rate_hz : float
        Their sample rate.
    title : str, optional
        First line (default: the window and run ids); the second says the verdict, its
        confidence, the class explained, the method and the peak.
    """
    data = np.asarray(getattr(window, "data", window), dtype=np.float32)[:, :3]
    n = len(data)
    height, width = explanation.heatmap.shape
    panel_w = max(width, _MIN_PANEL_W)
    panel_h = int(np.clip(round(height * panel_w / width), 160, 320))
    left, top = _MARGIN + _LABEL_W, _MARGIN + _TITLE_H
    traces_top = top + panel_h + 8
    size = (left + panel_w + _MARGIN, traces_top + _TRACES_H + 18 + 16 + _MARGIN)
    figure = Image.new("RGB", size, _BACKGROUND)
    figure.paste(_overlay(explanation, (panel_w, panel_h)), (left, top))
    draw = ImageDraw.Draw(figure)
    font = load_font(11)

    def x_of(t: float) -> float:  # pixel edges 0..W span samples -0.5 .. n - 0.5
        return float(left + (t * rate_hz + 0.5) / n * panel_w)

    rows = np.arange(height, dtype=np.float64)
    log_f = np.log(explanation.frequencies_hz)

    def y_of(freq: float) -> float:  # rows run from the highest frequency down
        row = float(np.interp(-np.log(freq), -log_f, rows))
        return float(top + (row + 0.5) * panel_h / height)

    f_low, f_high = float(explanation.frequencies_hz.min()), float(explanation.frequencies_hz.max())
    for freq in (0.2, 0.5, 1, 2, 5, 10, 20, 50, 100):
        if f_low <= freq <= f_high:
            y = y_of(freq)
            draw.line([left - 4, y, left - 1, y], fill=INK)
            draw.text((_MARGIN, y - 6), f"{freq:g} Hz", fill=INK, font=font)
    # The traces share the panel's time axis: sample i sits under the centre of its column.
    inset = 0.5 * panel_w / n
    draw_traces(
        draw, data, (round(left + inset), traces_top, panel_w - round(2 * inset), _TRACES_H), font
    )
    axis_y = traces_top + _TRACES_H + 2
    for t in _time_ticks(n / rate_hz):
        x = x_of(t)
        if x <= left + panel_w:
            draw.line([x, axis_y - 2, x, axis_y + 2], fill=INK)
            draw.text((x - 8, axis_y + 3), f"{t:g} s", fill=INK, font=font)
    if explanation.peak_hz is not None and explanation.peak_s is not None:
        px, py = x_of(explanation.peak_s), y_of(explanation.peak_hz)
        draw.ellipse([px - 9, py - 9, px + 9, py + 9], outline=_MARK, width=2)
        for y in range(traces_top, traces_top + _TRACES_H, 6):  # dashed line at the peak's time
            draw.line([px, y, px, y + 3], fill=_MARK)
    heading = title or " · ".join(
        part
        for part in (
            f"window {explanation.window_id}" if explanation.window_id is not None else "",
            f"run {explanation.run_id}" if explanation.run_id is not None else "",
        )
        if part
    )
    draw.text((_MARGIN, _MARGIN), _printable(heading or "explanation"), fill=INK, font=font)
    draw.text((_MARGIN, _MARGIN + 15), _printable(explanation.describe()), fill=INK, font=font)
    method = (
        f"Grad-CAM on {explanation.layer}, {explanation.cells[0]}x{explanation.cells[1]} cells"
        if explanation.method == "gradcam"
        else f"occlusion, {explanation.cells[0]}x{explanation.cells[1]} patch positions"
    )
    caption = f"heat: evidence for {explanation.target} ({method}) · R=x G=y B=z"
    draw.text((_MARGIN, size[1] - _MARGIN - 12), _printable(caption), fill=INK, font=font)
    return png_bytes(figure)
