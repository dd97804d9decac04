"""TimelineRun: a run's view of the session under the timeline's traces (its probability of the
counted class, the threshold, its counts) and the candidate mistakes, most confident first;
Enter (or the button) labels the chosen one's window (`hfwidgets.timeline.model_view`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import bqplot as bq
import ipywidgets as w
import numpy as np

from hfwidgets.store.project import Project
from hfwidgets.timeline.model_view import (
    Candidate,
    ModelTrace,
    find_candidates,
    label_candidate,
    model_trace,
)
from hfwidgets.widgets._html import esc
from hfwidgets.widgets.timeline_layers import EnvelopeLines

if TYPE_CHECKING:
    from hfwidgets.live.model import Predictor
    from hfwidgets.store.records import SessionRecord

__all__ = ["NO_RUN", "TimelineRun"]

NO_RUN = -1


class TimelineRun(w.VBox):
    """The run section of `hfwidgets.widgets.timeline.SessionTimeline` (shares its time axis).

    Parameters
    ----------
    project : hfwidgets.store.Project
        Its finished runs fill the menu; labelled candidates are stored in it.
    x_scale : bqplot.LinearScale
        The timeline's time scale (pans and zooms move both plots).
    on_labelled : callable
        Called with the stored mark when a candidate is labelled.
    positive : str
        The counted class.
    columns : int
        Envelope bins of the probability across the plot (as the timeline's traces).
    """

    def __init__(
        self,
        project: Project,
        *,
        x_scale: bq.LinearScale,
        on_labelled: Callable[[Any], object],
        positive: str = "high-five",
        columns: int = 600,
    ) -> None:
        self.project = project
        self.positive = positive
        self.on_labelled = on_labelled
        self.predictor: Predictor | None = None
        self.run_id: int | None = None
        self.trace: ModelTrace | None = None
        self.candidates: list[Candidate] = []
        self._session: SessionRecord | None = None
        self._marks: Sequence[Any] = ()
        self.x_scale = x_scale
        ys = bq.LinearScale(min=0.0, max=1.0)
        scales = {"x": x_scale, "y": ys}
        self.prob_lines = EnvelopeLines(ys, channels=1, columns=columns, colors=["#333"])
        self.prob_line = self.prob_lines.lines
        self.threshold_line = bq.Lines(
            x=np.zeros(2), y=np.zeros(2), scales=scales, colors=["#999"], line_style="dashed"
        )
        self.count_marks = bq.Scatter(
            x=np.zeros(0), y=np.zeros(0), scales=scales, colors=["#000"], marker="triangle-down"
        )
        self.mistake_marks = bq.Scatter(
            x=np.zeros(0), y=np.zeros(0), scales=scales, colors=["#D55E00"], marker="cross"
        )
        self.figure = bq.Figure(
            marks=[self.threshold_line, self.prob_line, self.count_marks, self.mistake_marks],
            axes=[bq.Axis(scale=ys, orientation="vertical", label=f"p({positive})")],
            animation_duration=0,
            fig_margin={"top": 5, "bottom": 5, "left": 55, "right": 10},
            layout=w.Layout(width="100%", height="120px", display="none"),
        )
        self.run_menu = w.Dropdown(description="Run", options=[("no run", NO_RUN)])
        self.show_button = w.Button(description="Show run", icon="eye")
        self.summary = w.HTML()
        self.candidate_list = w.Select(options=[], rows=5, layout=w.Layout(width="420px"))
        self.label_button = w.Button(description="Label window (Enter)", disabled=True)
        self.show_button.on_click(lambda _b: self.load_run(int(self.run_menu.value)))
        self.label_button.on_click(lambda _b: self.label_chosen())
        super().__init__(
            [
                w.HBox([self.run_menu, self.show_button, self.summary]),
                self.figure,
                w.HBox([self.candidate_list, self.label_button]),
            ]
        )
        self.refresh_runs()

    def refresh_runs(self) -> None:
        """Re-read the project's finished runs into the menu."""
        runs = [r.id for r in self.project.runs.all() if r.status == "finished"]
        self.run_menu.options = [("no run", NO_RUN), *((f"run {r}", r) for r in runs)]

    def load_run(self, run_id: int) -> None:
        """Load a run's predictor (``NO_RUN``: none) and classify the session shown."""
        if run_id == NO_RUN:
            self.set_predictor(None)
            return
        from hfwidgets.training.predictor import load_predictor  # deferred: imports torch

        try:
            predictor = load_predictor(self.project, run_id)
        except Exception as exc:  # a missing checkpoint must be said, not raised into the page
            self.summary.value = f"<span style='color:#a00'>run {run_id}: {esc(exc)}</span>"
            return
        self.set_predictor(predictor, run_id=run_id)

    def set_predictor(self, predictor: Predictor | None, *, run_id: int | None = None) -> None:
        """Use ``predictor`` (a run's; None: none) on the session shown."""
        self.predictor, self.run_id = predictor, run_id
        self._classify()

    def show_session(self, record: SessionRecord) -> None:
        """The timeline shows another session: classify it with the run, if one is chosen."""
        self._session = record
        self._classify()

    def update_marks(self, marks: Sequence[Any]) -> None:
        """The session's marks changed: the candidates follow."""
        self._marks = list(marks)
        self._list_candidates()

    def _classify(self) -> None:
        record = self._session
        if self.predictor is None or record is None or record.t.size < 2:
            self.trace = None
            self.figure.layout.display = "none"
            self.summary.value = ""
            self._list_candidates()
            return
        trace = model_trace(
            record.t, record.xyz, self.predictor, rate_hz=float(record.rate_hz),
            positive=self.positive, run_id=self.run_id,
        )  # fmt: skip
        self.trace = trace
        first, last = float(record.t[0]), float(record.t[-1])
        counts = np.asarray(trace.counts, dtype=float)
        self.prob_lines.show(trace.t, trace.prob)
        with self.figure.hold_sync():
            self.draw_view(float(self.x_scale.min), float(self.x_scale.max))
            self.threshold_line.x = np.array([first, last])
            self.threshold_line.y = np.array([trace.threshold] * 2)
            self.count_marks.x, self.count_marks.y = counts, np.full(counts.size, 0.97)
            self.figure.layout.display = ""
        self._list_candidates()

    def draw_view(self, start: float, end: float) -> None:
        """Draw the probability from ``start`` to ``end`` (s): the timeline's view moved."""
        if self.trace is not None:
            self.prob_lines.draw(start, end)

    def _list_candidates(self) -> None:
        trace = self.trace
        self.candidates = [] if trace is None else find_candidates(trace, self._marks)
        self.candidate_list.options = [(c.describe(), i) for i, c in enumerate(self.candidates)]
        if self.candidates:
            self.candidate_list.value = 0
        self.label_button.disabled = not self.candidates
        times = np.array([c.t for c in self.candidates], dtype=float)
        self.mistake_marks.x, self.mistake_marks.y = times, np.full(times.size, 0.5)
        if trace is not None:
            false = sum(c.kind == "false count" for c in self.candidates)
            self.summary.value = (
                f"<small>{len(trace.counts)} count(s) at {esc(trace.settings)}; "
                f"{false} candidate false count(s), {len(self.candidates) - false} miss(es)"
                "</small>"
            )

    @property
    def chosen(self) -> Candidate | None:
        """The candidate chosen in the list (the most confident one at first)."""
        index = self.candidate_list.value
        return None if index is None or not self.candidates else self.candidates[int(index)]

    def label_chosen(self) -> Any:
        """Label the chosen candidate's window (false count: other; miss: the class)."""
        candidate, record = self.chosen, self._session
        if candidate is None or record is None:
            return None
        try:
            mark = label_candidate(self.project, int(record.id), candidate)
        except ValueError as exc:
            self.summary.value = f"<span style='color:#a00'>{esc(exc)}</span>"
            return None
        self.on_labelled(mark)  # the timeline redraws its marks, which lists the rest
        return mark
