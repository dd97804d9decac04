"""ExplainView: a window's explanation in the notebook (heat map, axes under it, verdict).

The Labeler opens one under its review (the Explain button), so any stored window, a confusion
cell's included, can be explained with the run whose verdicts are shown. The work is
:func:`hfwidgets.explain.explain_stored_window` and
:func:`hfwidgets.explain.render_explanation_png`; this widget only chooses and draws.
"""

from __future__ import annotations

from typing import Any

import ipywidgets as w

from hfwidgets.store.project import Project
from hfwidgets.widgets._html import esc

__all__ = ["ExplainView"]

_METHODS = (("auto", "auto"), ("Grad-CAM", "gradcam"), ("occlusion (slower)", "occlusion"))


class ExplainView(w.VBox):
    """Explain a run's verdict on a stored window of ``project``.

    Parameters
    ----------
    project
        The :class:`hfwidgets.store.Project`.
    run_id
        The run explained; ``None`` takes the latest trained run at each :meth:`show`.
    predictor
        A :class:`hfwidgets.training.predictor.RunPredictor` to use instead of loading the run's
        checkpoint (tests, or a caller that has it already).

    Attributes
    ----------
    explanation
        The last :class:`hfwidgets.explain.Explanation` shown (None before or after a failure).
    """

    def __init__(
        self, project: Project, *, run_id: int | None = None, predictor: Any = None
    ) -> None:
        self.project = project
        self.run_id = run_id
        self.window_id: int | None = None
        self.explanation: Any = None
        self._predictor = predictor
        self._busy = False  # set while show() moves its own controls (no re-entry)
        self.title = w.HTML()
        self.image = w.Image(format="png", layout=w.Layout(max_width="100%"))
        self.class_choice = w.Dropdown(
            description="Explain", options=[("the verdict", "")], layout=w.Layout(width="260px")
        )
        self.method_choice = w.ToggleButtons(options=_METHODS, value="auto")
        self.message = w.HTML()
        self.close_button = w.Button(icon="times", tooltip="close", layout=w.Layout(width="40px"))
        self.close_button.on_click(lambda _b: self.hide())
        self.class_choice.observe(lambda _c: self._again(), "value")
        self.method_choice.observe(lambda _c: self._again(), "value")
        controls = w.HBox([self.class_choice, self.method_choice, self.close_button])
        super().__init__([self.title, controls, self.image, self.message])
        self.add_class("hfw-explain")
        self.layout.display = "none"  # until a window is shown

    def predictor(self, run_id: int | None) -> Any:
        """The run's predictor, loaded once per run."""
        held = self._predictor
        if held is not None and (run_id is None or held.run_id in (None, run_id)):
            return held
        from hfwidgets.training.predictor import load_predictor

        self._predictor = load_predictor(self.project, run_id)
        return self._predictor

    def show(
        self,
        window_id: int,
        *,
        run_id: int | None = None,
        target: str | None = None,
        method: str | None = None,
    ) -> Any:
        """Explain window ``window_id`` and draw it; returns the Explanation (None on failure).

        ``run_id`` (default: this view's run, else the latest trained) and ``target`` (default:
        the verdict) and ``method`` (default: the toggle's) choose what is explained; a failure
        (no trained run, a deleted window) is said in the view instead of raised.
        """
        self._busy = True
        try:
            return self._show(window_id, run_id=run_id, target=target, method=method)
        finally:
            self._busy = False

    def _show(
        self, window_id: int, *, run_id: int | None, target: str | None, method: str | None
    ) -> Any:
        from hfwidgets.explain import explain_stored_window, render_explanation_png

        self.layout.display = ""
        self.window_id = int(window_id)
        if run_id is not None:
            self.run_id = int(run_id)
        if method is not None:
            self.method_choice.value = method
        self.message.value = "<small>explaining…</small>"
        try:
            predictor = self.predictor(self.run_id)
            self._set_classes(list(predictor.classes), target)
            chosen = target if target is not None else (self.class_choice.value or None)
            explanation = explain_stored_window(
                self.project,
                self.window_id,
                predictor=predictor,
                target=chosen,
                method=self.method_choice.value,
            )
            record = self.project.windows.get(self.window_id)
            png = render_explanation_png(explanation, record.data, rate_hz=float(record.rate_hz))
        except Exception as exc:  # no run, deleted window, unknown class: say it, stay usable
            self.explanation = None
            self.image.value = b""
            self.title.value = f"<b>Window {esc(self.window_id)}</b>"
            self.message.value = f"<span style='color:#a00'>Cannot explain: {esc(exc)}</span>"
            return None
        self.explanation = explanation
        self.image.value = png
        label = record.label if record.label is not None else "unlabelled"
        self.title.value = (
            f"<b>Why run {esc(explanation.run_id)} says {esc(explanation.predicted)}</b> "
            f"({explanation.confidence:.0%}) · window {esc(self.window_id)}, labelled "
            f"{esc(label)}"
        )
        self.message.value = (
            f"<small>{esc(explanation.describe())} · {explanation.seconds:.2f} s</small>"
        )
        return explanation

    def follow(self, window_id: int) -> None:
        """The review moved to ``window_id``: explain it if this view is open, by Grad-CAM
        (a fraction of a second); an occlusion view folds away instead of occluding at every
        step (seconds each), and Explain opens it again."""
        if self.layout.display == "none" or window_id == self.window_id:
            return
        if self.method_choice.value == "occlusion":
            self.hide()
        else:
            self.show(window_id)

    def hide(self) -> None:
        """Fold the view away (the next :meth:`show` opens it again)."""
        self.layout.display = "none"

    def _set_classes(self, classes: list[str], target: str | None) -> None:
        # Option labels are plain text in the browser (not HTML); the values are the names.
        options = [("the verdict", ""), *[(name, name) for name in classes]]
        if list(self.class_choice.options) != options:
            self.class_choice.options = options
        if target is not None and target in classes:
            self.class_choice.value = target

    def _again(self) -> None:
        if not self._busy and self.window_id is not None and self.layout.display != "none":
            self.show(self.window_id)
