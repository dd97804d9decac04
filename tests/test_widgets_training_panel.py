"""TrainingPanel on the widget models: a scripted runner drives progress, curves and the matrix."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from hfwidgets.store import Project
from hfwidgets.store.run_metrics import RunMetrics
from hfwidgets.training.augment import augment_preset
from hfwidgets.training.config import TrainConfig
from hfwidgets.training.fit_events import BatchEnded, EpochEnded, EpochStarted, FitEnded, FitStarted
from hfwidgets.training.metrics import compute_metrics
from hfwidgets.widgets.confusion import cell_window_ids
from hfwidgets.widgets.training_panel import TrainingPanel


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Project]:
    with Project.create(tmp_path / "p") as p:
        rng = np.random.default_rng(0)
        for label in ["high-five"] * 4 + ["other"] * 4:
            p.windows.add(rng.normal(size=(75, 3)).astype(np.float32), rate_hz=50.0, label=label)
        yield p


class ScriptedRunner:
    """Publishes the events of a 3-epoch run from a thread; honours stop() between batches."""

    def __init__(self, project: Project, config: Any, callbacks: list[Any]) -> None:
        self.project, self.config, self.callbacks = project, config, callbacks
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.gate = threading.Event()  # lets a test stop mid-run deterministically

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.stop_event.set()
        self.gate.set()

    def _emit(self, event: Any) -> None:
        for callback in self.callbacks:
            callback(event)

    def _run(self) -> None:
        ids = self.project.windows.ids()
        self._emit(FitStarted(n_train=6, n_val=2, epochs=self.config.epochs, model="m", run_id=7))
        for epoch in range(1, self.config.epochs + 1):
            self._emit(EpochStarted(epoch=epoch, epochs=self.config.epochs))
            for batch in (1, 2):
                if self.stop_event.is_set():
                    self._emit(FitEnded("stopped", RunMetrics(), None, 7))
                    return
                self._emit(BatchEnded(epoch, batch, 2, loss=1.0 / (epoch + batch), seconds=0.01))
            self._emit(EpochEnded(epoch, 0.5 / epoch, 0.6, 0.6 / epoch, 0.5))
            if epoch == 1:  # hold here until the test has looked at the running panel
                self.gate.wait(5.0)
        metrics = RunMetrics.from_dict({
            "accuracy": 0.5,
            "classes": ["high-five", "other"],
            "confusion": [[1, 1], [0, 0]],
            "misclassified": [ids[0]],  # a high-five predicted as other
            "predictions": {str(ids[0]): "other", str(ids[1]): "high-five"},
            "true_labels": {str(ids[0]): "high-five", str(ids[1]): "high-five"},
            "evaluated_on": "val",
            "history": [],
        })  # fmt: skip
        self._emit(FitEnded("finished", metrics, None, 7))


def _scripted(panel: TrainingPanel) -> ScriptedRunner:
    """The panel's runner, the scripted one its factory made."""
    assert isinstance(panel.runner, ScriptedRunner)
    return panel.runner


def _panel(project: Project, **kw: Any) -> TrainingPanel:
    return TrainingPanel(project, weights="none", frozen=["stem"], runner_factory=ScriptedRunner,
                         **kw)  # fmt: skip


def test_a_run_fills_progress_curves_and_a_clickable_matrix(project: Project) -> None:
    panel = _panel(project, epochs=3)
    ended: list[Any] = []
    panel.on_fit_end(ended.append)
    panel.start_button.click()
    assert panel.start_button.disabled
    assert not panel.stop_button.disabled
    _scripted(panel).gate.set()
    _scripted(panel).thread.join(5)
    panel.flush()
    assert panel.status == "finished"
    assert panel.run_id == 7
    assert ended[0].status == "finished"
    assert panel.epoch_bar.value == 3
    assert len(np.asarray(panel.curves.batch_loss.x)) == 6
    assert np.asarray(panel.curves.acc.y).shape == (2, 3)
    assert "accuracy 50.0%" in panel.progress_html.value
    wrong = panel.confusion.buttons[(0, 1)]
    assert wrong.description == "1"
    assert not wrong.disabled
    assert panel.confusion.buttons[(1, 1)].disabled  # nothing behind an empty cell
    wrong.click()  # opens the misclassified window for relabelling
    first = project.windows.ids()[0]
    assert panel.labeler is not None
    assert panel.labeler.mode == "review"
    assert panel.labeler.review.current.id == first
    assert "model says <b>other</b>" in panel.labeler.title.value
    panel.labeler.label("other")
    assert project.windows.get(first).label == "other"


