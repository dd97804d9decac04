"""Labeler: tag each captured window with a class by button or key, undo, and review the store.

Buttons and keys over a :class:`hfwidgets.labelling.LabellingSession`, which holds the queue of
captured windows and the undo stack: every action is written to the project before the click
returns, and the label goes to the window on screen (the Labeler passes the one it shows).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import ipywidgets as w
import numpy as np
import traitlets

from hfwidgets.labelling import LabellingSession, PendingWindow
from hfwidgets.sensors.base import Source, source_label
from hfwidgets.store import Project
from hfwidgets.suggestions import RatePredictor, Suggestion
from hfwidgets.widgets._html import esc
from hfwidgets.widgets._throttle import EventBridge
from hfwidgets.widgets.keys import KeyMap, attach_keys
from hfwidgets.widgets.labeler_queue import NOT_STARTED, CaptureControls
from hfwidgets.widgets.labeler_review import ReviewBar
from hfwidgets.widgets.labeler_suggestions import OnScreen, SuggestionBar
from hfwidgets.widgets.review import ReviewList
from hfwidgets.widgets.window_view import WindowView

if TYPE_CHECKING:
    from hfwidgets.segmenter import Window

__all__ = ["Labeler", "PendingWindow"]

log = logging.getLogger("hfwidgets.widgets")


def _compact_button() -> w.Layout:
    """As wide as its text (at least 100 px): two fit side by side beside the window."""
    return w.Layout(width="auto", min_width="100px")


class Labeler(w.VBox):
    """Label captured windows and review stored ones.

    Parameters
    ----------
    project
        The :class:`hfwidgets.store.Project` receiving every label.
    source
        Optional live source; when given (and ``capture`` is not), a
        :class:`~hfwidgets.capture.WindowCapture` segments it and feeds this labeler.
    capture
        An existing capture to listen to (the Workbench shares one with the LivePlot).
    keyboard
        Attach key shortcuts (digits and initials of the classes, ``x`` discard, ``z`` undo,
        arrows to page in review, ``Delete`` to delete in review) through ipyevents.
    thumbnail
        Render scalogram thumbnails.
    max_pending
        Captured windows kept waiting; older ones are dropped when more arrive unlabelled.
    """

    mode = traitlets.Unicode("capture", help="'capture' labels new windows, 'review' stored ones.")
    children: tuple[w.Widget, ...]  # VBox's trait (ipywidgets declares no type for it)

    def __init__(
        self,
        project: Project,
        *,
        source: Source | None = None,
        capture: Any | None = None,
        keyboard: bool = True,
        thumbnail: bool = True,
        max_pending: int = 20,
        autostart: bool = True,
    ) -> None:
        self.project = project
        self.classes: list[str] = list(project.classes)
        self.session = LabellingSession(project, max_pending=max_pending)
        self._shown: PendingWindow | None = None  # the capture on screen: the one labelled
        self._started = False  # whether capturing was ever started (paused, not "not started")
        self._lock = threading.RLock()  # clicks (kernel thread) vs window arrivals (bridge)
        self.review = ReviewList(project)
        self.view = WindowView(scalogram_settings=self._scalogram_settings, thumbnail=thumbnail)
        self.title = w.HTML()
        self.counts_html = w.HTML()
        self.message = w.HTML()
        self._make_action_buttons()
        self.controls = CaptureControls(
            start=lambda: self._guarded(self.start_capture),
            pause=lambda: self._guarded(self.pause_capture),
            skip=lambda: self._guarded(self.skip_waiting),
        )
        self.mode_toggle = w.ToggleButtons(options=[("Capture", "capture"), ("Review", "review")])
        w.link((self.mode_toggle, "value"), (self, "mode"))
        self.review_bar = ReviewBar(
            self.review,
            lock=self._lock,
            changed=self._refresh,
            step=self.step,
            delete=lambda: self._guarded(self.delete),
            explain=self.explain,
        )
        self.explainer: Any | None = None  # an ExplainView under the review, made at first use
        self.keymap = KeyMap.for_classes(self.classes)
        # Compact: the keys beside the buttons, the last action's message beside the counts, so
        # the live plot and the labeler fit one screen together (keys work only over them).
        keys = w.HTML(
            f"<small>Keys: {esc(self.keymap.describe())}</small>",
            layout=w.Layout(margin="0 0 0 12px"),
        )
        actions = w.HBox(
            [
                *self.class_buttons.values(),
                self.discard_button,
                self.undo_button,
                self.controls.skip_button,
            ],
            layout=w.Layout(flex_flow="row wrap", align_items="center"),
        )
        # A run's suggestion for the window shown (hidden until a run is set).
        self.suggestions = SuggestionBar(accept=lambda: self._guarded(self.accept_suggestion))
        # The buttons beside the window, not under it (they wrap below on a narrow screen).
        side = w.VBox(
            [actions, keys, self.controls.rule, self.suggestions.widget],
            layout=w.Layout(flex="1 1 240px", min_width="240px"),
        )
        body = w.HBox([self.view, side], layout=w.Layout(flex_flow="row wrap"))
        super().__init__(
            [
                w.HBox(
                    [self.mode_toggle, self.controls.toggle_button, self.counts_html, self.message],
                    layout=w.Layout(flex_flow="row wrap", align_items="center"),
                ),
                self.review_bar.widget,
                self.title,
                body,
            ]
        )
        self.add_class("hfw-labeler")
        self.key_events = attach_keys(self, self.keymap, self.handle_key) if keyboard else None
        self._bridge = EventBridge(self._apply_arrivals, widgets=[self], name="hfw-labeler")
        self.capture = capture
        self._owns_capture = capture is None and source is not None
        if capture is None and source is not None:
            from hfwidgets.capture import WindowCapture

            self.capture = WindowCapture(source)
        origin = source if source is not None else getattr(self.capture, "source", None)
        self.source_name = source_label(origin)
        if self.capture is not None:
            self.capture.on_window(self.add_window)
        self._on_mode({"new": self.mode})
        if autostart:
            self.start()

    def _make_action_buttons(self) -> None:
        """A button per class, Discard and Undo, each guarded against a failing call."""
        self.class_buttons = {
            name: w.Button(
                description=name,
                button_style="success" if i == 0 else "info",
                layout=_compact_button(),
            )
            for i, name in enumerate(self.classes)
        }
        for name, button in self.class_buttons.items():
            button.on_click(lambda _b, name=name: self._guarded(lambda: self.label(name)))
        self.discard_button = w.Button(
            description="Discard", icon="trash", tooltip="x", layout=_compact_button()
        )
        self.undo_button = w.Button(
            description="Undo", icon="undo", tooltip="z", layout=_compact_button()
        )
        self.discard_button.on_click(lambda _b: self._guarded(self.discard))
        self.undo_button.on_click(lambda _b: self._guarded(self.undo))

    # -- lifecycle ----------------------------------------------------------------------------
    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any] | None:
        from hfwidgets.widgets._static import static_bundle

        counts = ", ".join(f"{k} {v}" for k, v in self.project.windows.counts().items())
        return static_bundle(
            super()._repr_mimebundle_(**kwargs),
            f"Labeler ({self.mode}) of project {Path(self.project.path).name}: {counts} windows",
        )

    def start(self, *, capture: bool = True) -> None:
        """Start applying arrivals, and capturing unless ``capture`` is False.

        The Workbench passes ``capture=False``: there the person presses *Start capturing*
        when ready (:meth:`start_capture`). The capture polls on the bridge's pump: one thread
        for both, not one each.
        """
        self._bridge.start()
        if capture:
            self.start_capture()
        else:
            self._refresh()

    @property
    def capturing(self) -> bool:
        """Whether motions are being cut into windows now."""
        return self.capture is not None and bool(self.capture.running)

    def start_capture(self, *, from_now: bool = True) -> None:
        """Capture motions from now on (what *Start capturing* does); no-op while capturing.

        ``from_now=False`` also captures what the source recorded since the capture was made
        (see :meth:`hfwidgets.capture.WindowCapture.start`).
        """
        if self.capture is not None and not self.capture.running:
            self._bridge.start()
            self.capture.start(pump=self._bridge.pump, from_now=from_now)
            self._started = True
        self._refresh()

    def pause_capture(self) -> None:
        """Stop capturing (the plot keeps streaming); windows already waiting stay."""
        if self.capture is not None:
            self.capture.stop()
        self._refresh("capture paused")

    def skip_waiting(self) -> int:
        """Drop the windows waiting behind the one shown (Undo brings them back)."""
        with self._lock:
            skipped = self.session.skip_waiting()
            self._refresh(f"skipped {skipped} waiting window(s)" if skipped else "")
            return skipped

    def close(self) -> None:
        """Stop the bridge and stop listening to the capture, then close the widget."""
        bridge = getattr(self, "_bridge", None)  # absent when __init__ failed (then __del__)
        if bridge is not None:
            bridge.stop()
        capture = getattr(self, "capture", None)
        if capture is not None:
            capture.on_window(self.add_window, remove=True)
            if getattr(self, "_owns_capture", False):
                capture.stop()
        explainer = getattr(self, "explainer", None)
        if explainer is not None:  # it holds a run's network
            explainer.close()
        super().close()

    # -- arrivals from the capture thread -----------------------------------------------------
    def add_window(self, window: Window) -> None:
        """Queue a captured :class:`~hfwidgets.segmenter.Window`; thread-safe, applied in batch.

        The window keeps the sensor it was captured from (:attr:`source_name` now), even when
        the sensor is switched before the batch is applied.
        """
        self._bridge.post((window, self.source_name))

    def flush(self) -> int:
        """Apply queued arrivals now (the bridge does this every ~0.2 s by itself)."""
        return self._bridge.flush()

    @property
    def pending(self) -> tuple[PendingWindow, ...]:
        """Captured windows waiting for a label, oldest first."""
        return self.session.pending

    def _apply_arrivals(self, arrivals: list[Any]) -> None:
        with self._lock:
            for window, source in arrivals:
                self.session.add(
                    np.asarray(window.data, dtype=np.float32),
                    rate_hz=float(window.rate_hz),
                    t0=getattr(window, "t0", None),
                    source=source,
                )
            if self.mode == "capture":
                self._show_current()  # the shown window stays; the "more waiting" count grows
                self.suggestions.show(self._on_screen())

    # -- actions (each is stored before it returns) -------------------------------------------
    def label(self, name: str) -> int | None:
        """Give the window on screen the class ``name``; returns its window id (None if none).

        In capture mode that is the capture shown (never one that arrived since); in review,
        the stored window under the cursor.
        """
        with self._lock:
            if self.mode == "review":
                record = self.review.current
                if record is None:
                    self.session.check_class(name)
                    return None
                self.session.relabel(record.id, name)
                self.review.update_label(record.id, name)
                self.review.step(+1)
                self._refresh(f"window {record.id} → {name}")
                return int(record.id)
            if self._shown is None:
                self.session.check_class(name)
                return None
            wid = self.session.label(name, self._shown)
            if wid is not None:
                self._refresh(f"window {wid} labelled {name}")
            return wid

    def discard(self) -> None:
        """Drop the captured window on screen without storing it (undo brings it back)."""
        with self._lock:
            if self.mode != "capture" or self._shown is None:
                return
            if self.session.discard(self._shown) is not None:
                self._refresh("discarded")

    def delete(self) -> None:
        """In review: delete the shown window from the store (undo restores it, same id)."""
        with self._lock:
            record = self.review.current if self.mode == "review" else None
            if record is None:
                return
            self.session.delete(record.id)
            self.review.remove(record.id)
            self._refresh(f"deleted window {record.id}")

    def undo(self) -> str:
        """Reverse the last action, in the store too; returns what was undone ('' if nothing)."""
        with self._lock:
            undone = self.session.undo()
            if undone is None:
                self._refresh("nothing to undo")
                return ""
            if undone.kind == "relabel" and undone.window_id is not None:
                self.review.update_label(undone.window_id, undone.label)
            elif undone.kind == "delete" and undone.window_id is not None:
                self.review.restore(self.project.windows.get(undone.window_id))
            self._refresh(f"undid {undone.kind}")
            return undone.kind

    def _guarded(self, action: Any) -> None:
        """Run a button's or key's action; a failure is said under the window, not lost.

        An exception escaping a widget callback lands in JupyterLab's log console, where a
        person never looks: a project that cannot be written (read-only folder, full disk, a
        database locked by another program) would make every click silently store nothing.
        The window stays waiting (the session puts it back), so the next click retries.
        """
        try:
            action()
        except Exception as exc:
            log.warning("labeler action failed: %s", exc)
            self.message.value = (
                f"<small><span style='color:#a00'><b>Not stored:</b> {esc(exc)}</span></small>"
            )

    def handle_key(self, action: str) -> None:
        """Run the action a key maps to (``label:<class>``, ``discard``, ``undo``, ...); a
        failure is shown in the message line (see :meth:`_guarded`)."""
        self._guarded(lambda: self._key_action(action))

    def _key_action(self, action: str) -> None:
        if action.startswith("label:"):
            self.label(action.split(":", 1)[1])
        elif action == "discard":
            self.discard()
        elif action == "undo":
            self.undo()
        elif action == "delete":
            self.delete()
        elif action in ("prev", "next"):
            self.step(-1 if action == "prev" else +1)
        elif action == "accept":
            self.accept_suggestion()

    # -- a run's suggestions and explanations --------------------------------------------------
    def set_predictor(self, predictor: RatePredictor | None, *, run_id: int | None = None) -> None:
        """Suggest a class for each window shown with this run (None: no suggestions).

        A suggestion is only shown: it becomes a label when the person accepts it.
        """
        with self._lock:
            self.suggestions.use(predictor, run_id=run_id)
            self._refresh()

    def set_suggestions(self, suggestions: Iterable[Suggestion]) -> None:
        """Suggestions of stored windows computed elsewhere (the data map's pass over every
        window); they enable the review order *least confident first*."""
        with self._lock:
            self.review.set_suggestions(self.suggestions.add_stored(suggestions))
            self.review_bar.enable_order()
            self._refresh()

    @property
    def current_suggestion(self) -> Suggestion | None:
        """The suggestion for the window on screen (None without a run or a window)."""
        with self._lock:
            return self.suggestions.for_window(self._on_screen())

    def accept_suggestion(self) -> int | None:
        """Label the window on screen with the run's suggestion, exactly as pressing that
        class's key would (stored, undoable); returns the window id (None: nothing accepted)."""
        with self._lock:
            suggestion = self.suggestions.for_window(self._on_screen())
            if suggestion is None:
                self._refresh("no suggestion to accept")
                return None
            if suggestion.label not in self.classes:
                self._refresh(f"the run suggests {suggestion.label}, not a class of this project")
                return None
            return self.label(suggestion.label)

    def _on_screen(self) -> OnScreen | None:
        """The window a label (or an accepted suggestion) goes to."""
        if self.mode == "review":
            record = self.review.current
            if record is None:
                return None
            return OnScreen(("stored", int(record.id)), record.data, record.rate_hz, record.label)
        item = self._shown
        return None if item is None else OnScreen(("capture", item.key), item.data, item.rate_hz)

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
            self.children = (*self.children, self.explainer)
        self.explainer.show(int(record.id), run_id=self.review.verdict_run)
        return self.explainer

    # -- review -------------------------------------------------------------------------------
    def step(self, delta: int) -> None:
        """Page through the review list."""
        with self._lock:
            self.review.step(delta)
            self._refresh()
            if self.explainer is not None and self.review.current is not None:
                self.explainer.follow(int(self.review.current.id))  # an open view follows

    def set_verdicts(self, verdicts: Mapping[int, str], *, run_id: int | None = None) -> None:
        """Model predictions per window id, enabling the 'misclassified' filter."""
        self.review_bar.offer_verdicts(verdicts, run_id=run_id)

    def show_windows(self, ids: Iterable[int], *, title: str = "selected") -> None:
        """Switch to review and page through exactly ``ids`` (e.g. a confusion-matrix cell)."""
        with self._lock:
            self.review_bar.select(ids, title=title)
            self.mode = "review"
            self._refresh()

    @traitlets.observe("mode")
    def _on_mode(self, change: dict[str, Any]) -> None:
        review = change["new"] == "review"
        self.review_bar.show(review)
        self.discard_button.layout.display = "none" if review else ""
        if review:
            self.review_bar.open()
        self._refresh()

    # -- display ------------------------------------------------------------------------------
    def _refresh(self, message: str = "") -> None:
        with self.hold_sync():
            self._show_current()
            self.suggestions.show(self._on_screen())
            counts = self.project.windows.counts()
            self.counts_html.value = " · ".join(
                f"<b>{esc(name)}</b> {counts.get(name, 0)}" for name in self.classes
            )
            # An action's message stays until the next action, which says its own or clears it
            # (a "discarded" under the next window would seem to be about that window).
            self.message.value = f"<small>{esc(message)}</small>" if message else ""

    def _show_current(self) -> None:
        if self.mode == "review":
            self._shown = None  # no capture on screen: back in capture mode it is drawn again
            record = self.review.current
            self.review_bar.position.value = self.review.position_text()
            if record is None:
                self.title.value = "<b>No stored windows match this filter.</b>"
                self.view.show(None)
                return
            self.title.value = self.review.describe(record)
            self.view.show(record.data, rate_hz=record.rate_hz, caption=f"id {record.id}")
            return
        item = self.session.current
        more = self.session.waiting
        rule = self.session.queue_rule() if item is not None else ""
        self.controls.show(capturing=self.capturing, waiting=more, rule=rule)
        if item is None:
            self._shown = None
            if self.capturing or self.capture is None:
                self.title.value = "<b>Waiting for a motion…</b> make one in front of the sensor."
            elif self._started:
                self.title.value = "<b>Capture paused.</b> Press <i>Start capturing</i> to go on."
            else:
                self.title.value = NOT_STARTED
            self.view.show(None)
            return
        # Windows of a sensor used before the current one stay (nothing captured is dropped
        # unasked) but say where they came from: they are stored with that source.
        earlier = sum(1 for p in self.session.pending if p is not item and self._earlier(p))
        earlier_text = f", {earlier} from an earlier sensor" if earlier else ""
        extra = f" ({more} more waiting{earlier_text})" if more else ""
        again = f" (window {item.id} again)" if item.id is not None else ""
        origin = f" from {item.source}, the sensor before" if self._earlier(item) else ""
        paused = "" if self.capturing else " · capture paused"
        self.title.value = f"<b>Captured window</b>{esc(origin)}{esc(again)}{esc(extra)}{paused}"
        if item is not self._shown:  # redraw only when the window changes, not per arrival
            self._shown = item
            self.view.show(item.data, rate_hz=item.rate_hz)
            self.message.value = ""  # the last action's message was about another window

    def _earlier(self, item: PendingWindow) -> bool:
        """Whether a waiting capture came from another sensor than the current one."""
        return bool(item.source) and item.source != self.source_name

    def _scalogram_settings(self) -> Any:
        stored = self.project.settings.get("scalogram")
        if not stored:
            return None
        from hfwidgets.scalogram import ScalogramSettings

        return ScalogramSettings.from_dict(stored)
