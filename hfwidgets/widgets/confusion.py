"""ConfusionMatrix: a grid of buttons (rows true, columns predicted) that open their windows."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import ipywidgets as w

from hfwidgets._callbacks import CallbackList
from hfwidgets.store.run_metrics import RunMetrics
from hfwidgets.widgets._close import close_widgets
from hfwidgets.widgets._html import esc

__all__ = ["ConfusionMatrix", "cell_window_ids", "verdicts_from_metrics"]

OpenCallback = Callable[[list[int], str], object]


def verdicts_from_metrics(metrics: RunMetrics) -> dict[int, str]:
    """Predicted class per evaluated window id (``metrics.predictions``)."""
    return dict(metrics.predictions)


def cell_window_ids(metrics: RunMetrics) -> dict[tuple[int, int], list[int]]:
    """Window ids behind each (true, predicted) cell, with the labels they were evaluated with."""
    classes = list(metrics.classes)
    truth = metrics.true_labels
    cells: dict[tuple[int, int], list[int]] = {}
    for wid, predicted in sorted(verdicts_from_metrics(metrics).items()):
        true = truth.get(wid)
        if true in classes and predicted in classes:
            cells.setdefault((classes.index(true), classes.index(predicted)), []).append(wid)
    return cells


class ConfusionMatrix(w.VBox):
    """Show a confusion matrix; clicking a cell calls ``on_open(ids, title)`` callbacks.

    A new matrix with the same classes (the next run of the same project) is written into the
    same cell buttons, so a click on a cell while a run ends still lands and the front end
    redraws nothing; only other classes build a new grid (the old one is closed).
    """

    def __init__(self) -> None:
        self.cells: dict[tuple[int, int], list[int]] = {}
        self.buttons: dict[tuple[int, int], w.Button] = {}
        self._classes: tuple[str, ...] | None = None  # the classes the grid was built for
        self._callbacks = CallbackList("open")
        self.caption = w.HTML()
        self.grid = w.GridBox()
        super().__init__([self.caption, self.grid])
        self.add_class("hfw-confusion")

    def on_open(self, callback: OpenCallback, remove: bool = False) -> None:
        """Register ``callback(window_ids, title)`` for cell clicks."""
        self._callbacks.register(callback, remove=remove)

    def show(self, metrics: RunMetrics) -> None:
        """Draw ``metrics.confusion`` for ``metrics.classes``."""
        classes: Sequence[str] = list(metrics.classes)
        matrix = metrics.confusion
        self.cells = cell_window_ids(metrics)
        if tuple(classes) != self._classes:
            self._build(classes)
        biggest = max((max(row) for row in matrix if row), default=1) or 1
        for i, true in enumerate(classes):
            for j, predicted in enumerate(classes):
                count = int(matrix[i][j]) if i < len(matrix) and j < len(matrix[i]) else 0
                ids = self.cells.get((i, j), [])
                button = self.buttons[(i, j)]  # a same value sends nothing to the front end
                button.description = str(count)
                button.tooltip = f"{true} predicted as {predicted}: open {len(ids)} windows"
                button.disabled = not ids
                button.style.button_color = _shade(count / biggest, correct=i == j)
        accuracy = metrics.accuracy
        on = metrics.evaluated_on
        self.caption.value = (
            f"<b>Confusion matrix</b> ({'validation' if on == 'val' else 'training'} windows"
            f"{f', accuracy {accuracy:.1%}' if isinstance(accuracy, float) else ''}) · "
            "click a cell to review its windows"
        )

    def _build(self, classes: Sequence[str]) -> None:
        """A grid for ``classes``: their headings and a button per (true, predicted) cell."""
        old = self.grid.children
        self.buttons = {}
        n = len(classes)
        items: list[w.Widget] = [w.HTML("<small>true ↓ / predicted →</small>")]
        items += [w.HTML(f"<b>{esc(c)}</b>") for c in classes]
        for i, true in enumerate(classes):
            items.append(w.HTML(f"<b>{esc(true)}</b>"))
            for j in range(n):
                button = w.Button(layout=w.Layout(width="90px", height="48px"))
                button.add_class("hfw-confusion-cell")
                button.on_click(lambda _b, i=i, j=j: self.open_cell(i, j))
                self.buttons[(i, j)] = button
                items.append(button)
        self.grid.children = tuple(items)
        self.grid.layout.grid_template_columns = f"140px repeat({n}, 96px)"
        self._classes = tuple(classes)
        close_widgets(old)  # another run's classes: its cells would pile up otherwise

    def open_cell(self, true_index: int, predicted_index: int) -> list[int]:
        """Call the open callbacks with the windows of one cell; returns their ids."""
        ids = list(self.cells.get((true_index, predicted_index), []))
        title = (self.buttons[(true_index, predicted_index)].tooltip or "").split(":")[0]
        self._callbacks.fire(ids, title)  # a failing listener never blocks the others
        return ids


def _shade(share: float, *, correct: bool) -> str:
    """Green for the diagonal, red off it; stronger for bigger counts."""
    level = int(235 - 120 * max(0.0, min(share, 1.0)))
    return f"rgb({level},235,{level})" if correct else f"rgb(245,{level},{level})"
