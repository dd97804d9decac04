"""How a Workbench follows its runs: a run's end, a run picked for live counting, a deletion.

A mixin of :class:`~hfwidgets.widgets.workbench.Workbench` (it uses the bench's parts: the
training panel, run list, live counter, labeler and data map), kept apart so that the bench
itself only builds and lays out its parts.
"""

from __future__ import annotations

import logging
from typing import Any

from hfwidgets.store.run_status import ended_well
from hfwidgets.widgets._html import esc
from hfwidgets.widgets.model_picker import weights_advice

__all__ = ["RunFollowing"]

log = logging.getLogger("hfwidgets.widgets")


class RunFollowing:
    """A run's end arms the live counter, the labeler's suggestions and the data map."""

    project: Any
    training: Any
    runs: Any
    live: Any
    labeler: Any
    data_map: Any
    picker: Any
    live_note: Any
    _live_run_id: int | None

    def _after_training(self, event: Any) -> None:
        self.runs.refresh()
        if ended_well(event.status) and event.run_id is not None:
            self._load_predictor(int(event.run_id))
            self.data_map.refresh(run_id=int(event.run_id))  # on a worker; drawn when done
        elif event.status == "failed":
            self._explain_weights_error(str(getattr(event, "error", "") or ""))

    def _explain_weights_error(self, error: str) -> None:
        """Replace the code-level weights hint of a failed run by the dropdown option to pick."""
        options = list(self.picker.weights_dropdown.options)
        advice = weights_advice(error, options, backbone=self.picker.value)
        if advice is not None:
            self.training.progress_html.value = (
                f"<small><span style='color:#a00'><b>Training failed:</b> {esc(advice)}"
                "</span></small>"
            )

    def _load_predictor(self, run_id: int) -> None:
        from hfwidgets.summary import summarize_run
        from hfwidgets.training import load_predictor

        predictor = load_predictor(self.project, run_id)
        self.live.set_predictor(predictor)
        self.labeler.set_predictor(predictor, run_id=run_id)  # suggestions: shown, never stored
        self.data_map.run_id = run_id
        self._live_run_id = run_id
        self.runs.live_run = run_id
        about = summarize_run(self.project, self.project.run(run_id))
        self.live_note.value = (
            f"<small>Counting with <b>run {run_id}</b> ({esc(about.settings_text())}; accuracy "
            f"{esc(about.accuracy_text())}) · pick another in the Train tab's run list</small>"
        )

    def _run_deleted(self, run_id: int) -> None:
        if self._live_run_id == run_id:  # the live counter's run is gone: disarm it
            self.live.set_predictor(None)
            self.labeler.set_predictor(None)
            self.data_map.run_id = None
            self._live_run_id = None
            self.live_note.value = "<small>No run counts live: the run was deleted.</small>"

    def _restore_last_run(self) -> None:
        """Show the newest finished run's curves and matrix, and arm the live counter with it."""
        runs = [r for r in self.project.runs() if ended_well(r.status)]
        if not runs:
            return
        run = max(runs, key=lambda r: r.id)
        self.training.run_id = run.id
        self.runs.refresh()
        if run.metrics.trained:
            self.training.show_metrics(run.metrics, run_id=run.id)
        try:
            self._load_predictor(run.id)
        except Exception as exc:  # e.g. the checkpoint file was not shared with the project
            log.warning("run %s of %s cannot be loaded for live counting: %s", run.id,
                        self.project.path, exc)  # fmt: skip
