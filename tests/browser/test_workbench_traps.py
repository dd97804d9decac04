"""The workbench's traps for a newcomer, in JupyterLab and Chromium (issue 15 items 1-3, 9; 13.1).

One walk through the workbench notebook, because each step needs the kernel the first started:

- a shared project's run with markup in its class names shows the markup as text, runs nothing;
- the status bar and the Sensor dropdown list the same port (the server's configured pty);
- picking that port, which sends nothing, says so within seconds instead of "connected";
- ``h`` and ``x`` pressed over the live plot label and discard, and never cut the cell;
- switching backbone and back keeps the offline weights file.

Stop pressed as soon as Start has been: the run ends before its first batch and the panel says
"stopped" and that nothing was learned, within seconds. And the same notebook open in two tabs:
the second tab's "Connect USB sensor" is refused with a reason while the first reads the
sensor, so their bytes never mix.
"""

from __future__ import annotations

import json
import re
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from hfwidgets._paths import shared_weights
from hfwidgets.store import Project
from hfwidgets.store.schema import DB_NAME
from tests.browser.fake_serial import fake_serial_script, motion_rows
from tests.browser.labtools import (
    WORKBENCH_PROJECT,
    open_in_lab,
    open_workbench,
    pick_sensor,
    seed_labelled_windows,
    sensor_options,
    show_tab,
    start_workbench_lab,
)
from tests.jupyter import LabServer, LaunchLab

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = [pytest.mark.browser, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
STATUS = ".hfw-PortsStatus"
CHOSEN = "s => s.options[s.selectedIndex].text.replace(/\\u00a0/g, ' ')"  # nbsp in options
XSS = '<img src=x onerror="window.__hfwXss = 1">'


def _seed(path: Path) -> None:
    """Labelled windows and a finished run whose stored metrics carry markup as class names."""
    ids = seed_labelled_windows(path, 3, seed=5)
    metrics = {
        "classes": [XSS, "other"],
        "confusion": [[1, 0], [0, 1]],
        "accuracy": 1.0,
        "evaluated_on": "val",
        "predictions": {str(ids[0]): XSS},
        "true_labels": {str(ids[0]): XSS},
        "history": [],
    }
    with sqlite3.connect(path / DB_NAME) as conn:  # as another tool would write it
        conn.execute(
            "INSERT INTO runs (settings, status, metrics, created_at, updated_at, finished_at)"
            " VALUES ('{}', 'completed', ?, 0, 0, 0)",
            (json.dumps(metrics),),
        )


def _counts(path: Path) -> dict[str, int]:
    with Project.open(path) as project:
        return project.windows.counts()


def _until(condition: Callable[[], object], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


def _cells(page: Page) -> int:
    return int(page.evaluate("window.jupyterapp.shell.currentWidget.content.widgets.length"))


def test_workbench_traps_are_gone(
    launch_lab: LaunchLab, page: Page, tmp_path: Path, pty_path: str
) -> None:
    root = tmp_path / "lab"
    root.mkdir()
    project = root / WORKBENCH_PROJECT
    _seed(project)
    lab = start_workbench_lab(launch_lab, root, ports=[pty_path], weights="", notebook=True)
    open_workbench(page, lab, "workbench.ipynb")
    bench = page.locator(".hfw-workbench")

    # 13.1: the run's class name is shown as text; its onerror never ran.
    show_tab(page, "Train")  # the run list is drawn when its tab is first shown
    page.wait_for_function(
        "() => document.querySelector('.hfw-workbench').textContent.includes('<img src=x')",
        timeout=30_000,
    )
    assert page.evaluate("window.__hfwXss") is None
    assert bench.locator("img[src='x']").count() == 0
    show_tab(page, "Capture & label")

    # 15.9 and 15.1: the status bar and the Sensor dropdown see the same single port.
    page.wait_for_function(
        f"document.querySelector('{STATUS}')?.textContent === {json.dumps(pty_path)}",
        timeout=30_000,
    )
    area = page.locator(".hfw-capture-area")
    assert "1 serial port(s) seen" in area.inner_text()
    sensor = area.locator("select").first
    options = sensor_options(page)
    assert options[0] == "simulated arm"
    assert pty_path in options[1]

    # 15.1: a port that sends nothing says so (and shows no rate), instead of "connected".
    sensor.select_option(index=1)
    readout = page.locator(".hfw-live-plot .widget-html", has_text="Hz").first
    readout.get_by_text(f"no data from {pty_path} for").wait_for(timeout=15_000)
    assert "wrong port or baud?" in readout.inner_text()
    assert "— Hz" in readout.inner_text()
    sensor.select_option(index=0)
    readout.get_by_text("connected").wait_for(timeout=15_000)

    # 15.3: in command mode, `h` and `x` over the live plot label/discard; the cell stays.
    page.locator(".jp-Notebook .jp-Cell .jp-InputPrompt").first.click()  # not its output
    page.keyboard.press("Escape")
    cells = _cells(page)
    before = _counts(project)
    plot = page.locator(".hfw-live-plot").first
    waiting = area.get_by_text(re.compile("[Cc]aptured window"))
    waiting.wait_for(timeout=60_000)
    plot.hover()
    page.keyboard.press("h")
    assert _until(lambda: _counts(project)["high-five"] == before["high-five"] + 1, 10.0)
    # The page has drawn the labelled state (else the old window's title still matches below).
    page.wait_for_function(
        "() => document.querySelector('.hfw-labeler').innerText.includes('labelled high-five')",
        timeout=10_000,
    )
    waiting.wait_for(timeout=60_000)  # the next motion
    plot.hover()
    page.keyboard.press("x")
    page.wait_for_function(
        "() => document.querySelector('.hfw-labeler').innerText.includes('discarded')",
        timeout=10_000,
    )
    assert _cells(page) == cells  # `x` did not cut the workbench cell
    assert bench.count() == 1

    # 15.2: switching backbone and back keeps the offline weights file.
    offline = shared_weights()
    if offline is not None:
        show_tab(page, "Model & freeze")
        selects = page.locator(".hfw-model-picker select")
        backbone, weights = selects.nth(0), selects.nth(1)
        assert "offline file" in weights.evaluate(CHOSEN)
        backbone.select_option("resnet18")
        page.wait_for_function(
            "() => document.querySelectorAll('.hfw-model-picker select')[1].options.length == 2",
            timeout=10_000,
        )
        backbone.select_option("mobilenet_v2")
        page.wait_for_function(
            """() => { const s = document.querySelectorAll('.hfw-model-picker select')[1];
                       return s.options[s.selectedIndex].text.includes('offline\u00a0file'); }""",
            timeout=10_000,
        )
    (REPO / "test-artifacts").mkdir(exist_ok=True)
    page.screenshot(path=str(REPO / "test-artifacts" / "workbench-traps.png"))


def test_a_workbench_from_the_launcher_opens_saved(lab: LabServer, page: Page) -> None:
    (lab.root / "fresh").mkdir(exist_ok=True)
    open_in_lab(page, lab, "fresh")
    page.locator(
        '.jp-LauncherCard[data-category="Notebook"]', has_text="High-Five Workbench"
    ).click()
    page.wait_for_function(
        """() => { const w = window.jupyterapp.shell.currentWidget;
                   return w && w.context && w.context.path.startsWith('fresh/') &&
                          w.sessionContext.session && w.sessionContext.session.kernel &&
                          w.sessionContext.session.kernel.status === 'idle' &&
                          w.model.getMetadata('language_info').version; }""",
        timeout=90_000,
    )  # the kernel has started and told the notebook its language_info
    assert page.evaluate("window.jupyterapp.shell.currentWidget.context.model.dirty") is False


def test_a_second_tab_is_told_another_tab_reads_the_usb_sensor(
    launch_lab: LaunchLab, page: Page, tmp_path: Path
) -> None:
    root = tmp_path / "lab"
    root.mkdir()
    seed_labelled_windows(root / WORKBENCH_PROJECT, 2, seed=5)
    page.context.add_init_script(fake_serial_script(motion_rows(30.0)))  # a port in each tab
    lab = start_workbench_lab(launch_lab, root, notebook=True)
    open_workbench(page, lab, "workbench.ipynb")
    page.evaluate("window.jupyterapp.commands.execute('docmanager:save')")
    page.wait_for_function(
        "() => !window.jupyterapp.shell.currentWidget.context.model.dirty", timeout=30_000
    )
    pick_sensor(page, "USB sensor on this computer")
    first = page.locator(".hfw-web-serial")
    first.locator("button", has_text="Connect USB sensor").click()
    first.get_by_text("reading Arduino USB 2341:0043 at 115200 baud").wait_for(timeout=20_000)

    # The same notebook in a second tab shows the same workbench, with its own reader.
    second = page.context.new_page()
    open_in_lab(second, lab, "workbench.ipynb")
    panel = second.locator(".hfw-web-serial")
    panel.locator("button", has_text="Connect USB sensor").wait_for(timeout=90_000)
    panel.locator("button", has_text="Connect USB sensor").click()
    try:
        panel.get_by_text("another browser tab or window already reads").wait_for(timeout=30_000)
    except Exception:
        dropped = [line for line in lab.log().splitlines() if "Cannot handle comm_msg" in line]
        raise AssertionError(
            f"the second tab was not told: {panel.inner_text()!r}; "
            f"the first tab says {first.inner_text()!r}; "
            f"the kernel dropped {len(dropped)} widget messages: {dropped[-1:]}"
        ) from None
    assert "Connect USB sensor" in panel.inner_text()  # its port was let go
    second.close()
    # The first tab still reads, and no line was spoilt by the second tab's bytes.
    assert "reading Arduino USB 2341:0043" in first.inner_text()
    readout = page.locator(".hfw-live-plot").first
    readout.get_by_text(re.compile(r"good [1-9][\d,]* · bad 0 ")).wait_for(timeout=20_000)


def test_stop_right_after_start_ends_the_run_at_once(
    launch_lab: LaunchLab, page: Page, tmp_path: Path
) -> None:
    root = tmp_path / "lab"
    root.mkdir()
    seed_labelled_windows(root / WORKBENCH_PROJECT, 8, seed=11)
    lab = start_workbench_lab(launch_lab, root, notebook=True)
    open_workbench(page, lab, "workbench.ipynb")
    show_tab(page, "Train")
    panel = page.locator(".hfw-training-panel")
    panel.locator("button", has_text="Start").click()
    stop = panel.locator("button", has_text="Stop")
    stop.click()  # as soon as the page has drawn it enabled
    pressed = time.monotonic()
    panel.get_by_text("nothing was learned").wait_for(timeout=60_000)
    waited = time.monotonic() - pressed
    assert "stopped" in panel.inner_text()
    assert stop.is_disabled()
    assert panel.locator("button", has_text="Start").is_enabled()
    with Project.open(root / WORKBENCH_PROJECT) as project:
        run = project.runs.all()[-1]
    assert (run.status, run.metrics.epochs) == ("stopped", 0)
    (REPO / "test-artifacts").mkdir(exist_ok=True)
    (REPO / "test-artifacts" / "stop-right-after-start.txt").write_text(f"{waited:.1f} s\n")
