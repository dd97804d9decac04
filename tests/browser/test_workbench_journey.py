"""Launcher to live count with the simulated Arduino, no code typed (issue 15's "done when").

One walk in JupyterLab and Chromium, as a newcomer would do it:

- the launcher card "High-Five Workbench" creates a notebook; Run All draws the workbench;
- the Sensor menu lists the simulated Arduino (a :class:`FakeArduino` pty the server knows through
  ``--HfwPorts.extra_ports``) and picking it streams its samples;
- item 4: with one captured window on screen and a second one waiting behind it, ``h`` labels the
  one on screen (the older), not the newcomer; ``o`` then labels the newcomer. Both are checked in
  the project database against the samples the pty sent;
- Train: the "feature extractor" preset, a few epochs, Start, the run completes;
- Live: the tab names the run it counts with, and Start counting shows the count.

The project is seeded with labelled simulated windows so the run has enough of each class.
"""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pytest

from hfwidgets._paths import shared_weights
from hfwidgets.store import Project
from hfwidgets.store.schema import DB_NAME
from tests.browser.labtools import (
    LABELER_TEXT,
    drain_captures,
    open_seeded_workbench,
    pick_sensor,
    press_over_plot,
    show_tab,
)
from tests.jupyter import LaunchLab

if TYPE_CHECKING:
    from playwright.sync_api import Page

    from hfwidgets.sensors.fake_arduino import FakeArduino

