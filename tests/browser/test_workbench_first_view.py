"""What a newcomer sees first, in JupyterLab and Chromium (issue 27 items 1, 2 and 4).

- Right after Run All Cells, with no scrolling by the person, the live plot and the labeller are
  both in the notebook's visible area, at 1400x1000 and at 1280x800 (the label keys work only
  over them).
- Nothing is queued before the person presses *Start capturing*, and the labeller says what
  happens to the windows that wait.
- 30 s of streaming with every tab opened once logs no console error (bqplot figures drawn in a
  hidden tab used to log "<rect> attribute width: A negative value is not valid").
"""

from __future__ import annotations

import contextlib
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.browser.labtools import (
    LABELER_TEXT,
    LAUNCHER_NOTEBOOK,
    WORKBENCH_PROJECT,
    open_in_lab,
    open_workbench,
    run_all_cells,
    seed_labelled_windows,
    show_tab,
    start_capturing,
    start_workbench_lab,
    wait_for_trace,
)
from tests.jupyter import LaunchLab

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = [pytest.mark.browser, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
SIZES = ((1400, 1000), (1280, 800))
TABS = ("Model & freeze", "Train", "Live", "Capture & label")
STREAMED_S = 30.0
# Where each part is, and the visible part of the notebook (its scroller, inside the window).
_BOXES = """() => {
  const box = s => { const r = document.querySelector(s).getBoundingClientRect();
                     return {top: r.top, bottom: r.bottom, left: r.left, right: r.right}; };
  const scroller = document.querySelector(
    '.jp-NotebookPanel:not(.lm-mod-hidden) .jp-WindowedPanel-outer');
  const view = scroller.getBoundingClientRect();
  return {plot: box('.hfw-live-plot'), labeler: box('.hfw-labeler'),
          view: {top: Math.max(view.top, 0), bottom: Math.min(view.bottom, window.innerHeight),
                 left: Math.max(view.left, 0), right: Math.min(view.right, window.innerWidth)}};
}"""


_IN_VIEW = f"""() => {{ const b = ({_BOXES})();
  const inside = p => p.top >= b.view.top - 0.5 && p.bottom <= b.view.bottom + 0.5 &&
                      p.left >= b.view.left - 0.5 && p.right <= b.view.right + 0.5;
  return inside(b.plot) && inside(b.labeler); }}"""


# The tab page in front has its own widgets (a page is filled when its tab is first shown).
_SHOWN_PAGE_DRAWN = """() => {
  const pages = document.querySelectorAll(
    '.hfw-workbench .lm-TabPanel-stackedPanel > *, .hfw-workbench .widget-tab-contents > *');
  const shown = [...pages].find(e => !e.classList.contains('lm-mod-hidden'));
  return !!(shown && shown.querySelector('.widget-box, .widget-html, .bqplot'));
}"""
_GOOD_AT_LEAST = """(n) => {
  const m = document.querySelector('.hfw-live-plot').innerText.match(/good ([\\d,]+)/);
  return !!m && Number(m[1].replace(/,/g, '')) >= n;
}"""


def _inside(part: dict[str, float], view: dict[str, float]) -> bool:
    return (
        part["top"] >= view["top"] - 0.5
        and part["bottom"] <= view["bottom"] + 0.5
        and part["left"] >= view["left"] - 0.5
        and part["right"] <= view["right"] + 0.5
    )


def _good_samples(page: Any) -> int:
    text = page.locator(".hfw-live-plot").first.inner_text()
    found = re.search(r"good ([\d,]+)", text)
    return int(found.group(1).replace(",", "")) if found else 0


def test_after_run_all_the_plot_and_the_labeller_are_in_view_together(
    launch_lab: LaunchLab, page: Page, tmp_path: Path
) -> None:
    root = tmp_path / "lab"
    root.mkdir()
    seed_labelled_windows(root / WORKBENCH_PROJECT, 2, seed=3)
    lab = start_workbench_lab(launch_lab, root)
    (REPO / "test-artifacts").mkdir(exist_ok=True)
    pages = [page]
    try:
        for i, (width, height) in enumerate(SIZES):
            if i == 0:
                page.set_viewport_size({"width": width, "height": height})
                open_workbench(page, lab, capture=False)  # the launcher card, as a newcomer
                current = page
            else:  # the same notebook, opened and run again in a window of the next size
                browser = page.context.browser
                assert browser is not None
                context = browser.new_context(viewport={"width": width, "height": height})
                current = context.new_page()
                pages.append(current)
                open_in_lab(current, lab, LAUNCHER_NOTEBOOK)
                run_all_cells(current)
                wait_for_trace(current)
            current.wait_for_selector(".hfw-labeler button", timeout=30_000)
            # Let the page settle (JupyterLab scrolls to the last cell, the workbench back).
            with contextlib.suppress(Exception):
                current.wait_for_function(_IN_VIEW, timeout=15_000, polling=200)
            boxes = current.evaluate(_BOXES)
            current.screenshot(
                path=str(REPO / "test-artifacts" / f"first-view-{width}x{height}.png")
            )
            assert _inside(boxes["plot"], boxes["view"]), (width, height, boxes)
            assert _inside(boxes["labeler"], boxes["view"]), (width, height, boxes)
            # Nothing was captured while the person read: the labeller waits for Start.
            text = current.evaluate(LABELER_TEXT)
            assert "Capture not started" in text, text
            assert "Start capturing" in text, text
            # Capturing, with a window on screen and the queue's rule beside it: still one view.
            start_capturing(current)
            current.wait_for_function(
                f"() => ({LABELER_TEXT})().includes('At most 20 wait')", timeout=60_000
            )
            boxes = current.evaluate(_BOXES)
            name = f"first-view-{width}x{height}-capturing.png"
            current.screenshot(path=str(REPO / "test-artifacts" / name))
            assert _inside(boxes["plot"], boxes["view"]), (width, height, boxes)
            assert _inside(boxes["labeler"], boxes["view"]), (width, height, boxes)
            current.locator(".hfw-labeler button", has_text="Pause capturing").click()
    finally:
        for extra in pages[1:]:
            extra.context.close()


def test_streaming_with_every_tab_opened_logs_no_console_error(
    launch_lab: LaunchLab, page: Page, tmp_path: Path
) -> None:
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(f"uncaught: {exc}"))
    root = tmp_path / "lab"
    root.mkdir()
    seed_labelled_windows(root / WORKBENCH_PROJECT, 3, seed=7)
    lab = start_workbench_lab(launch_lab, root, notebook=True)
    open_workbench(page, lab, "workbench.ipynb")  # and Start capturing
    start = _good_samples(page)
    for title in TABS:
        show_tab(page, title)
        # Each tab's page is drawn when first shown: wait for its own widgets to be there.
        page.wait_for_function(_SHOWN_PAGE_DRAWN, timeout=30_000)
    # 30 s of streaming at the simulated arm's 50 Hz, read off the plot's own counter.
    page.wait_for_function(
        _GOOD_AT_LEAST,
        arg=start + 50.0 * STREAMED_S,
        timeout=int((STREAMED_S + 60) * 1000),
        polling=500,
    )
    assert "Captured window" in page.evaluate(LABELER_TEXT)  # the motions were captured
    assert errors == [], "\n".join(errors[:20])
