"""TrainingPanel: settings, Start/Stop, progress with ETA, curves and the confusion matrix."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from typing import Any

import ipywidgets as w
import traitlets

from hfwidgets._callbacks import CallbackList
from hfwidgets.store.project import Project
from hfwidgets.store.run_metrics import RunMetrics, interval_text
from hfwidgets.training.config import AUTO_EPOCHS
from hfwidgets.training.fit_events import (
    EpochEnded,
    FitEnded,
    FitStarted,
)
from hfwidgets.widgets._html import esc
from hfwidgets.widgets._static import static_bundle
from hfwidgets.widgets._throttle import EventBridge
from hfwidgets.widgets.confusion import ConfusionMatrix, verdicts_from_metrics
from hfwidgets.widgets.training_progress import PanelProgress
from hfwidgets.widgets.training_text import describe_plan, figure_html, start_problem

__all__ = ["TrainingPanel", "default_runner", "figure_html"]

RunnerFactory = Callable[[Any, Any, list[Callable[[Any], object]]], Any]
_URGENT = (FitStarted, EpochEnded, FitEnded)  # drawn at once; batches may wait for the pump
_STOPPING = "stopping before the next batch…"


def default_runner(project: Project, config: Any, callbacks: list[Callable[[Any], object]]) -> Any:
    """A :class:`hfwidgets.training.runner.TrainingRunner` training ``project`` in a thread."""
    from hfwidgets.training.runner import TrainingRunner

    runner = TrainingRunner(project, config)
    for callback in callbacks:
        runner.on_event(callback)
    return runner


class TrainingPanel(w.VBox):
    """Fine-tune on ``project`` from the notebook and watch it learn.

    Parameters
    ----------
    project
        The :class:`hfwidgets.store.Project` with labelled windows.
    model, weights, frozen
        Backbone, weights and frozen groups (the Workbench links them to the ModelPicker and
        FreezeChecklist; alone, set the traits).
    epochs, batch_size, lr, val_fraction
        Initial values of the settings controls; ``epochs=None`` (shown as 0) is auto
        (``TrainConfig.epochs``).
    labeler
        Where confusion-matrix cells open their windows; by default a Labeler in review mode
        appears below the matrix on the first click.
    runner_factory
        ``factory(project, config, callbacks) -> runner`` with ``start()``, ``stop()``; the
        default is :func:`default_runner`. Tests pass a small fake.
    """

    model = traitlets.Unicode("mobilenet_v2", help="Backbone to fine-tune.")
    weights = traitlets.Unicode("DEFAULT", help="'DEFAULT', 'none' or a state-dict path.")
    frozen = traitlets.List(traitlets.Unicode(), help="Frozen layer groups.")
    mode = traitlets.Unicode(
        "fine-tune", help="'fine-tune' or 'feature-extractor' (TrainConfig.mode)."
    )
    status = traitlets.Unicode("idle", help="idle, running, completed, stopped or failed.")
    run_id = traitlets.Int(-1, help="Id of the latest run (-1 before the first).")

    def __init__(
        self,
        project: Project,
        *,
        model: str = "mobilenet_v2",
        weights: str = "DEFAULT",
        frozen: Iterable[str] | None = None,
        epochs: int | None = None,
        batch_size: int = 8,
        lr: float = 1e-3,
        val_fraction: float = 0.2,
        augmentation: str | None = None,
        labeler: Any | None = None,
        runner_factory: RunnerFactory | None = None,
    ) -> None:
        self.project = project
        self.labeler = labeler
        self.runner: Any | None = None
        self._stopping = False  # Stop was pressed for the run under way
        self.metrics = RunMetrics()
        self._metrics_run: int | None = None
        self._runner_factory = runner_factory or default_runner
        self._fit_end = CallbackList("fit_end")
        style = {"description_width": "initial"}
        # Fixed widths: in one HBox the slider's track was squeezed to 29 px; now each control
        # keeps a usable size and the row wraps in a narrow notebook.
        self.epochs = w.BoundedIntText(
            value=epochs or 0,
            min=0,
            max=1000,
            description="Epochs",
            tooltip="0: auto (12, more for fewer than 200 windows)",
            style=style,
            layout=w.Layout(width="140px"),
        )
        self.batch_size = w.BoundedIntText(
            value=batch_size,
            min=1,
            max=1024,
            description="Batch",
            style=style,
            layout=w.Layout(width="130px"),
        )
        self.lr = w.BoundedFloatText(
            value=lr,
            min=1e-6,
            max=1.0,
            step=1e-4,
            description="Learning rate",
            style=style,
            layout=w.Layout(width="200px"),
        )
        self.val_fraction = w.FloatSlider(
            value=val_fraction,
            min=0.0,
            max=0.5,
            step=0.05,
            description="Validation share",
            style=style,
            readout_format=".0%",
            layout=w.Layout(width="420px", min_width="360px"),
        )
        from hfwidgets.training.augment import AUGMENT_PRESETS, augment_preset
        from hfwidgets.training.config import TrainConfig

        self.augmentation = w.Dropdown(
            options=list(AUGMENT_PRESETS),
            value=augmentation or augment_preset(TrainConfig()),
            description="Augment",
            tooltip="On: shift, stretch and scale the training windows (tilts of the sensor are "
            "undone by the gravity frame). Plus any heading: also turn them about gravity, for "
            "a sensor whose heading varies; it then cannot tell a motion from its mirror image "
            "(a stroke left from a stroke right).",
            style=style,
            layout=w.Layout(width="360px"),
        )
        self.start_button = w.Button(
            description="Start", icon="play", button_style="primary", layout=_button_layout()
        )
        self.stop_button = w.Button(
            description="Stop", icon="stop", disabled=True, layout=_button_layout()
        )
        self.plan_html = w.HTML()
        # A second click can arrive before the page has drawn Start disabled: it is not an error.
        self.start_button.on_click(lambda _b: self.start() if self.status != "running" else None)
        self.stop_button.on_click(lambda _b: self.stop())
        self.progress_html = w.HTML()
        self._progress = PanelProgress(
            epochs=epochs or AUTO_EPOCHS, say=self._say_progress, run_started=self._run_started,
            ended=self._finish,
        )  # fmt: skip
        self.epoch_bar, self.batch_bar = self._progress.epoch_bar, self._progress.batch_bar
        self.curves = self._progress.curves
        self.confusion = ConfusionMatrix()
        self.confusion.on_open(self._open_windows)
        self._bridge = EventBridge(self._apply, widgets=self._synced, name="hfw-training")
        self._sections: tuple[w.Widget, ...] = (
            w.HBox(
                [self.epochs, self.batch_size, self.lr, self.val_fraction, self.augmentation],
                layout=w.Layout(flex_flow="row wrap"),
            ),
            self.plan_html,
            w.HBox(
                [self.start_button, self.stop_button, self.progress_html],
                layout=w.Layout(flex_flow="row wrap", align_items="center"),
            ),
            w.HBox([self.epoch_bar, self.batch_bar]),
            self.curves,
            self.confusion,
        )
        super().__init__(self._sections)
        self.add_class("hfw-training-panel")
        self.model, self.weights = model, weights
        if frozen is None:  # the recipe's default (TrainConfig's): the early groups frozen
            from hfwidgets.training.config import default_frozen

            frozen = default_frozen(model)
        self.frozen = list(frozen)
        controls = (self.epochs, self.batch_size, self.lr, self.val_fraction, self.augmentation)
        for control in controls:
            control.observe(lambda _c: self.refresh_plan(), "value")
        self.observe(lambda _c: self.refresh_plan(), ["model", "weights", "frozen"])
        self.refresh_plan()

    # -- public API ---------------------------------------------------------------------------
    def config(self) -> Any:
        """The :class:`hfwidgets.training.config.TrainConfig` the controls describe."""
        from hfwidgets.training.augment import AUGMENT_PRESETS
        from hfwidgets.training.config import build_train_config

        return build_train_config(
            model=self.model,
            weights=self.weights,
            mode=self.mode,
            freeze=tuple(self.frozen),
            epochs=int(self.epochs.value) or None,
            batch_size=int(self.batch_size.value),
            lr=float(self.lr.value),
            val_fraction=float(self.val_fraction.value),
            **AUGMENT_PRESETS[self.augmentation.value],
        )

    def plan(self) -> str:
        """What Start will train, as HTML: windows per class, backbone, frozen groups, epochs,
        validation share (the project's counts are read now)."""
        return describe_plan(
            self.project.windows.counts(),
            model=self.model,
            weights=self.weights,
            frozen=self.frozen,
            epochs=int(self.epochs.value) or None,
            batch_size=int(self.batch_size.value),
            lr=float(self.lr.value),
            val_fraction=float(self.val_fraction.value),
            augmentation=self.augmentation.value,
        )

    def refresh_plan(self) -> None:
        """Redraw what Start will train (call after labelling; the Workbench does)."""
        if hasattr(self, "plan_html"):
            self.plan_html.value = f"<small>{self.plan()}</small>"

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any] | None:
        # No picture here: it would show the project as it was before this panel's run (the
        # panel is displayed first); ProjectSummary or the Workbench's output draws one.
        from hfwidgets.summary import summary_text

        return static_bundle(
            super()._repr_mimebundle_(**kwargs), f"TrainingPanel: {summary_text(self.project)}"
        )

    def start(self) -> Any:
        """Start training in a background thread; returns the runner."""
        if self.status == "running":
            raise RuntimeError("training is already running; press Stop first")
        problem = start_problem(
            self.project.windows.counts(), val_fraction=float(self.val_fraction.value)
        )
        if problem:  # said here, before a thread starts, with the classes' names
            self._say(problem)
            return None
        config = self.config()
        self.refresh_plan()
        if self.confusion.buttons and self.run_id >= 0:
            # The matrix on screen is the previous run's until this one ends: say so.
            self.confusion.caption.value = (
                f"<b>Confusion matrix of run {self.run_id}</b> (the previous run; this run's "
                "appears when it ends)"
            )
        self.curves.reset()
        self.status = "running"
        self.runner = None  # a Stop from now on is for this run (kept until its runner exists)
        self._stopping = False
        self._set_running(True)
        self._say("starting…")
        self._bridge.start()
        try:
            runner = self._runner_factory(self.project, config, [self._post])
            runner.start()
        except Exception as exc:  # bad settings or weights: say so in the panel, stay usable
            self.status = "failed"
            self._set_running(False)
            self._say(f"<span style='color:#a00'><b>Could not start:</b> {esc(exc)}</span>")
            raise
        self.runner = runner
        if self._stopping:  # Stop was pressed while the runner was being made (torch loading)
            runner.stop()
        return runner

    def stop(self) -> None:
        """Ask training to stop before its next batch (the runner reports ``stopped``).

        Pressed while the run is still being prepared (scalograms, model, the frozen layers'
        outputs), the run ends there; pressed before the runner exists, it is kept for it.
        """
        if self.status != "running" or self._stopping:
            return
        self._stopping = True
        self.stop_button.disabled = True  # asked once; the status line says what happens
        self._say(_STOPPING)
        runner = self.runner
        if runner is not None:
            runner.stop()

    def close(self) -> None:
        """Ask a running training to stop, stop the event bridge and close the panel."""
        bridge = getattr(self, "_bridge", None)  # absent when __init__ failed (then __del__)
        if bridge is not None:
            self.stop()
            bridge.stop()
            if self.labeler is not None and self.labeler in self.children:  # the panel's own
                self.labeler.close()
        super().close()

    def on_fit_end(self, callback: Callable[[FitEnded], object], remove: bool = False) -> None:
        """Call ``callback(fit_ended_event)`` on the kernel's bridge after each run ends."""
        self._fit_end.register(callback, remove=remove)

    def flush(self) -> int:
        """Apply queued training events now (the bridge does this every ~0.2 s)."""
        return self._bridge.flush()

    def show_metrics(self, metrics: RunMetrics, *, run_id: int | None = None) -> None:
        """Draw curves (``metrics.history``) and the confusion matrix of a finished run."""
        self.metrics = metrics
        self._metrics_run = run_id  # whose verdicts a cell's windows show (and Explain uses)
        self.curves.show_history([dataclasses.asdict(h) for h in metrics.history])
        self.confusion.show(metrics)
        if run_id is not None:
            self.confusion.caption.value = self.confusion.caption.value.replace(
                "<b>Confusion matrix</b>", f"<b>Confusion matrix of run {int(run_id)}</b>", 1
            )
        if self.labeler is not None:
            self.labeler.set_verdicts(verdicts_from_metrics(metrics), run_id=run_id)

    # -- events from the training thread ------------------------------------------------------
    def _post(self, event: Any) -> None:
        self._bridge.post(event, urgent=isinstance(event, _URGENT))

    def _synced(self) -> list[Any]:
        return [self, self.curves]

    def _apply(self, events: list[Any]) -> None:
        for event in events:
            self._progress(event)  # on the kernel's thread: the hooks may touch widgets
        self.curves.redraw()

    def _run_started(self, run_id: int) -> None:
        self.run_id = run_id

    def _finish(self, event: FitEnded) -> None:
        self.status = str(event.status)
        self._stopping = False
        self._set_running(False)
        if event.run_id is not None:
            self.run_id = int(event.run_id)
        if event.status == "failed":
            self._say(f"<span style='color:#a00'><b>Training failed:</b> {esc(event.error)}</span>")
        elif not event.metrics.trained:  # stopped before a whole epoch: nothing to show
            previous = "; the matrix below is the previous run's" if self.confusion.buttons else ""
            self._say(
                f"<b>{esc(event.status)}</b> (run {self.run_id}) before its first whole epoch: "
                f"nothing was learned{previous}"
            )
        else:
            acc = event.metrics.accuracy
            acc_text = f" · accuracy {acc:.1%}" if acc is not None else ""
            acc_text += interval_text(acc, event.metrics.n)
            figure = figure_html(event.metrics)
            self._say(f"<b>{esc(event.status)}</b> (run {self.run_id}){acc_text}{figure}")
            self.show_metrics(event.metrics, run_id=self.run_id)
        for exc in self._fit_end.fire(event):  # a follower (the live counter) never hides results
            self._say(f"{self.progress_html.value} · after-training step failed: {esc(exc)}")

    def _set_running(self, running: bool) -> None:
        self.start_button.disabled = running
        self.stop_button.disabled = not running

    def _say(self, html: str) -> None:
        self.progress_html.value = f"<small>{html}</small>"

    def _say_progress(self, html: str) -> None:
        """A running run's progress line; after Stop it keeps saying that it is stopping."""
        self._say(f"{_STOPPING} ({html})" if self._stopping else html)

    def _open_windows(self, ids: list[int], title: str) -> None:
        if self.labeler is None:
            from hfwidgets.widgets.labeler import Labeler

            self.labeler = Labeler(self.project, autostart=False)
            self.labeler.set_verdicts(verdicts_from_metrics(self.metrics), run_id=self._metrics_run)
            self.children = (*self._sections, self.labeler)
        self.labeler.show_windows(ids, title=title)


def _button_layout() -> w.Layout:
    # Never shrink a button below its label ("P..." for Pause in a 900 px window).
    return w.Layout(width="auto", min_width="90px", flex="0 0 auto")
