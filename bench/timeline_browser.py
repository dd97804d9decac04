"""The timeline in Chromium (``python bench/timeline.py --browser``): a 1-hour 50 Hz session
shown by SessionTimeline and by a plain bqplot Figure holding every sample, in one JupyterLab
(started here) driven by Playwright, one notebook each, the same kernel work around them.

*Open*: from running the cell that builds and shows the widget (the project and the imports
are already loaded by the cell before it) to the first frame in which the page's trace path
holds the session (polled every animation frame). *Pan*: a cell moves a 10-minute view by a
tenth of it ``pans`` times from the kernel, as fast as it can or ``pace`` times a second (a
drag's pointer events come at about 60 a second) (the timeline's ``set_view``:
the envelope recomputed and sent; the plain figure: its x scale's ``min``/``max``, every sample
already in the page). A MutationObserver on the trace paths stamps each change and a
requestAnimationFrame loop counts the frames that showed a change; *redraws/s* is those frames
over the time from the first change to the last, *pans/s* the pans over that time (the page
is done when its paths have not changed for a second after the cell ended).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))  # the lab helpers of the browser tests

__all__ = ["browser_rows"]

CHROMIUM = "/usr/bin/chromium"
VIEW_S = 600.0

_SETUP = """\
import time
import numpy as np
import bqplot as bq
from hfwidgets.store import Project
from hfwidgets.widgets import SessionTimeline
project = Project.open('proj')
(sid,) = project.sessions.ids()
record = project.sessions.get(sid)
"""
_SHOW = {
    "timeline": "view = SessionTimeline(project, columns={columns}, keyboard=False)\nview",
    "plain": (
        "xs = bq.LinearScale()\n"
        "lines = bq.Lines(x=record.t, y=record.xyz.T, scales={{'x': xs, 'y': bq.LinearScale()}},"
        " colors=['#E69F00', '#56B4E9', '#009E73'], stroke_width=1)\n"
        "view = bq.Figure(marks=[lines], axes=[bq.Axis(scale=xs)], animation_duration=0)\n"
        "view.add_class('hfw-bench-plain')\nview"
    ),
}
_PAN = {
    "timeline": "view.set_view(lo, lo + {view})",
    "plain": "with xs.hold_sync():\n        xs.min, xs.max = lo, lo + {view}",
}
_PAN_CELL = """\
start = time.perf_counter()
for k in range({pans}):
    lo = (k + 1) * {view} / 10
    {pan}
    if {pace}:
        time.sleep(max(0.0, start + (k + 1) / {pace} - time.perf_counter()))
