"""The Labeler's hooks for a trained run: a suggested class for the window shown (accepted with
Enter or its button, which labels exactly as that class's key does) and Explain (where in the
scalogram the run found its verdict).

A mixin of :class:`~hfwidgets.widgets.labeler.Labeler`: it reads the window on screen (the
capture shown, or the review's current window) and labels through the Labeler, so a suggestion
is only shown until a person accepts it; nothing here writes to the project.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import ipywidgets as w

from hfwidgets.labelling import PendingWindow
from hfwidgets.suggestions import Suggestion, suggest_window
from hfwidgets.widgets._html import esc

__all__ = ["SuggestionHooks"]

log = logging.getLogger("hfwidgets.widgets")


class SuggestionHooks:
    """Suggestions of a run for the window shown, and the Explain button of the review."""

    # What the Labeler provides.
    project: Any
    classes: list[str]
    mode: str
    review: Any
    order: Any
    children: Any
    _lock: threading.RLock
    _shown: PendingWindow | None

    if TYPE_CHECKING:  # the Labeler's own; declared here for the type checker only

        def _guarded(self, action: Any) -> None: ...
        def _refresh(self, message: str = "") -> None: ...
        def label(self, name: str) -> int | None: ...

    def _make_suggestion_bar(self) -> None:
        # Enter (or the button) accepts the suggestion. Hidden until a run is set.
        self.predictor: Any | None = None
        self.suggestion_run: int | None = None
        self._suggestions: dict[tuple[str, int], Suggestion | None] = {}
        self.suggestion_html = w.HTML()
        self.accept_button = w.Button(
            description="Accept", icon="check", tooltip="Enter: label with the suggestion"
        )
        self.accept_button.on_click(lambda _b: self._guarded(self.accept_suggestion))
        self.suggestion_bar = w.HBox([self.accept_button, self.suggestion_html])
        self.suggestion_bar.add_class("hfw-suggestion")
        self.suggestion_bar.layout.display = "none"

    def _make_explain_button(self) -> None:
        self.explain_button = w.Button(description="Explain", icon="search", tooltip="why?")
        self.explain_button.on_click(lambda _b: self.explain())
        self.explainer: Any | None = None

    def set_predictor(self, predictor: Any | None, *, run_id: int | None = None) -> None:
        """Suggest a class for each window shown with this run (None: no suggestions).

        A suggestion is only shown: it becomes a label when the person accepts it.
        """
        with self._lock:
            self.predictor = predictor
            if run_id is None:
                run_id = getattr(predictor, "run_id", None)
            self.suggestion_run = run_id
            self._suggestions = {}
            self._refresh()

    def set_suggestions(self, suggestions: Iterable[Suggestion]) -> None:
        """Suggestions of stored windows computed elsewhere (the data map's pass over every
        window); they enable the review order *least confident first*."""
        with self._lock:
            known = {int(s.window_id): s for s in suggestions if s.window_id is not None}
            self._suggestions.update({("stored", wid): s for wid, s in known.items()})
            self.review.set_suggestions(known)
            self.order.disabled = not self.review.suggestions
            self._refresh()

    @property
    def current_suggestion(self) -> Suggestion | None:
        """The suggestion for the window on screen (None without a run or a window)."""
        with self._lock:
            return self._suggestion_for_shown()

    def accept_suggestion(self) -> int | None:
        """Label the window on screen with the run's suggestion, exactly as pressing that
        class's key would (stored, undoable); returns the window id (None: nothing accepted)."""
        with self._lock:
            suggestion = self._suggestion_for_shown()
            if suggestion is None:
                self._refresh("no suggestion to accept")
                return None
            if suggestion.label not in self.classes:
                self._refresh(f"the run suggests {suggestion.label}, not a class of this project")
                return None
            return self.label(suggestion.label)

    def _suggestion_for_shown(self) -> Suggestion | None:
        if self.mode == "review":
            record = self.review.current
            if record is None:
                return None
            key, data, rate = ("stored", int(record.id)), record.data, record.rate_hz
        else:
            item = self._shown
            if item is None:
                return None
            key, data, rate = ("capture", item.key), item.data, item.rate_hz
        if key in self._suggestions:
            return self._suggestions[key]
        if self.predictor is None:
            return None
        try:
            suggestion: Suggestion | None = suggest_window(self.predictor, data, rate_hz=rate)
        except Exception as exc:  # e.g. a window shorter than the run's lowest frequency
            log.warning("no suggestion for the window shown: %s", exc)
            suggestion = None
        self._suggestions[key] = suggestion
        return suggestion

    def _show_suggestion(self) -> None:
        suggestion = self._suggestion_for_shown()
        if suggestion is None:
            self.suggestion_bar.layout.display = "none"
            self.suggestion_html.value = ""
            return
        run = f" (run {self.suggestion_run})" if self.suggestion_run is not None else ""
        record = self.review.current if self.mode == "review" else None
        stored = ""
        if record is not None and record.label is not None and record.label != suggestion.label:
            stored = f" · stored as <b>{esc(record.label)}</b>"
        self.suggestion_html.value = (
            f"<small>Suggestion{esc(run)}: <b>{esc(suggestion.label)}</b> "
            f"{suggestion.confidence:.0%}{stored} · Enter accepts</small>"
        )
        self.suggestion_bar.layout.display = "flex"

    # -- explain ------------------------------------------------------------------------------
    def explain(self) -> Any | None:
        """In review: explain the verdict on the shown window (heat map over its scalogram).

        Uses the run whose verdicts the review shows, else the latest trained run; returns the
        :class:`~hfwidgets.widgets.explain_view.ExplainView` (None when no window is shown).
        """
        record = self.review.current if self.mode == "review" else None
        if record is None:
            return None
        if self.explainer is None:
            from hfwidgets.widgets.explain_view import ExplainView

            self.explainer = ExplainView(self.project)
            self.children = (*getattr(self, "children", ()), self.explainer)
        self.explainer.show(int(record.id), run_id=self.review.verdict_run)
        return self.explainer
