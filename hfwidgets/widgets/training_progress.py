"""The TrainingPanel's training hooks: epoch and batch bars, curves and the progress line.

They run on the kernel's side of the panel's event bridge (never on the training thread), so
they may touch widgets.
"""

from __future__ import annotations

from collections.abc import Callable

import ipywidgets as w

from hfwidgets.training.fit_events import (
    BatchEnded,
    EpochEnded,
    EpochStarted,
    FitEnded,
    FitStarted,
    TrainingCallback,
)
from hfwidgets.widgets.curves import TrainingCurves

__all__ = ["PanelProgress"]


class PanelProgress(TrainingCallback):
    """The panel's training hooks: they own the epoch and batch bars and the curves.

    Parameters
    ----------
    epochs : int
        The epoch bar's length until a run says its own.
    say : callable
        ``say(html)`` shows the progress line.
    run_started : callable
        ``run_started(run_id)`` when a run says its id.
    ended : callable
        ``ended(event)`` with the run's :class:`~hfwidgets.training.fit_events.FitEnded`.
    """

    def __init__(
        self,
        *,
        epochs: int,
        say: Callable[[str], None],
        run_started: Callable[[int], None],
        ended: Callable[[FitEnded], None],
    ) -> None:
        self.epoch_bar = w.IntProgress(value=0, min=0, max=epochs, description="Epoch")
        self.batch_bar = w.IntProgress(value=0, min=0, max=1, description="Batch")
        self.curves = TrainingCurves()
        self._say = say
        self._run_started = run_started
        self._ended = ended

    def on_fit_start(self, event: FitStarted) -> None:
        self.epoch_bar.max = int(event.epochs)
        self.epoch_bar.value = int(event.first_epoch) - 1
        if event.run_id is not None:
            self._run_started(int(event.run_id))
        cached = " · frozen part computed once" if event.cached_features else ""
        self._say(f"{event.n_train} training / {event.n_val} validation windows{cached}")

    def on_epoch_start(self, event: EpochStarted) -> None:
        self.epoch_bar.value = int(event.epoch) - 1

    def on_batch_end(self, event: BatchEnded) -> None:
        self.batch_bar.max = int(event.n_batches)
        self.batch_bar.value = int(event.batch)
        self.curves.add_batch(event)
        self._say(self.curves.eta_text(event, epochs=self.epoch_bar.max))

    def on_epoch_end(self, event: EpochEnded) -> None:
        self.epoch_bar.value = int(event.epoch)
        self.curves.add_epoch(event)

    def on_fit_end(self, event: FitEnded) -> None:
        self._ended(event)
