"""Workbench composition: tabs in workflow order, wiring, and reopening a project as it was."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np
import pytest

from hfwidgets.sensors import SimulatedSource
from hfwidgets.store import Project
from hfwidgets.widgets.workbench import SETTINGS_KEY, TAB_TITLES, Workbench


def _recorded() -> SimulatedSource:
    return SimulatedSource(rate_hz=50.0, realtime=False, duration_s=15.0,
                           script=["high-five", "wave", "high-five"])  # fmt: skip


def _wait_for(condition, timeout: float = 5.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


@pytest.fixture
def bench(tmp_path: Path) -> Workbench:
    wb = Workbench(tmp_path / "proj", source=_recorded(), weights="none", thumbnail=False)
    yield wb
    wb.close()


def test_tabs_follow_the_work_and_captured_windows_reach_the_labeler(bench: Workbench) -> None:
    assert [bench.tabs.get_title(i) for i in range(4)] == list(TAB_TITLES)
    assert _wait_for(lambda: len(bench.labeler.pending) >= 3)
    assert bench.plot.redraws > 0
    bench.labeler.class_buttons["high-five"].click()
    assert bench.project.counts()["high-five"] == 1
    assert bench.live.start_button.disabled  # nothing trained yet


def test_choices_flow_between_tabs(bench: Workbench) -> None:
    bench.picker.dropdown.value = "resnet18"
    assert bench.checklist.backbone == "resnet18"
    assert bench.training.model == "resnet18"
    bench.checklist.checkboxes["layer4"].value = False
    assert "layer4" not in bench.training.frozen
    assert bench.training.config().frozen == ("stem", "layer1", "layer2", "layer3")


def test_reopening_the_project_restores_the_choices(tmp_path: Path) -> None:
    first = Workbench(tmp_path / "proj", source=_recorded(), weights="none", thumbnail=False)
    first.picker.value = "squeezenet1_1"
    first.checklist.apply_preset("fine-tune last N", n=2)
    first.training.epochs.value = 3
    first.live.threshold_slider.value = 0.9
    first.close()
    stored = Project.open(tmp_path / "proj").get_setting(SETTINGS_KEY)
    assert stored["model"] == "squeezenet1_1"
    again = Workbench(tmp_path / "proj", source=_recorded(), thumbnail=False)
    try:
        assert again.picker.value == "squeezenet1_1"
        assert again.checklist.frozen == ["stem", "fire1", "fire2", "fire3"]
        assert again.training.epochs.value == 3
        assert again.training.weights == "none"
        assert again.live.threshold == pytest.approx(0.9)
    finally:
        again.close()


@pytest.mark.slow
def test_real_training_from_the_panel_arms_the_live_counter_and_survives_reopening(
    tmp_path: Path,
) -> None:
    import torch

    from hfwidgets.sensors import simulate_windows

    torch.set_num_threads(2)
    windows, labels = simulate_windows(5, seed=2)
    with Project.create(tmp_path / "proj") as seeded:
        for data, label in zip(windows, labels, strict=True):
            seeded.add_window(data, rate_hz=50.0, label=label)
    wb = Workbench(tmp_path / "proj", source=_recorded(), weights="none", thumbnail=False)
    try:
        wb.picker.value = "mobilenet_v3_small"
        wb.training.epochs.value = 2
        wb.training.batch_size.value = 4
        runner = wb.training.start()
        assert runner.join(120)
        wb.training.flush()
        assert wb.training.status == "completed", wb.training.progress_html.value
        assert len(np.asarray(wb.training.curves.loss.x)) == 2
        buttons = wb.training.confusion.buttons
        assert sum(int(b.description) for b in buttons.values()) == 2  # 20 % of 10 windows
        opened = [key for key, b in buttons.items() if not b.disabled]
        assert opened  # every non-empty cell can be opened (validation split is stored)
        wb.tabs.selected_index = 2
        wb.training.confusion.open_cell(*opened[0])
        assert wb.tabs.selected_index == 0  # the labeler's tab comes forward
        assert wb.labeler.mode == "review"
        assert "model says" in wb.labeler.title.value
        assert not wb.live.start_button.disabled  # the trained run now counts live
        run_id = wb.training.run_id
    finally:
        wb.close()
    again = Workbench(tmp_path / "proj", source=_recorded(), thumbnail=False)
    try:
        assert again.training.run_id == run_id
        assert again.training.confusion.buttons  # the matrix is back without retraining
        assert not again.live.start_button.disabled
    finally:
        again.close()


def _hfw_threads(besides: frozenset[threading.Thread] = frozenset()) -> list[str]:
    """Names of running hfwidgets threads, other than ``besides`` (earlier tests' leftovers)."""
    return sorted(
        t.name for t in threading.enumerate() if t.name.startswith("hfw-") and t not in besides
    )


def test_close_ends_every_thread_and_rerunning_the_cell_closes_the_earlier_bench(
    tmp_path: Path,
) -> None:
    before = frozenset(threading.enumerate())
    first = Workbench(tmp_path / "proj", source=_recorded(), weights="none", thumbnail=False)
    first.training._bridge.start()  # what Start training and Measure latency leave running
    first.picker._bridge.start()
    source = first.source
    # Re-running `wb = Workbench("proj")` in a notebook: the earlier bench must not live on.
    again = Workbench(tmp_path / "proj", source=_recorded(), weights="none", thumbnail=False)
    assert not source.running
    assert first.comm is None
    assert first.training.comm is None
    assert _wait_for(lambda: "hfw-training" not in _hfw_threads(before))
    again.close()
    assert _wait_for(lambda: _hfw_threads(before) == []), _hfw_threads(before)
