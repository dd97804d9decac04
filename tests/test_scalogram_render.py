"""The one PNG path: thumbnails and render_window_png show exactly the model's input."""

from __future__ import annotations

import io
from typing import Literal

import numpy as np
import pytest
from PIL import Image

from hfwidgets.scalogram import (
    ScalogramSettings,
    compute_scalograms,
    render_window_png,
    scalogram_png,
    scalogram_rgb,
)
from hfwidgets.scalogram.render import _layout


def swing(n: int = 75, rate_hz: float = 50.0) -> np.ndarray:
    t = np.arange(n) / rate_hz
    return np.stack(
        [np.sin(2 * np.pi * 3 * t), 0.5 * np.cos(2 * np.pi * 6 * t), 0.98 + 0.1 * t], axis=1
    ).astype(np.float32)


def decode(png: bytes) -> np.ndarray:
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))


def test_scalogram_panel_is_the_model_input() -> None:
    settings = ScalogramSettings(size=(128, 160))
    window = swing()
    picture = decode(render_window_png(window, rate_hz=50.0, settings=settings, title="#7"))
    layout = _layout(settings, traces_width=300)
    assert picture.shape == (layout.size[1], layout.size[0], 3)
    left, top, width, height = layout.scalogram
    panel = picture[top : top + height, left : left + width].astype(int)
    expected = compute_scalograms(window[None], rate_hz=50.0, settings=settings)[0]
    expected = np.rint(expected.transpose(1, 2, 0) * 255).astype(int)
    assert np.abs(panel - expected).max() <= 1


def test_traces_are_drawn_in_axis_colours() -> None:
    window = swing()
    picture = decode(render_window_png(window, rate_hz=50.0))
    left, top, width, height = _layout(ScalogramSettings(), traces_width=300).traces
    traces = picture[top : top + height, left : left + width]
    strip = height // 3
    for axis, colour in enumerate([(214, 39, 40), (44, 160, 44), (31, 119, 180)]):
        rows = traces[axis * strip : (axis + 1) * strip]
        assert (rows == colour).all(axis=-1).sum() > 50, f"axis {'xyz'[axis]} not drawn"


def test_still_window_renders_with_a_zero_scalogram() -> None:
    window = np.full((60, 3), 0.3, dtype=np.float32)
    cases: tuple[tuple[Literal["signed", "magnitude"], int], ...] = (
        ("magnitude", 0),
        ("signed", 128),
    )
    for representation, zero in cases:
        settings = ScalogramSettings(size=(64, 64), representation=representation)
        picture = decode(render_window_png(window, rate_hz=50.0, settings=settings))
        left, top, width, height = _layout(settings, traces_width=300).scalogram
        assert (picture[top : top + height, left : left + width] == zero).all()


def test_thumbnail_is_the_model_input_at_thumbnail_size() -> None:
    # A data-derived band is resolved from the window itself, as compute_scalograms does.
    settings = ScalogramSettings(size=(224, 224))
    window = swing(n=120, rate_hz=40.0)
    png = scalogram_png(window, rate_hz=40.0, settings=settings, size=(48, 64))
    small = ScalogramSettings(size=(48, 64))
    expected = compute_scalograms(window[None], rate_hz=40.0, settings=small)[0]
    np.testing.assert_array_equal(decode(png), scalogram_rgb(expected))
    assert decode(png).shape == (48, 64, 3)


def test_window_view_uses_the_same_png_and_survives_bad_windows(
    caplog: pytest.LogCaptureFixture,
) -> None:
    from hfwidgets.widgets.window_view import scalogram_png as thumbnail

    window = swing()
    settings = ScalogramSettings(representation="magnitude")
    assert thumbnail(window, rate_hz=50.0, settings=settings, size=32) == scalogram_png(
        window, rate_hz=50.0, settings=settings, size=(32, 32)
    )
    bad = window.copy()
    bad[3, 1] = np.inf
    assert thumbnail(bad, rate_hz=50.0) is None  # logged, labelling goes on
    assert "scalogram thumbnail failed" in caplog.text


def test_accepts_objects_with_data_and_rejects_bad_windows() -> None:
    class Window:
        data = swing()

    assert decode(render_window_png(Window(), rate_hz=50.0)).size > 0  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"\[n, 3\]"):
        render_window_png(np.zeros((3, 75)), rate_hz=50.0)
    bad = swing()
    bad[5, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        render_window_png(bad, rate_hz=50.0)
