"""BringIntoView: scroll the notebook to a workbench when it is first drawn.

A newcomer runs every cell and would otherwise find the notebook where it was (or at its last
cell), the workbench below the fold. The JavaScript (``workbench_view.js``, loaded by anywidget)
scrolls once per view, when the live plot and the labeller have their size, so that both are in
the visible area together. It draws nothing itself.
"""

from __future__ import annotations

from pathlib import Path

import anywidget

__all__ = ["BringIntoView"]


class BringIntoView(anywidget.AnyWidget):
    """Put inside a :class:`~hfwidgets.widgets.workbench.Workbench`; it scrolls it into view."""

    _esm = Path(__file__).with_name("workbench_view.js")
