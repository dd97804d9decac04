"""The Labeler's capture controls: Start/Pause capturing and "Skip the waiting ones".

Nothing is captured until a person presses *Start capturing*, as in Edge Impulse's "Start
sampling" and Teachable Machine's "Hold to record": the plot streams from the start, but a person
reading the notebook first comes back to an empty queue, not to twenty stale motions. The
controls only draw and forward intent; the Labeler starts and pauses the capture and asks its
:class:`~hfwidgets.labelling.LabellingSession` to skip.
"""

from __future__ import annotations

import html
from collections.abc import Callable

import ipywidgets as w

__all__ = ["NOT_STARTED", "CaptureControls"]

#: What the labeler says before the first press of Start capturing.
NOT_STARTED = (
    "<b>Capture not started.</b> Press <i>Start capturing</i> when ready; nothing is queued "
    "until then."
)


class CaptureControls:
    """The Start/Pause button, the queue's rule and the Skip button, wired to the labeler.

    Parameters
    ----------
    start, pause, skip
        Called on a click: start capturing, pause it, drop the windows waiting behind the one
        shown.
    """

    def __init__(
        self,
        *,
        start: Callable[[], None],
        pause: Callable[[], None],
        skip: Callable[[], None],
    ) -> None:
        self._capturing = False
        self.toggle_button = w.Button(
            layout=w.Layout(width="auto", min_width="150px", flex="0 0 auto")
        )
        self.toggle_button.on_click(lambda _b: pause() if self._capturing else start())
        self.skip_button = w.Button(
            description="Skip the waiting ones",
            icon="forward",
            tooltip="Drop the windows waiting behind this one (Undo brings them back)",
            layout=w.Layout(width="auto", flex="0 0 auto"),
        )
        self.skip_button.on_click(lambda _b: skip())
        self.rule = w.HTML(layout=w.Layout(margin="0 0 0 8px"))
        self.show(capturing=False, waiting=0, rule="")

    def show(self, *, capturing: bool, waiting: int, rule: str) -> None:
        """Draw the state: whether the capture runs, how many windows wait behind the shown
        one, and ``rule`` (plain text: what happens to waiting windows; '' hides it)."""
        self._capturing = bool(capturing)
        button = self.toggle_button
        if capturing:
            button.description, button.icon, button.button_style = "Pause capturing", "pause", ""
            button.tooltip = "Stop cutting motions into windows (the plot keeps streaming)"
        else:
            button.description, button.icon = "Start capturing", "circle"
            button.button_style = "warning"
            button.tooltip = "Cut each motion from now on into a window to label"
        self.skip_button.layout.display = "" if waiting else "none"
        self.rule.value = f"<small>{html.escape(rule)}</small>" if rule else ""
        self.rule.layout.display = "" if rule else "none"
