"""What a widget's output shows where the widget cannot be drawn.

JupyterLab draws a widget only with a kernel (or saved widget state) in a trusted notebook;
nbconvert and GitHub never do. Otherwise the output falls back to its other representations:
by default ``Workbench(children=(HTML(...`` as text. :func:`static_bundle` replaces that text by
a sentence a person can read and adds a PNG picture where the widget has one.
"""

from __future__ import annotations

import base64
from typing import Any

__all__ = ["static_bundle"]

_HINT = " (an interactive widget: run the notebook to use it)"


def static_bundle(
    bundle: dict[str, Any] | None, text: str, *, png: bytes | None = None
) -> dict[str, Any] | None:
    """``bundle`` (from ``ipywidgets.Widget._repr_mimebundle_``) with ``text`` and ``png``.

    Parameters
    ----------
    bundle
        The widget's own mime bundle (None when it has no view: returned as is).
    text
        Plain text that says what the widget shows.
    png
        An optional picture of it (``image/png``), shown by front ends that cannot draw the
        widget: an untrusted notebook, ``nbconvert --to html``, GitHub.
    """
    if bundle is None:
        return None
    out = dict(bundle)
    out["text/plain"] = text + _HINT
    if png is not None:
        out["image/png"] = base64.b64encode(png).decode("ascii")
    return out
