"""BoardCountView: the count of a board that runs the board model itself, beside the notebook's.

A sketch from ``hfw export --format board`` prints ``# count N p=0.97`` when the board counts a
motion; the source keeps the last one (``Source.board_count``). This view shows it next to the
LiveCounter's own count, and both since the notebook started counting, so a person sees the
board and the notebook agree (or not). It shows nothing for a source whose board never counts.
"""

from __future__ import annotations

from typing import Any

import ipywidgets as w

from hfwidgets.sensors.base import Source

__all__ = ["BoardCountView"]


class BoardCountView(w.HTML):
    """The board's own count beside ``counter``'s (anything with ``.source`` and ``.count``).

    It draws when told (:meth:`refresh`): the LiveCounter refreshes it with every batch of
    predictions it applies, so it costs no thread of its own.

    Parameters
    ----------
    counter : LiveCounter
        Its ``source`` is read at every refresh, so a Workbench that changes the source is
        followed.
    """

    def __init__(self, counter: Any) -> None:
        super().__init__()
        self.add_class("hfw-board-count")
        self.counter = counter
        self._source: Source | None = None
        self._at_start: tuple[int, int] | None = None  # (board, notebook) counts at Start
        self.board: int | None = None  # the board's last count (None: it has not counted)
        self.p: float | None = None

    def mark_start(self) -> None:
        """The notebook started (or reset) its count: count the board's from here too."""
        self.refresh()
        self._at_start = (self.board or 0, int(getattr(self.counter, "count", 0)))
        self.value = self._html()

    def refresh(self) -> int | None:
        """Read the board's count from the counter's source and redraw; return it."""
        source = getattr(self.counter, "source", None)
        if source is not self._source:  # another sensor: its board has its own count
            self._source, self._at_start = source, None
        reading = getattr(source, "board_count", None)  # Source.board_count
        self.board = None if reading is None else int(reading.count)
        self.p = None if reading is None else reading.p
        self.value = self._html()
        return self.board

    def _html(self) -> str:
        if self.board is None:
            return ""
        notebook = int(getattr(self.counter, "count", 0))
        p = "" if self.p is None else f" (last at p={self.p:.2f})"
        since = ""
        if self._at_start is not None:
            on_board = max(self.board - self._at_start[0], 0)
            notebook = max(notebook - self._at_start[1], 0)
            since = (
                f" · since Start: <b class='hfw-board-since'>{on_board}</b> on the board, "
                f"<b class='hfw-notebook-since'>{notebook}</b> in the notebook"
            )
        return (
            "<div style='font-size:16px'>On the board: "
            f"<b class='hfw-board-total' style='font-size:24px'>{self.board}</b>{p}{since}</div>"
        )
