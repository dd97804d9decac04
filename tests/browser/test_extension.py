"""The JupyterLab extension in a real browser: launcher card, workbench notebook, ports item."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from hfwidgets._paths import WORKBENCH_TEMPLATE
from tests.browser.labtools import open_in_lab, run_all_cells
from tests.jupyter import LabServer, LaunchLab

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.browser

STATUS = ".hfw-PortsStatus"
CARD = '.jp-LauncherCard[data-category="Notebook"]'


def error_outputs(page: Page) -> list[str]:
    """Tracebacks of the current notebook's cells, as the notebook model holds them."""
    outputs: list[str] = page.evaluate(
        """() => window.jupyterapp.shell.currentWidget.content.widgets
                 .filter(c => c.model.type === 'code')
                 .flatMap(c => { const out = c.model.outputs; const found = [];
                   for (let i = 0; i < out.length; i++) {
                     const o = out.get(i).toJSON();
                     if (o.output_type === 'error') { found.push(o.ename + ': ' + o.evalue); }
                   }
                   return found; })"""
    )
    return outputs


@pytest.mark.slow
def test_launcher_card_creates_workbench_notebook_that_runs(lab: LabServer, page: Page) -> None:
    (lab.root / "class").mkdir(exist_ok=True)
    open_in_lab(page, lab, "class")  # the file browser is in class/: the notebook goes there
    card = page.locator(CARD, has_text="High-Five Workbench")
    card.wait_for(timeout=30_000)
    # Our hand, not the letter JupyterLab draws for a notebook card without an icon.
    assert card.locator("img.jp-Launcher-kernelIcon").count() == 1

    card.click()
    page.wait_for_function(
        """() => { const w = window.jupyterapp.shell.currentWidget;
                   return w && w.context &&
                          w.context.path === 'class/High-Five Workbench.ipynb'; }""",
        timeout=30_000,
    )
    assert (lab.root / "class" / "High-Five Workbench.ipynb").is_file()
    run_all_cells(page, timeout_ms=300_000)
    assert error_outputs(page) == []
    if "Workbench" in WORKBENCH_TEMPLATE.read_text():
        # The template displays the workbench: its widgets are drawn in the notebook.
        page.locator(".jp-Notebook .jupyter-widgets").first.wait_for(timeout=60_000)


def test_widget_messages_go_through_the_main_shell_by_default(lab: LabServer) -> None:
    # JupyterLab's default sends comms over a subshell per comm target; a second tab on the same
    # kernel can leave a tab's messages addressed to a subshell the kernel no longer has, which
    # ipykernel drops ("Unknown subshell_id"): a Web Serial stream then stops without a word.
    # The package ships a settings default (overrides.d) that keeps comms on the main shell.
    reply = lab.api("/lab/api/settings/@jupyterlab/apputils-extension:kernels-settings")
    assert reply.status_code == 200
    setting = reply.json()["schema"]["properties"]["commsOverSubshells"]
    assert setting["default"] == "disabled"  # the default; a person may still choose a subshell


def test_workbench_command_is_in_palette_and_file_new_menu(lab: LabServer, page: Page) -> None:
    open_in_lab(page, lab)
    labels = page.evaluate(
        """() => { const c = window.jupyterapp.commands;
                   return [c.label('hfwidgets:new-workbench', {isPalette: true}),
                           c.label('hfwidgets:new-workbench', {})]; }"""
    )
    assert labels == ["New High-Five Workbench", "High-Five Workbench"]
    page.locator(".lm-MenuBar-itemLabel", has_text="File").click()
    page.locator(".lm-Menu-itemLabel", has_text="New").first.hover()
    page.locator(".lm-Menu-itemLabel", has_text="High-Five Workbench").wait_for(timeout=10_000)


def test_status_bar_shows_no_sensor_then_added_port_and_copies_it(
    launch_lab: LaunchLab, tmp_path: Path, page: Page, pty_path: str
) -> None:
    root = tmp_path / "root"
    root.mkdir()
    ports_file = tmp_path / "extra-ports.json"
    server = launch_lab(root, [f"--HfwPorts.extra_ports_file={ports_file}"])
    open_in_lab(page, server)
    status = page.locator(STATUS)
    status.wait_for(timeout=30_000)
    page.wait_for_function(
        f"document.querySelector('{STATUS}').textContent === 'no sensor'", timeout=20_000
    )

    ports_file.write_text(json.dumps([pty_path]))  # the simulator appears while Lab runs
    page.wait_for_function(
        f"document.querySelector('{STATUS}').textContent === {json.dumps(pty_path)}",
        timeout=20_000,  # the item polls every 3 s
    )
    title = status.get_attribute("title")
    assert title is not None
    assert pty_path in title

    status.click()
    page.get_by_text(f"Copied {pty_path} to the clipboard").wait_for(timeout=10_000)
    assert page.evaluate("navigator.clipboard.readText()") == pty_path

    # A second port: the label counts it and a click offers both in a menu.
    leader, follower = os.openpty()
    try:
        second = os.ttyname(follower)
        ports_file.write_text(json.dumps([pty_path, second]))
        page.wait_for_function(
            f"document.querySelector('{STATUS}').textContent === {json.dumps(pty_path + ' +1')}",
            timeout=20_000,
        )
        status.click()
        menu = page.locator(".hfw-PortsMenu")
        menu.wait_for(timeout=10_000)
        items = menu.locator(".lm-Menu-itemLabel")
        assert items.all_inner_texts() == [f"Copy {pty_path}", f"Copy {second}"]
        items.nth(1).click()
        page.get_by_text(f"Copied {second} to the clipboard").wait_for(timeout=10_000)
        assert page.evaluate("navigator.clipboard.readText()") == second
    finally:
        os.close(leader)
        os.close(follower)


def test_missing_server_extension_is_shown_and_lab_keeps_working(
    launch_lab: LaunchLab, tmp_path: Path, page: Page
) -> None:
    root = tmp_path / "root"
    root.mkdir()
    server = launch_lab(root, ["--ServerApp.jpserver_extensions=hfwidgets=False"])
    open_in_lab(page, server)
    page.wait_for_function(
        f"document.querySelector('{STATUS}')?.textContent === 'sensor: ?'", timeout=20_000
    )
    title = page.locator(STATUS).get_attribute("title")
    assert title is not None
    assert "jupyter server extension enable hfwidgets" in title
    # The rest of JupyterLab is untouched: the launcher still creates and opens a file
    # (a text file: no kernel to start and stop on two shared cores).
    page.locator('.jp-LauncherCard[data-category="Other"]', has_text="Text File").click()
    page.wait_for_selector(".jp-FileEditor", timeout=30_000)
    assert (root / "untitled.txt").is_file()
