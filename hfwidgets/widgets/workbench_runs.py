"""How a Workbench follows its runs: a run's end, a run picked for live counting, a deletion.

:class:`RunFollower` holds the run the bench counts with and the note above the live counter;
it is given the parts it arms (live counter, labeler, data map) and the ones it reads (training
panel, run list, model picker), so the bench itself only builds, lays out and wires its parts.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import ipywidgets as w

from hfwidgets.store.run_status import ended_well
from hfwidgets.training.fit_events import FitEnded
from hfwidgets.widgets._html import esc
from hfwidgets.widgets.model_picker import weights_advice

if TYPE_CHECKING:
    from hfwidgets.store import Project
    from hfwidgets.widgets.data_map import DataMapView
    from hfwidgets.widgets.labeler import Labeler
    from hfwidgets.widgets.live_counter import LiveCounter
    from hfwidgets.widgets.model_picker import ModelPicker
    from hfwidgets.widgets.run_list import RunList
    from hfwidgets.widgets.training_panel import TrainingPanel

__all__ = ["RunFollower"]

log = logging.getLogger("hfwidgets.widgets")


class RunFollower:
    """A run's end arms the live counter, the labeler's suggestions and the data map.

    ``note`` is the line above the live counter that says which run counts; ``live_run_id``
    that run (``None``: none yet, or it was deleted).
    """

    def __init__(
        self,
        project: Project,
        *,
        training: TrainingPanel,
        runs: RunList,
        live: LiveCounter,
        labeler: Labeler,
        data_map: DataMapView,
        picker: ModelPicker,
    ) -> None:
        self.project = project
        self.training = training
        self.runs = runs
        self.live = live
        self.labeler = labeler
        self.data_map = data_map
        self.picker = picker
        self.note = w.HTML("<small>No run counts live yet: train one (Train tab).</small>")
        self.live_run_id: int | None = None
        training.on_fit_end(self.after_training)
        runs.on_use(self.use_run)
        runs.on_delete(self.run_deleted)

    def after_training(self, event: FitEnded) -> None:
        """A run ended: list it; arm the bench with it, or explain a weights failure."""
        self.runs.refresh()
        if ended_well(event.status) and event.run_id is not None:
            self.use_run(int(event.run_id))
            self.data_map.refresh(run_id=int(event.run_id))  # on a worker; drawn when done
        elif event.status == "failed":
            self._explain_weights_error(str(event.error or ""))

    def _explain_weights_error(self, error: str) -> None:
        """Replace the code-level weights hint of a failed run by the dropdown option to pick."""
        options = list(self.picker.weights_dropdown.options)
        advice = weights_advice(error, options, backbone=self.picker.value)
        if advice is not None:
            self.training.progress_html.value = (
                f"<small><span style='color:#a00'><b>Training failed:</b> {esc(advice)}"
                "</span></small>"
            )

    def use_run(self, run_id: int) -> None:
        """Count live, suggest labels and map the windows with run ``run_id``."""
        from hfwidgets.summary import summarize_run
        from hfwidgets.training.predictor import load_predictor

        predictor = load_predictor(self.project, run_id)
        self.live.set_predictor(predictor)
        self.labeler.set_predictor(predictor, run_id=run_id)  # suggestions: shown, never stored
        self.data_map.run_id = run_id
        self.live_run_id = run_id
        self.runs.live_run = run_id
        about = summarize_run(self.project, self.project.runs.get(run_id))
        self.note.value = (
            f"<small>Counting with <b>run {run_id}</b> ({esc(about.settings_text())}; accuracy "
            f"{esc(about.accuracy_text())}) · pick another in the Train tab's run list</small>"
        )

    def run_deleted(self, run_id: int) -> None:
        """Disarm the bench when the run it counts with was deleted."""
        if self.live_run_id == run_id:
            self.live.set_predictor(None)
            self.labeler.set_predictor(None)
            self.data_map.run_id = None
            self.live_run_id = None
            self.note.value = "<small>No run counts live: the run was deleted.</small>"

    def restore_last_run(self) -> None:
        """Show the newest finished run's curves and matrix, and arm the live counter with it."""
        runs = [r for r in self.project.runs.all() if ended_well(r.status)]
        if not runs:
            return
        run = max(runs, key=lambda r: r.id)
        self.training.run_id = run.id
        self.runs.refresh()
        if run.metrics.trained:
            self.training.show_metrics(run.metrics, run_id=run.id)
        try:
            self.use_run(run.id)
        except Exception as exc:  # e.g. the checkpoint file was not shared with the project
            log.warning("run %s of %s cannot be loaded for live counting: %s", run.id,
                        self.project.path, exc)  # fmt: skip
