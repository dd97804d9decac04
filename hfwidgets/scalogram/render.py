"""Scalograms as pictures for people: the one PNG encoder of hfwidgets.

:func:`scalogram_png` is the image alone (the labeller's thumbnail); :func:`render_window_png`
puts a window's x, y, z traces beside it (docs, reports). Both draw the
:func:`~hfwidgets.scalogram.compute_scalograms` image itself as 8-bit RGB (:func:`scalogram_rgb`)
with Pillow alone (no matplotlib), so what a person judges is what the model gets, and both are
cheap enough to render on every capture.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from PIL import Image, ImageDraw

from hfwidgets.pictures import INK, LABEL_WIDTH, Font, draw_traces, load_font, png_bytes
from hfwidgets.scalogram.settings import ScalogramSettings
from hfwidgets.scalogram.transform import compute_scalograms

__all__ = ["render_window_png", "scalogram_png", "scalogram_rgb"]

_BACKGROUND = (255, 255, 255)
_MARGIN = 8
_TITLE_H = 18
_AXIS_H = 18  # room for the time labels under each panel


@dataclass(frozen=True)
class _Layout:
    """Pixel boxes ``(left, top, width, height)`` of the figure's parts."""

    size: tuple[int, int]
    traces: tuple[int, int, int, int]
    scalogram: tuple[int, int, int, int]


def scalogram_rgb(image: np.ndarray) -> np.ndarray:
    """A ``[3, H, W]`` scalogram in [0, 1] as uint8 RGB ``[H, W, 3]`` (x red, y green, z blue)."""
    array = np.asarray(image, dtype=np.float32)
    if array.ndim != 3 or array.shape[0] != 3:
        raise ValueError(f"a scalogram image has shape [3, H, W], got {array.shape}")
    return np.rint(np.clip(array, 0.0, 1.0).transpose(1, 2, 0) * 255).astype(np.uint8)


def _window_array(window: Any) -> np.ndarray:
    data = np.asarray(getattr(window, "data", window), dtype=np.float32)
    if data.ndim != 2 or data.shape[1] != 3:
        raise ValueError(f"window must have shape [n, 3] (x, y, z), got {data.shape}")
    return data


def scalogram_png(
    window: Any,
    *,
    rate_hz: float,
    settings: ScalogramSettings | None = None,
    size: tuple[int, int] | None = None,
) -> bytes:
    """The scalogram of one window alone, as PNG bytes.

    Parameters
    ----------
    window : numpy.ndarray
        ``[n, 3]`` samples in g (or an object with such a ``.data``).
    rate_hz : float
        Sample rate of the window.
    settings : ScalogramSettings, optional
        The project's settings (default ``ScalogramSettings()``).
    size : tuple of int, optional
        ``(height, width)`` to draw at instead of ``settings.size`` (a thumbnail); every other
        setting, the band included, is kept.

    Raises
    ------
    ValueError
        As :func:`~hfwidgets.scalogram.compute_scalograms` for bad windows or settings.
    """
    settings = settings or ScalogramSettings()
    if size is not None:
        settings = replace(settings, size=size)
    data = _window_array(window)
    image = compute_scalograms(data[None], rate_hz=rate_hz, settings=settings)[0]
    return png_bytes(Image.fromarray(scalogram_rgb(image), mode="RGB"))


def _layout(settings: ScalogramSettings, *, traces_width: int) -> _Layout:
    height, width = settings.size
    top = _MARGIN + _TITLE_H
    traces = (_MARGIN + LABEL_WIDTH, top, traces_width, height)
    left = traces[0] + traces_width + _MARGIN + LABEL_WIDTH
    scalogram = (left, top, width, height)
    size = (left + width + _MARGIN, top + height + _AXIS_H + _MARGIN)
    return _Layout(size, traces, scalogram)


def _draw_time_axis(
    draw: ImageDraw.ImageDraw, box: tuple[int, int, int, int], duration_s: float, font: Font
) -> None:
    left, top, width, height = box
    y = top + height + 2
    draw.text((left, y), "0 s", fill=INK, font=font)
    label = f"{duration_s:.2f} s"
    draw.text((left + width - 6 * len(label), y), label, fill=INK, font=font)


def _draw_frequency_axis(
    draw: ImageDraw.ImageDraw,
    box: tuple[int, int, int, int],
    settings: ScalogramSettings,
    font: Font,
) -> None:
    """Ticks at round frequencies; rows are geometric from f_max (top) to f_min (bottom)."""
    left, top, _, height = box
    f_min, f_max = float(settings.frequencies()[-1]), float(settings.frequencies()[0])
    candidates = [0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500]
    ticks = [f for f in candidates if f_min <= f <= f_max] or [f_min, f_max]
    for freq in ticks:
        fraction = np.log(f_max / freq) / np.log(f_max / f_min)
        y = top + fraction * (height - 1)
        draw.line([left - 4, y, left - 1, y], fill=INK)
        draw.text((left - LABEL_WIDTH + 2, y - 6), f"{freq:g} Hz", fill=INK, font=font)


def render_window_png(
    window: np.ndarray,
    *,
    rate_hz: float,
    settings: ScalogramSettings | None = None,
    title: str | None = None,
    traces_width: int = 300,
) -> bytes:
    """Render a window's x, y, z traces beside its scalogram as PNG bytes.

    Parameters
    ----------
    window : numpy.ndarray
        ``[n, 3]`` samples in g (an object with a ``.data`` array, such as a segmenter
        ``Window``, is accepted too).
    rate_hz : float
        Sample rate of the window.
    settings : ScalogramSettings, optional
        The project's settings (default ``ScalogramSettings()``); the panel is drawn at
        ``settings.size``.
    title : str, optional
        Text over the figure, e.g. the window's id and label.
    traces_width : int
        Width in pixels of the traces panel.

    Returns
    -------
    bytes
        A PNG image (``IPython.display.Image(data)`` or an ipywidgets ``Image`` shows it).

    Raises
    ------
    ValueError
        As :func:`~hfwidgets.scalogram.compute_scalograms` for bad windows or settings.
    """
    settings = settings or ScalogramSettings()
    data = _window_array(window)
    if traces_width < 32:
        raise ValueError(f"traces_width={traces_width} is too narrow; use >= 32 pixels")
    # Resolved for this window, so the frequency axis can be labelled.
    settings = settings.resolve(window_s=len(data) / rate_hz, rate_hz=rate_hz)
    image = compute_scalograms(data[None], rate_hz=rate_hz, settings=settings)[0]
    rgb = scalogram_rgb(image)

    layout = _layout(settings, traces_width=traces_width)
    figure = Image.new("RGB", layout.size, _BACKGROUND)
    figure.paste(Image.fromarray(rgb, mode="RGB"), layout.scalogram[:2])
    draw = ImageDraw.Draw(figure)
    font = load_font(11)
    duration_s = len(data) / rate_hz
    draw_traces(draw, data, layout.traces, font)
    _draw_time_axis(draw, layout.traces, duration_s, font)
    _draw_time_axis(draw, layout.scalogram, duration_s, font)
    _draw_frequency_axis(draw, layout.scalogram, settings, font)
    heading = title or f"{len(data)} samples at {rate_hz:g} Hz"
    draw.text((_MARGIN, _MARGIN), heading, fill=INK, font=font)
    caption = f"{settings.representation} {settings.wavelet}  R=x G=y B=z"
    draw.text((layout.scalogram[0], _MARGIN), caption, fill=INK, font=font)
    return png_bytes(figure)
