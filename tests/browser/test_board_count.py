"""The board's own count beside the notebook's, in the workbench's Live tab (issue 26).

A simulated board that runs a board model (:class:`FakeArduino` with ``board_counts``: the
``# count N p=..`` lines a sketch from ``hfw export --format board`` prints) streams into a
Workbench; the notebook counts the same stream with a rule predictor. The Live tab shows the
board's count next to the notebook's.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import nbformat
import pytest

from hfwidgets.sensors.fake_arduino import FakeArduino
from tests.browser.labtools import open_in_lab, run_all_cells, show_tab, wait_for_trace
from tests.jupyter import LaunchLab

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"

_CELL = """
import numpy as np
from hfwidgets.sensors import SerialSource
from hfwidgets.widgets import Workbench


class Jolt:  # P(high-five) from the largest jolt: counting without a trained run
    classes = ("high-five", "other")
    rate_hz, window_s, run_id, operating_point = 50.0, 1.5, None, None

    def predict_proba(self, windows):
        peak = np.abs(np.linalg.norm(windows, axis=2) - 1.0).max(axis=1)
        p = np.clip((peak - 0.3) / 0.7, 0.0, 1.0)
        return np.stack([p, 1.0 - p], axis=1)


wb = Workbench("board-project", source=SerialSource({path}, rate_hz=50.0))
wb.live.set_predictor(Jolt())
wb
"""


def test_the_live_tab_shows_the_boards_count_beside_the_notebooks(
    launch_lab: LaunchLab, page: Page, tmp_path: Path
) -> None:
    root = tmp_path / "lab"
    root.mkdir()
    # Seed 6: the simulated arm's first high-fives come 3-7 s into the stream.
    with FakeArduino(link=tmp_path / "ttyHFW0", seed=6, board_counts=True) as board:
        notebook = nbformat.v4.new_notebook()
        notebook.cells = [nbformat.v4.new_code_cell(_CELL.format(path=json.dumps(board.path)))]
        nbformat.write(notebook, root / "board.ipynb")
        lab = launch_lab(root, (), {"HFW_WEIGHTS": "none"})
        open_in_lab(page, lab, "board.ipynb")
        run_all_cells(page)
        wait_for_trace(page)
        show_tab(page, "Live")
        live = page.locator(".hfw-live-counter")
        live.locator("button", has_text="Start counting").click()
        live.locator("button", has_text="Stop").wait_for(timeout=60_000)
        total = live.locator(".hfw-board-total")
        total.wait_for(timeout=60_000)  # the board said "# count N": it shows
        page.wait_for_function(
            "() => document.querySelector('.hfw-board-count').innerText.includes('since Start')",
            timeout=30_000,
        )
        text = live.locator(".hfw-board-count").inner_text()
        assert text.startswith("On the board: ")
        assert int(total.inner_text()) >= 1
        assert "in the notebook" in text
        assert "p=0." in text or "p=1." in text
        # beside the notebook's own count, in the same Live counter
        notebook_count = live.locator(".widget-html", has_text="high-fives").first
        assert notebook_count.is_visible()
        assert notebook_count.inner_text().split()[0].isdigit()
        assert live.locator(".hfw-board-count").is_visible()
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "board-count.png"))
        live.locator("button", has_text="Stop").click()
        assert board.board_count >= int(total.inner_text())
