"""LiveCounter: the high-five count, a probability strip, the threshold and reset, calibration.

The Calibrate section chooses the run's counting settings on sessions with known events
(`hfwidgets.live.calibration`): the project's recorded sessions with labelled windows, else
simulated ones. It shows the trade-off (recall against false counts per hour, drawn by
`CalibrationView`), stores the chosen operating point with the run and counts with it from
then on. The probability history is a `ProbabilityStrip`.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import ipywidgets as w
import traitlets

from hfwidgets._worker import Worker
from hfwidgets.sensors.base import Source
from hfwidgets.store.project import Project
from hfwidgets.widgets._html import esc, esc_join
from hfwidgets.widgets._throttle import EventBridge
from hfwidgets.widgets.board_count import BoardCountView
from hfwidgets.widgets.calibration_view import CalibrationView
from hfwidgets.widgets.live_plot import _ensure_started
from hfwidgets.widgets.probability_strip import ProbabilityStrip

if TYPE_CHECKING:
    from hfwidgets.live.model import Predictor

__all__ = ["LiveCounter"]

log = logging.getLogger(__name__)


class LiveCounter(w.VBox):
    """Count a motion live with a trained predictor on a live source.

    Parameters
    ----------
    source
        A live :class:`hfwidgets.sensors.Source`.
    predictor
        From :func:`hfwidgets.training.predictor.load_predictor`; may be given later with
        :meth:`set_predictor` (the Workbench does so after training).
    threshold, hop_s, min_gap_s, positive
        Passed to :class:`hfwidgets.live.LiveClassifier`. Moving the threshold slider while
        counting changes it from the next hop on; the count carries on. A predictor whose run
        was calibrated brings its operating point: the slider moves to its threshold, and its
        hops in a row and gap are used unless ``min_gap_s`` is given.
    strip_s
        Seconds of probability history drawn.
    project
        The project whose runs the predictors come from: needed to calibrate (the point is
        stored with the run) and to use its recorded sessions.
    calibrate_seconds
        Length of each simulated session when the project has no labelled recorded session.
    backend
        Inference path while counting (`hfwidgets.live.runtime.live_predictor`): ``"auto"``
        runs a trained run's network in ONNX Runtime on one thread when it is installed
        (lower latency inside a busy kernel, see ``bench/live_latency.py``), else in torch.
    """

    count = traitlets.Int(0, help="Events counted since the last reset.")
    threshold = traitlets.Float(0.8, help="Probability of the positive class that counts.")
    running = traitlets.Bool(False, help="Whether the classifier is running.")

    def __init__(
        self,
        source: Source,
        predictor: Predictor | None = None,
        *,
        threshold: float = 0.8,
        hop_s: float = 0.2,
        min_gap_s: float | None = None,
        positive: str = "high-five",
        strip_s: float = 10.0,
        project: Project | None = None,
        calibrate_seconds: float = 150.0,
        backend: str = "auto",
    ) -> None:
        self.source = source
        self.predictor = predictor
        self.project = project
        self.run_id: int | None = None
        self.calibrate_seconds = float(calibrate_seconds)
        self.backend = backend
        self._fast: tuple[Any, str, Any] | None = None  # (predictor, backend, its live form)
        self.calibration: Any | None = None  # the last hfwidgets.live.calibration.Calibration
        self.hop_s, self.positive = float(hop_s), positive
        self.min_gap_s = None if min_gap_s is None else float(min_gap_s)
        self.classifier: Any | None = None
        self._offset = 0  # counts of classifiers stopped before (Start/Stop keeps the count)
        self.strip_s = float(strip_s)

        self.count_html = w.HTML()
        #: the board's own count (a board-model sketch's '# count' lines) beside this one
        self.board_view = BoardCountView(self)
        self.probabilities = ProbabilityStrip(
            positive=positive, strip_s=strip_s, hop_s=hop_s, threshold=threshold
        )
        self.strip = self.probabilities.figure
        self.threshold_slider = w.FloatSlider(
            value=threshold, min=0.5, max=0.995, step=0.005, description="Threshold",
            continuous_update=False, readout_format=".3f",
        )  # fmt: skip
        self.start_button = w.ToggleButton(description="Start counting", icon="play")
        self.reset_button = w.Button(description="Reset", icon="refresh")
        self.stats_html = w.HTML()
        w.link((self.threshold_slider, "value"), (self, "threshold"))
        self.start_button.observe(self._on_toggle, "value")
        self.reset_button.on_click(lambda _b: self.reset())
        self._bridge = EventBridge(self._apply, widgets=[self], name="hfw-live-counter")
        self.operating_html = w.HTML()
        self.calibration_view = view = CalibrationView()
        # The section's parts under the names the LiveCounter has always had.
        self.calibrate_box, self.calibrate_button = view, view.button
        self.target_recall, self.calibrate_html = view.target_recall, view.html
        self.calibrate_plot, self.calibrate_table = view.plot, view.table
        view.button.on_click(lambda _b: self.calibrate(wait=False))
        self._cal_bridge = EventBridge(
            self._apply_calibration, widgets=[self], name="hfw-live-calibrate"
        )
        self._cal_worker: Worker | None = None
        super().__init__(
            [
                self.count_html,
                self.board_view,
                self.operating_html,
                self.strip,
                w.HBox([self.start_button, self.reset_button, self.threshold_slider]),
                self.stats_html,
                self.calibrate_box,
            ]
        )
        self.add_class("hfw-live-counter")
        self.threshold = float(threshold)
        self.set_predictor(predictor)

    # -- public API ---------------------------------------------------------------------------
    def set_predictor(self, predictor: Predictor | None, *, run_id: int | None = None) -> None:
        """Use ``predictor`` from now on (stops counting with the previous one).

        ``run_id`` defaults to the predictor's ``run_id``; a run's calibrated operating point
        (``predictor.operating_point``) sets the threshold slider.
        """
        self.stop()
        self.predictor = predictor
        self.run_id = run_id if run_id is not None else getattr(predictor, "run_id", None)
        self.calibration = None
        self.start_button.disabled = predictor is None
        self._render_count()
        if predictor is None:
            self.stats_html.value = "<small>Train a model first (Train tab).</small>"
        else:
            self.stats_html.value = f"<small>classes: {esc_join(predictor.classes)}</small>"
        point = self.operating_point
        if point is not None:
            self.threshold = float(point.threshold)
        self._render_calibration()
        self._render_operating()

    @property
    def operating_point(self) -> Any | None:
        """The run's calibrated operating point, or None (never calibrated, no predictor)."""
        from hfwidgets.live.operating_point import operating_point_for

        if self.predictor is None:
            return None
        try:
            return operating_point_for(self.predictor)
        except (TypeError, ValueError) as exc:  # a damaged stored point: count without it
            log.warning("ignoring the run's operating point: %s", exc)
            return None

    def start(self) -> None:
        """Start the source (if needed) and the classifier."""
        if self.predictor is None:
            raise ValueError("LiveCounter has no predictor: train a run, then set_predictor()")
        from hfwidgets.live import LiveClassifier

        _ensure_started(self.source)
        classifier = LiveClassifier(
            self.source,
            self._live_predictor(),
            threshold=self.threshold,
            hop_s=self.hop_s,
            min_gap_s=self.min_gap_s,  # None: the run's operating point, else 1 s
            positive=self.positive,
            operating_point=self.operating_point,
        )
        classifier.on_prediction(self._bridge.post)
        classifier.on_event(lambda e: self._bridge.post(e, urgent=True))
        self.classifier = classifier.start()
        self.board_view.mark_start()
        self._bridge.start()
        self.running = True
        with self.hold_sync():
            self.start_button.value = True
            self.start_button.description, self.start_button.icon = "Stop", "stop"

    def _live_predictor(self) -> Any:
        """The predictor on the inference path of `backend` (made once per predictor)."""
        from hfwidgets.live.runtime import live_predictor

        predictor: Any = self.predictor
        cached = self._fast
        if cached is None or cached[0] is not predictor or cached[1] != self.backend:
            fast = live_predictor(predictor, backend=self.backend)
            self._fast = cached = (predictor, self.backend, fast)
        return cached[2]

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
            self.board_view.refresh()
            self.start_button.value = False
            self.start_button.description, self.start_button.icon = "Start counting", "play"

    def close(self) -> None:
        """Stop counting (classifier and bridge) and close the widget."""
        if getattr(self, "_bridge", None) is not None:  # absent when __init__ failed (__del__)
            self.stop()
        if getattr(self, "_cal_bridge", None) is not None:
            self._cal_bridge.stop()
        super().close()

    def reset(self) -> None:
        """Set the count to zero."""
        self._offset = 0
        if self.classifier is not None:
            self.classifier.reset()
        self.count = 0
        self.board_view.mark_start()
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
        self.probabilities.set_threshold(change["new"])
        if self.classifier is not None:  # applies from the next hop; the count carries on
            self.classifier.threshold = float(change["new"])
        if hasattr(self, "operating_html"):
            self._render_operating()

    def _apply(self, events: list[Any]) -> None:
        for event in events:
            probs = getattr(event, "probs", None)
            if probs is not None:
                self.probabilities.add(event.t, probs.get(self.positive, 0.0))
        if self.classifier is not None:
            self.count = self._offset + self.classifier.count
        self.probabilities.redraw()
        self._render_count()
        self.board_view.refresh()
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

    # -- calibration --------------------------------------------------------------------------
    def calibrate(self, *, wait: bool = True) -> Any | None:
        """Calibrate the current run, store its operating point and count with it.

        The project's recorded sessions with labelled windows are used when there are some,
        else simulated sessions of ``calibrate_seconds``. With ``wait`` (tests, scripts) it
        runs here and returns the `Calibration`; otherwise on a thread (the button), and the
        result appears when done.
        """
        if self.predictor is None or self.project is None or self.run_id is None:
            self.calibration_view.say(
                "Calibration needs a trained run of this project: train one (Train tab) or "
                "pick one in the Train tab's run list."
            )
            return None
        if self._cal_worker is not None and self._cal_worker.alive:
            return None
        predictor, project, run_id, target = (
            self.predictor,
            self.project,
            int(self.run_id),
            float(self.target_recall.value),
        )
        fast = self._live_predictor()  # the same probabilities, faster (live.runtime)
        self.calibrate_button.disabled = True
        self.calibration_view.say(
            f"Calibrating run {run_id}: classifying the sessions once, then trying every setting …"
        )
        if wait:
            outcome = self._calibrate(predictor, project, fast, run_id, target)
            self._apply_calibration([outcome])
            return outcome[1]
        self._cal_bridge.start()
        self._cal_worker = Worker(
            lambda _stop: self._cal_bridge.post(
                self._calibrate(predictor, project, fast, run_id, target), urgent=True
            ),
            name="hfw-calibrate",
        ).start()
        return None

    def _calibrate(
        self, predictor: Any, project: Project, fast: Any, run_id: int, target: float
    ) -> tuple[Any, Any, str]:
        """Run the calibration (any thread): ``(predictor, Calibration or None, error)``.

        ``fast`` classifies; the point is stored with the run and set on ``predictor``.
        """
        from hfwidgets.live.calibration import calibrate_on_sessions

        try:
            result = calibrate_on_sessions(
                project,
                run_id,
                predictor,
                classify_with=fast,
                seconds=self.calibrate_seconds,
                hop_s=self.hop_s,
                positive=self.positive,
                target_recall=target,
            )
        except Exception as exc:  # shown in the section; the counter keeps its settings
            log.exception("calibration of run %s failed", run_id)
            return predictor, None, f"{type(exc).__name__}: {exc}"
        return predictor, result, ""

    def _apply_calibration(self, outcomes: list[Any]) -> None:
        for predictor, result, error in outcomes:
            self.calibrate_button.disabled = self.predictor is None
            if result is None:
                self.calibration_view.say(f"Calibration failed: {error}", error=True)
                continue
            if predictor is not self.predictor:  # another run was picked meanwhile
                continue
            self.calibration = result
            self.threshold = float(result.chosen.threshold)
            if self.classifier is not None:  # from the next hop; the count carries on
                self.classifier.apply_operating_point(result.chosen)
            self._render_calibration()
            self._render_operating()

    def _render_calibration(self) -> None:
        if self.calibration is None:
            self.calibration_view.show_stored(self.operating_point)
        else:
            self.calibration_view.show(self.calibration, run_id=self.run_id)

    def _render_operating(self) -> None:
        """Say which run counts and with which settings (the Live tab shows this line)."""
        if self.predictor is None:
            self.operating_html.value = ""
            return
        run = "This model" if self.run_id is None else f"Run {self.run_id}"
        point = self.operating_point
        if point is None:
            gap = 1.0 if self.min_gap_s is None else self.min_gap_s
            how = (
                f"threshold {self.threshold:.3g} (slider), 1 hop, gap {gap:g} s; not calibrated "
                "yet: Calibrate below chooses the settings"
            )
        else:
            how = f"its operating point: {point.describe()}"
            if abs(self.threshold - point.threshold) > 1e-9:
                how += f"; the slider overrides the threshold with {self.threshold:.3g}"
            if self.min_gap_s is not None and self.min_gap_s != point.min_gap_s:
                how += f"; gap {self.min_gap_s:g} s as given"
        self.operating_html.value = f"<small><b>{esc(run)}</b> counts with {esc(how)}</small>"
