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
        """Draw ``infos`` (name -> BackboneInfo) with measured latencies, ``chosen`` highlighted."""
        cells: list[w.Widget] = [w.HTML(f"<small><b>{name}</b></small>") for name in COLUMNS]
        rows_html = []
        for name, info in infos.items():
            latency = latency_ms.get(name)
            texts = [
                f"{info.params / 1e6:.2f} M",
                f"{info.file_size_mb:.1f} MB",
                f"{info.imagenet_acc1:.1f} %",
                f"{len(info.groups)}",
                f"{latency:.0f} ms" if latency is not None else "–",
            ]
            button = self.buttons.get(name)
            if button is None:
                button = w.Button(
                    description=name,
                    tooltip=f"use {name}",
                    layout=w.Layout(width="100%", padding="0 4px"),
                    style={"font_size": "12px"},
                )
                button.add_class("hfw-backbone-row")
                button.on_click(lambda _b, name=name: self._on_pick(name))
                self.buttons[name] = button
            button.button_style = "info" if name == chosen else ""
            button.icon = "check" if name == chosen else ""
            weight = "font-weight:bold;" if name == chosen else ""
            cells.append(button)
            cells += [
                w.HTML(f"<small style='{weight}white-space:nowrap'>{html.escape(t)}</small>")
                for t in texts
            ]
            rows_html.append(
                "<tr><td>" + "</td><td>".join(html.escape(t) for t in [name, *texts]) + "</td></tr>"
            )
        drawn: tuple[w.Widget, ...] = tuple(getattr(self, "children", ()))
        old = [c for c in drawn if c not in cells]  # the text cells drawn before
        with self.hold_sync():
            self.children = tuple(cells)
        for cell in old:
            cell.close()
        head = "<tr>" + "".join(f"<th>{html.escape(c)}</th>" for c in COLUMNS) + "</tr>"
        self.value = f"<table class='hfw-model-table'>{head}{''.join(rows_html)}</table>"
