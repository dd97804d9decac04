"""The sensor on the person's computer, read through the browser (issue 16's "done when").

Chromium's ``navigator.serial`` is replaced by a scripted port (``fake_serial.js``, a Playwright
init script) that behaves as an Uno on USB: the header on open, the hfw-imu lines at the set
rate, garbage lines, and one unplug (the stream fails mid-line, the device comes back as a new
SerialPort object). Counters are compared with what the fake port sent, exactly.
"""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pytest

from hfwidgets.store import Project
from hfwidgets.store.schema import DB_NAME
from tests.browser.fake_serial import NO_WEB_SERIAL, fake_serial_script, motion_rows
from tests.browser.labtools import (
    LABELER_TEXT,
    drain_captures,
    open_seeded_workbench,
    pick_sensor,
    press_over_plot,
    sensor_options,
)
from tests.jupyter import LaunchLab

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = [pytest.mark.browser, pytest.mark.slow]

BROWSER = "USB sensor on this computer"
PORT_NAME = "Arduino USB 2341:0043"
READOUT = "document.querySelector('.hfw-live-plot').innerText"
PANEL = ".hfw-web-serial"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def _open(
    page: Page, launch_lab: LaunchLab, tmp_path: Path, init_script: str
) -> tuple[Path, list[str]]:
    """The workbench notebook in a lab whose page has ``init_script`` (the fake port).

    Returns the project's folder and the page's uncaught errors (a list that keeps filling).
    """
    page.add_init_script(init_script)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    project, _ids = open_seeded_workbench(
        page, launch_lab, tmp_path, per_class=2, seed=5, notebook=True
    )
    return project, errors


def _connect(page: Page, **config: object) -> None:
    """Pick the browser source, set the fake port's script, click Connect, wait until reading."""
    pick_sensor(page, BROWSER)
    panel = page.locator(PANEL)
    panel.get_by_text("Click “Connect USB sensor”").wait_for(timeout=20_000)
    page.evaluate("cfg => Object.assign(window.__fakeSerial.config, cfg)", config)
    panel.locator("button", has_text="Connect USB sensor").click()
    panel.get_by_text(f"reading {PORT_NAME} at 115200 baud").wait_for(timeout=20_000)


def _wait_for_counts(page: Page, good: int, bad: int, dropped: int, reconnects: int) -> None:
    expected = f"good {good:,} · bad {bad:,} · dropped {dropped:,} · reconnects {reconnects}"
    try:
        page.wait_for_function(
            f"() => {READOUT}.includes({expected!r})", timeout=30_000, polling=250
        )
    except Exception as exc:
        raise AssertionError(
            f"the readout never showed {expected!r}: {page.evaluate(READOUT)!r}"
        ) from exc


def _slice_at(rows: np.ndarray, data: np.ndarray) -> int:
    """Where ``data`` starts in the cycled ``rows``; -1 when it is not a run of them."""
    cycled = np.vstack([rows, rows])
    n = data.shape[0]
    for i in np.flatnonzero(np.all(np.abs(rows - data[0]) < 1e-4, axis=1)):
        if np.allclose(cycled[i : i + n], data, atol=1e-4):
            return int(i)
    return -1