kernel_pans_per_s = {pans} / (time.perf_counter() - start)
"""
_FIGURE = {"timeline": ".hfw-timeline .bqplot", "plain": ".hfw-bench-plain"}
# The figure's trace paths hold the session (thousands of points drawn).
_DRAWN = """sel => { const f = document.querySelector(sel); if (!f) return false;
  return [...f.querySelectorAll('path.line')]
    .some(p => (p.getAttribute('d') || '').length > 5000); }"""
# Stamp every change of the figure's trace paths, and count the frames that showed one.
_OBSERVE = """sel => { const f = document.querySelector(sel);
  const s = window.__hfwPan = {changes: 0, frames: 0, first: null, last: null, dirty: false};
  new MutationObserver(() => { const now = performance.now(); s.changes += 1;
    if (s.first === null) s.first = now; s.last = now; s.dirty = true; })
    .observe(f, {subtree: true, attributes: true, attributeFilter: ['d']});
  const tick = () => { if (s.dirty) { s.frames += 1; s.dirty = false; }
    requestAnimationFrame(tick); };
  requestAnimationFrame(tick); }"""
_SETTLED = """() => { const s = window.__hfwPan; const w = window.jupyterapp.shell.currentWidget;
  return s.last !== null && w.sessionContext.session.kernel.status === 'idle' &&
         performance.now() - s.last > 1000; }"""


def _notebook(path: Path, cells: list[str]) -> None:
    nb = {
        "cells": [
            {"cell_type": "code", "metadata": {}, "source": c, "outputs": [],
             "execution_count": None}
            for c in cells
        ],
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                    "language": "python"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }  # fmt: skip
    path.write_text(json.dumps(nb), encoding="utf-8")


def _run_cell(page: Any, index: int) -> None:
    page.evaluate(
        """i => { const w = window.jupyterapp.shell.currentWidget;
                 w.content.activeCellIndex = i;
                 return window.jupyterapp.commands.execute('notebook:run-cell'); }""",
        index,
    )


def _wait_idle(page: Any, index: int) -> None:
    page.wait_for_function(
        """i => { const w = window.jupyterapp.shell.currentWidget;
                 return w.content.widgets[i].model.executionCount !== null &&
                        w.sessionContext.session.kernel.status === 'idle'; }""",
        arg=index,
        timeout=300_000,
    )


def _measure(page: Any, lab: Any, name: str, kind: str) -> dict[str, Any]:
    from tests.browser.labtools import open_in_lab

    open_in_lab(page, lab, name)
    page.wait_for_selector(".jp-Notebook", timeout=60_000)
    page.wait_for_function(
        """() => { const w = window.jupyterapp.shell.currentWidget;
                   return !!(w && w.sessionContext && w.sessionContext.session &&
                             w.sessionContext.session.kernel &&
                             w.sessionContext.session.kernel.status === 'idle'); }""",
        timeout=120_000,
    )
    _run_cell(page, 0)
    _wait_idle(page, 0)
    start = time.perf_counter()
    _run_cell(page, 1)
    page.wait_for_function(_DRAWN, arg=_FIGURE[kind], polling="raf", timeout=300_000)
    open_s = time.perf_counter() - start
    _wait_idle(page, 1)
    page.evaluate(_OBSERVE, _FIGURE[kind])
    _run_cell(page, 2)
    page.wait_for_function(_SETTLED, polling=100, timeout=600_000)
    seen = page.evaluate("() => window.__hfwPan")
    span_s = max((seen["last"] - seen["first"]) / 1000.0, 1e-9)
    return {"open_s": open_s, "frames": seen["frames"], "changes": seen["changes"],
            "span_s": span_s}  # fmt: skip


def browser_rows(
    project_dir: Path, *, pans: int, columns: int, pace: float = 0.0
) -> list[dict[str, Any]]:
    """Open and pan both views of the session in ``project_dir`` (under a lab root started
    here); ``pace``: pans per second the kernel asks for (0: as fast as it can)."""
    from playwright.sync_api import sync_playwright

    from tests.browser.conftest import CHROMIUM_ARGS
    from tests.jupyter import start_lab

    root = project_dir.parent
    for kind in ("timeline", "plain"):
        show = _SHOW[kind].format(columns=columns)
        pan = _PAN_CELL.format(
            pans=pans, view=VIEW_S, pan=_PAN[kind].format(view=VIEW_S), pace=float(pace)
        )
        _notebook(root / f"bench-{kind}.ipynb", [_SETUP, show, pan])
    results: dict[str, dict[str, Any]] = {}
    server = start_lab(root)
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            for kind in ("timeline", "plain"):
                context = browser.new_context(viewport={"width": 1280, "height": 900})
                page = context.new_page()
                results[kind] = _measure(page, server, f"bench-{kind}.ipynb", kind)
                context.close()
            browser.close()
    finally:
        server.stop()
    ours, plain = results["timeline"], results["plain"]
    rows = [
        {
            "step": "open 1 h in Chromium (s)",
            "timeline": round(ours["open_s"], 2),
            "plain": round(plain["open_s"], 2),
            "ratio": round(plain["open_s"] / ours["open_s"], 1),
        },
        {
            "step": "pan: redraws/s",
            "timeline": round(ours["frames"] / ours["span_s"], 1),
            "plain": round(plain["frames"] / plain["span_s"], 1),
        },
        {
            "step": "pan: pans drawn/s",
            "timeline": round(pans / ours["span_s"], 1),
            "plain": round(pans / plain["span_s"], 1),
        },
    ]
    for row in rows[1:]:
        row["ratio"] = round(row["timeline"] / max(row["plain"], 1e-9), 1)
    return rows
