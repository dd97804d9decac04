"""Suggestions in the Labeler and the data map view, on the widget models (issue 17).

The Labeler's tests use a stand-in predictor with fixed probabilities (what they check is the
widget: shown, accepted with one key like the class's own key, undone, never stored by itself);
the data map view draws a real map of simulated windows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from hfwidgets.segmenter import Window
from hfwidgets.sensors import simulate_windows
from hfwidgets.store import Project
from hfwidgets.suggestions import suggestion_from_probs
from hfwidgets.widgets.data_map import DataMapView
from hfwidgets.widgets.keys import KeyMap
from hfwidgets.widgets.labeler import Labeler
from tests.projects import labelled_project

torch.set_num_threads(1)


class FixedPredictor:
    """Says ``other`` with 80 % for every window, and counts its calls."""

    classes = ("high-five", "other")
    rate_hz = 50.0
    run_id = 7

    def __init__(self, probs: tuple[float, float] = (0.2, 0.8)) -> None:
        self.probs = probs
        self.calls = 0

    def predict_proba(self, windows: np.ndarray, *, rate_hz: float | None = None) -> np.ndarray:
        self.calls += 1
        return np.tile(np.array(self.probs, dtype=np.float32), (len(windows), 1))


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Project]:
    with Project.create(tmp_path / "p") as p:
        yield p


def _window(value: float) -> Window:
    return Window(data=np.full((75, 3), value, dtype=np.float32), rate_hz=50.0, t0=0.0,
                  start_index=0)  # fmt: skip


def _key(labeler: Labeler, key: str) -> None:
    """What ipyevents delivers for a key press over the labeler."""
    assert labeler.key_events is not None
    labeler.key_events._dom_handlers({"event": "keydown", "type": "keydown", "key": key})


def test_enter_accepts_the_suggestion_as_the_class_key_would_and_undo_works(
    project: Project,
) -> None:
    labeler = Labeler(project, thumbnail=False, autostart=False)
    labeler.set_predictor(FixedPredictor())
    labeler.add_window(_window(0.1))
    labeler.flush()
    assert "Suggestion (run 7): <b>other</b> 80%" in labeler.suggestions.html.value
    assert labeler.suggestions.widget.layout.display == "flex"
    assert project.windows.ids() == []  # shown, not stored
    _key(labeler, "Enter")
    assert project.windows.counts() == {"high-five": 0, "other": 1}
    (record,) = project.windows.all()
    assert float(record.data[0, 0]) == pytest.approx(0.1)
    assert "labelled other" in labeler.message.value
    labeler.undo_button.click()
    assert project.windows.get(record.id).label is None  # undone in the database too
    assert [c.label for c in project.labels.history(record.id)][:1] == ["other"]
    # The window is back on screen; its class key stores the same thing the suggestion did.
    _key(labeler, "o")
    assert project.windows.get(record.id).label == "other"


def test_a_suggestion_is_never_stored_without_the_persons_action(project: Project) -> None:
    labeler = Labeler(project, thumbnail=False, autostart=False)
    predictor = FixedPredictor()
    labeler.set_predictor(predictor)
    stored = project.windows.add(np.zeros((75, 3), np.float32), rate_hz=50.0)
    for value in (0.1, 0.2, 0.3):
        labeler.add_window(_window(value))
    labeler.flush()
    labeler.mode = "review"
    labeler.review_bar.filter.value = "unlabelled"
    assert labeler.current_suggestion is not None
    labeler.set_suggestions([suggestion_from_probs([0.1, 0.9], ["high-five", "other"],
                                                   window_id=stored)])  # fmt: skip
    labeler.mode = "capture"
    assert predictor.calls >= 2
    assert project.windows.ids() == [stored]
    assert project.windows.get(stored).label is None
    assert project.labels.history(stored) == []


def test_accept_in_review_relabels_the_shown_window(project: Project) -> None:
    ids = [project.windows.add(np.full((75, 3), v, np.float32), rate_hz=50.0) for v in (0, 1)]
    labeler = Labeler(project, thumbnail=False, autostart=False)
    labeler.set_predictor(FixedPredictor((0.9, 0.1)))
    labeler.mode = "review"
    assert labeler.review.current_id == ids[0]
    assert labeler.accept_suggestion() == ids[0]
    assert project.windows.get(ids[0]).label == "high-five"
    assert project.windows.get(ids[1]).label is None
    assert labeler.undo() == "relabel"
    assert project.windows.get(ids[0]).label is None


def test_no_suggestion_without_a_run_and_none_outside_the_projects_classes(
    project: Project,
) -> None:
    labeler = Labeler(project, thumbnail=False, autostart=False)
    labeler.add_window(_window(0.1))
    labeler.flush()
    assert labeler.suggestions.widget.layout.display == "none"
    assert labeler.accept_suggestion() is None
    assert "no suggestion" in labeler.message.value

    class Foreign(FixedPredictor):
        classes = ("high-five", "wave")

    labeler.set_predictor(Foreign())
    assert labeler.accept_suggestion() is None
    assert "not a class of this project" in labeler.message.value
    assert project.windows.ids() == []


def test_review_orders_least_confident_first(project: Project) -> None:
    ids = [project.windows.add(np.zeros((75, 3), np.float32), rate_hz=50.0) for _ in range(4)]
    margins = {ids[0]: 0.9, ids[1]: 0.1, ids[2]: 0.5}  # ids[3] has no suggestion: last
    labeler = Labeler(project, thumbnail=False, autostart=False)
    assert labeler.review_bar.order.disabled
    labeler.set_suggestions(
        suggestion_from_probs([(1 + m) / 2, (1 - m) / 2], project.classes, window_id=wid)
        for wid, m in margins.items()
    )
    assert not labeler.review_bar.order.disabled
    labeler.mode = "review"
    labeler.review_bar.order.value = "uncertainty"
    assert [r.id for r in labeler.review.records] == [ids[1], ids[2], ids[0], ids[3]]
    assert "<b>high-five</b> 55%" in labeler.suggestions.html.value
    labeler.review_bar.order.value = "stored"
    assert [r.id for r in labeler.review.records] == ids


@pytest.mark.parametrize(
    "classes", [("high-five", "other"), ("enter", "exit", "x-ray"), tuple("abcdefghij")]
)
def test_enter_accepts_whatever_the_class_names(classes: tuple[str, ...]) -> None:
    keymap = KeyMap.for_classes(classes)
    assert keymap.action_for({"type": "keydown", "key": "Enter"}) == "accept"
    assert keymap.action_for({"type": "keydown", "key": "1"}) == f"label:{classes[0]}"
    assert keymap.action_for({"type": "keydown", "key": "Enter", "ctrlKey": True}) is None
    assert "Enter accept suggestion" in keymap.describe()


def test_data_map_view_opens_the_clicked_window_and_lists_outliers(
    tmp_path: Path, mobilenet_v2_weights: Path
) -> None:
    windows, labels = simulate_windows(6, seed=4)
    labels[labels.index("high-five")] = "other"
    with labelled_project(tmp_path / "m", windows, labels) as project:
        ids = project.windows.ids()
        view = DataMapView(project, weights=str(mobilenet_v2_weights))
        opened: list[tuple[list[int], str]] = []
        view.on_open(lambda wids, title: opened.append((wids, title)))
        data_map = view.refresh(wait=True)
        assert data_map is not None
        assert len(view.scatter.x) == len(ids)
        assert len(set(view.scatter.colors)) == 2
        assert "other" in view.legend_html.value
        index = view.point_index(ids[3])
        view.scatter._handle_custom_msgs(None, {"event": "element_click", "data": {"index": index}})
        assert opened == [([ids[3]], f"window {ids[3]} from the data map")]
        # An index from a map drawn before (fewer points now) opens and describes nothing.
        hover = view.hover.value
        for event in ("element_click", "hover"):
            view.scatter._handle_custom_msgs(None, {"event": event, "data": {"index": 99}})
        assert len(opened) == 1
        assert view.hover.value == hover
        assert len(view.rings.x) == len(view.outlier_buttons) == 5
        view.outlier_buttons[0].click()
        assert opened[-1][0] == [data_map.outliers(1)[0].window_id]
        bundle = view._repr_mimebundle_()
        assert bundle is not None
        assert bundle["text/plain"].startswith("Data map of project m: 12 windows")
        assert "image/png" in bundle
        view.colour_by.value = "verdict"  # no run: one colour, and the status says why
        assert len(set(view.scatter.colors)) == 1
        assert "verdicts need a trained run" in view.status.value
        view.close()


def test_data_map_view_on_a_worker_and_an_error_in_the_status(tmp_path: Path) -> None:
    windows, labels = simulate_windows(2, seed=4)
    with labelled_project(tmp_path / "m", windows, labels, size=32) as project:
        view = DataMapView(project, weights="none")
        assert view.refresh() is None
        assert view.join(60.0)
        assert view.data_map is not None
        assert len(view.data_map) == 4
        view.weights = str(tmp_path / "missing.pth")
        view.refresh(wait=True)
        assert "No map" in view.status.value
        assert "missing.pth" in view.status.value
        assert len(view.data_map) == 4  # the last good map stays
        view.close()


def test_class_names_with_markup_are_text_in_the_map_and_the_suggestion(tmp_path: Path) -> None:
    marked = '<img src=x onerror="alert(1)">'
    from hfwidgets.datamap import DataMap, MapPoint

    with Project.create(tmp_path / "x") as project:
        view = DataMapView(project, weights="none")
        view.data_map = DataMap(
            points=(MapPoint(1, 0.0, 0.0, marked, marked, 0.9, "correct", 2.0, "other"),
                    MapPoint(2, 1.0, 1.0, "other", marked, 0.6, "wrong", 0.5)),
            classes=(marked, "other"), method="pca", backbone="mobilenet_v2", run_id=1,
        )  # fmt: skip
        view._draw()
        view._on_hover(None, {"data": {"index": 0}})
        for html in (view.legend_html.value, view.hover.value, view.status.value):
            assert "<img" not in html
        assert "&lt;img" in view.legend_html.value
        assert "&lt;img" in view.hover.value
        view.close()

        class Marked(FixedPredictor):
            classes = (marked, "other")
            run_id = 3

        labeler = Labeler(project, thumbnail=False, autostart=False)
        labeler.set_predictor(Marked((0.9, 0.1)))
        labeler.add_window(_window(0.1))
        labeler.flush()
        assert "&lt;img" in labeler.suggestions.html.value
        assert "<img" not in labeler.suggestions.html.value


def test_data_map_view_follows_a_training_panel(tmp_path: Path) -> None:
    class Panel:
        def __init__(self) -> None:
            self.listeners: list[Callable[[Any], object]] = []

        def on_fit_end(self, callback: Callable[[Any], object]) -> None:
            self.listeners.append(callback)

    from hfwidgets.training.fit_events import FitEnded

    with Project.create(tmp_path / "f") as project:
        view = DataMapView(project, weights="none")
        asked: list[int | None] = []
        view.refresh = lambda *, run_id=-1, wait=False: asked.append(run_id)  # type: ignore[method-assign]
        panel = Panel()
        view.follow(panel)
        for event in (FitEnded(status="stopped", run_id=4), FitEnded(status="finished", run_id=5),
                      FitEnded(status="failed", error="x")):  # fmt: skip
            for listener in panel.listeners:
                listener(event)
        assert asked == [5]
        view.close()
