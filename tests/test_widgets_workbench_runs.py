"""Workbench guidance, runs and sharing: the guide follows labels, the run list picks the run that
counts live, and the bench's output still says something without a kernel."""

from __future__ import annotations

import base64
import io
from pathlib import Path

import pytest
from PIL import Image

from hfwidgets.models import layer_groups
from hfwidgets.sensors import SimulatedSource, simulate_windows
from hfwidgets.store import Project
from hfwidgets.training.config import TrainConfig
from hfwidgets.training.runner import train_project
from hfwidgets.widgets.workbench import TAB_TITLES, Workbench


def _source() -> SimulatedSource:
    return SimulatedSource(rate_hz=50.0, realtime=False, duration_s=5.0, script=["wave"])


@pytest.fixture
def trained(tmp_path: Path) -> Path:
    import torch

    torch.set_num_threads(1)
    windows, labels = simulate_windows(5, seed=3)
    frozen = tuple(layer_groups("mobilenet_v2")[:-1])
    config = TrainConfig(weights="none", frozen=frozen, epochs=1, batch_size=4, num_threads=1)
    with Project.create(tmp_path / "proj") as project:
        for data, label in zip(windows, labels, strict=True):
            project.windows.add(data, rate_hz=50.0, label=label)
        train_project(project, config)
        train_project(project, config)
    return tmp_path / "proj"


def test_the_runs_tab_picks_the_run_that_counts_live_and_the_live_tab_says_which(
    trained: Path,
) -> None:
    wb = Workbench(trained, source=_source(), weights="none", thumbnail=False)
    try:
        wb.tabs.selected_index = TAB_TITLES.index("Train")  # a tab is filled when first shown
        assert wb.runs in wb.tabs.children[TAB_TITLES.index("Train")].children
        assert list(wb.runs.rows) == [2, 1]
        assert wb.runs.live_run == 2  # the newest finished run is armed on opening
        assert "Counting with <b>run 2</b>" in wb.live_note.value
        wb.runs.buttons[(1, "use")].click()
        assert wb.runs.live_run == 1
        assert "Counting with <b>run 1</b>" in wb.live_note.value
        assert "on 2 validation windows" in wb.live_note.value
        assert not wb.live.start_button.disabled
        wb.runs.buttons[(1, "delete")].click()
        wb.runs.buttons[(1, "delete")].click()
        assert [r.id for r in wb.project.runs.all()] == [2]
        assert wb.live.start_button.disabled  # its run is gone: nothing counts live
        assert "the run was deleted" in wb.live_note.value
    finally:
        wb.close()


def test_labelling_moves_the_guide_and_the_plan(tmp_path: Path) -> None:
    wb = Workbench(tmp_path / "proj", source=_source(), weights="none", thumbnail=False)
    try:
        assert "20 more high-five, 20 more other" in wb.guide.verdict.value
        window = simulate_windows(1, seed=0)[0][0]
        from hfwidgets.segmenter import Window

        wb.labeler.add_window(Window(data=window, rate_hz=50.0, t0=0.0, start_index=0))
        wb.labeler.flush()
        wb.labeler.label("high-five")
        assert wb.guide.count_labels["high-five"].value == "<small>1 / 20</small>"
        assert "(high-five 1, other 0)" in wb.training.plan_html.value
    finally:
        wb.close()


def test_the_output_has_a_picture_and_a_readable_line_besides_the_widget(trained: Path) -> None:
    wb = Workbench(trained, source=_source(), weights="none", thumbnail=False)
    try:
        bundle = wb._repr_mimebundle_()
        assert bundle is not None
        assert "application/vnd.jupyter.widget-view+json" in bundle
        text = bundle["text/plain"]
        assert not text.startswith("Workbench(")
        assert text.startswith("High-five workbench · project proj: high-five 5, other 5")
        assert "run the notebook to use it" in text
        image = Image.open(io.BytesIO(base64.b64decode(bundle["image/png"])))
        assert image.format == "PNG"
        assert image.width == 1000
        summary = wb.summary()
        assert "image/png" in summary._repr_mimebundle_()
    finally:
        wb.close()
