"""LiveCounter: the high-five count, a probability strip, the threshold and reset."""

from __future__ import annotations

from collections import deque
from typing import Any

import bqplot as bq
import ipywidgets as w
import numpy as np
import traitlets

from hfwidgets.widgets._html import esc, esc_join
from hfwidgets.widgets._throttle import EventBridge
from hfwidgets.widgets.live_plot import _ensure_started

__all__ = ["LiveCounter"]


class LiveCounter(w.VBox):
    """Count a motion live with a trained predictor on a live source.

    Parameters
    ----------
    source
        A live :class:`hfwidgets.sensors.Source`.
    predictor
        From :func:`hfwidgets.training.load_predictor`; may be given later with
        :meth:`set_predictor` (the Workbench does so after training).
    threshold, hop_s, min_gap_s, positive
        Passed to :class:`hfwidgets.live.LiveClassifier`. Moving the threshold slider while
        counting changes it from the next hop on; the count carries on.
    strip_s
        Seconds of probability history drawn.
    """

    count = traitlets.Int(0, help="Events counted since the last reset.")
    threshold = traitlets.Float(0.8, help="Probability of the positive class that counts.")
    running = traitlets.Bool(False, help="Whether the classifier is running.")

    def __init__(
        self,
        source: Any,
        predictor: Any | None = None,
        *,
        threshold: float = 0.8,
        hop_s: float = 0.2,
        min_gap_s: float = 1.0,
        positive: str = "high-five",
        strip_s: float = 10.0,
    ) -> None:
        self.source = source
        self.predictor = predictor
        self.hop_s, self.min_gap_s, self.positive = float(hop_s), float(min_gap_s), positive
        self.classifier: Any | None = None
        self._offset = 0  # counts of classifiers stopped before (Start/Stop keeps the count)
        self._strip: deque[tuple[float, float]] = deque(maxlen=max(10, int(strip_s / hop_s) * 2))
        self.strip_s = float(strip_s)

        self.count_html = w.HTML()
        xs = bq.LinearScale(min=-strip_s, max=0.0)
        ys = bq.LinearScale(min=0.0, max=1.0)
        self._prob = bq.Lines(
            x=np.zeros(0), y=np.zeros(0), scales={"x": xs, "y": ys}, colors=["#9467bd"]
        )
        self._threshold_line = bq.Lines(
            x=np.array([-strip_s, 0.0]),
            y=np.array([threshold, threshold]),
            scales={"x": xs, "y": ys},
            colors=["#999"],
            line_style="dashed",
        )
        self.strip = bq.Figure(
            marks=[self._prob, self._threshold_line],
            axes=[
                bq.Axis(scale=xs, label="seconds"),
                bq.Axis(scale=ys, orientation="vertical", label=f"P({positive})"),
            ],
            animation_duration=0,
            fig_margin={"top": 10, "bottom": 35, "left": 55, "right": 10},
            layout=w.Layout(width="100%", height="170px"),
        )
        self.threshold_slider = w.FloatSlider(
            value=threshold, min=0.5, max=0.99, step=0.01, description="Threshold",
            continuous_update=False,
        )  # fmt: skip
        self.start_button = w.ToggleButton(description="Start counting", icon="play")
        self.reset_button = w.Button(description="Reset", icon="refresh")
        self.stats_html = w.HTML()
        w.link((self.threshold_slider, "value"), (self, "threshold"))
        self.start_button.observe(self._on_toggle, "value")
        self.reset_button.on_click(lambda _b: self.reset())
        self._bridge = EventBridge(self._apply, widgets=[self], name="hfw-live-counter")
        super().__init__(
            [
                self.count_html,
                self.strip,
                w.HBox([self.start_button, self.reset_button, self.threshold_slider]),
                self.stats_html,
            ]
        )
        self.add_class("hfw-live-counter")
        self.threshold = float(threshold)
        self.set_predictor(predictor)

    # -- public API ---------------------------------------------------------------------------
    def set_predictor(self, predictor: Any | None) -> None:
        """Use ``predictor`` from now on (stops counting with the previous one)."""
        self.stop()
        self.predictor = predictor
        self.start_button.disabled = predictor is None
        self._render_count()
        if predictor is None:
            self.stats_html.value = "<small>Train a model first (Train tab).</small>"
        else:
            self.stats_html.value = f"<small>classes: {esc_join(predictor.classes)}</small>"

    def start(self) -> None:
        """Start the source (if needed) and the classifier."""
        if self.predictor is None:
            raise ValueError("LiveCounter has no predictor: train a run, then set_predictor()")
        from hfwidgets.live import LiveClassifier

        _ensure_started(self.source)
        classifier = LiveClassifier(
            self.source,
            self.predictor,
            threshold=self.threshold,
            hop_s=self.hop_s,
            min_gap_s=self.min_gap_s,
            positive=self.positive,
        )
        classifier.on_prediction(self._bridge.post)
        classifier.on_event(lambda e: self._bridge.post(e, urgent=True))
        self.classifier = classifier.start()
        self._bridge.start()
        self.running = True
        with self.hold_sync():
            self.start_button.value = True
            self.start_button.description, self.start_button.icon = "Stop", "stop"

    def stop(self) -> None:
        """Stop the classifier; the count stays on screen."""
        classifier, self.classifier = self.classifier, None
        if classifier is not None:
            classifier.stop()
            self._offset += classifier.count
        self._bridge.stop()
        self.running = False
        with self.hold_sync():
            self.count = self._offset  # hits of the last hops, applied after the final batch
            self._render_count()
            self.start_button.value = False
            self.start_button.description, self.start_button.icon = "Start counting", "play"

    def close(self) -> None:
        """Stop counting (classifier and bridge) and close the widget."""
        if getattr(self, "_bridge", None) is not None:  # absent when __init__ failed (__del__)
            self.stop()
        super().close()

    def reset(self) -> None:
        """Set the count to zero."""
        self._offset = 0
        if self.classifier is not None:
            self.classifier.reset()
        self.count = 0
        self._render_count()

    def flush(self) -> int:
        """Apply queued predictions now (the bridge does this every ~0.2 s)."""
        return self._bridge.flush()

    # -- internals ----------------------------------------------------------------------------
    def _on_toggle(self, change: dict[str, Any]) -> None:
        if change["new"] and not self.running:
            self.start()
        elif not change["new"] and self.running:
            self.stop()

    @traitlets.observe("threshold")
    def _on_threshold(self, change: dict[str, Any]) -> None:
        self._threshold_line.y = np.array([change["new"]] * 2)
        if self.classifier is not None:  # applies from the next hop; the count carries on
            self.classifier.threshold = float(change["new"])

    def _apply(self, events: list[Any]) -> None:
        for event in events:
            probs = getattr(event, "probs", None)
            if probs is not None:
                self._strip.append((float(event.t), float(probs.get(self.positive, 0.0))))
        if self.classifier is not None:
            self.count = self._offset + self.classifier.count
        if self._strip:
            t = np.array([p[0] for p in self._strip])
            p = np.array([p[1] for p in self._strip], dtype=np.float32)
            keep = t >= t[-1] - self.strip_s
            with self._prob.hold_sync():
                self._prob.x = (t[keep] - t[-1]).astype(np.float32)
                self._prob.y = p[keep]
        self._render_count()
        if self.classifier is not None:
            s = self.classifier.stats()
            self.stats_html.value = (
                f"<small>latency p50 {s.latency_ms_p50:.0f} ms · p95 {s.latency_ms_p95:.0f} ms"
                f" · {'keeps up' if s.keeps_up else '<b>falling behind</b>'}"
                f"{' · error: ' + esc(s.error) if s.error else ''}</small>"
            )

    def _render_count(self) -> None:
        self.count_html.value = (
            "<div style='font-size:48px;font-weight:bold;line-height:1.1'>"
            f"{self.count} <span style='font-size:20px;font-weight:normal'>"
            f"{esc(self.positive)}s</span></div>"
        )
