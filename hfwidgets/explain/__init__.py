"""Explanations: where in a window's scalogram a trained run found the evidence for its verdict.

Pure logic (no widgets); modules:

- :mod:`.heatmap`: :class:`Explanation`, the pixel grid's frequencies and times, the peak;
- :mod:`.gradcam`: Grad-CAM on the last convolutional layer group of a registry backbone;
- :mod:`.occlusion`: a neutral patch slid over the scalogram, the class probability's drop;
- :mod:`.explainer`: :func:`explain_window` (a predictor and samples) and
  :func:`explain_stored_window` (a project's run and window);
- :mod:`.overlay`: :func:`render_explanation_png`, the heat map over the scalogram with the
  three axes under it.

Simulated windows whose evidence lies at a known time and frequency, and the run trained on
them, are in ``tests/evidence.py`` (the tests' and ``bench/explain.py``'s check).
"""

from __future__ import annotations

from hfwidgets.explain.explainer import explain_stored_window, explain_window
from hfwidgets.explain.heatmap import METHODS, Explanation, image_grid
from hfwidgets.explain.overlay import render_explanation_png

__all__ = [
    "METHODS",
    "Explanation",
    "explain_stored_window",
    "explain_window",
    "image_grid",
    "render_explanation_png",
]
