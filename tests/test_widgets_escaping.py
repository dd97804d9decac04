"""A shared project cannot put markup into the notebook: every widget escapes what it shows.

The project database is written by "another tool" (sqlite3 directly), so its class names, labels,
run metrics and errors are hostile HTML; the project folder's name is hostile too. Every widget is
rendered from it and each ``ipywidgets.HTML`` value is checked: the hostile text must be there,
escaped, and never as markup (``<img``/``<script``), which JupyterLab would run.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import ipywidgets as w
import ipywidgets.widgets.widget as widget_module
import numpy as np
import pytest
from numpy.typing import NDArray

from hfwidgets.errors import HfwError
from hfwidgets.store import Project
from hfwidgets.store.schema import DB_NAME
from hfwidgets.training.fit_events import FitEnded
from hfwidgets.widgets._html import esc

IMG = "<img src=x onerror=alert(1)>"
SCRIPT = "<script>alert(2)</script>"
HOSTILE = (IMG, SCRIPT)
RAW_MARKUP = ("<img", "<script")
# Class names the store accepts on open (no < > " /) that still mean something in HTML: an
# entity that innerHTML would decode into markup-looking text, and a quote and an ampersand.
ENTITY_CLASS = "&lt;u&gt;entity"
QUOTE_CLASS = "Tom & Jerry's"
STORED_CLASSES = (ENTITY_CLASS, QUOTE_CLASS)


def _html_values() -> dict[str, str]:
    """Value of every live HTML widget, by model id."""
    return {
        model_id: str(widget.value)
        for model_id, widget in list(widget_module._instances.items())
        if isinstance(widget, w.HTML | w.HTMLMath) and isinstance(widget.value, str)
    }


def _assert_escaped(values: dict[str, str], *, expect: str) -> None:
    """No value holds raw hostile markup or ``expect`` unescaped; one shows it escaped."""
    raw = [v for v in values.values() if any(marker in v for marker in RAW_MARKUP)]
    assert raw == [], f"unescaped markup reaches the page: {raw[:3]}"
    if esc(expect) != expect:
        unescaped = [v for v in values.values() if expect in v]
        assert unescaped == [], f"{expect!r} reaches the page unescaped: {unescaped[:3]}"
    assert any(esc(expect) in v for v in values.values()), (
        f"{expect!r} should be shown (escaped) but no widget shows it; the test would be blind"
    )


def _craft(path: Path, *, classes: tuple[str, str]) -> None:
    """Write a project as another tool would: sqlite3 writes after a clean create.

    Its classes and labels are ``classes``; its window sources, its finished run's settings,
    metrics (classes, predictions) and a failed run's error are hostile markup.
    """
    rng = np.random.default_rng(0)
    with Project.create(path, classes=("high-five", "other")) as project:
        ids = [
            project.windows.add(
                rng.normal(size=(75, 3)).astype(np.float32), rate_hz=50.0, label=label
            )
            for label in ["high-five"] * 3 + ["other"] * 3
        ]
    metrics = {
        "classes": list(HOSTILE),
        "confusion": [[2, 1], [0, 3]],
        "accuracy": 0.8,
        "evaluated_on": "val",
        "predictions": {str(i): HOSTILE[k % 2] for k, i in enumerate(ids)},
        "true_labels": {str(i): HOSTILE[k // 3] for k, i in enumerate(ids)},
        "history": [],
    }
    with sqlite3.connect(path / DB_NAME) as conn:
        conn.execute("UPDATE meta SET value = ? WHERE key = 'classes'", (json.dumps(classes),))
        conn.execute("UPDATE windows SET label = ?, source = ? WHERE label = 'high-five'",
                     (classes[0], IMG))  # fmt: skip
        conn.execute("UPDATE windows SET label = ? WHERE label = 'other'", (classes[1],))
        conn.execute("UPDATE label_history SET label = ? WHERE label = 'high-five'", (classes[0],))
        conn.execute("UPDATE label_history SET label = ? WHERE label = 'other'", (classes[1],))
        for status, run_metrics in (("failed", {"error": f"weights {IMG} missing"}),
                                    ("completed", metrics)):  # fmt: skip
            conn.execute(
                "INSERT INTO runs (settings, status, metrics, created_at, updated_at, "
                "finished_at) VALUES (?, ?, ?, 0, 0, 0)",
                (json.dumps({"model": IMG, "weights": IMG}), status, json.dumps(run_metrics)),
            )


@pytest.fixture
def crafted(tmp_path: Path) -> Path:
    """A crafted project with a hostile folder name and names the store accepts."""
    path = tmp_path / IMG  # a folder name may hold <, >, = and spaces on Linux
    _craft(path, classes=STORED_CLASSES)
    return path


def _open(path: Path) -> Project:
    """Open a crafted project; should the store refuse even these names, use plain ones (the
    folder name, window sources, runs and verdicts stay hostile)."""
    try:
        return Project.open(path)
    except HfwError as error:
        refusal = str(error)
    assert "class name" in refusal or "label" in refusal
    plain = path.parent / f"{path.name} renamed"
    _craft(plain, classes=("high-five", "other"))
    return Project.open(plain)


def test_a_project_with_markup_in_its_names_is_refused_in_plain_text(tmp_path: Path) -> None:
    from hfwidgets.widgets.workbench import Workbench

    path = tmp_path / "markup"
    _craft(path, classes=HOSTILE)
    before = set(_html_values())
    with pytest.raises(HfwError) as refusal:
        Workbench(path, thumbnail=False)
    assert repr(IMG) in str(refusal.value)  # names the value, as a traceback's plain text
    new = {k: v for k, v in _html_values().items() if k not in before}
    assert [v for v in new.values() if any(m in v for m in RAW_MARKUP)] == []


class _Predictor:
    classes = HOSTILE
    rate_hz = 50.0

    def predict_proba(self, windows: NDArray[np.float32]) -> NDArray[np.float64]:
        return np.full((len(windows), len(self.classes)), 1.0 / len(self.classes))


class _Stats:
    latency_ms_p50 = 1.0
    latency_ms_p95 = 2.0
    keeps_up = True
    error = f"predictor crashed: {IMG}"


class _Classifier:
    count = 0

    def stats(self) -> _Stats:
        return _Stats()

    def stop(self) -> None:
        pass


class _FailingSource:
    """A source whose stats fail with a hostile message (a broken driver)."""

    rate_hz = 50.0

    def __init__(self) -> None:
        from hfwidgets.sensors.buffer import RingBuffer

        self.buffer = RingBuffer(100)
        self.running = True

    def stats(self) -> Any:
        raise RuntimeError(f"driver said {SCRIPT}")


def test_labeler_and_review_escape_classes_labels_and_verdicts(crafted: Path) -> None:
    from hfwidgets.widgets.labeler import Labeler

    project = _open(crafted)
    labeler = Labeler(project, thumbnail=False, autostart=False)
    try:
        labeler.set_verdicts({r.id: SCRIPT for r in project.windows.all()}, run_id=1)
        labeler.mode = "review"
        first = project.classes[0]
        labeler.label(first)  # relabel in review: the message names the class
        values = _html_values()
        _assert_escaped(values, expect=SCRIPT)  # the model's verdict
        for name in project.classes:
            _assert_escaped(values, expect=name)
    finally:
        labeler.close()
        project.close()


def test_confusion_matrix_and_training_panel_escape_classes_and_errors(crafted: Path) -> None:
    from hfwidgets.widgets.training_panel import TrainingPanel

    project = _open(crafted)

    class FailingRunner:
        def __init__(self, _project: Any, _config: Any, callbacks: list[Any]) -> None:
            self.callbacks = callbacks

        def start(self) -> None:
            for callback in self.callbacks:
                callback(
                    FitEnded("failed", error=f"weights file {IMG} is not a state dict", run_id=3)
                )

        def stop(self) -> None:
            pass

    panel = TrainingPanel(project, runner_factory=FailingRunner)
    try:
        finished = [r for r in project.runs.all() if r.status == "finished"][-1]  # was "completed"
        panel.show_metrics(finished.metrics, run_id=finished.id)  # classes of the checkpoint
        panel.start()
        panel.flush()
        values = _html_values()
        _assert_escaped(values, expect=IMG)
        _assert_escaped(values, expect=SCRIPT)
        assert any(f"weights file {esc(IMG)}" in v for v in values.values())
    finally:
        panel.close()
        project.close()


def test_training_panel_escapes_the_error_of_a_runner_that_cannot_start(tmp_path: Path) -> None:
    from hfwidgets.widgets.training_panel import TrainingPanel

    def refuse(*_args: Any) -> Any:
        raise ValueError(f"unknown backbone {IMG}")

    with Project.create(tmp_path / "p") as project:
        project.windows.add(np.zeros((75, 3), np.float32), rate_hz=50.0, label="high-five")
        project.windows.add(np.ones((75, 3), np.float32), rate_hz=50.0, label="other")
        panel = TrainingPanel(project, runner_factory=refuse, val_fraction=0.0)  # 1 window each
        with pytest.raises(ValueError, match="unknown backbone"):
            panel.start()
        assert esc(IMG) in panel.progress_html.value
        assert "<img" not in panel.progress_html.value
        panel.close()


def test_live_counter_escapes_checkpoint_classes_and_classifier_errors() -> None:
    from hfwidgets.sensors import SimulatedSource
    from hfwidgets.widgets.live_counter import LiveCounter

    counter = LiveCounter(SimulatedSource(realtime=False, duration_s=1.0), positive=IMG)
    try:
        counter.set_predictor(_Predictor())
        counter.classifier = _Classifier()  # a running classifier that reports an error
        counter._apply([])
        _assert_escaped(_html_values(), expect=IMG)
        _assert_escaped(_html_values(), expect=SCRIPT)
        assert esc(f"predictor crashed: {IMG}") in counter.stats_html.value
    finally:
        counter.classifier = None
        counter.close()


def test_model_picker_escapes_a_failed_latency_measurement() -> None:
    from hfwidgets.widgets.model_picker import ModelPicker

    picker = ModelPicker()
    try:
        picker.measure_async([IMG]).join(30)  # an unknown backbone: its error names it
        picker._bridge.flush()
        assert "latency failed" in picker.status.value
        _assert_escaped(_html_values(), expect=IMG)
    finally:
        picker.close()


def test_window_view_and_live_plot_escape_captions_and_driver_errors() -> None:
    from hfwidgets.widgets.live_plot import LivePlot
    from hfwidgets.widgets.window_view import WindowView

    view = WindowView(thumbnail=False)
    view.show(np.zeros((10, 3), np.float32), caption=f"from {IMG}")
    plot = LivePlot(_FailingSource(), autostart=False)  # type: ignore[arg-type]
    try:
        plot.refresh()
        _assert_escaped(_html_values(), expect=IMG)
        assert esc(SCRIPT) in plot.readout.value
    finally:
        plot.close()
        view.close()


def test_workbench_escapes_the_project_path_classes_and_port_errors(
    crafted: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hfwidgets.sensors import SimulatedSource
    from hfwidgets.widgets.workbench import Workbench

    monkeypatch.setenv("HFW_WEIGHTS", "none")
    project = _open(crafted)
    source = SimulatedSource(rate_hz=50.0, realtime=False, duration_s=2.0)
    bench = Workbench(project, source=source, thumbnail=False)
    try:
        bench.choose_sensor(IMG)  # a port that cannot be opened: the error names it
        values = _html_values()
        _assert_escaped(values, expect=IMG)
        _assert_escaped(values, expect=SCRIPT)  # the restored run's confusion matrix
        _assert_escaped(values, expect=str(project.path))
        for name in project.classes:
            _assert_escaped(values, expect=name)
        assert any(f"cannot read {esc(IMG)}" in v for v in values.values())
    finally:
        bench.close()
        project.close()
