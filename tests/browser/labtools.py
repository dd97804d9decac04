"""Helpers for browser tests: open JupyterLab on a file, run a notebook, drive the workbench.

Import as ``from tests.browser.labtools import open_in_lab, run_all_cells``. A workbench test
starts the same way every time::

    project, ids = open_seeded_workbench(page, launch_lab, tmp_path, per_class=8, seed=11,
                                         ports=[fake_arduino.path])
    pick_sensor(page, fake_arduino.path)      # the Sensor menu, until "reading ..." shows

which is, step by step::

    ids = seed_labelled_windows(root / WORKBENCH_PROJECT, 8, seed=11)
    lab = start_workbench_lab(launch_lab, root, ports=[fake_arduino.path])
    open_workbench(page, lab)                 # the launcher card, Run All, the plot draws
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.sync_api import Page

    from tests.jupyter import LabServer, LaunchLab

__all__ = [
    "LABELER_TEXT",
    "LAUNCHER_NOTEBOOK",
    "WORKBENCH_PROJECT",
    "drain_captures",
    "open_in_lab",
    "open_seeded_workbench",
    "open_workbench",
    "pick_sensor",
    "press_over_plot",
    "run_all_cells",
    "seed_labelled_windows",
    "sensor_options",
    "show_tab",
    "start_capturing",
    "start_workbench_lab",
    "wait_for_trace",
]

REPO = Path(__file__).resolve().parents[2]
#: The notebook the launcher card "High-Five Workbench" creates, and the project beside it.
LAUNCHER_NOTEBOOK = "High-Five Workbench.ipynb"
WORKBENCH_PROJECT = "high-five-project"
_CARD = '.jp-LauncherCard[data-category="Notebook"]'
#: The labeler's text as a person reads it (title, "(N more waiting)", the last action).
LABELER_TEXT = "() => document.querySelector('.hfw-labeler').innerText"


def open_in_lab(page: Page, lab: LabServer, path: str = "") -> None:
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


def run_all_cells(page: Page, *, timeout_ms: int = 180_000) -> None:
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


def seed_labelled_windows(path: Path, per_class: int, *, seed: int) -> list[int]:
    """Create the project at ``path`` with ``per_class`` labelled simulated windows per class.

    Returns the new window ids (so a test can tell its own captures from the seed).
    """
    from hfwidgets.sensors import simulate_windows
    from hfwidgets.store import Project

    windows, labels = simulate_windows(per_class, seed=seed)
    with Project.create(path) as project:
        return [
            project.windows.add(data, rate_hz=50.0, source="seed", label=label)
            for data, label in zip(windows, labels, strict=True)
        ]


def start_workbench_lab(
    launch_lab: LaunchLab,
    root: Path,
    *,
    ports: Sequence[str] = (),
    weights: str = "none",
    notebook: bool = False,
) -> LabServer:
    """A JupyterLab on ``root`` whose server lists ``ports`` (ptys) as serial ports.

    ``weights`` becomes ``$HFW_WEIGHTS`` in the kernel (``"none"`` keeps it offline and fast);
    ``notebook`` copies the repository's ``notebooks/workbench.ipynb`` into ``root``.
    """
    if notebook:
        shutil.copyfile(REPO / "notebooks" / "workbench.ipynb", root / "workbench.ipynb")
    args = [f"--HfwPorts.extra_ports={','.join(ports)}"] if ports else []
    return launch_lab(root, args, env={"HFW_WEIGHTS": weights})


def open_workbench(
    page: Page, lab: LabServer, notebook: str | None = None, *, capture: bool = True
) -> None:
    """Open ``notebook`` (default: make one with the launcher card), Run All, wait for the plot,
    and press *Start capturing* (unless ``capture`` is False).

    Without ``notebook`` the launcher card "High-Five Workbench" creates
    :data:`LAUNCHER_NOTEBOOK`, as a newcomer would; no code is typed either way.
    """
    if notebook is None:
        open_in_lab(page, lab)
        page.locator(_CARD, has_text="High-Five Workbench").click()
        page.wait_for_function(
            f"""() => {{ const w = window.jupyterapp.shell.currentWidget;
                        return w && w.context &&
                               w.context.path === {json.dumps(LAUNCHER_NOTEBOOK)}; }}""",
            timeout=60_000,
        )
    else:
        open_in_lab(page, lab, notebook)
    run_all_cells(page)
    wait_for_trace(page)
    if capture:
        start_capturing(page)


def start_capturing(page: Page) -> None:
    """Press the labeller's *Start capturing* and wait until it offers *Pause capturing*."""
    labeler = page.locator(".hfw-labeler")
    labeler.locator("button", has_text="Start capturing").click()
    labeler.locator("button", has_text="Pause capturing").wait_for(timeout=15_000)


