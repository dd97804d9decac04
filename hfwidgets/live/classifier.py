"""`LiveClassifier`: per-hop class probabilities and a debounced count on a live source.

It follows ``source.buffer`` by absolute sample index. Each time enough new samples have arrived
for one or more hops, it cuts the windows ending at those hops, classifies all of them in one
``predict_proba`` call (a backlog costs one batched call, not one call per hop), feeds the
positive-class probability to an `EventCounter`, and publishes frozen `Prediction` and
`Counted` events to callbacks. `LiveClassifier.step` does that once on the caller's thread
(tests, offline loops); `LiveClassifier.start` does it on a `hfwidgets._worker.Worker` thread
as samples arrive. Nothing here prints or touches widgets.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from types import TracebackType
from typing import Any

import numpy as np
from numpy.typing import NDArray

from hfwidgets._callbacks import CallbackList
from hfwidgets._worker import Worker
from hfwidgets.live.classifier_events import LiveStats, Prediction
from hfwidgets.live.counter import Counted, EventCounter
from hfwidgets.live.hop_grid import HopGrid
from hfwidgets.live.hop_tally import HopTally
from hfwidgets.live.hop_windows import cut_windows
from hfwidgets.live.model import LiveSource, Predictor, positive_index, resolve_window_s
from hfwidgets.live.operating_point import (
    OperatingPoint,
    counting_settings,
    operating_point_for,
)

__all__ = ["LiveClassifier"]

log = logging.getLogger(__name__)


class LiveClassifier:
    """Classify a live source every hop and count positive events.

    Parameters
    ----------
    source : Source
        Anything with ``rate_hz`` and a ``buffer`` (a `hfwidgets.sensors.RingBuffer`). The
        classifier only reads it; start and stop the source yourself.
    predictor : Predictor
        Has ``classes``, ``rate_hz`` and ``predict_proba(windows[B, n, 3]) -> [B, C]``, e.g.
        ``hfwidgets.training.predictor.load_predictor(project, run_id)``.
    hop_s : float
        Time between two classified windows (seconds).
    window_s : float, optional
        Window length; by default the one the run was trained on.
    threshold, min_gap_s : float, optional
        Passed to `EventCounter`: confidence that counts, and least time between counts.
    consecutive : int, optional
        Confident hops in a row needed to count (`EventCounter`).
    operating_point : OperatingPoint or mapping, optional
        Where ``threshold``, ``consecutive`` and ``min_gap_s`` come from when they are not
        given: by default the predictor's ``operating_point`` (what
        ``hfwidgets.training.predictor.load_predictor`` reads from the run's calibration, see
        `hfwidgets.live.calibration`), else 0.8, 1 hop and 1.0 s
        (`hfwidgets.live.operating_point.counting_settings`).
    positive : str
        Class whose events are counted.
    max_batch : int
        Most windows per ``predict_proba`` call when a backlog built up.

    Notes
    -----
    Latency runs from the arrival of a window's last sample to the moment its prediction is
    ready (`hfwidgets.live.hop_tally.HopTally`; `stats` says which clock, ``latency_clock``).

    The first window classified is the first one whose last sample arrives after the
    classifier was made (or, with `start`, after it started) and that has a full window of
    history behind it.

    Examples
    --------
    >>> with source, LiveClassifier(source, predictor) as live:  # doctest: +SKIP
    ...     live.on_event(lambda e: print("high-five", e.count))
    ...     time.sleep(30)

    Synchronously, as tests do:

    >>> live = LiveClassifier(source, predictor)                  # doctest: +SKIP
    >>> source.buffer.extend(t, xyz); predictions = live.step()   # doctest: +SKIP
    """

    def __init__(
        self,
        source: LiveSource,
        predictor: Predictor,
        *,
        hop_s: float = 0.2,
        window_s: float | None = None,
        threshold: float | None = None,
        min_gap_s: float | None = None,
        positive: str = "high-five",
        max_batch: int = 16,
        consecutive: int | None = None,
        operating_point: OperatingPoint | Mapping[str, Any] | None = None,
    ) -> None:
        if not hop_s > 0:
            raise ValueError(f"hop_s={hop_s!r} must be > 0 seconds, e.g. hop_s=0.2")
        if max_batch < 1:
            raise ValueError(f"max_batch={max_batch!r} must be >= 1")
        rate = float(source.rate_hz)
        if not rate > 0:
            raise ValueError(f"the source reports rate_hz={rate!r}; it must be > 0 Hz")
        self.source = source
        self.predictor = predictor
        self.hop_s = float(hop_s)
        self.window_s = resolve_window_s(predictor, window_s)
        self.positive = positive
        self.classes = tuple(predictor.classes)
        self._pos = positive_index(predictor, positive)
        self._grid = HopGrid(
            window_s=self.window_s,
            hop_s=self.hop_s,
            source_rate=rate,
            model_rate=float(predictor.rate_hz),
        )
        self.max_batch = int(max_batch)
        point = operating_point_for(predictor, operating_point)
        self.operating_point = point
        if point is not None and abs(point.hop_s - self.hop_s) > 1e-9 and consecutive is None:
            log.warning(
                "the operating point was calibrated at a %.3g s hop, this classifier hops every "
                "%.3g s: %d hops in a row last a different time; calibrate at this hop",
                point.hop_s,
                self.hop_s,
                point.consecutive,
            )
        self._counter = EventCounter(
            **counting_settings(
                point, threshold=threshold, min_gap_s=min_gap_s, consecutive=consecutive
            )
        )
        self._lock = threading.Lock()  # guards the counter (the worker and setters use it)
        self._tally = HopTally()
        self.error: BaseException | None = None
        self._on_prediction = CallbackList("prediction")
        self._on_event = CallbackList("event")
        self._step_lock = threading.Lock()  # step() and the worker never classify at once
        self._grid.restart(int(source.buffer.total))
        self._worker = Worker(self._run, name="hfw-live", join_timeout=5.0)

    # --- public API -------------------------------------------------------------------------

    @property
    def count(self) -> int:
        """Events counted since start or the last `reset`."""
        with self._lock:
            return self._counter.count

    @property
    def threshold(self) -> float:
        """Probability of the positive class that counts; settable while running."""
        return self._counter.threshold

    @threshold.setter
    def threshold(self, value: float) -> None:
        with self._lock:  # the worker reads it between hops
            self._counter.set_threshold(value)

    @property
    def consecutive(self) -> int:
        """Confident hops in a row needed to count."""
        return self._counter.consecutive

    @property
    def min_gap_s(self) -> float:
        """Least time between two counts (seconds of stream time)."""
        return self._counter.min_gap_s

    def apply_operating_point(self, point: OperatingPoint) -> None:
        """Count with ``point``'s threshold, hops in a row and gap from the next hop on.

        The count carries on (e.g. after calibrating while counting).
        """
        with self._lock:
            self._counter.set_threshold(point.threshold)
            self._counter.min_gap_s = float(point.min_gap_s)
            self._counter.consecutive = int(point.consecutive)
            self.operating_point = point

    @property
    def running(self) -> bool:
        """Whether the worker thread is alive."""
        return self._worker.alive

    @property
    def latencies(self) -> np.ndarray:
        """Latency of every hop so far, in milliseconds (a copy)."""
        return self._tally.latencies()

    def on_prediction(self, callback: Callable[[Prediction], Any], remove: bool = False) -> None:
        """Call ``callback(prediction)`` from the worker thread after every hop."""
        self._on_prediction.register(callback, remove=remove)

    def on_event(self, callback: Callable[[Counted], Any], remove: bool = False) -> None:
        """Call ``callback(counted)`` from the worker thread for every counted event."""
        self._on_event.register(callback, remove=remove)

    def reset(self) -> None:
        """Set the count back to zero (the stream and the latency record go on)."""
        with self._lock:
            self._counter.reset()

    def stats(self) -> LiveStats:
        """A frozen summary: hops, events, dropped hops, latency and inference percentiles."""
        return self._tally.stats(
            events=self.count,
            hop_s=self.hop_s,
            running=self.running,
            error=None if self.error is None else repr(self.error),
        )

    def start(self) -> LiveClassifier:
        """Start following the source from its newest sample on a worker thread; returns self."""
        if self.running:
            return self
        with self._step_lock:
            self._grid.restart(int(self.source.buffer.total))
        self.error = None
        self._worker.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Ask the worker to finish its current batch and wait up to ``timeout`` seconds."""
        self._worker.stop(timeout)

    def join(self, timeout: float | None = None) -> bool:
        """Wait up to ``timeout`` seconds for the worker to end (an error ends it); True if so."""
        return self._worker.join(timeout)

    def step(self) -> list[Prediction]:
        """Classify every hop whose samples have arrived, now, on the calling thread.

        What the worker does as samples arrive, for tests and loops without threads: the
        backlog is classified in batches of at most ``max_batch`` windows, callbacks fire on
        this thread, and the predictions are returned in order. An error of the predictor is
        kept in `error` (as the worker does) and raised.
        """
        made: list[Prediction] = []
        try:
            while self._step_batch(made) is not None:
                pass
        except Exception as exc:
            self.error = exc
            raise
        return made

    def __enter__(self) -> LiveClassifier:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # --- worker ---------------------------------------------------------------------------

    def _run(self, stop: threading.Event) -> None:
        try:
            while not stop.is_set():
                if self._step_batch(None) is None:
                    with self._step_lock:
                        delay = self._grid.poll_delay(int(self.source.buffer.total))
                    stop.wait(delay)
        except Exception as exc:  # the predictor or the source failed: keep it, end cleanly
            log.exception("live classifier stopped by an error")
            self.error = exc

    def _step_batch(self, made: list[Prediction] | None) -> int | None:
        """Classify the next batch of due hops; None when no hop is due yet.

        Returns how many hops the batch held (skipped ones included, see ``dropped_hops``).
        """
        buffer = self.source.buffer
        with self._step_lock:
            self._grid.follow(float(self.source.rate_hz))  # a board's header says its rate
            window_n = self._grid.geo.window_n
            ends = self._grid.take_due(int(buffer.total), most=self.max_batch)
            if not ends:
                return None
            seen_at = time.monotonic()
            first, t, xyz = buffer.since(ends[0] - window_n + 1)
            # Falling behind far enough for the buffer to overwrite: skip what is gone.
            usable = [e for e in ends if e - window_n + 1 >= first]
            self._tally.add_dropped(len(ends) - len(usable))
            if not usable:
                return len(ends)
            stamps = np.asarray(t, dtype=float)[np.asarray(usable) - first]
            predictions = self._classify(
                ends=usable,
                first=first,
                xyz=np.asarray(xyz, dtype=np.float32),
                stamps=stamps,
                arrivals=self._tally.arrivals(stamps, seen_at),
            )
        if made is not None:
            made.extend(predictions)
        return len(ends)

    def _classify(
        self,
        *,
        ends: list[int],
        first: int,
        xyz: NDArray[np.float32],
        stamps: NDArray[np.float64],
        arrivals: NDArray[np.float64],
    ) -> list[Prediction]:
        geo = self._grid.geo
        windows = cut_windows(xyz, first_index=first, ends=ends, window_n=geo.window_n)
        windows = geo.to_model(windows)
        began = time.monotonic()
        probs = np.asarray(self.predictor.predict_proba(windows), dtype=float)
        done = time.monotonic()
        if probs.shape != (len(ends), len(self.classes)):
            raise ValueError(
                f"predict_proba returned shape {probs.shape}, expected "
                f"{(len(ends), len(self.classes))} (windows x classes)"
            )
        made: list[Prediction] = []
        for row, index, t_end, arrived in zip(probs, ends, stamps, arrivals, strict=True):
            latency_ms = (done - float(arrived)) * 1000.0
            prediction = Prediction(
                t=float(t_end),
                probs=dict(zip(self.classes, (float(p) for p in row), strict=True)),
                latency_ms=latency_ms,
                index=int(index),
            )
            self._tally.add_hop(latency_ms)
            with self._lock:
                # Debounce on stream time (sample index / rate), not on arrival stamps: USB
                # bursts and faster-than-real-time replays must not change what counts.
                t_stream = self._grid.stream_time(index)
                counted = self._counter.update(t_stream, float(row[self._pos]))
            if counted is not None:
                counted = replace(counted, t=prediction.t, index=prediction.index)
            made.append(prediction)
            self._on_prediction.fire(prediction)
            if counted is not None:
                self._on_event.fire(counted)
        self._tally.add_inference((done - began) * 1000.0)
        return made