def test_the_workbench_streams_captures_and_labels_from_a_usb_sensor_in_the_browser(
    launch_lab: LaunchLab, page: Page, tmp_path: Path
) -> None:
    rows = motion_rows(40.0)
    project, page_errors = _open(page, launch_lab, tmp_path, fake_serial_script(rows))
    assert sensor_options(page)[-1] == BROWSER
    # Before a port is picked the readout says what to do, not "disconnected".
    pick_sensor(page, BROWSER)
    page.wait_for_function(
        f"() => {READOUT}.includes('click “Connect USB sensor”')", timeout=20_000
    )
    _connect(page, rate=50, garbageEvery=37, unplugAfter=600, unplugForMs=1500, total=1400)
    assert page.evaluate("window.__fakeSerial.baudRate") == 115200

    # Capture and label a window from the port (the simulated arm's windows are discarded).
    page.locator(".jp-Notebook .jp-Cell").first.click()
    page.keyboard.press("Escape")  # command mode, where a stray `x` would cut the cell
    drain_captures(page)
    page.wait_for_function(
        f"() => ({LABELER_TEXT})().includes('Captured window')", timeout=60_000, polling=100
    )
    press_over_plot(page, "h")
    page.wait_for_function(
        f"() => ({LABELER_TEXT})().includes('labelled high-five')", timeout=10_000
    )
    with sqlite3.connect(project / DB_NAME) as conn:
        window_id, source = conn.execute(
            "SELECT id, source FROM windows WHERE label = 'high-five' ORDER BY id DESC LIMIT 1"
        ).fetchone()
    assert source == PORT_NAME  # the window names the port it came through
    with Project.open(project) as opened:
        data = opened.windows.get(int(window_id)).data
    assert _slice_at(rows, np.asarray(data, dtype=np.float64)) >= 0, "not the fake port's samples"

    # The one unplug: the page says so, reopens the same device, and the readout counts it.
    page.wait_for_function("() => window.__fakeSerial.opens === 2", timeout=60_000)
    page.locator(PANEL).get_by_text(f"reading {PORT_NAME}").wait_for(timeout=10_000)
    page.wait_for_function("() => window.__fakeSerial.done", timeout=60_000)
    fake = page.evaluate("window.__fakeSerial")
    assert (fake["sent"], fake["unplugs"], fake["garbage"]) == (1400, 1, 1400 // 37)
    _wait_for_counts(page, good=1400, bad=1400 // 37, dropped=0, reconnects=1)
    assert page_errors == []


def test_without_web_serial_the_menu_explains_and_the_workbench_still_works(
    launch_lab: LaunchLab, page: Page, tmp_path: Path
) -> None:
    project, page_errors = _open(page, launch_lab, tmp_path, NO_WEB_SERIAL)
    assert page.evaluate("'serial' in navigator") is False
    unavailable = f"{BROWSER} (not in this browser)"
    page.wait_for_function(
        f"""() => [...document.querySelectorAll('.hfw-capture-area select option')]
                  .some(o => o.text.replace(/\\u00a0/g, ' ') === {unavailable!r})""",
        timeout=30_000,
    )
    pick_sensor(page, unavailable, reading="")
    area = page.locator(".hfw-capture-area")
    area.get_by_text(re.compile("cannot be read here: .*has no Web Serial")).wait_for(
        timeout=10_000
    )
    explanation = page.locator(PANEL).inner_text()
    assert "Chrome or Edge" in explanation
    assert "pick its port in the Sensor menu" in explanation
    assert page.locator(PANEL).locator("button").is_hidden()
    chosen = area.locator("select").first.evaluate("s => s.options[s.selectedIndex].text")
    chosen = chosen.replace("\xa0", " ")
    assert chosen == "simulated arm"  # nothing switched

    # The rest works: the simulated arm streams and a window is labelled.
    page.wait_for_function(f"() => {READOUT}.includes('connected')", timeout=20_000)
    page.locator(".jp-Notebook .jp-Cell").first.click()
    page.keyboard.press("Escape")
    before = _high_fives(project)
    page.wait_for_function(
        f"() => ({LABELER_TEXT})().includes('Captured window')", timeout=60_000, polling=100
    )
    press_over_plot(page, "h")
    page.wait_for_function(
        f"() => ({LABELER_TEXT})().includes('labelled high-five')", timeout=10_000
    )
    assert _high_fives(project) == before + 1
    assert page_errors == []


def _high_fives(project: Path) -> int:
    with Project.open(project) as opened:
        return int(opened.windows.counts()["high-five"])


def test_one_kilohertz_for_a_minute_loses_nothing_within_25_messages_a_second(
    launch_lab: LaunchLab, page: Page, tmp_path: Path
) -> None:
    rows = motion_rows(10.0, rate_hz=1000.0)
    _project, page_errors = _open(page, launch_lab, tmp_path, fake_serial_script(rows))
    _connect(page, rate=1000, garbageEvery=0, unplugAfter=None, total=60_000)
    page.wait_for_function("() => window.__fakeSerial.done", timeout=120_000, polling=1000)
    assert page.evaluate("window.__fakeSerial.sent") == 60_000
    _wait_for_counts(page, good=60_000, bad=0, dropped=0, reconnects=0)
    summary = page.locator(".hfw-web-serial-summary")
    page.wait_for_function(
        "() => /at most \\d+ in a second/.test("
        "document.querySelector('.hfw-web-serial-summary').textContent)",
        timeout=10_000,
    )
    text = summary.inner_text()
    found = re.search(r"([\d,]+) messages from the page, at most (\d+) in a second", text)
    assert found is not None, text
    messages, most = int(found[1].replace(",", "")), int(found[2])
    assert most <= 25, text  # counted in the kernel, from the page's send times
    # Batched: the fake port returns 200 reads a second; a busy page sends fewer, larger batches.
    assert 0 < messages <= 62 * 25, text
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "web-serial-1khz.json").write_text(
        json.dumps({"good": 60_000, "messages": messages, "most_in_1s": most})
    )
    assert page_errors == []
