"""Label suggestions from a trained run: the class it would give each window, and how sure it is.

Pure logic (no widgets). A suggestion is never a label: nothing here writes to a project. The
Labeler shows the suggestion for the window on screen and one key (Enter) accepts it, which
stores the label exactly as that class's own key would; ``hfw suggest`` only lists.

Uncertainty is the **margin**: the run's probability of its first choice minus that of its
second. Least confident first means smallest margin first: those windows sit on the boundary the
model draws, so labelling them teaches it the most. With two classes the margin orders windows
exactly as the top probability and the entropy do; with more it ignores how the rest of the
probability is spread, which is what a person choosing between two classes cares about.

The probabilities come from the run's network on exactly the images training draws (the run's
scalogram settings, each window at its own rate; :mod:`hfwidgets.training.outputs`). A run of
another project with the same classes pre-labels a teammate's windows:
``suggest(teammate_project, predictor=load_predictor(my_project, run_id))``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Protocol

import numpy as np
from numpy.typing import ArrayLike, NDArray

if TYPE_CHECKING:
    from hfwidgets.store import Project
    from hfwidgets.training.outputs import WindowOutputs
    from hfwidgets.training.predictor import RunPredictor

__all__ = [
    "RatePredictor",
    "Suggestion",
    "by_uncertainty",
    "suggest",
    "suggest_window",
    "suggestion_from_probs",
    "suggestions_from_outputs",
]


class RatePredictor(Protocol):
    """What suggesting for a new window needs of a run (a ``RunPredictor`` is one): its classes
    and probabilities of windows recorded at a rate of their own."""

    @property
    def classes(self) -> Sequence[str]: ...

    def predict_proba(
        self, windows: NDArray[np.float32], *, rate_hz: float | None = None
    ) -> NDArray[Any]: ...


@dataclass(frozen=True)
class Suggestion:
    """A run's suggested class for one window.

    Attributes
    ----------
    window_id : int or None
        The stored window (None: a capture not stored yet).
    label : str
        The suggested class (the run's most probable).
    confidence : float
        Its probability.
    margin : float
        ``confidence`` minus the second most probable class's probability; smaller is less
        certain (the uncertainty order).
    probs : dict
        Every class's probability.
    current : str or None
        The window's stored label, if any (a suggestion that disagrees flags a possible error).
    run_id : int or None
    """

    window_id: int | None
    label: str
    confidence: float
    margin: float
    probs: dict[str, float] = field(default_factory=dict)
    current: str | None = None
    run_id: int | None = None

    @property
    def agrees(self) -> bool | None:
        """Whether the stored label is the suggestion (None when unlabelled)."""
        return None if self.current is None else self.current == self.label

    def text(self) -> str:
        """``high-five 93%`` for a line on screen."""
        return f"{self.label} {self.confidence:.0%}"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (``hfw suggest --json``)."""
        return {
            "window_id": self.window_id,
            "suggestion": self.label,
            "confidence": round(self.confidence, 4),
            "margin": round(self.margin, 4),
            "label": self.current,
            "probs": {k: round(v, 4) for k, v in self.probs.items()},
        }


def suggestion_from_probs(
    probs: ArrayLike,
    classes: Sequence[str],
    *,
    window_id: int | None = None,
    current: str | None = None,
    run_id: int | None = None,
) -> Suggestion:
    """The suggestion of one probability row ``[C]`` (columns in ``classes`` order)."""
    row = np.asarray(probs, dtype=np.float64).reshape(-1)
    if len(row) != len(classes) or len(row) == 0:
        raise ValueError(f"{len(row)} probabilities for {len(classes)} classes {list(classes)}")
    order = np.argsort(-row, kind="stable")
    first = float(row[order[0]])
    second = float(row[order[1]]) if len(row) > 1 else 0.0
    return Suggestion(
        window_id=window_id,
        label=str(classes[int(order[0])]),
        confidence=first,
        margin=first - second,
        probs={str(c): float(p) for c, p in zip(classes, row, strict=True)},
        current=current,
        run_id=run_id,
    )


def by_uncertainty(suggestions: Iterable[Suggestion]) -> list[Suggestion]:
    """Least confident first: smallest margin, then lowest confidence, then window id."""
    return sorted(
        suggestions,
        key=lambda s: (s.margin, s.confidence, -1 if s.window_id is None else s.window_id),
    )


def suggestions_from_outputs(outputs: WindowOutputs) -> list[Suggestion]:
    """A suggestion per window of :func:`~hfwidgets.training.outputs.window_outputs` (with a
    run), least confident first."""
    if outputs.probs is None:
        raise ValueError("suggestions need a trained run's probabilities; pass a predictor")
    return by_uncertainty(
        suggestion_from_probs(
            outputs.probs[i],
            outputs.classes,
            window_id=int(wid),
            current=outputs.labels[i],
            run_id=outputs.run_id,
        )
        for i, wid in enumerate(outputs.ids.tolist())
    )


def suggest(
    project: Project,
    *,
    run_id: int | None = None,
    predictor: RunPredictor | None = None,
    which: Literal["unlabelled", "all", "labelled"] = "unlabelled",
    ids: Sequence[int] | None = None,
) -> list[Suggestion]:
    """Suggestions for the stored windows of ``project``, least confident first.

    Parameters
    ----------
    run_id
        A run of ``project`` (default with no ``predictor``: its latest trained run).
    predictor
        A loaded run instead, possibly of another project (pre-labelling a teammate's windows).
    which
        ``"unlabelled"`` (default: what is left to label), ``"all"`` or ``"labelled"`` (a
        suggestion that disagrees with the label flags a possible mistake); ``ids`` wins.

    Nothing is written to ``project``.
    """
    from hfwidgets.training.outputs import window_outputs

    if predictor is None:
        from hfwidgets.training.predictor import load_predictor

        predictor = load_predictor(project, run_id)
    return suggestions_from_outputs(
        window_outputs(project, predictor=predictor, which=which, ids=ids)
    )


def suggest_window(predictor: RatePredictor, data: ArrayLike, *, rate_hz: float) -> Suggestion:
    """The suggestion for one window of samples ``(n, 3)`` not stored yet (a new capture).

    ``predictor.predict_proba`` draws the window's scalogram with the run's settings at the
    window's own rate, as training did.
    """
    window = np.asarray(data, dtype=np.float32)[:, :3]
    probs = predictor.predict_proba(window[None], rate_hz=float(rate_hz))[0]
    return suggestion_from_probs(
        probs, list(predictor.classes), run_id=getattr(predictor, "run_id", None)
    )
