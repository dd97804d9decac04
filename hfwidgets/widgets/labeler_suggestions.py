"""A trained run's suggestion for the window the Labeler shows, in a bar beside it.

:class:`SuggestionBar` owns the run's predictor, the suggestions already computed and the bar
(the suggestion, and *Accept*, which runs the Labeler's ``accept`` action: the same labelling as
that class's key). It is told which window is on screen; nothing here writes to the project, so a
suggestion is only shown until a person accepts it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import ipywidgets as w
import numpy as np

from hfwidgets.suggestions import RatePredictor, Suggestion, suggest_window
from hfwidgets.widgets._html import esc

__all__ = ["OnScreen", "SuggestionBar"]

log = logging.getLogger("hfwidgets.widgets")


@dataclass(frozen=True)
class OnScreen:
    """The window the Labeler shows: a capture waiting (``("capture", key)``) or a stored one
    (``("stored", id)``, with its stored label)."""

    key: tuple[str, int]
    data: np.ndarray
    rate_hz: float
    stored_label: str | None = None


class SuggestionBar:
    """Suggestions of one run for the windows shown (hidden until a run is set)."""

    def __init__(self, accept: Callable[[], object]) -> None:
        self.predictor: RatePredictor | None = None  # a RunPredictor, or a fake in tests
        self.run_id: int | None = None
        self._known: dict[tuple[str, int], Suggestion | None] = {}
        self.html = w.HTML()
        self.accept_button = w.Button(
            description="Accept", icon="check", tooltip="Enter: label with the suggestion"
        )
        self.accept_button.on_click(lambda _b: accept())
        self.widget = w.HBox([self.accept_button, self.html])
        self.widget.add_class("hfw-suggestion")
        self.widget.layout.display = "none"

    def use(self, predictor: RatePredictor | None, *, run_id: int | None = None) -> None:
        """Suggest with this run from now on (None: no suggestions); forgets the old ones."""
        self.predictor = predictor
        self.run_id = getattr(predictor, "run_id", None) if run_id is None else run_id
        self._known = {}

    def add_stored(self, suggestions: Iterable[Suggestion]) -> dict[int, Suggestion]:
        """Suggestions of stored windows computed elsewhere (the data map's pass); returns them
        by window id."""
        known = {int(s.window_id): s for s in suggestions if s.window_id is not None}
        self._known.update({("stored", wid): s for wid, s in known.items()})
        return known

    def for_window(self, shown: OnScreen | None) -> Suggestion | None:
        """The suggestion for ``shown`` (computed once per window; None without a run)."""
        if shown is None:
            return None
        if shown.key in self._known:
            return self._known[shown.key]
        if self.predictor is None:
            return None
        try:
            suggestion = suggest_window(self.predictor, shown.data, rate_hz=shown.rate_hz)
        except Exception as exc:  # e.g. a window shorter than the run's lowest frequency
            log.warning("no suggestion for the window shown: %s", exc)
            suggestion = None
        self._known[shown.key] = suggestion
        return suggestion

    def show(self, shown: OnScreen | None) -> None:
        """Show the suggestion for ``shown``, or hide the bar when there is none."""
        suggestion = self.for_window(shown)
        if shown is None or suggestion is None:
            self.widget.layout.display = "none"
            self.html.value = ""
            return
        run = f" (run {self.run_id})" if self.run_id is not None else ""
        stored = ""
        if shown.stored_label is not None and shown.stored_label != suggestion.label:
            stored = f" · stored as <b>{esc(shown.stored_label)}</b>"
        self.html.value = (
            f"<small>Suggestion{esc(run)}: <b>{esc(suggestion.label)}</b> "
            f"{suggestion.confidence:.0%}{stored} · Enter accepts</small>"
        )
        self.widget.layout.display = "flex"
