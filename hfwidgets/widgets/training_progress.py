"""The TrainingPanel's training hooks: epoch and batch bars, curves and the progress line.

They run on the kernel's side of the panel's event bridge (never on the training thread), so
they may touch widgets.
"""

from __future__ import annotations

from typing import Any

from hfwidgets.training.events import (
    BatchEnded,
    EpochEnded,
    EpochStarted,
    FitEnded,
    FitStarted,
    TrainingCallback,
)

__all__ = ["PanelProgress"]


class PanelProgress(TrainingCallback):
    """The panel's training hooks: bars, curves and the status line."""

    def __init__(self, panel: Any) -> None:
        self.panel = panel

    def on_fit_start(self, event: FitStarted) -> None:
        panel = self.panel
        panel.epoch_bar.max = int(event.epochs)
        panel.epoch_bar.value = int(event.first_epoch) - 1
        if event.run_id is not None:
            panel.run_id = int(event.run_id)
        cached = " · frozen part computed once" if event.cached_features else ""
        panel._say_progress(f"{event.n_train} training / {event.n_val} validation windows{cached}")

    def on_epoch_start(self, event: EpochStarted) -> None:
        self.panel.epoch_bar.value = int(event.epoch) - 1

    def on_batch_end(self, event: BatchEnded) -> None:
        panel = self.panel
        panel.batch_bar.max = int(event.n_batches)
        panel.batch_bar.value = int(event.batch)
        panel.curves.add_batch(event)
        panel._say_progress(panel.curves.eta_text(event, epochs=panel.epoch_bar.max))

    def on_epoch_end(self, event: EpochEnded) -> None:
        self.panel.epoch_bar.value = int(event.epoch)
        self.panel.curves.add_epoch(event)

    def on_fit_end(self, event: FitEnded) -> None:
        self.panel._finish(event)
