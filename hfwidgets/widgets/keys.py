"""Keyboard shortcuts for the Labeler, delivered by ipyevents (no custom front-end code)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["KeyMap", "attach_keys"]

_RESERVED = {"x": "discard", "z": "undo"}
_NAVIGATION = {"ArrowLeft": "prev", "ArrowRight": "next", "Delete": "delete"}
# Enter accepts the run's suggestion: no class initial or digit can take it, and JupyterLab's
# Enter (edit the cell) never sees it, since ipyevents stops the key at the widget.
_ACCEPT = {"Enter": "accept"}
_KEY_NAMES = {"ArrowLeft": "←", "ArrowRight": "→", "Delete": "Del", "Enter": "Enter"}
_ACTION_NAMES = {"accept": "accept suggestion"}


@dataclass(frozen=True)
class KeyMap:
    """Which key does what: ``bindings`` maps ``KeyboardEvent.key`` values to action names.

    Actions are ``label:<class>``, ``discard``, ``undo``, ``prev``, ``next``, ``delete`` and
    ``accept`` (the run's suggestion).
    """

    bindings: dict[str, str] = field(default_factory=dict)

    @classmethod
    def for_classes(cls, classes: Sequence[str]) -> KeyMap:
        """Digits 1..9 for the classes in order, plus each class's initial when it is unique.

        ``x`` discards, ``z`` undoes, arrows page in review and ``Delete`` deletes there;
        ``Enter`` accepts the suggestion of a trained run.
        """
        bindings: dict[str, str] = {}
        for i, name in enumerate(classes[:9]):
            bindings[str(i + 1)] = f"label:{name}"
        initials = [name[:1].lower() for name in classes]
        for name, initial in zip(classes, initials, strict=True):
            if initial.isalpha() and initials.count(initial) == 1 and initial not in _RESERVED:
                bindings[initial] = f"label:{name}"
        bindings.update(_RESERVED)
        bindings.update(_NAVIGATION)
        bindings.update(_ACCEPT)
        return cls(bindings)

    def action_for(self, event: dict[str, Any]) -> str | None:
        """The action of a DOM key event (as ipyevents delivers it), or None."""
        if event.get("type") != "keydown" or event.get("ctrlKey") or event.get("metaKey"):
            return None  # leave the browser's and JupyterLab's own shortcuts alone
        key = str(event.get("key", ""))
        return self.bindings.get(key) or self.bindings.get(key.lower())

    def describe(self) -> str:
        """Human-readable list, e.g. ``1/h high-five · 2/o other · x discard · z undo``."""
        by_action: dict[str, list[str]] = {}
        for key, action in self.bindings.items():
            by_action.setdefault(action, []).append(_KEY_NAMES.get(key, key))
        return " · ".join(
            f"{'/'.join(keys)} {_ACTION_NAMES.get(action, action.removeprefix('label:'))}"
            for action, keys in by_action.items()
        )


def attach_keys(widget: Any, keymap: KeyMap, handler: Callable[[str], object]) -> Any:
    """Listen to key presses over ``widget`` and call ``handler(action)`` for mapped keys.

    ipyevents captures keys while the pointer is over the widget. The browser's default action
    is prevented, so digits do not also turn the notebook cell into a heading in command mode.
    Returns the :class:`ipyevents.Event` (kept alive by the caller).
    """
    from ipyevents import Event

    events = Event(
        source=widget,
        watched_events=["keydown"],
        prevent_default_action=True,
    )

    def on_event(event: dict[str, Any]) -> None:
        action = keymap.action_for(event)
        if action is not None:
            handler(action)

    events.on_dom_event(on_event)
    return events
