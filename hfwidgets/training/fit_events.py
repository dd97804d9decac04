"""Training events and the one callback protocol that receives them.

The trainer publishes frozen events (so a widget thread can hold them safely) to callbacks
with named hooks, in the style of Lightning's ``Callback``: subclass :class:`TrainingCallback`
and override the hooks you need. Each event names its hook (``FitStarted.hook ==
"on_fit_start"``), and calling a callback with an event runs that hook, so a callback object
goes wherever a plain ``callback(event)`` function goes (a runner's ``on_event``, a queue's
``put``). Epochs and batches are numbered from 1, as a progress bar shows them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from hfwidgets.store.run_metrics import RunMetrics
from hfwidgets.store.run_status import RunStatus

__all__ = [
    "BatchEnded",
    "EpochEnded",
    "EpochStarted",
    "EventCallback",
    "FitEnded",
    "FitStarted",
    "StopRequested",
    "TrainingCallback",
    "TrainingEvent",
]


@dataclass(frozen=True)
class FitStarted:
    """Training begins: sizes of the split and whether the frozen prefix is cached."""

    hook: ClassVar[str] = "on_fit_start"
    n_train: int
    n_val: int
    epochs: int
    model: str
    first_epoch: int = 1
    cached_features: bool = False
    run_id: int | None = None


@dataclass(frozen=True)
class EpochStarted:
    """Epoch ``epoch`` of ``epochs`` begins."""

    hook: ClassVar[str] = "on_epoch_start"
    epoch: int
    epochs: int


@dataclass(frozen=True)
class BatchEnded:
    """One optimizer step done; ``seconds`` is its wall time."""

    hook: ClassVar[str] = "on_batch_end"
    epoch: int
    batch: int
    n_batches: int
    loss: float
    seconds: float


@dataclass(frozen=True)
class EpochEnded:
    """Losses and accuracies of one epoch (``val_*`` are ``None`` without a validation set)."""

    hook: ClassVar[str] = "on_epoch_end"
    epoch: int
    train_loss: float
    train_acc: float
    val_loss: float | None
    val_acc: float | None
    seconds: float = 0.0


@dataclass(frozen=True)
class FitEnded:
    """Training is over. ``status`` is ``"finished"``, ``"stopped"`` or ``"failed"``."""

    hook: ClassVar[str] = "on_fit_end"
    status: RunStatus
    metrics: RunMetrics = field(default_factory=RunMetrics)
    error: str | None = None
    run_id: int | None = None


class StopRequested(Exception):
    """The stop event was found set before the first batch (while the data, the model or the
    frozen-prefix cache were being prepared): the fit ends at once instead of waiting for it.

    :meth:`Trainer.fit <hfwidgets.training.trainer.Trainer.fit>` raises it to its caller;
    :func:`~hfwidgets.training.runner.train_project` stores the run as ``"stopped"`` and sends
    ``FitEnded("stopped")``.
    """


TrainingEvent = FitStarted | EpochStarted | BatchEnded | EpochEnded | FitEnded


class TrainingCallback:
    """Receives training events through named hooks; every hook does nothing by default.

    Hooks run on the training thread (a widget posts the event to its own thread). An
    exception in a hook is logged by the trainer and never stops training or the other
    callbacks.

    Examples
    --------
    >>> class PrintEpochs(TrainingCallback):
    ...     def on_epoch_end(self, event: EpochEnded) -> None:
    ...         print(event.epoch, round(event.train_loss, 3))
    >>> PrintEpochs()(EpochEnded(1, 0.6931, 0.5, None, None))
    1 0.693
    """

    def on_fit_start(self, event: FitStarted) -> None:
        """Training begins (after the data, model and any resumed state are ready)."""

    def on_epoch_start(self, event: EpochStarted) -> None:
        """An epoch begins."""

    def on_batch_end(self, event: BatchEnded) -> None:
        """One optimizer step is done."""

    def on_epoch_end(self, event: EpochEnded) -> None:
        """An epoch is done and validated (its checkpoint is saved)."""

    def on_fit_end(self, event: FitEnded) -> None:
        """Training is over: completed, stopped or failed (always the last event)."""

    def __call__(self, event: TrainingEvent) -> None:
        """Run the hook ``event`` names (``event.hook``)."""
        getattr(self, event.hook)(event)


EventCallback = TrainingCallback | Callable[[Any], object]
"""What the trainer and runner accept: a :class:`TrainingCallback`, or a plain function that
receives every event (as a ``TrainingCallback`` is itself called with each event)."""
