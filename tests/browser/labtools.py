"""Helpers for browser tests: open JupyterLab on a file and run a notebook in it.

Import as ``from tests.browser.labtools import open_in_lab, run_all_cells``.
"""

from __future__ import annotations

from typing import Any

__all__ = ["open_in_lab", "run_all_cells"]


def open_in_lab(page: Any, lab: Any, path: str = "") -> None:
    """Open JupyterLab (and ``path`` in it, if given) and wait until the app has started.

    The workspace is reset, so tabs a previous test left open on the same server are not
    restored over the file under test.
    """
    target = (
        f"{lab.url}/lab/tree/{path}?reset&token={lab.token}"
        if path
        else f"{lab.url}/lab?reset&token={lab.token}"
    )
    page.goto(target)
    page.wait_for_function("window.jupyterapp && window.jupyterapp.started", timeout=60_000)
    page.evaluate("window.jupyterapp.started")


def run_all_cells(page: Any, *, timeout_ms: int = 180_000) -> None:
    """Run every cell of the current notebook and wait until the kernel is idle again."""
    page.wait_for_selector(".jp-Notebook", timeout=60_000)
    # A notebook without kernelspec metadata asks which kernel to start: take the default.
    page.wait_for_function(
        """() => { const accept = document.querySelector('.jp-Dialog .jp-mod-accept');
                   if (accept) { accept.click(); return false; }
                   const w = window.jupyterapp.shell.currentWidget;
                   return !!(w && w.sessionContext && w.sessionContext.session &&
                             w.sessionContext.session.kernel); }""",
        timeout=90_000,
        polling=250,
    )
    page.wait_for_function(
        """() => { const w = window.jupyterapp.shell.currentWidget;
                   return w && w.sessionContext && w.sessionContext.session &&
                          w.sessionContext.session.kernel &&
                          w.sessionContext.session.kernel.status === 'idle'; }""",
        timeout=90_000,
    )
    page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
    page.wait_for_function(
        """() => { const w = window.jupyterapp.shell.currentWidget;
                   const cells = w.content.widgets.filter(c => c.model.type === 'code');
                   return cells.length > 0 && cells.every(c => c.model.executionCount !== null) &&
                          w.sessionContext.session.kernel.status === 'idle'; }""",
        timeout=timeout_ms,
    )
