"""Deliver a browser's click to a widget by its model id, as the kernel does.

A click travels as a comm message naming the button's model id. The kernel looks the comm up
when the message arrives: a button closed (replaced) in the meantime has none, so the click is
dropped ("No such comm") and the person's action silently lost. Calling ``button.click()`` on a
kept reference would hide that; tests that check a click survives a redraw use this instead.
"""

from __future__ import annotations

import comm

__all__ = ["front_end_click"]


def front_end_click(model_id: str) -> bool:
    """Send a click to ``model_id``; returns False when it was lost to a closed widget."""
    target = comm.get_comm_manager().get_comm(model_id)  # None once closed: "No such comm"
    if target is None:
        return False
    message = {
        "content": {
            "comm_id": model_id,
            "data": {"method": "custom", "content": {"event": "click"}},
        },
        "buffers": [],
    }
    target.handle_msg(message)
    return True
