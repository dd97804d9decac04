"""The Workbench's data map and suggestions (issue 17): drawn after a run ends, a point opens its
window in the labeler, the labeler suggests with the run and review sorts by uncertainty."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from hfwidgets.models import layer_groups
from hfwidgets.sensors import SimulatedSource, simulate_windows
from hfwidgets.store import Project
from hfwidgets.training.config import TrainConfig
from hfwidgets.training.fit_events import FitEnded
from hfwidgets.training.runner import train_project
from hfwidgets.widgets.workbench import TAB_TITLES, Workbench
from tests.projects import labelled_project

torch.set_num_threads(1)


def _source() -> SimulatedSource:
    return SimulatedSource(rate_hz=50.0, realtime=False, duration_s=5.0, script=["wave"])


@pytest.fixture
def trained(tmp_path: Path) -> tuple[Path, int, list[int]]:
    windows, labels = simulate_windows(5, seed=3)
    frozen = tuple(layer_groups("mobilenet_v2")[:-1])
    config = TrainConfig(weights="none", frozen=frozen, epochs=1, batch_size=4, num_threads=1,
                         baseline=False)  # fmt: skip
    with labelled_project(tmp_path / "proj", windows, labels) as project:
        run_id = train_project(project, config)
        extra, _ = simulate_windows(2, seed=9)
        unlabelled = [project.windows.add(data, rate_hz=50.0) for data in extra]
    return tmp_path / "proj", run_id, unlabelled


def test_a_finished_run_draws_the_map_whose_points_open_their_windows(
    trained: tuple[Path, int, list[int]],
) -> None:
    path, run_id, unlabelled = trained
    wb = Workbench(path, source=_source(), weights="none", thumbnail=False)
    try:
        wb.tabs.selected_index = TAB_TITLES.index("Train")  # a tab is filled when first shown
        train_tab = wb.tabs.children[TAB_TITLES.index("Train")]
        assert wb.data_map in train_tab.children
        assert wb.data_map.run_id == run_id  # the restored run, ready for "Draw map"
        assert wb.labeler.suggestions.run_id == run_id
        wb.follower.after_training(FitEnded(status="finished", run_id=run_id))
        assert wb.data_map.join(120.0)
        data_map = wb.data_map.data_map
        assert data_map is not None
        assert data_map.run_id == run_id
        assert len(data_map) == len(wb.project.windows.ids())
        assert {"train", "val"} <= {p.split for p in data_map.points}  # the run's own split
        # Review got every window's suggestion: least confident first is available.
        assert not wb.labeler.review_bar.order.disabled
        before = {r.id: r.label for r in wb.project.windows.all()}
        wb.tabs.selected_index = TAB_TITLES.index("Train")
        target = unlabelled[1]
        click = {"index": wb.data_map.point_index(target), "name": str(target)}
        wb.data_map.scatter._handle_custom_msgs(None, {"event": "element_click", "data": click})
        assert wb.tabs.selected_index == 0
        assert wb.labeler.mode == "review"
        assert wb.labeler.review.current_id == target
        assert f"Window {target}" in wb.labeler.title.value
        assert "Suggestion (run" in wb.labeler.suggestions.html.value
        assert {r.id: r.label for r in wb.project.windows.all()} == before  # nothing stored
        wb.labeler.handle_key("accept")
        suggested = wb.labeler.review.suggestions[target].label
        assert Project.open(path).windows.get(target).label == suggested
    finally:
        wb.close()


def test_review_sorted_by_uncertainty_in_the_workbench(
    trained: tuple[Path, int, list[int]],
) -> None:
    path, _, _ = trained
    wb = Workbench(path, source=_source(), weights="none", thumbnail=False)
    try:
        wb.data_map.refresh(wait=True)
        wb.labeler.mode = "review"
        wb.labeler.review_bar.order.value = "uncertainty"
        margins = [wb.labeler.review.suggestions[r.id].margin for r in wb.labeler.review.records]
        assert margins == sorted(margins)
        assert len(margins) == len(wb.project.windows.ids())
        assert np.isfinite(margins).all()
    finally:
        wb.close()