def test_stop_ends_the_run_as_stopped(project: Project) -> None:
    panel = _panel(project, epochs=5)
    panel.start()
    panel.stop_button.click()
    _scripted(panel).thread.join(5)
    panel.flush()
    assert panel.status == "stopped"
    assert not panel.start_button.disabled
    assert panel.stop_button.disabled


def test_config_collects_the_controls(project: Project) -> None:
    panel = _panel(project, epochs=4, batch_size=8, lr=0.01, val_fraction=0.25)
    panel.model = "squeezenet1_1"
    config = panel.config()
    assert (config.model, config.weights, config.frozen) == ("squeezenet1_1", "none", ("stem",))
    assert (config.epochs, config.batch_size, config.lr, config.val_fraction) == (4, 8, 0.01, 0.25)
    auto = _panel(project)
    assert auto.epochs.value == 0  # shown as 0: auto, as TrainConfig's default
    assert auto.config().epochs is None
    assert "epochs (auto)" in auto.plan_html.value


def test_the_augment_menu_sets_the_turn_the_run_trains_with(project: Project) -> None:
    panel = _panel(project)
    default = TrainConfig()
    assert (panel.config().augment, panel.config().rotation_deg) == (
        default.augment,
        default.rotation_deg,
    )  # the menu starts at the recipe's default
    assert f"augmentation {panel.augmentation.value}" in panel.plan_html.value
    assert panel.augmentation.value == "on"
    panel.augmentation.value = "on, plus any heading"
    config = panel.config()
    assert (config.augment, config.rotation_deg) == (True, 180.0)
    assert "augmentation on, plus any heading" in panel.plan_html.value
    panel.augmentation.value = "off"
    assert panel.config().augment is False
    panel.augmentation.value = "on"
    assert (panel.config().augment, panel.config().rotation_deg) == (True, 0.0)
    assert augment_preset(panel.config()) == "on"


def test_needs_two_labelled_classes(tmp_path: Path) -> None:
    with Project.create(tmp_path / "empty") as empty:
        panel = _panel(empty)
        assert panel.start() is None
        assert "at least two classes" in panel.progress_html.value
        assert panel.status == "idle"


def test_cells_hold_the_windows_the_trainer_predicted_into_them() -> None:
    metrics = compute_metrics([0, 1, 0, 2], [1, 0, 0, 2], classes=["a", "b", "c"], ids=[3, 4, 5, 6])
    cells = cell_window_ids(metrics)
    assert cells == {(0, 1): [3], (1, 0): [4], (0, 0): [5], (2, 2): [6]}
    for (i, j), ids in cells.items():  # every cell opens as many windows as it counts
        assert metrics.confusion[i][j] == len(ids)


def test_the_plan_says_what_start_will_train_and_follows_the_controls(project: Project) -> None:
    panel = _panel(project, epochs=3)
    plan = panel.plan_html.value
    assert "on <b>8</b> windows (high-five 4, other 4)" in plan
    assert "1 of 10 groups frozen (stem)" in plan
    assert "3 epochs, batch 8" in plan  # the recipe's default batch
    assert "validation 20%: about 2 windows held out" in plan
    panel.frozen = ["stem", "stage1", "stage2", "stage3", "stage4", "stage5", "stage6", "stage7",
                    "conv_last"]  # fmt: skip
    panel.val_fraction.value = 0.0
    plan = panel.plan_html.value
    assert "9 of 10 groups frozen: only the new head learns" in plan
    assert "no validation: accuracy on the training windows" in plan
    project.windows.add(np.zeros((75, 3), np.float32), rate_hz=50.0, label="other")
    panel.refresh_plan()
    assert "(high-five 4, other 5)" in panel.plan_html.value


