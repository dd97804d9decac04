"""The browser harness itself: JupyterLab starts, a notebook runs, its output is on the page."""

from __future__ import annotations

from typing import TYPE_CHECKING

import nbformat
import pytest

from tests.browser.labtools import open_in_lab, run_all_cells
from tests.jupyter import LabServer

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.browser


def test_notebook_runs_in_lab_and_output_is_shown(lab: LabServer, page: Page) -> None:
    nb = nbformat.v4.new_notebook(
        metadata={
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
        }
    )
    nb.cells = [
        nbformat.v4.new_code_cell("import hfwidgets\nprint('hfwidgets', hfwidgets.__version__)"),
        nbformat.v4.new_code_cell("import ipywidgets as w\nw.Button(description='harness-ok')"),
    ]
    nbformat.write(nb, lab.root / "harness.ipynb")

    open_in_lab(page, lab, "harness.ipynb")
    run_all_cells(page)

    page.get_by_text("hfwidgets 0.").first.wait_for(timeout=30_000)
    page.locator("button", has_text="harness-ok").wait_for(timeout=30_000)
