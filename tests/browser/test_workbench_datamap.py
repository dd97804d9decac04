"""The data map and label suggestions in JupyterLab and Chromium (issue 17's "done when").

One walk through the workbench notebook on a project with a trained run:

- Train tab, *Draw map*: a point per stored window; a real mouse click on one point opens that
  window in the labeler's review (the Capture & label tab comes to the front);
- the labeler shows the run's suggestion for it; Enter, pressed once, stores that label (read
  back from the project database);
- back in Capture mode, a new captured window of the simulated arm gets a suggestion too, and
  Enter stores it with that label.
"""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from hfwidgets._paths import shared_weights
from hfwidgets.sensors import simulate_windows
from hfwidgets.store import Project
from hfwidgets.store.schema import DB_NAME
from hfwidgets.training.config import TrainConfig
from hfwidgets.training.runner import train_project
from tests.browser.labtools import (
    LABELER_TEXT,
    WORKBENCH_PROJECT,
    open_workbench,
    show_tab,
    start_workbench_lab,
)
from tests.jupyter import LaunchLab

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = [pytest.mark.browser, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
SUGGESTION = re.compile(r"Suggestion \(run \d+\): (.+?) \d+%")
# Finds a map point a person can click (not under another point) and returns its index and
# the centre of its circle in the viewport; the main scatter is the mark with one dot per window.
FIND_POINT = """([n, order]) => {
  const groups = [...document.querySelectorAll('.hfw-data-map .object_grp')];
  const marks = [...new Set(groups.map(g => g.parentNode))];
  const sizes = marks.map(m => m.querySelectorAll(':scope > .object_grp').length);
  const scatter = marks[sizes.indexOf(n)];
  if (!scatter) return 'points per mark: ' + sizes;
  const dots = [...scatter.querySelectorAll(':scope > .object_grp > path.dot')];
  const hits = [];
  for (const k of order) {
    dots[k].scrollIntoView({block: 'center'});
    const r = dots[k].getBoundingClientRect();
    const x = r.left + r.width / 2, y = r.top + r.height / 2;
    const hit = document.elementFromPoint(x, y);
    if (hit === dots[k]) return [k, x, y];
    hits.push(hit ? hit.tagName + '.' + hit.getAttribute('class') : 'none');
  }
  return 'hits: ' + hits.join(', ');
}"""


def _seed(path: Path) -> tuple[list[int], list[int]]:
    """A project with 16 labelled windows, 4 unlabelled ones and a trained run."""
    windows, labels = simulate_windows(8, seed=11)
    extra, _ = simulate_windows(2, seed=12)
    weights = shared_weights()
    if weights is not None:
        config = TrainConfig(weights=str(weights), mode="feature-extractor", num_threads=1,
                             baseline=False)  # fmt: skip
    else:  # offline without the file: an untrained backbone still suggests something
        config = TrainConfig(weights="none", frozen=("auto",), epochs=1, num_threads=1,
                             baseline=False)  # fmt: skip
    with Project.create(path) as project:
        project.settings.set("scalogram", {"size": [64, 64]})  # quick in the kernel too
        labelled = [
            project.windows.add(data, rate_hz=50.0, source="seed", label=label)
            for data, label in zip(windows, labels, strict=True)
        ]
        unlabelled = [project.windows.add(data, rate_hz=50.0, source="seed") for data in extra]
        train_project(project, config)
    return labelled, unlabelled


def _labels(path: Path) -> dict[int, str | None]:
    with sqlite3.connect(path / DB_NAME) as conn:  # as another tool would read it
        rows = conn.execute("SELECT id, label FROM windows WHERE deleted_at IS NULL").fetchall()
    return {int(i): label for i, label in rows}


def _suggested(page: Page) -> str:
    text = page.locator(".hfw-labeler .hfw-suggestion").inner_text().replace("\xa0", " ")
    match = SUGGESTION.search(text)
    assert match, text
    return match.group(1)


def test_map_point_opens_its_window_and_enter_accepts_the_suggestion(
    launch_lab: LaunchLab, page: Page, tmp_path: Path
) -> None:
    root = tmp_path / "lab"
    root.mkdir()
    project = root / WORKBENCH_PROJECT
    labelled, unlabelled = _seed(project)
    ids = sorted(labelled + unlabelled)  # the map's points are in window id order
    lab = start_workbench_lab(launch_lab, root, notebook=True)
    open_workbench(page, lab, "workbench.ipynb")

    # Train tab: draw the map of the restored run; a point per window.
    show_tab(page, "Train")
    page.locator(".hfw-data-map button", has_text="Draw map").click()
    page.locator(".hfw-data-map").get_by_text("features of run").wait_for(timeout=120_000)
    order = [ids.index(i) for i in unlabelled] + [ids.index(i) for i in labelled]
    found = page.evaluate(FIND_POINT, [len(ids), order])
    assert isinstance(found, list), f"no map point can be clicked alone: {found}"
    index, x, y = found
    target = ids[index]

    # A real click on that point: the labeler shows exactly that window, in review.
    page.mouse.click(x, y)
    page.wait_for_function(f"() => ({LABELER_TEXT})().includes('Window {target}:')", timeout=30_000)
    # The labeler's text and the switch to its tab are two messages: wait for the tab too.
    page.locator(".hfw-capture-area").wait_for(state="visible", timeout=30_000)
    page.locator(".hfw-labeler .hfw-suggestion").get_by_text("Enter accepts").wait_for(
        timeout=30_000
    )
    suggested = _suggested(page)
    before = _labels(project)
    with Project.open(project) as opened:
        assert suggested in opened.classes

    # One key: Enter stores the suggestion as the window's label.
    page.locator(".hfw-labeler").first.hover()
    page.keyboard.press("Enter")
    page.wait_for_function(
        f"() => ({LABELER_TEXT})().includes({json.dumps(f'window {target} → {suggested}')})",
        timeout=15_000,
    )
    after = _labels(project)
    assert after[target] == suggested
    assert {k: v for k, v in after.items() if k != target} == {
        k: v for k, v in before.items() if k != target
    }  # nothing else was labelled

    # Capture mode: a new window of the simulated arm, its suggestion, Enter stores it.
    page.locator(".hfw-labeler .widget-toggle-button", has_text="Capture").first.click()
    page.wait_for_function(
        f"""() => {{ const t = ({LABELER_TEXT})();
                    return t.includes('Captured window') && t.includes('Enter accepts'); }}""",
        timeout=90_000,
    )
    suggested = _suggested(page)
    known = set(_labels(project))
    page.locator(".hfw-live-plot").first.hover()
    page.keyboard.press("Enter")
    page.wait_for_function(
        f"() => ({LABELER_TEXT})().includes({json.dumps(f'labelled {suggested}')})",
        timeout=15_000,
    )
    new = {k: v for k, v in _labels(project).items() if k not in known}
    assert list(new.values()) == [suggested]
    (REPO / "test-artifacts").mkdir(exist_ok=True)
    page.screenshot(path=str(REPO / "test-artifacts" / "workbench-datamap.png"))
