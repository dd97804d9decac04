"""CalibrationView: the LiveCounter's Calibrate section (button, target recall, trade-off).

It shows a `hfwidgets.live.calibration.Calibration`: every setting tried as a grey dot of
recall against false counts per hour, the Pareto front as a line and a table, the chosen
operating point in red. Running the calibration is the owner's job (`LiveCounter.calibrate`).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import bqplot as bq
import ipywidgets as w
import numpy as np

from hfwidgets.widgets._html import esc

if TYPE_CHECKING:
    from hfwidgets.live.calibration import Calibration
    from hfwidgets.live.operating_point import OperatingPoint

__all__ = ["CalibrationView", "trade_off_points"]

_IDLE = (
    "Finds the threshold, hops in a row and gap with the fewest false counts at the target "
    "recall, on the project's recorded sessions with labelled windows, else on simulated ones."
)


def trade_off_points(rows: Any) -> tuple[np.ndarray, np.ndarray]:
    """``(false counts per hour, recall)`` of the rows that measured false counts."""
    finite = [r for r in rows if not math.isnan(r.false_per_hour)]
    return (
        np.array([r.false_per_hour for r in finite], dtype=float),
        np.array([r.recall for r in finite], dtype=float),
    )


class CalibrationView(w.VBox):
    """The Calibrate section: `button`, `target_recall`, `html` (what happened), `plot`, `table`."""

    def __init__(self) -> None:
        self.button = w.Button(
            description="Calibrate",
            icon="sliders",
            tooltip="Choose the threshold, hops in a row and gap on sessions with known "
            "high-fives: fewest false counts at the target recall",
        )
        self.target_recall = w.BoundedFloatText(
            value=0.95, min=0.5, max=1.0, step=0.01, description="Recall ≥",
            layout=w.Layout(width="150px"),
        )  # fmt: skip
        self.html = w.HTML()
        xs = bq.LinearScale(min=0.0)
        ys = bq.LinearScale(min=0.0, max=1.0)
        tip = bq.Tooltip(
            fields=["x", "y"], labels=["false counts/h", "recall"], formats=[".1f", ".2f"]
        )
        self.all_points = bq.Scatter(
            x=np.zeros(0), y=np.zeros(0), scales={"x": xs, "y": ys}, colors=["#bbb"],
            default_size=16, tooltip=tip,
        )  # fmt: skip
        self.front_line = bq.Lines(
            x=np.zeros(0), y=np.zeros(0), scales={"x": xs, "y": ys}, colors=["#1f77b4"],
            marker="circle", marker_size=24,
        )  # fmt: skip
        self.chosen_point = bq.Scatter(
            x=np.zeros(0), y=np.zeros(0), scales={"x": xs, "y": ys}, colors=["#d62728"],
            default_size=80, marker="diamond",
        )  # fmt: skip
        self.plot = bq.Figure(
            marks=[self.all_points, self.front_line, self.chosen_point],
            axes=[
                bq.Axis(scale=xs, label="false counts per hour"),
                bq.Axis(scale=ys, orientation="vertical", label="recall", tick_format=".2f"),
            ],
            animation_duration=0,
            fig_margin={"top": 10, "bottom": 40, "left": 55, "right": 10},
            layout=w.Layout(width="100%", max_width="520px", height="220px"),
        )
        # The figure joins the page only when there is a sweep to draw: a bqplot figure drawn
        # hidden (no size) logs "<rect> attribute width: A negative value is not valid".
        self.plot_box = w.Box(layout=w.Layout(width="100%"))
        self.table = w.HTML()
        super().__init__(
            [
                w.HTML("<b>Calibrate</b>"),
                w.HBox([self.button, self.target_recall]),
                self.html,
                self.plot_box,
                self.table,
            ]
        )
        self.add_class("hfw-live-calibrate")

    def say(self, text: str, *, error: bool = False) -> None:
        """Show one plain-text line (escaped here); red for a failure."""
        body = f"<span style='color:#a00'>{esc(text)}</span>" if error else esc(text)
        self.html.value = f"<small>{body}</small>"

    def show_stored(self, point: OperatingPoint | None) -> None:
        """No sweep to show: what calibrating does, or where the run's stored point came from."""
        self.plot_box.children = ()
        self.table.value = ""
        if point is None:
            self.say(_IDLE)
        else:
            self.say(
                f"Calibrated on {point.source or 'earlier sessions'}; calibrate again after "
                "retraining or with new sessions."
            )

    def show(self, result: Calibration, *, run_id: int | None) -> None:
        """Draw ``result`` (a `Calibration`) and say that its point is stored with ``run_id``."""
        chosen = result.chosen
        all_x, all_y = trade_off_points(result.rows)
        front_x, front_y = trade_off_points(result.front)
        with self.plot.hold_sync():
            self.all_points.x, self.all_points.y = all_x, all_y
            self.front_line.x, self.front_line.y = front_x, front_y
            if not math.isnan(chosen.false_per_hour):
                self.chosen_point.x = np.array([chosen.false_per_hour])
                self.chosen_point.y = np.array([chosen.recall])
        self.plot_box.children = (self.plot,) if all_x.size else ()
        body = "".join(_front_row(r, chosen=chosen) for r in result.front)
        self.table.value = (
            "<small>Settings no other beats on both recall and false counts (grey dots: all "
            f"{len(result.rows)} tried; red: chosen):</small><table style='font-size:12px'>"
            "<tr><th>threshold</th><th>hops</th><th>gap</th><th>recall</th><th>precision</th>"
            "<th>false/h</th></tr>" + body + "</table>"
        )
        missed = "" if chosen.meets_target else (
            f" <b>No setting reached recall {chosen.target_recall:.2f}</b>: the highest is used;"
            " more or better training data helps."
        )  # fmt: skip
        self.html.value = (
            f"<small>Chosen and stored with run {esc(run_id)}: {esc(chosen.describe())}."
            f"{missed}</small>"
        )


def _front_row(row: Any, *, chosen: Any) -> str:
    """One table row of the trade-off (numbers only: nothing here comes from the project)."""
    is_chosen = (row.threshold, row.consecutive, row.min_gap_s) == (
        chosen.threshold,
        chosen.consecutive,
        chosen.min_gap_s,
    )
    style = " style='font-weight:bold;color:#d62728'" if is_chosen else ""
    fph = "n/a" if math.isnan(row.false_per_hour) else f"{row.false_per_hour:.1f}"
    return (
        f"<tr{style}><td>{row.threshold:.3g}</td><td>{row.consecutive}</td>"
        f"<td>{row.min_gap_s:g} s</td><td>{row.recall:.2f}</td><td>{row.precision:.2f}</td>"
        f"<td>{fph}</td></tr>"
    )
