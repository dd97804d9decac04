"""A stored session on a timeline, without widgets: what to draw at a view (envelope), the
picture (``hfw sessions show``) and the model's view of the session (probabilities, counts,
candidate mistakes). The widget is `hfwidgets.widgets.timeline.SessionTimeline`."""

from __future__ import annotations

from hfwidgets.timeline.envelope import Envelope, view_envelope, view_slice

__all__ = ["Envelope", "view_envelope", "view_slice"]
