"""Closing widgets a redraw no longer shows, so their models leave the kernel and the front end.

``Widget.close()`` closes one model: a button's ``layout`` and ``style`` are models of their own
and a box's children too, and each would stay open (one comm each) for as long as the kernel
runs. Widgets here are replaced only when what they show is gone (a deleted run, a backbone's
other groups, another run's classes); a widget that stays is updated in place, so a click on it
while its owner redraws is never lost to a closed comm.
"""

from __future__ import annotations

from collections.abc import Iterable

import ipywidgets as w

__all__ = ["close_widgets"]


def close_widgets(widgets: Iterable[w.Widget]) -> None:
    """Close each widget with its children, its layout and its style."""
    for widget in widgets:
        close_widgets(tuple(getattr(widget, "children", ())))
        for part in (getattr(widget, "style", None), getattr(widget, "layout", None), widget):
            if isinstance(part, w.Widget):
                part.close()
