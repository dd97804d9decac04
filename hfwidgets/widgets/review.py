"""ReviewList: the stored windows a reviewer pages through, filtered by label or model verdict.

Plain Python over :class:`hfwidgets.store.Project` (no widget code), so the Labeler stays thin
and the filtering is testable on its own.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

from hfwidgets.store import Project
from hfwidgets.widgets._html import esc

__all__ = ["ReviewList"]


def _with_label(record: Any, label: str | None) -> Any:
    if hasattr(record, "_replace"):  # a NamedTuple
        return record._replace(label=label)
    return dataclasses.replace(record, label=label)


class ReviewList:
    """A filtered, ordered list of stored windows with a cursor.

    Filters are keys of :meth:`filter_options`: ``"all"``, ``"label:<class>"``,
    ``"unlabelled"``, ``"misclassified"`` (needs :meth:`set_verdicts`), ``"predicted:<class>"``
    and ``"ids"`` (an explicit selection, e.g. one confusion-matrix cell).

    ``order`` is ``"stored"`` (window id) or ``"uncertainty"``: least confident first by the
    margin of a run's suggestions (:meth:`set_suggestions`; windows without one come last), so
    the next labels are the ones that teach the model the most.
    """

    def __init__(self, project: Project) -> None:
        self.project = project
        self.records: list[Any] = []
        self.index = 0
        self.filter = "all"
        self.verdicts: dict[int, str] = {}
        self.verdict_run: int | None = None
        self._selection: list[int] = []
        self._selection_title = ""
        self.order = "stored"
        self.suggestions: dict[int, Any] = {}  # window id -> hfwidgets.suggestions.Suggestion

    # -- choosing what to show ----------------------------------------------------------------
    def filter_options(self) -> list[tuple[str, str]]:
        """(text, key) pairs for a dropdown, in the order a reviewer needs them."""
        options = [("all windows", "all")]
        options += [(f"labelled {c}", f"label:{c}") for c in self.project.classes]
        options.append(("unlabelled", "unlabelled"))
        if self.verdicts:
            run = f" (run {self.verdict_run})" if self.verdict_run is not None else ""
            options.append((f"misclassified{run}", "misclassified"))
            options += [(f"predicted {c}{run}", f"predicted:{c}") for c in self.project.classes]
        if self._selection:
            options.append((self._selection_title or "selected", "ids"))
        return options

    def set_verdicts(self, verdicts: Mapping[int, str], *, run_id: int | None = None) -> None:
        """Remember the model's predicted class per window id."""
        self.verdicts = {int(k): str(v) for k, v in verdicts.items()}
        self.verdict_run = run_id

    def set_suggestions(self, suggestions: Mapping[int, Any]) -> None:
        """Remember a run's suggestion per window id (what ``order="uncertainty"`` sorts by)."""
        self.suggestions = {int(k): v for k, v in suggestions.items()}

    def _ordered(self, records: list[Any]) -> list[Any]:
        if self.order == "stored":
            return records
        if self.order != "uncertainty":
            raise ValueError(f"unknown review order {self.order!r}; use 'stored' or 'uncertainty'")

        def key(record: Any) -> tuple[int, float, float, int]:
            s = self.suggestions.get(int(record.id))
            if s is None:
                return (1, 0.0, 0.0, int(record.id))
            return (0, float(s.margin), float(s.confidence), int(record.id))

        return sorted(records, key=key)

    def select_ids(self, ids: Sequence[int], *, title: str = "selected") -> None:
        """Show exactly ``ids`` (in this order) under the ``"ids"`` filter."""
        self._selection = [int(i) for i in ids]
        self._selection_title = f"{title} ({len(self._selection)})"
        self.load("ids")

    def load(self, key: str = "all") -> None:
        """Read the matching windows from the store and put the cursor on the first."""
        self.filter = key
        if key == "ids":
            wanted = self._selection
            # skip_missing: a window deleted since the run that listed it is just not shown
            found = self.project.windows.all(ids=wanted, skip_missing=True) if wanted else []
            by_id = {r.id: r for r in found}
            self.records = [by_id[i] for i in wanted if i in by_id]
        else:
            self.records = [r for r in self.project.windows.all() if self._matches(r, key)]
        self.records = self._ordered(self.records)
        self.index = 0

    def _matches(self, record: Any, key: str) -> bool:
        if key == "all":
            return True
        if key == "unlabelled":
            return record.label is None
        if key.startswith("label:"):
            return bool(record.label == key[6:])
        predicted = self.verdicts.get(int(record.id))
        if key == "misclassified":
            return predicted is not None and record.label is not None and predicted != record.label
        if key.startswith("predicted:"):
            return predicted == key[10:]
        raise ValueError(f"unknown review filter {key!r}; use one of {self.filter_options()}")

    # -- cursor -------------------------------------------------------------------------------
    @property
    def current(self) -> Any | None:
        """The record under the cursor, or None when the list is empty."""
        return self.records[self.index] if self.records else None

    @property
    def current_id(self) -> int | None:
        """The window id under the cursor, or None when the list is empty."""
        record = self.current
        return None if record is None else int(record.id)

    def step(self, delta: int) -> None:
        """Move the cursor, staying inside the list."""
        if self.records:
            self.index = min(max(self.index + delta, 0), len(self.records) - 1)

    def position_text(self) -> str:
        """``3 / 17`` style position."""
        return f"{self.index + 1} / {len(self.records)}" if self.records else "0 / 0"

    def describe(self, record: Any) -> str:
        """HTML title of a record: its id, label and the model's verdict if known."""
        label = record.label if record.label is not None else "unlabelled"
        text = f"<b>Window {esc(record.id)}</b>: {esc(label)}"
        predicted = self.verdicts.get(int(record.id))
        if predicted is not None:
            mark = "✓" if predicted == record.label else "✗"
            text += f" · model says <b>{esc(predicted)}</b> {mark}"
        return text

    # -- keeping the list in step with actions --------------------------------------------------
    def update_label(self, window_id: int, label: str | None) -> None:
        """Reflect a relabel in the list (the window stays listed until the next load)."""
        self.records = [_with_label(r, label) if r.id == window_id else r for r in self.records]

    def remove(self, window_id: int) -> None:
        """Drop a deleted window from the list, keeping the cursor in place."""
        self.records = [r for r in self.records if r.id != window_id]
        self.index = min(self.index, max(len(self.records) - 1, 0))

    def restore(self, record: Any) -> None:
        """Put a restored window (undo of delete, same id) back under the cursor."""
        self.records.insert(min(self.index, len(self.records)), record)
