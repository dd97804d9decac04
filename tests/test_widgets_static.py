"""Widget outputs say what they show where the widget cannot be drawn (no kernel, untrusted
notebook, nbconvert): a readable line instead of ``Widget(children=(...`` and, for the training
panel, the project's picture."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pytest

from hfwidgets.store import Project
from hfwidgets.widgets.freeze_checklist import FreezeChecklist
from hfwidgets.widgets.guide import Guide
from hfwidgets.widgets.run_list import RunList
from hfwidgets.widgets.training_panel import TrainingPanel

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def _bundle(widget: _Displayed) -> dict[str, Any]:
    """What a notebook stores for ``widget`` (each of these widgets always gives one)."""
    bundle = widget._repr_mimebundle_()
    assert bundle is not None
    return bundle


class _Displayed(Protocol):
    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any] | None: ...


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Project]:
    with Project.create(tmp_path / "p") as p:
        for label in ["high-five"] * 3 + ["other"] * 2:
            p.windows.add(np.zeros((75, 3), np.float32), rate_hz=50.0, label=label)
        yield p


def test_training_panel_output_says_what_the_project_holds(project: Project) -> None:
    bundle = _bundle(TrainingPanel(project, weights="none"))
    assert WIDGET_VIEW in bundle  # JupyterLab with a kernel still draws the widget
    assert bundle["text/plain"].startswith("TrainingPanel: High-five workbench · project p:")
    assert bundle["text/plain"].endswith("(an interactive widget: run the notebook to use it)")
    assert "image/png" not in bundle  # a picture drawn before its run would mislead


def test_other_widgets_say_what_they_show(project: Project) -> None:
    checklist = FreezeChecklist("resnet18")
    text = _bundle(checklist)["text/plain"]
    assert text.startswith("FreezeChecklist: resnet18, 5 of 6 groups frozen (stem, layer1")
    assert f"{checklist.trainable:,} of {checklist.total:,} parameters trainable" in text
    assert "18 more other" in _bundle(Guide(project))["text/plain"]
    assert "RunList of p:\nno run" in _bundle(RunList(project))["text/plain"]


def test_labeler_and_picker_say_what_they_show(project: Project) -> None:
    from hfwidgets.widgets.labeler import Labeler
    from hfwidgets.widgets.model_picker import ModelPicker

    labeler = Labeler(project, autostart=False)
    text = _bundle(labeler)["text/plain"]
    assert text.startswith("Labeler (capture) of project p: high-five 3, other 2 windows")
    picker = ModelPicker("resnet18", weights="none")
    assert _bundle(picker)["text/plain"].startswith(
        "ModelPicker: resnet18, weights none (random initialisation)"
    )
    labeler.close()
