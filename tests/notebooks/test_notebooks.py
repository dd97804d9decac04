"""Every notebook in notebooks/ runs top to bottom on the simulated sensor, without a browser,
and keeps its widget state (so an exported HTML still shows the figures)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from hfwidgets._paths import shared_weights

NOTEBOOKS = sorted((Path(__file__).resolve().parents[2] / "notebooks").glob("*.ipynb"))

pytestmark = pytest.mark.notebook


def test_there_are_notebooks_to_run() -> None:
    assert any(nb.name == "workbench.ipynb" for nb in NOTEBOOKS)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_executes_with_widget_state(path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Run in a scratch copy of the notebooks folder: projects the notebook creates land there.
    work = tmp_path / "notebooks"
    shutil.copytree(path.parent, work)
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    monkeypatch.setenv("HFW_NOTEBOOK_TEST", "1")
    # No downloads here: the offline ImageNet file when this checkout has it, else random weights.
    monkeypatch.setenv("HFW_WEIGHTS", str(shared_weights() or "none"))
    nb = nbformat.read(work / path.name, as_version=4)
    client = NotebookClient(
        nb,
        timeout=600,
        kernel_name="python3",
        resources={"metadata": {"path": str(work)}},
        store_widget_state=True,
    )
    client.execute(env={**os.environ})
    errors = [
        out
        for cell in nb.cells
        if cell.cell_type == "code"
        for out in cell.get("outputs", [])
        if out.get("output_type") == "error"
    ]
    assert not errors, errors
    state = nb.metadata.get("widgets", {}).get("application/vnd.jupyter.widget-state+json", {})
    assert state.get("state"), "the executed notebook keeps no widget state"
