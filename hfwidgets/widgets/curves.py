"""TrainingCurves: loss and accuracy per epoch (training and validation) plus per-batch loss."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import bqplot as bq
import ipywidgets as w
import numpy as np

from hfwidgets.training.fit_events import BatchEnded, EpochEnded

__all__ = ["TrainingCurves"]

TRAIN, VAL, BATCH = "#1f77b4", "#ff7f0e", "#aec7e8"


class TrainingCurves(w.VBox):
    """Two bqplot figures: loss (batches and epochs) and accuracy (epochs).

    The legend is a line of text above the figures, so it never covers a curve; the figures
    share the row and wrap below each other in a narrow notebook.

    The owner feeds events with :meth:`add_batch` / :meth:`add_epoch` and calls :meth:`redraw`
    once per batch of events, so each redraw is one whole-array assignment per line.
    """

    def __init__(self) -> None:
        self.reset(draw=False)
        x_loss, y_loss = bq.LinearScale(min=0.0), bq.LinearScale(min=0.0)
        x_acc, y_acc = bq.LinearScale(min=0.0), bq.LinearScale(min=0.0, max=1.0)
        self.batch_loss = bq.Lines(
            x=np.zeros(0), y=np.zeros(0), scales={"x": x_loss, "y": y_loss}, colors=[BATCH],
            labels=["batch loss"],
        )  # fmt: skip
        self.loss = bq.Lines(
            x=np.zeros(0), y=np.zeros((2, 0)), scales={"x": x_loss, "y": y_loss},
            colors=[TRAIN, VAL], labels=["training", "validation"], marker="circle",
        )  # fmt: skip
        self.acc = bq.Lines(
            x=np.zeros(0), y=np.zeros((2, 0)), scales={"x": x_acc, "y": y_acc},
            colors=[TRAIN, VAL], labels=["training", "validation"], marker="circle",
        )  # fmt: skip
        layout = _figure_layout()
        margin = {"top": 30, "bottom": 40, "left": 50, "right": 10}
        self.loss_figure = bq.Figure(
            marks=[self.batch_loss, self.loss], title="loss", animation_duration=0,
            axes=[bq.Axis(scale=x_loss, label="epoch"),
                  bq.Axis(scale=y_loss, orientation="vertical")],
            layout=layout, fig_margin=margin,
        )  # fmt: skip
        self.acc_figure = bq.Figure(
            marks=[self.acc], title="accuracy", animation_duration=0,
            axes=[bq.Axis(scale=x_acc, label="epoch"),
                  bq.Axis(scale=y_acc, orientation="vertical", tick_format=".0%")],
            layout=_figure_layout(), fig_margin=margin,
        )  # fmt: skip
        self.legend = w.HTML(
            f"<small><span style='color:{TRAIN}'>●━</span> training · "
            f"<span style='color:{VAL}'>●━</span> validation · "
            f"<span style='color:{BATCH}'>━</span> loss of each batch</small>"
        )
        figures = w.HBox(
            [self.loss_figure, self.acc_figure], layout=w.Layout(flex_flow="row wrap", width="100%")
        )
        super().__init__([self.legend, figures])

    def reset(self, *, draw: bool = True) -> None:
        """Forget all points (a new run starts)."""
        self.batches: list[tuple[float, float]] = []
        self.epochs: list[dict[str, Any]] = []
        self._batch_seconds: list[float] = []
        if draw:
            self.redraw()

    def add_batch(self, event: BatchEnded) -> None:
        """Record a ``BatchEnded`` event (x = fractional epoch)."""
        x = (int(event.epoch) - 1) + int(event.batch) / max(int(event.n_batches), 1)
        self.batches.append((x, float(event.loss)))
        self._batch_seconds.append(float(event.seconds))

    def add_epoch(self, event: EpochEnded) -> None:
        """Record an ``EpochEnded`` event."""
        self.epochs.append(
            {
                "epoch": int(event.epoch),
                "train_loss": event.train_loss,
                "train_acc": event.train_acc,
                "val_loss": event.val_loss,
                "val_acc": event.val_acc,
            }
        )

    def show_history(self, history: Iterable[dict[str, Any]]) -> None:
        """Replace the epoch points by a stored run's history (list of per-epoch dicts).

        An empty history (a run stopped before its first epoch) keeps what was drawn live.
        """
        epochs = [dict(h) for h in history if "epoch" in h]
        if epochs:
            self.epochs = epochs
        self.redraw()

    def eta_text(self, event: BatchEnded, *, epochs: int) -> str:
        """``epoch 2/10 · batch 3/8 · ETA 41 s`` from the mean batch time so far."""
        done = (int(event.epoch) - 1) * int(event.n_batches) + int(event.batch)
        left = max(epochs * int(event.n_batches) - done, 0)
        recent = self._batch_seconds[-50:]
        eta = left * (sum(recent) / len(recent)) if recent else 0.0
        return (
            f"epoch {event.epoch}/{epochs} · batch {event.batch}/{event.n_batches} · "
            f"loss {event.loss:.3f} · ETA {eta:.0f} s"
        )

    def redraw(self) -> None:
        """Assign whole arrays to every line (inside the caller's ``hold_sync``)."""
        b = np.array(self.batches, dtype=np.float32).reshape(-1, 2)
        with self.batch_loss.hold_sync():
            self.batch_loss.x, self.batch_loss.y = b[:, 0], b[:, 1]
        x = np.array([e["epoch"] for e in self.epochs], dtype=np.float32)
        for line, key in ((self.loss, "loss"), (self.acc, "acc")):
            y = np.array(
                [[_num(e.get(f"train_{key}")) for e in self.epochs],
                 [_num(e.get(f"val_{key}")) for e in self.epochs]],
                dtype=np.float32,
            ).reshape(2, -1)  # fmt: skip
            with line.hold_sync():
                line.x, line.y = x, y


def _figure_layout() -> w.Layout:
    # Grow to share the row, never narrower than a readable plot: two side by side from about
    # 760 px, one below the other in a narrower notebook (instead of spilling out of the cell).
    return w.Layout(flex="1 1 360px", min_width="300px", max_width="100%", height="240px")


def _num(value: Any) -> float:
    return float("nan") if value is None else float(value)
