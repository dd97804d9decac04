"""Scalograms: the continuous wavelet transform of x, y, z acceleration as an RGB image.

Modules, each importing only those listed before it:

- :mod:`.settings`: :class:`ScalogramSettings` (stored with projects and models; a band left to
  the data is resolved from window length and rate);
- :mod:`.frame`: the gravity frame (each window turned so its mean acceleration points along +z);
- :mod:`.filterbank`: the CWT as a cached frequency-domain filter bank (equal to ``pywt.cwt``);
- :mod:`.resize`: Pillow's bilinear resize of one axis from its taps;
- :mod:`.transform`: :func:`compute_scalograms`, the one function training and live inference
  both call;
- :mod:`.render`: the images as PNG for people (thumbnails, a window beside its scalogram).
"""

from __future__ import annotations

from hfwidgets.scalogram.filterbank import CwtFilterBank, cwt_filterbank
from hfwidgets.scalogram.frame import gravity_frame
from hfwidgets.scalogram.render import render_window_png, scalogram_png, scalogram_rgb
from hfwidgets.scalogram.settings import (
    F_MAX_NYQUIST_FRACTION,
    SETTINGS_VERSION,
    ScalogramSettings,
)
from hfwidgets.scalogram.transform import compute_scalograms, scalogram_filterbank

__all__ = [
    "F_MAX_NYQUIST_FRACTION",
    "SETTINGS_VERSION",
    "CwtFilterBank",
    "ScalogramSettings",
    "compute_scalograms",
    "cwt_filterbank",
    "gravity_frame",
    "render_window_png",
    "scalogram_filterbank",
    "scalogram_png",
    "scalogram_rgb",
]
