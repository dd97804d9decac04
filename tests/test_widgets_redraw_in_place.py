"""Widgets that redraw while a person may be clicking keep their buttons (in place updates).

A button replaced by a redraw would lose a click on its way from the browser (the click names
the old model, closed or no longer shown) and the replaced widgets would pile up in the front
end. Each test sends the click the way the browser does (``tests.front_end``) after a redraw.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import ipywidgets as w
import torch
from ipywidgets.widgets import widget as widget_module

from hfwidgets.sensors import simulate_windows
from hfwidgets.store.run_metrics import RunMetrics
from hfwidgets.widgets.backbone_table import BackboneTable
from hfwidgets.widgets.confusion import ConfusionMatrix
from hfwidgets.widgets.data_map import DataMapView
from hfwidgets.widgets.freeze_checklist import FreezeChecklist
from hfwidgets.widgets.labeler import Labeler
from tests.front_end import front_end_click
from tests.projects import labelled_project

torch.set_num_threads(1)


def _open_widgets() -> int:
    """Widget models alive in the kernel (each has its twin in the front end)."""
    return len(widget_module._instances)


# -- BackboneTable: rendered on every pick and whenever a latency measurement lands ---------------
def _info(params: float, groups: int) -> SimpleNamespace:
    return SimpleNamespace(
        params=params, file_size_mb=params * 4e-6, imagenet_acc1=70.0, groups=["g"] * groups
    )


def test_a_backbone_row_click_during_a_latency_update_still_picks_it() -> None:
    picked: list[str] = []
    table = BackboneTable(on_pick=picked.append)
    infos = {"mobilenet_v2": _info(3.5e6, 6), "resnet18": _info(11.7e6, 5)}
    table.render(infos, {}, "mobilenet_v2")
    cells = table.children
    resnet = table.buttons["resnet18"].model_id  # the row the person points at
    before = _open_widgets()
    table.render(infos, {"mobilenet_v2": 12.0}, "mobilenet_v2")  # a measurement lands
    assert table.children == cells  # nothing redrawn in the front end
    assert _open_widgets() == before  # nothing left behind
    assert "12 ms" in table.value
    assert "12 ms" in " ".join(c.value for c in cells if isinstance(c, w.HTML))
    assert front_end_click(resnet)
    assert picked == ["resnet18"]
    table.render(infos, {"mobilenet_v2": 12.0}, "resnet18")  # the pick re-renders the table
    assert table.children == cells
    assert table.buttons["resnet18"].icon == "check"
    assert table.buttons["mobilenet_v2"].icon == ""


# -- ConfusionMatrix: drawn again when a run ends ------------------------------------------------
def _metrics(confusion: list[list[int]], classes: tuple[str, ...], first_id: int) -> RunMetrics:
    """Metrics of a run whose windows ``first_id``... fill ``confusion`` row by row."""
    predictions: dict[str, str] = {}
    truth: dict[str, str] = {}
    wid = first_id
    for i, row in enumerate(confusion):
        for j, count in enumerate(row):
            for _ in range(count):
                predictions[str(wid)], truth[str(wid)] = classes[j], classes[i]
                wid += 1
    return RunMetrics.from_dict(
        {
            "classes": list(classes),
            "confusion": confusion,
            "predictions": predictions,
            "true_labels": truth,
            "accuracy": 0.5,
        }
    )


def test_a_confusion_cell_clicked_as_the_next_run_ends_opens_that_runs_windows() -> None:
    matrix = ConfusionMatrix()
    opened: list[list[int]] = []
    matrix.on_open(lambda ids, _title: opened.append(ids))
    classes = ("high-five", "other")
    matrix.show(_metrics([[2, 1], [0, 3]], classes, first_id=1))  # the previous run
    cells = matrix.grid.children
    wrong = matrix.buttons[(0, 1)].model_id  # the person points at a mistake
    before = _open_widgets()
    matrix.show(_metrics([[1, 2], [1, 2]], classes, first_id=10))  # this run ends
    assert matrix.grid.children == cells  # the same buttons, updated in place
    assert _open_widgets() == before  # no matrix left behind per run
    assert matrix.buttons[(0, 1)].description == "2"
    assert front_end_click(wrong)
    assert opened == [[11, 12]]  # this run's windows of that cell


def test_a_matrix_with_other_classes_replaces_the_grid_and_closes_the_old() -> None:
    matrix = ConfusionMatrix()
    opened: list[list[int]] = []
    matrix.on_open(lambda ids, _title: opened.append(ids))
    matrix.show(_metrics([[1, 1], [0, 1]], ("high-five", "other"), first_id=1))
    old = matrix.grid.children
    matrix.show(_metrics([[1, 0, 1], [0, 1, 0], [0, 0, 1]], ("a", "b", "c"), first_id=10))
    # Closed with their layouts and styles: the old classes' cells do not pile up.
    assert all(c.comm is None and c.layout.comm is None for c in old)
    assert len(matrix.buttons) == 9
    assert front_end_click(matrix.buttons[(0, 2)].model_id)
    assert opened == [[11]]


# -- DataMapView: the outlier list, drawn on every Colour-by choice and when a run ends ---------
def test_an_outlier_clicked_while_the_map_is_recoloured_or_redrawn_opens(tmp_path: Path) -> None:
    windows, labels = simulate_windows(3, seed=4)
    with labelled_project(tmp_path / "m", list(windows), labels, size=32) as project:
        view = DataMapView(project, weights="none")
        opened: list[list[int]] = []
        view.on_open(lambda ids, _title: opened.append(ids))
        data_map = view.refresh(wait=True)
        assert data_map is not None
        buttons = list(view.outlier_buttons)
        listed = view.outlier_box.children
        assert len(buttons) == 5
        first = buttons[0].model_id
        before = _open_widgets()
        view.colour_by.value = "verdict"  # the same outliers, drawn again
        assert view.outlier_buttons == buttons
        assert view.outlier_box.children == listed
        assert _open_widgets() == before
        assert front_end_click(first)
        assert opened == [[data_map.outliers(1)[0].window_id]]
        view.refresh(wait=True)  # as when a run ends: a window still listed keeps its button
        kept = {_window_of(b): b for b in buttons}
        again = [b for b in view.outlier_buttons if _window_of(b) in kept]
        assert again
        assert all(b is kept[_window_of(b)] for b in again)
        gone = [b for b in buttons if b not in view.outlier_buttons]
        assert all(b.comm is None for b in gone)  # one no longer listed is closed
        view.close()


def _window_of(button: w.Button) -> str:
    return str(button.description).split(" ")[1]  # "window 5 (other)"


# -- Labeler: its review filter gets new options when a run ends (the run's verdicts) -----------
def test_a_run_ending_keeps_the_reviewers_filter_and_place(tmp_path: Path) -> None:
    windows, labels = simulate_windows(3, seed=4)
    with labelled_project(tmp_path / "l", list(windows), labels, size=32) as project:
        labeler = Labeler(project, thumbnail=False, autostart=False)
        labeler.mode = "review"
        labeler.review_bar.filter.value = "label:other"
        labeler.step(+1)
        shown = labeler.review.current
        assert shown is not None
        ids = project.windows.ids()
        labeler.set_verdicts(
            {wid: "high-five" for wid in ids}, run_id=4
        )  # as the Train tab does when run 4 ends
        # ipywidgets would reset it to "all"
        assert labeler.review_bar.filter.value == "label:other"
        now = labeler.review.current
        assert now is not None
        assert now.id == shown.id
        assert ("misclassified (run 4)", "misclassified") in labeler.review_bar.filter.options
        labeler.review_bar.filter.value = "misclassified"
        assert {r.label for r in labeler.review.records} == {"other"}
        labeler.set_verdicts({wid: "other" for wid in ids}, run_id=5)  # the next run
        # A verdict filter follows the new run: its list is that run's mistakes.
        assert labeler.review_bar.filter.value == "misclassified"
        assert {r.label for r in labeler.review.records} == {"high-five"}
        labeler.close()


# -- FreezeChecklist: rebuilt when the backbone (its groups) changes, and only then -------------
def test_switching_backbone_closes_the_old_groups_rows_and_back_works() -> None:
    checklist = FreezeChecklist("mobilenet_v2")
    old_rows = checklist.boxes.children
    old_box = next(iter(checklist.checkboxes.values()))
    before = _open_widgets()
    checklist.backbone = "resnet18"  # other groups: a new list of rows
    assert old_box.comm is None  # closed: no checkbox of mobilenet_v2 left behind
    assert all(row.comm is None for row in old_rows)
    checklist.backbone = "mobilenet_v2"
    assert _open_widgets() == before  # switching back and forth piles nothing up
    first = next(iter(checklist.checkboxes))
    checklist.checkboxes[first].value = False
    assert first not in checklist.frozen
