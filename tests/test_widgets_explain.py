"""ExplainView: opened from review and behind a confusion cell, with the run that made the verdicts;
class names with markup are shown as text."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import ipywidgets as w
import numpy as np
import pytest
import torch

from hfwidgets.models import StagedNet, build_architecture, layer_groups
from hfwidgets.scalogram import ScalogramSettings
from hfwidgets.store import Project
from hfwidgets.training.config import TrainConfig
from hfwidgets.training.predictor import RunPredictor
from hfwidgets.training.runner import train_project
from hfwidgets.widgets._html import esc
from hfwidgets.widgets.explain_view import ExplainView
from hfwidgets.widgets.labeler import Labeler
from hfwidgets.widgets.training_panel import TrainingPanel
from tests.crafted import HOSTILE_CLASS, assert_no_markup, open_crafted_project

torch.set_num_threads(1)
RATE = 50.0


def _html(widget: w.Widget) -> str:
    """Every HTML value inside ``widget``, joined."""
    found = []

    def walk(node: w.Widget) -> None:
        if isinstance(node, w.HTML):
            found.append(str(node.value))
        for child in getattr(node, "children", ()):
            walk(child)

    walk(widget)
    return "\n".join(found)


@pytest.fixture(scope="module")
def project_with_runs(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Project, list[int]]]:
    """A small project and two quick runs (SqueezeNet, random weights, 64 x 64, one epoch)."""
    rng = np.random.default_rng(0)
    project = Project.create(
        tmp_path_factory.mktemp("explain-view") / "proj", classes=("left", "right"), rate_hz=RATE
    )
    for i in range(12):
        xyz = rng.normal(0, 0.1, (75, 3)).astype(np.float32)
        xyz[20:40, i % 2] += 1.5
        project.windows.add(xyz, rate_hz=RATE, label=("left", "right")[i % 2])
    project.settings.set("scalogram", ScalogramSettings(size=(64, 64)).to_dict())
    config = TrainConfig(
        model="squeezenet1_1",
        weights="none",
        frozen=tuple(layer_groups("squeezenet1_1")[:2]),
        epochs=1,
        batch_size=8,
        num_threads=1,
        baseline=False,
        val_fraction=0.5,
    )
    runs = [train_project(project, config), train_project(project, config)]
    yield project, runs
    project.close()


def test_explain_in_review_uses_the_shown_window(
    project_with_runs: tuple[Project, list[int]],
) -> None:
    project, runs = project_with_runs
    labeler = Labeler(project, keyboard=False, thumbnail=False, autostart=False)
    try:
        assert labeler.explain() is None  # capture mode: nothing stored is shown
        labeler.mode = "review"
        labeler.step(+2)
        shown = labeler.review.current
        assert shown is not None
        labeler.review_bar.explain_button.click()
        view = labeler.explainer
        assert view is not None
        assert view in labeler.children
        assert view.explanation.window_id == shown.id
        assert view.explanation.run_id == runs[-1]  # no verdicts shown: the latest run
        assert bytes(view.image.value).startswith(b"\x89PNG")
        assert f"window {shown.id}" in view.title.value
        labeler.step(+1)  # the open view follows the review
        assert view.explanation.window_id == labeler.review.current_id != shown.id
        view.method_choice.value = "occlusion"
        labeler.step(-1)  # occluding at every step would take seconds: it folds away
        assert view.layout.display == "none"
        labeler.explain()
        assert view.layout.display != "none"
        assert view.explanation.window_id == shown.id
        assert view.explanation.method == "occlusion"
    finally:
        labeler.close()
    assert view.comm is None  # closed with the labeler


def test_a_confusion_cell_explains_with_the_run_of_its_verdicts(
    project_with_runs: tuple[Project, list[int]],
) -> None:
    """The panel shows the first run's matrix; its cell's windows are explained by that run,
    not by the newer one."""
    project, runs = project_with_runs
    panel = TrainingPanel(project, model="squeezenet1_1", weights="none")
    try:
        panel.show_metrics(project.runs.get(runs[0]).metrics, run_id=runs[0])
        cell = next(key for key, ids in panel.confusion.cells.items() if ids)
        opened = panel.confusion.open_cell(*cell)
        assert panel.labeler is not None
        view = panel.labeler.explain()
        assert view.explanation.run_id == runs[0]
        assert view.explanation.window_id == opened[0]
        assert f"run {runs[0]}" in view.title.value
    finally:
        panel.close()


def test_choosing_a_class_or_method_explains_again(
    project_with_runs: tuple[Project, list[int]],
) -> None:
    project, runs = project_with_runs
    view = ExplainView(project, run_id=runs[0])
    wid = project.windows.ids()[0]
    first = view.show(wid)
    other = next(c for c in project.classes if c != first.predicted)
    view.class_choice.value = other
    assert view.explanation.target == other
    view.method_choice.value = "occlusion"
    assert view.explanation.method == "occlusion"
    assert view.explanation.target == other


def test_a_missing_window_is_said_not_raised(project_with_runs: tuple[Project, list[int]]) -> None:
    project, runs = project_with_runs
    view = ExplainView(project, run_id=runs[0])
    assert view.show(999_999) is None
    assert "Cannot explain" in view.message.value
    assert "999999" in view.message.value
    assert bytes(view.image.value) == b""


def test_class_names_with_markup_are_text(tmp_path: Path) -> None:
    """A shared project whose classes hold markup: the view shows them escaped, never as HTML."""
    project = open_crafted_project(tmp_path / "crafted")
    try:
        classes = list(project.classes)
        assert HOSTILE_CLASS in classes
        torch.manual_seed(0)
        model = build_architecture("squeezenet1_1", num_classes=len(classes), pretrained=False)
        settings = ScalogramSettings(size=(64, 64)).resolve(window_s=2.0, rate_hz=RATE)
        predictor = RunPredictor(
            StagedNet(model, "squeezenet1_1"),
            classes=classes,
            settings=settings,
            rate_hz=RATE,
            model_name="squeezenet1_1",
        )  # not a stored run's: the view explains with it as it is
        view = ExplainView(project, predictor=predictor)
        wid = project.windows.ids()[0]
        explanation = view.show(wid, target=HOSTILE_CLASS)
        assert explanation is not None
        assert explanation.target == HOSTILE_CLASS
        shown = _html(view)
        assert_no_markup(shown, where="ExplainView")
        assert esc(HOSTILE_CLASS) in shown  # shown, as text
        assert bytes(view.image.value).startswith(b"\x89PNG")
    finally:
        project.close()