pytestmark = [pytest.mark.browser, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"


def _labelled_after(path: Path, last_seeded: int) -> list[tuple[int, str, str, float]]:
    """Windows stored since the seed, in id order, as another tool would read the database."""
    with sqlite3.connect(path / DB_NAME) as conn:
        rows = conn.execute(
            "SELECT id, label, source, t0 FROM windows WHERE id > ? ORDER BY id", (last_seeded,)
        ).fetchall()
    return [(int(i), str(label), str(source), float(t0)) for i, label, source, t0 in rows]


def _position_in(sent: np.ndarray, data: np.ndarray) -> int:
    """Index in the pty's sent samples where ``data`` starts; -1 when it is not a slice of them."""
    n = data.shape[0]
    candidates = np.flatnonzero(np.all(np.abs(sent[:, :3] - data[0, :3]) < 1e-3, axis=1))
    for i in candidates:
        if i + n <= sent.shape[0] and np.allclose(sent[i : i + n], data[:, :3], atol=1e-3):
            return int(i)
    return -1


def test_launcher_to_live_count_with_the_simulated_arduino(
    launch_lab: LaunchLab, page: Page, tmp_path: Path, fake_arduino: FakeArduino
) -> None:
    started = time.monotonic()
    weights = shared_weights()
    arduino = fake_arduino
    # The launcher card makes the notebook; Run All draws the workbench. No code typed.
    project, seeded = open_seeded_workbench(
        page,
        launch_lab,
        tmp_path,
        per_class=8,
        seed=11,
        ports=[arduino.path],
        weights=str(weights) if weights is not None else "none",
    )
    last_seeded = max(seeded)

    # The Sensor menu lists the simulated Arduino; picking it reads the pty.
    pick_sensor(page, arduino.path)
    page.wait_for_function(
        "() => /[0-9.]+ Hz/.test(document.querySelector('.hfw-live-plot').innerText)",
        timeout=20_000,
    )  # samples arrive: the readout shows a rate

    # Item 4: a capture arriving while a window is shown does not take its label.
    page.locator(".jp-Notebook .jp-Cell .jp-InputPrompt").first.click()  # not its output
    page.keyboard.press("Escape")  # command mode, where a stray `x` would cut the cell
    cells = page.evaluate("window.jupyterapp.shell.currentWidget.content.widgets.length")
    drain_captures(page)  # windows of the simulated arm from before the switch are gone
    page.wait_for_function(
        f"""() => {{ const t = ({LABELER_TEXT})();
                    return t.includes('Captured window') && !t.includes('more waiting'); }}""",
        timeout=60_000,
        polling=100,
    )  # one window from the pty on screen, nothing behind it
    page.wait_for_function(
        f"() => ({LABELER_TEXT})().includes('(1 more waiting)')", timeout=60_000, polling=100
    )  # a second capture arrived while the first was shown
    press_over_plot(page, "h")
    page.wait_for_function(
        f"() => ({LABELER_TEXT})().includes('labelled high-five')", timeout=10_000
    )
    assert "Captured window" in page.evaluate(LABELER_TEXT)  # the newcomer is shown now
    press_over_plot(page, "o")
    page.wait_for_function(f"() => ({LABELER_TEXT})().includes('labelled other')", timeout=10_000)
    assert page.evaluate("window.jupyterapp.shell.currentWidget.content.widgets.length") == (cells)

    stored = _labelled_after(project, last_seeded)
    assert [label for _i, label, *_ in stored] == ["high-five", "other"], stored
    (h_id, _, h_source, h_t0), (o_id, _, o_source, o_t0) = stored
    assert h_t0 < o_t0, f"`h` labelled window {h_id} captured after window {o_id}"
    assert "Simulated" not in h_source
    assert "Simulated" not in o_source
    # Both are slices of what the pty sent, the labelled-high-five one earlier in the stream.
    with Project.open(project) as opened:
        h_data, o_data = opened.windows.get(h_id).data, opened.windows.get(o_id).data
    sent = arduino.sent_samples
    h_at, o_at = _position_in(sent, h_data), _position_in(sent, o_data)
    assert h_at >= 0, "the window labelled high-five is not from the simulated Arduino"
    assert o_at >= 0, "the window labelled other is not from the simulated Arduino"
    assert h_at < o_at

    # Train: the feature-extractor preset, a few epochs, Start; wait for the run to end.
    show_tab(page, "Model & freeze")
    checklist = page.locator(".hfw-freeze-checklist")
    preset = checklist.locator("select").first
    chosen = preset.evaluate("s => s.options[s.selectedIndex].text").replace("\xa0", " ")
    assert chosen == "feature extractor"
    checklist.locator("button", has_text="Apply preset").click()
    show_tab(page, "Train")
    panel = page.locator(".hfw-training-panel")
    epochs = panel.locator(".widget-inline-hbox", has_text="Epochs").locator("input")
    epochs.fill("3")
    epochs.press("Enter")
    panel.get_by_text("Start will train mobilenet_v2").wait_for(timeout=10_000)
    panel.get_by_text("on 18 windows (high-five 9, other 9)").wait_for(timeout=10_000)
    panel.locator("button", has_text="Start").click()
    page.wait_for_function(
        """() => /(completed|finished) \\(run \\d+\\)/.test(
                   document.querySelector('.hfw-training-panel').innerText)""",
        timeout=240_000,
    )
    with Project.open(project) as opened:
        runs = opened.runs.all()
    assert len(runs) == 1
    run_id = runs[0].id
    assert runs[0].status == "finished"

    # Live: the tab names its run; Start counting shows the count.
    show_tab(page, "Live")
    live = page.locator(".hfw-live-counter")
    page.get_by_text(f"Counting with run {run_id}").wait_for(timeout=60_000)
    live.locator("button", has_text="Start counting").click()
    live.locator("button", has_text="Stop").wait_for(timeout=60_000)
    count = live.locator(".widget-html", has_text="high-fives").first
    count.wait_for(timeout=10_000)
    assert count.is_visible()
    shown = count.inner_text()
    assert shown.split()[0].isdigit(), shown
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "workbench-journey.png"))
    (ARTIFACTS / "workbench-journey.json").write_text(
        json.dumps(
            {
                "seconds": round(time.monotonic() - started, 1),
                "weights": str(weights) if weights is not None else "none",
            }
        )
    )
    live.locator("button", has_text="Stop").click()
    live.locator("button", has_text="Start counting").wait_for(timeout=30_000)
