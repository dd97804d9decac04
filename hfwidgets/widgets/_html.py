"""Escaping for the strings that widgets put into ``ipywidgets.HTML`` values.

An HTML widget's value becomes the ``innerHTML`` of an element in JupyterLab, where script runs
with the logged-in user's rights. Class names, labels, checkpoint classes, error texts, project
paths and port names come from a project database, a file or a device that anybody may have
written, so every one of them goes through :func:`esc` before it is joined with markup.
Markup the widget itself writes (``<b>``, ``<small>``) is not escaped.
"""

from __future__ import annotations

import html
from collections.abc import Iterable

__all__ = ["esc", "esc_join"]


def esc(value: object) -> str:
    """``str(value)`` with ``&``, ``<``, ``>``, ``"`` and ``'`` as entities, safe inside HTML.

    Parameters
    ----------
    value
        Any object; ``None`` and numbers are written as ``str`` writes them.

    Examples
    --------
    >>> esc("<img src=x onerror=alert(1)>")
    '&lt;img src=x onerror=alert(1)&gt;'
    """
    return html.escape(str(value), quote=True)


def esc_join(values: Iterable[object], sep: str = ", ") -> str:
    """Escape each of ``values`` and join them with ``sep`` (markup, not escaped)."""
    return sep.join(esc(v) for v in values)
