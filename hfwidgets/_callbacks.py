"""One way to register and fire callbacks, in the style of ipywidgets' ``CallbackDispatcher``.

Sources, the trainer, the live classifier and the widgets all publish events to callbacks that
other code registers with ``on_<event>(callback, remove=False)``. Callbacks may run on a reader,
training or inference thread: an exception in one is logged and never stops that thread or the
other callbacks.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

__all__ = ["CallbackList"]

log = logging.getLogger(__name__)


class CallbackList:
    """Thread-safe callbacks for one kind of event.

    Parameters
    ----------
    name : str
        The event's name, used in the log message when a callback raises.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self._callbacks: list[Callable[..., Any]] = []
        self._lock = threading.Lock()

    def register(self, callback: Callable[..., Any], *, remove: bool = False) -> None:
        """Add ``callback``, or remove it when ``remove`` is True (no error if absent)."""
        with self._lock:
            if remove:
                if callback in self._callbacks:
                    self._callbacks.remove(callback)
            elif callback not in self._callbacks:
                self._callbacks.append(callback)

    def fire(self, *args: Any) -> list[Exception]:
        """Call every callback with ``args`` in registration order; log their exceptions.

        Returns the exceptions raised (empty when every callback succeeded), so a widget can
        also show them.
        """
        with self._lock:
            callbacks = list(self._callbacks)
        errors: list[Exception] = []
        for callback in callbacks:
            try:
                callback(*args)
            except Exception as exc:
                errors.append(exc)
                log.exception("an on_%s callback %r raised; it was skipped", self.name, callback)
        return errors
