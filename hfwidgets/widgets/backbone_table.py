"""BackboneTable: the backbones side by side, one clickable row each.

An HTML table cannot call back into the kernel, so a click on a row selected nothing; here the
name cell is a button. The columns have fixed minimum widths and padding, so they never run
together, and the whole table fits a 900 px window (the latency column stays visible).
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping
from typing import Any

import ipywidgets as w

from hfwidgets.widgets._close import close_widgets

__all__ = ["COLUMNS", "BackboneTable"]

COLUMNS = ("backbone", "parameters", "weights file", "ImageNet top-1", "groups", "CPU latency")
# About 430 px at the least: a 900 px window with JupyterLab's file browser open leaves ~500 px
# for a notebook cell. Headers wrap inside their column rather than push the last one out.
_TEMPLATE = "minmax(130px, 1.4fr) repeat(5, minmax(52px, 1fr))"


class BackboneTable(w.GridBox):
    """One row per backbone; clicking a row's name calls ``on_pick(name)``.

    Parameters
    ----------
    on_pick : callable
        ``on_pick(name)``, e.g. to set a ModelPicker's ``value``.

    Attributes
    ----------
    buttons : dict of str to ipywidgets.Button
        The name cell of each row.
    value : str
        The table as HTML text (what a static export or a test reads).
    """

    def __init__(self, *, on_pick: Callable[[str], object]) -> None:
        self._on_pick = on_pick
        self.buttons: dict[str, w.Button] = {}
        self._texts: dict[str, list[w.HTML]] = {}  # a row's figure cells, kept with its button
        self._header = [w.HTML(f"<small><b>{name}</b></small>") for name in COLUMNS]
        self.value = ""
        super().__init__(
            layout=w.Layout(
                grid_template_columns=_TEMPLATE,
                grid_gap="2px 8px",
                align_items="center",
                max_width="860px",
                width="100%",
            )
        )
        self.add_class("hfw-backbone-table")

    def render(
        self, infos: Mapping[str, Any], latency_ms: Mapping[str, float], chosen: str
    ) -> None:
        """Draw ``infos`` (name -> BackboneInfo) with measured latencies, ``chosen`` highlighted.

        The table is updated in place: a backbone's button and cells are the same widgets from
        one render to the next (a pick and every measured latency render it), so the front end
        keeps the row under the pointer and a click on it lands. Only a backbone no longer in
        ``infos`` loses its row.
        """
        cells: list[w.Widget] = list(self._header)
        rows_html = []
        for name in [n for n in self.buttons if n not in infos]:
            close_widgets([self.buttons.pop(name), *self._texts.pop(name)])
        for name, info in infos.items():
            latency = latency_ms.get(name)
            texts = [
                f"{info.params / 1e6:.2f} M",
                f"{info.file_size_mb:.1f} MB",
                f"{info.imagenet_acc1:.1f} %",
                f"{len(info.groups)}",
                f"{latency:.0f} ms" if latency is not None else "–",
            ]
            if name not in self.buttons:
                self.buttons[name], self._texts[name] = self._new_row(name, len(texts))
            button = self.buttons[name]
            button.button_style = "info" if name == chosen else ""
            button.icon = "check" if name == chosen else ""
            weight = "font-weight:bold;" if name == chosen else ""
            style = f"{weight}white-space:nowrap"
            for cell, text in zip(self._texts[name], texts, strict=True):
                # A same value sends nothing to the front end.
                cell.value = f"<small style='{style}'>{html.escape(text)}</small>"
            cells += [button, *self._texts[name]]
            rows_html.append(
                "<tr><td>" + "</td><td>".join(html.escape(t) for t in [name, *texts]) + "</td></tr>"
            )
        # An unchanged set of rows sends nothing: the front end keeps its views as they are.
        if tuple(cells) != tuple(getattr(self, "children", ())):
            self.children = tuple(cells)
        head = "<tr>" + "".join(f"<th>{html.escape(c)}</th>" for c in COLUMNS) + "</tr>"
        self.value = f"<table class='hfw-model-table'>{head}{''.join(rows_html)}</table>"

    def _new_row(self, name: str, n_texts: int) -> tuple[w.Button, list[w.HTML]]:
        """The button and figure cells of backbone ``name``, made once and kept."""
        button = w.Button(
            description=name,
            tooltip=f"use {name}",
            layout=w.Layout(width="100%", padding="0 4px"),
            style={"font_size": "12px"},
        )
        button.add_class("hfw-backbone-row")
        button.on_click(lambda _b: self._on_pick(name))
        return button, [w.HTML() for _ in range(n_texts)]