def test_while_a_new_run_trains_the_matrix_on_screen_is_named_the_previous_runs(
    project: Project,
) -> None:
    panel = _panel(project, epochs=3)
    panel.start()
    _scripted(panel).gate.set()
    _scripted(panel).thread.join(5)
    panel.flush()
    assert "Confusion matrix of run 7</b> (validation windows" in panel.confusion.caption.value
    panel.start()  # the next run: the matrix still shown is run 7's
    assert "Confusion matrix of run 7</b> (the previous run" in panel.confusion.caption.value
    _scripted(panel).gate.set()
    _scripted(panel).thread.join(5)
    panel.flush()
    assert "(the previous run" not in panel.confusion.caption.value


class HandRunner:
    """A runner the test drives event by event (``emit``); records whether Stop reached it."""

    def __init__(self, project: Project, config: Any, callbacks: list[Any]) -> None:
        self.callbacks = callbacks
        self.stopped = False

    def start(self) -> None:
        pass

    def stop(self) -> None:
        self.stopped = True

    def emit(self, event: Any) -> None:
        for callback in self.callbacks:
            callback(event)


def test_stop_pressed_while_the_runner_is_still_being_made_reaches_it(project: Project) -> None:
    made, release = threading.Event(), threading.Event()

    def slow_factory(project: Project, config: Any, callbacks: list[Any]) -> HandRunner:
        made.set()
        release.wait(5.0)  # as importing torch for the first run takes seconds
        return HandRunner(project, config, callbacks)

    panel = TrainingPanel(project, weights="none", runner_factory=slow_factory)
    clicked = threading.Thread(target=panel.start_button.click)
    clicked.start()
    assert made.wait(5.0)
    panel.stop_button.click()  # the Stop button is enabled by now
    release.set()
    clicked.join(5.0)
    assert panel.runner is not None
    assert panel.runner.stopped


def test_after_stop_the_panel_says_stopping_until_the_run_has_ended(project: Project) -> None:
    panel = TrainingPanel(project, weights="none", epochs=3, runner_factory=HandRunner)
    runner = panel.start()
    runner.emit(FitStarted(n_train=6, n_val=2, epochs=3, model="m", run_id=4))
    panel.stop_button.click()
    assert runner.stopped
    assert panel.stop_button.disabled  # asked once
    # The batch under way when Stop was pressed still reports; the line keeps saying stopping.
    runner.emit(BatchEnded(1, 1, 4, loss=0.7, seconds=0.5))
    panel.flush()
    assert "stopping before the next batch" in panel.progress_html.value
    assert panel.status == "running"
    runner.emit(FitEnded("stopped", RunMetrics(stopped="before training"), None, 4))
    panel.flush()
    assert panel.status == "stopped"
    assert "<b>stopped</b> (run 4) before its first whole epoch" in panel.progress_html.value
    assert not panel.confusion.buttons  # no matrix of an untrained network
    assert not panel.start_button.disabled


def test_a_double_click_on_start_starts_one_run(project: Project) -> None:
    made: list[HandRunner] = []

    def factory(project: Project, config: Any, callbacks: list[Any]) -> HandRunner:
        made.append(HandRunner(project, config, callbacks))
        return made[-1]

    panel = TrainingPanel(project, weights="none", runner_factory=factory)
    panel.start_button.click()
    panel.start_button.click()  # sent before the page drew the button disabled
    assert len(made) == 1
    assert panel.status == "running"


def test_a_class_with_a_single_window_is_named_before_anything_starts(tmp_path: Path) -> None:
    made: list[HandRunner] = []
    with Project.create(tmp_path / "p", classes=("high-five", "other", "wave")) as p:
        for label in ("high-five", "high-five", "other"):
            p.windows.add(np.zeros((75, 3), np.float32), rate_hz=50.0, label=label)

        def factory(*args: Any) -> HandRunner:
            made.append(HandRunner(*args))
            return made[-1]

        panel = TrainingPanel(p, weights="none", runner_factory=factory)
        assert panel.start() is None
        assert made == []
        assert "Label a second window of other first" in panel.progress_html.value
        assert panel.status == "idle"
        panel.val_fraction.value = 0.0  # everything trains: one window is enough
        assert panel.start() is not None
