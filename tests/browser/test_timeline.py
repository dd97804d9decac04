"""The session timeline in JupyterLab and Chromium (issue 25's "done when"): on a session
recorded from the simulated arm (``hfw record --fast``), a real mouse drag marks a region and
a click marks an event, a class key picks the class, and both marks are read back from the
project database by another process (this test)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from hfwidgets.store import Project
from tests.browser.labtools import open_in_lab, run_all_cells

pytestmark = pytest.mark.browser

NOTEBOOK = {
    "cells": [
        {
            "cell_type": "code",
            "metadata": {},
            "execution_count": None,
            "outputs": [],
            "source": [
                "from hfwidgets.store import Project\n",
                "from hfwidgets.widgets import SessionTimeline\n",
                "timeline = SessionTimeline(Project.open('proj'))\n",
                "timeline",
            ],
        }
    ],
    "metadata": {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    },
    "nbformat": 4,
    "nbformat_minor": 5,
}
# The traces are drawn: a line of the figure with thousands of points.
DRAWN = """() => [...document.querySelectorAll('.hfw-timeline .bqplot path.line')]
  .some(p => (p.getAttribute('d') || '').length > 5000)"""
# The figure's box and its margins (bqplot's fig_margin), to place the mouse at a time.
PLOT_BOX = """() => { const f = document.querySelector('.hfw-timeline .bqplot');
  const r = f.getBoundingClientRect(); return [r.left, r.top, r.width, r.height]; }"""


def _marks(project_dir: Path, count: int, timeout: float = 30.0) -> list[Any]:
    """The project's marks once there are ``count`` (read as another process would)."""
    deadline = time.monotonic() + timeout
    while True:
        with Project.open(project_dir) as project:
            marks = project.marks.all()
            counts = project.windows.counts()
        if len(marks) >= count or time.monotonic() > deadline:
            return [(m.kind, m.label, m.start, m.end, len(m.window_ids), counts) for m in marks]
        time.sleep(0.25)  # the kernel stores the mark when its message arrives


def _x_of(box: list[float], t: float, duration: float) -> float:
    left, right = 55, 10  # SessionTimeline's fig_margin
    return box[0] + left + t / duration * (box[2] - left - right)


def test_drag_a_region_and_click_an_event_then_read_them_from_the_database(
    page: Any, launch_lab: Any, tmp_path: Path
) -> None:
    proj = tmp_path / "proj"
    record = subprocess.run(
        [sys.executable, "-m", "hfwidgets", "record", "--seconds", "60", "--project", str(proj),
         "--fast", "--seed", "5", "--json"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert json.loads(record.stdout.strip().splitlines()[-1])["samples"] >= 2900
    (tmp_path / "timeline.ipynb").write_text(json.dumps(NOTEBOOK), encoding="utf-8")
    lab = launch_lab(tmp_path)
    open_in_lab(page, lab, "timeline.ipynb")
    run_all_cells(page)
    page.wait_for_function(DRAWN, timeout=60_000)
    with Project.open(proj) as project:
        (sid,) = project.sessions.ids()
        session = project.sessions.get(sid)
        duration = float(session.t[-1])
    box = page.evaluate(PLOT_BOX)
    middle_y = box[1] + box[3] / 2

    page.locator(".hfw-timeline button", has_text="mark region").click()
    page.locator(".hfw-timeline button", has_text="other").click()
    # The mode is the kernel's: drag once it has put the brush on the figure.
    page.locator(".hfw-timeline .bqplot .brushintsel").wait_for(timeout=30_000)
    page.mouse.move(_x_of(box, 20.0, duration), middle_y)
    page.mouse.down()
    page.mouse.move(_x_of(box, 24.0, duration), middle_y, steps=12)
    page.mouse.up()
    (region,) = _marks(proj, 1)
    assert region[:2] == ("region", "other")
    assert region[2] == pytest.approx(20.0, abs=0.5)
    assert region[3] == pytest.approx(24.0, abs=0.5)
    assert region[4] == 2  # two 1.5 s windows cut from it, labelled

    page.locator(".hfw-timeline button", has_text="mark event").click()
    page.locator(".hfw-timeline .bqplot .brushintsel").wait_for(state="detached", timeout=30_000)
    page.mouse.move(_x_of(box, 33.6, duration), middle_y)
    page.keyboard.press("1")  # the first class, as in the labeller: high-five
    page.mouse.click(_x_of(box, 33.6, duration), middle_y)
    marks = _marks(proj, 2)
    assert [m[:2] for m in marks] == [("region", "other"), ("event", "high-five")]
    assert marks[1][2] == pytest.approx(33.6, abs=0.5)
    assert marks[1][5]["high-five"] == 1  # its window, labelled, in the counts
    page.wait_for_function(
        "() => document.querySelector('.hfw-timeline').innerText.includes('high-five 1')"
    )
