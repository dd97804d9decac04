"""The Labeler's review bar: which stored windows to page through, in what order, and the
buttons that act on the one shown (Delete, Explain).

The bar owns its dropdowns and keeps the reviewer's choice when a run's verdicts change the
filter's options; the :class:`~hfwidgets.widgets.review.ReviewList` under it holds the windows
and the cursor, and the Labeler redraws after every change.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping

import ipywidgets as w

from hfwidgets.widgets.review import ReviewList

__all__ = ["ReviewBar"]

#: The review orders a person can pick: as stored, or least confident first (needs a run's
#: suggestions, :meth:`ReviewBar.enable_order`).
ORDERS = [("as stored", "stored"), ("least confident first", "uncertainty")]


class ReviewBar:
    """Filter, order, paging, Delete and Explain over a :class:`ReviewList`.

    Parameters
    ----------
    review
        The list the bar filters, orders and pages.
    lock
        The Labeler's lock (clicks against window arrivals), held while the list reloads.
    changed
        Called after the list was reloaded or paged: the Labeler redraws.
    step, delete, explain
        Called on a click of the arrows (with -1 or +1), Delete and Explain.
    """

    def __init__(
        self,
        review: ReviewList,
        *,
        lock: threading.RLock,
        changed: Callable[[], None],
        step: Callable[[int], None],
        delete: Callable[[], None],
        explain: Callable[[], object],
    ) -> None:
        self.review = review
        self._lock = lock
        self._changed = changed
        self.filter = w.Dropdown(description="Show", options=review.filter_options())
        self._offering = False  # while offer_verdicts swaps the filter's options
        self.filter.observe(lambda _c: None if self._offering else self.reload(), "value")
        self.order = w.Dropdown(
            description="Order", options=ORDERS, disabled=True, layout=w.Layout(width="260px")
        )
        self.order.observe(lambda _c: self.reload(), "value")
        self.prev_button = w.Button(icon="chevron-left", layout=w.Layout(width="40px"))
        self.next_button = w.Button(icon="chevron-right", layout=w.Layout(width="40px"))
        self.prev_button.on_click(lambda _b: step(-1))
        self.next_button.on_click(lambda _b: step(+1))
        self.position = w.HTML()
        self.delete_button = w.Button(description="Delete", button_style="danger")
        self.delete_button.on_click(lambda _b: delete())
        self.explain_button = w.Button(description="Explain", icon="search", tooltip="why?")
        self.explain_button.on_click(lambda _b: explain())
        self.widget = w.HBox(
            [
                self.filter,
                self.order,
                self.prev_button,
                self.position,
                self.next_button,
                self.delete_button,
                self.explain_button,
            ]
        )

    def show(self, visible: bool) -> None:
        """Show the bar in review mode, hide it while capturing."""
        self.widget.layout.display = "flex" if visible else "none"

    def open(self) -> None:
        """Entering review: load the chosen filter (an explicit selection is already loaded)."""
        if self.filter.value != "ids":
            self.review.load(self.filter.value)

    def reload(self) -> None:
        """Load the list again with the chosen order and filter, then redraw."""
        with self._lock:
            self.review.order = self.order.value
            self.review.load(self.filter.value)
            self._changed()

    def enable_order(self) -> None:
        """Offer *least confident first* once the list has a run's suggestions."""
        self.order.disabled = not self.review.suggestions

    def offer_verdicts(self, verdicts: Mapping[int, str], *, run_id: int | None) -> None:
        """A run's verdicts: the filter gains *misclassified* and *predicted ...*.

        A run ends while someone reviews: new options would put ipywidgets' Dropdown on its
        first one (all windows) and the review back at its start. The choice and the place
        stay; a verdict filter reloads, its windows are the new run's.
        """
        self.review.set_verdicts(verdicts, run_id=run_id)
        current = self.filter.value
        options = self.review.filter_options()
        kept = current in [key for _text, key in options]
        self._offering = True
        try:
            self.filter.options = options
            if kept:
                self.filter.value = current
        finally:
            self._offering = False
        if not kept or current == "misclassified" or str(current).startswith("predicted:"):
            self.reload()

    def select(self, ids: Iterable[int], *, title: str) -> None:
        """Page through exactly ``ids`` (a confusion-matrix cell, a map's selection)."""
        self.review.select_ids(list(ids), title=title)
        self.filter.options = self.review.filter_options()
        self.filter.value = "ids"
