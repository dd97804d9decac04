"""Guidance, layout, runs and sharing of the workbench in JupyterLab and Chromium (issue 15, 5-8).

One walk, because each step needs the kernel the first started:

- the shared teammate notebook, opened without running it, shows pictures and readable lines
  (no ``Labeler(children=(...`` repr), and ``nbconvert --to html`` keeps the project's figures;
- the guide shows a reference motion per class and the counts against the target;
- at 1400 px: the backbone table's columns stand apart and a click on a row chooses it, each
  freeze group says its size and role, the preset N shows its value, the validation slider's
  track is usable, the plan says what Start will train, no legend covers a curve;
- a new run marks the matrix on screen as the previous run's;
- the run list under the training panel: Use for live (the Live tab says which run), Export
  (a TorchScript file on disk), Delete (gone from the project);
- the live plot's axis reaches past 4 g;
- at 900 px: Pause, Start and Stop are not cut and the latency column is visible.
"""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import expect

from hfwidgets.models import layer_groups
from hfwidgets.sensors import simulate_windows
from hfwidgets.store import Project
from hfwidgets.training.config import TrainConfig
from hfwidgets.training.runner import train_project
from tests.browser.labtools import open_in_lab, run_all_cells, wait_for_trace
from tests.jupyter import LabServer, LaunchLab

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = [pytest.mark.browser, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"
# README's screenshot is refreshed only on request, so a test run leaves the checkout clean.
SCREENSHOT = (
    REPO / "docs" / "workbench.png"
    if os.environ.get("HFW_UPDATE_SCREENSHOT")
    else ARTIFACTS / "workbench-guide.png"
)

# Horizontal extents of the first row's cells of a grid: columns must not run together.
HEADER_BOXES = """sel => [...document.querySelector(sel).children].slice(0, 6)
  .map(c => { const r = c.getBoundingClientRect(); return [r.left, r.right]; })"""
# A button whose label is cut shows an ellipsis: its content is wider than its box.
CUT = """b => b.scrollWidth > b.clientWidth + 1"""


def _seed(path: Path) -> None:
    """8 windows per class and two finished runs (random weights, head only: seconds)."""
    windows, labels = simulate_windows(8, seed=4)
    frozen = tuple(layer_groups("mobilenet_v2")[:-1])
    config = TrainConfig(weights="none", frozen=frozen, epochs=2, batch_size=8, num_threads=1)
    with Project.create(path) as project:
        for data, label in zip(windows, labels, strict=True):
            project.windows.add(data, rate_hz=50.0, source="seed", label=label)
        train_project(project, config)
        train_project(project, config)


def _tab(page: Page, title: str) -> None:
    page.locator(".hfw-workbench .lm-TabBar-tab", has_text=title).first.click()


def _text(page: Page, selector: str) -> str:
    return str(page.locator(selector).first.inner_text())


def _check_shared_notebook(page: Page, lab: LabServer) -> None:
    """The teammate notebook as a teammate opens it: not run, not trusted, no widget state."""
    open_in_lab(page, lab, "teammate.ipynb")
    page.wait_for_selector(".jp-Notebook .jp-OutputArea-output img", timeout=60_000)
    outputs = page.locator(".jp-Notebook .jp-OutputArea-output").all_inner_texts()
    joined = "\n".join(outputs)
    assert "children=(" not in joined  # no raw widget repr
    assert "Labeler (review) of project teammate-project" in joined
    assert "RunList of teammate-project:" in joined
    size = page.locator(".jp-Notebook .jp-OutputArea-output img").last.evaluate(
        "i => [i.naturalWidth, i.naturalHeight]"
    )
    assert size[0] >= 900  # the project picture: counts, runs, matrix, curves
    assert size[1] >= 500
    html = ARTIFACTS / "teammate.html"
    ARTIFACTS.mkdir(exist_ok=True)
    subprocess.run(
        [sys.executable, "-m", "jupyter", "nbconvert", "--to", "html", "--output-dir",
         str(ARTIFACTS), str(REPO / "notebooks" / "teammate.ipynb")],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    text = html.read_text()
    assert text.count('src="data:image/png;base64,') >= 1  # the figures, with no network
    assert "children=(" not in text


def test_guide_layout_runs_and_sharing(launch_lab: LaunchLab, page: Page, tmp_path: Path) -> None:
    root = tmp_path / "lab"
    root.mkdir()
    for name in ("workbench.ipynb", "teammate.ipynb"):
        shutil.copyfile(REPO / "notebooks" / name, root / name)
    project = root / "high-five-project"
    _seed(project)
    lab = launch_lab(root, env={"HFW_WEIGHTS": "none"})

    # Item 8: the shared notebook shows its figures without a kernel and converts offline.
    _check_shared_notebook(page, lab)

    open_in_lab(page, lab, "workbench.ipynb")
    # Before it runs, the saved output is the project's picture and a line, not a raw repr.
    page.wait_for_selector(".jp-Notebook .jp-OutputArea-output img", timeout=60_000)
    saved = "\n".join(page.locator(".jp-Notebook .jp-OutputArea-output").all_inner_texts())
    assert "children=(" not in saved
    run_all_cells(page)
    wait_for_trace(page)

    # Item 5: reference motions and counts against the target.
    guide = page.locator(".hfw-guide")
    assert guide.locator("img").count() == 2
    assert guide.locator("img").first.evaluate("i => i.naturalWidth") > 100
    guide_text = guide.inner_text()
    assert "8 / 20" in guide_text
    assert "12 more high-five, 12 more other to reach 20 each" in guide_text

    # Item 6: the live plot's range is wider than +/-4 g.
    ticks = page.evaluate(
        "() => [...document.querySelectorAll('.hfw-live-plot .axis text')].map(t => t.textContent)"
    )
    values = [float(t.replace("−", "-")) for t in ticks if t.strip().lstrip("−-").isdigit()]
    assert max(values) >= 6, ticks
    assert page.locator(".hfw-live-plot .legend").count() == 0  # no box over the newest data
    SCREENSHOT.parent.mkdir(exist_ok=True)
    page.set_viewport_size({"width": 1400, "height": 1500})  # the whole capture tab
    page.locator(".hfw-workbench").scroll_into_view_if_needed()
    page.wait_for_timeout(500)
    page.locator(".hfw-workbench").screenshot(path=str(SCREENSHOT))
    page.set_viewport_size({"width": 1400, "height": 1000})

    # Item 6: the backbone table and the freeze checklist.
    _tab(page, "Model & freeze")
    table = page.locator(".hfw-backbone-table")
    table.wait_for(timeout=30_000)  # a tab's widgets are drawn when it is first shown
    boxes = page.evaluate(HEADER_BOXES, ".hfw-backbone-table")
    gaps = [b[0] - a[1] for a, b in itertools.pairwise(boxes)]
    assert min(gaps) >= 6, boxes  # columns stand apart
    table.locator("button", has_text="resnet18").click()
    checklist = page.locator(".hfw-freeze-checklist")
    checklist.get_by_text("layer4").wait_for(timeout=10_000)
    assert "resnet18" in page.locator(".hfw-model-picker select").first.evaluate("s => s.value")
    rows = checklist.inner_text()
    assert "parameters" in rows
    assert "edges" in rows
    assert "late: whole shapes" in rows
    n_input = checklist.locator(".widget-inline-hbox", has_text="N").locator("input").first
    assert n_input.input_value() == "2"
    assert n_input.evaluate("i => i.clientWidth") >= 40  # the value is readable
    table.locator("button", has_text="mobilenet_v2").click()
    checklist.get_by_text("stage7").wait_for(timeout=10_000)

    # Item 6 and 5: the Train tab's controls, plan, curves and matrix.
    _tab(page, "Train")
    panel = page.locator(".hfw-training-panel")
    panel.get_by_text("Confusion matrix of run 2").wait_for(timeout=30_000)  # drawn when shown
    track = panel.locator(".widget-hslider .slider-container").first
    assert track.evaluate("e => e.getBoundingClientRect().width") >= 150
    plan = _text(page, ".hfw-training-panel")
    assert "Start will train mobilenet_v2" in plan
    assert "on 16 windows (high-five 8, other 8)" in plan
    assert "validation 20%" in plan
    assert panel.locator(".legend").count() == 0  # no bqplot legend box over the curves
    assert "training · ●━ validation" in plan
    assert "Confusion matrix of run 2" in plan

    # Item 7: a new run marks the matrix on screen as the previous run's.
    for name, value in (("Epochs", "1000"), ("Batch", "1")):
        field = panel.locator(".widget-inline-hbox", has_text=name).locator("input")
        field.fill(value)
        field.press("Enter")
    panel.locator("button", has_text="Start").click()
    panel.get_by_text("(the previous run; this run's appears when it ends)").wait_for(
        timeout=60_000
    )
    panel.get_by_text("ETA").wait_for(timeout=120_000)  # batches are running
    panel.locator("button", has_text="Stop").click()
    panel.locator("button", has_text="Start").and_(page.locator(":enabled")).wait_for(
        timeout=120_000
    )

    # Item 7: the run list.
    runs = page.locator(".hfw-run-list")  # under the training panel
    page.wait_for_function(
        "() => document.querySelectorAll('.hfw-run-list .hfw-run-use').length === 3",
        timeout=30_000,
    )
    listing = runs.inner_text()
    assert "on 3 validation windows from 1 session/source" in listing
    assert "MB" in listing
    # Each step waits for the state its click makes (the row's button, the file), not for the
    # first message: the list is still updating when the message arrives.
    runs.locator(".hfw-run-use").nth(2).click()  # run 1 (newest first)
    expect(runs.locator(".hfw-run-use").nth(2)).to_have_text("Live ✓", timeout=30_000)
    runs.get_by_text("the Live tab now counts with run 1").wait_for(timeout=30_000)
    runs.locator(".hfw-run-export").nth(2).click()
    runs.get_by_text("run 1 exported to").wait_for(timeout=120_000)
    assert (project / "exports" / "run-1.pt").stat().st_size > 100_000
    assert (project / "exports" / "run-1.pt.json").is_file()
    runs.locator(".hfw-run-delete").nth(1).click()  # run 2
    runs.locator(".hfw-run-delete", has_text="Sure?").click()
    runs.get_by_text("run 2 deleted").wait_for(timeout=30_000)
    page.wait_for_function(
        "() => document.querySelectorAll('.hfw-run-list .hfw-run-use').length === 2",
        timeout=30_000,
    )
    with Project.open(project) as stored:
        assert [r.id for r in stored.runs.all()] == [1, 3]
    _tab(page, "Live")
    page.locator(".hfw-workbench").get_by_text("Counting with").wait_for(timeout=30_000)
    assert "Counting with run 1" in _text(page, ".hfw-workbench")

    # Item 6 at 900 px: nothing cut, the latency column visible.
    page.set_viewport_size({"width": 900, "height": 1000})
    # JupyterLab lays its panels out again on the next frames: wait until the notebook fits.
    page.wait_for_function(
        """() => { const wb = document.querySelector('.hfw-workbench');
                   const nb = wb.closest('.jp-NotebookPanel').getBoundingClientRect();
                   return window.innerWidth === 900 && nb.right <= 900; }""",
        timeout=30_000,
    )
    labels = page.locator(".hfw-workbench .lm-TabBar-tabLabel")
    assert labels.count() == 4
    for i in range(4):
        assert not labels.nth(i).evaluate(CUT), labels.nth(i).inner_text()
    _tab(page, "Capture & label")
    pause = page.locator(".hfw-live-plot button", has_text="Pause").first
    assert not pause.evaluate(CUT)
    _tab(page, "Train")
    for label in ("Start", "Stop"):
        assert not panel.locator("button", has_text=label).first.evaluate(CUT)
    _tab(page, "Model & freeze")
    latency = table.get_by_text("CPU latency")
    assert latency.is_visible()
    right = latency.evaluate("e => e.getBoundingClientRect().right")
    cell = page.locator(".hfw-workbench").evaluate("e => e.getBoundingClientRect().right")
    assert right <= cell
    page.screenshot(path=str(ARTIFACTS / "workbench-900.png"))