def wait_for_trace(page: Page) -> None:
    """Wait until the live plot draws the three axes (a trace of many points)."""
    page.wait_for_function(
        """() => [...document.querySelectorAll('.hfw-live-plot path.line')]
                     .some(p => (p.getAttribute('d') || '').split('L').length > 20)""",
        timeout=60_000,
    )


def open_seeded_workbench(
    page: Page,
    launch_lab: LaunchLab,
    tmp_path: Path,
    *,
    per_class: int,
    seed: int,
    ports: Sequence[str] = (),
    weights: str = "none",
    notebook: bool = False,
) -> tuple[Path, list[int]]:
    """A lab root in ``tmp_path`` with a seeded project, JupyterLab on it, the workbench open.

    ``per_class`` labelled windows of each class (:func:`seed_labelled_windows`); ``ports``,
    ``weights`` as :func:`start_workbench_lab`; ``notebook`` opens the repository's
    ``workbench.ipynb`` instead of making one with the launcher card. Returns the project's
    folder and the seeded window ids.
    """
    root = tmp_path / "lab"
    root.mkdir()
    project = root / WORKBENCH_PROJECT
    ids = seed_labelled_windows(project, per_class, seed=seed)
    lab = start_workbench_lab(launch_lab, root, ports=ports, weights=weights, notebook=notebook)
    open_workbench(page, lab, "workbench.ipynb" if notebook else None)
    return project, ids


def show_tab(page: Page, title: str) -> None:
    """Bring the workbench tab ``title`` (e.g. ``"Train"``) to the front."""
    page.locator(".hfw-workbench .lm-TabBar-tab", has_text=title).first.click()


def sensor_options(page: Page) -> list[str]:
    """The Sensor menu's entries as a person reads them (non-breaking spaces made plain)."""
    menu = page.locator(".hfw-capture-area select").first
    return [t.replace("\xa0", " ") for t in menu.locator("option").all_inner_texts()]


def pick_sensor(page: Page, containing: str, *, reading: str | None = None) -> int:
    """Pick the first Sensor entry whose text contains ``containing``; returns its index.

    Waits until the workbench says ``reading <reading>`` (default ``containing``); pass
    ``reading=""`` to return without waiting.
    """
    options = sensor_options(page)
    index = next((i for i, t in enumerate(options) if containing in t), -1)
    assert index >= 0, f"no Sensor entry contains {containing!r}: {options}"
    page.locator(".hfw-capture-area select").first.select_option(index=index)
    expected = containing if reading is None else reading
    if expected:
        page.locator(".hfw-capture-area").get_by_text(f"reading {expected}").wait_for(
            timeout=20_000
        )
    return index


def press_over_plot(page: Page, key: str) -> None:
    """Press a label key with the pointer over the live plot (where a person's hand is)."""
    page.locator(".hfw-live-plot").first.hover()
    page.keyboard.press(key)


def drain_captures(page: Page, timeout: float = 90.0) -> None:
    """Discard (``x``) captures until the labeler waits for a motion: what comes next is new."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = page.evaluate(LABELER_TEXT)
        if "Waiting for a motion" in text:
            return
        if "Captured window" in text:
            press_over_plot(page, "x")
        page.wait_for_timeout(300)
    raise AssertionError(f"the capture queue never emptied: {page.evaluate(LABELER_TEXT)!r}")
