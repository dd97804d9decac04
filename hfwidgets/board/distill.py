"""A board model distilled from a trained run, measured on the run's own split.

The run's network (:func:`hfwidgets.training.predictor.load_predictor`) is the teacher: its class
probabilities of the training windows are the student's targets. The student is the
:mod:`.forest` model on the :mod:`.features` of the raw window. Its accuracy is measured the way
the run's was: on the run's stored validation windows, or, for a cross-validated run
(``--folds K``), on the same K folds (the runner's :func:`~hfwidgets.training.split.grouped_kfold`
with the run's seed), one student per fold that never saw its test fold. A cross-validated
run's stored network trained on every window, so there the teacher has seen the test folds
(the student has not); the run's own figure comes from fold networks that are not stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from hfwidgets.board.features import POINTS_PER_AXIS, board_features
from hfwidgets.board.forest import QuantisedForest, fit_forest
from hfwidgets.errors import HfwError
from hfwidgets.resampling import resample_samples
from hfwidgets.store.run_metrics import RunMetrics
from hfwidgets.training.config import TrainConfig
from hfwidgets.training.data import project_windows
from hfwidgets.training.predictor import RunPredictor, latest_run_id, load_predictor
from hfwidgets.training.split import grouped_kfold

if TYPE_CHECKING:
    from hfwidgets.store import Project

__all__ = ["BoardModel", "Figure", "distil_run", "wilson_figure"]

#: Forest size: 20 trees of depth <= 6 keep the tables a few KB (measured in docs/board.md).
DEFAULT_TREES = 20
DEFAULT_DEPTH = 6


@dataclass(frozen=True)
class Figure:
    """An accuracy with its 95 % Wilson interval, and what it was measured on."""

    accuracy: float
    low: float
    high: float
    correct: int
    n: int
    on: str  # "val", "cross-validation" or "train"

    def to_dict(self) -> dict[str, Any]:
        return {
            "accuracy": self.accuracy,
            "interval": [self.low, self.high],
            "correct": self.correct,
            "n": self.n,
            "on": self.on,
        }


def wilson_figure(correct: int, n: int, *, on: str) -> Figure:
    """``correct / n`` with the 95 % Wilson score interval (scipy's ``binomtest``)."""
    from scipy.stats import binomtest

    if n <= 0:
        raise HfwError("no windows to measure the board model on; label some first")
    ci = binomtest(int(correct), int(n)).proportion_ci(confidence_level=0.95, method="wilson")
    return Figure(correct / n, float(ci.low), float(ci.high), int(correct), int(n), on)


@dataclass
class BoardModel:
    """The distilled board model with everything the firmware and the export report need."""

    forest: QuantisedForest
    classes: list[str]
    positive: str
    rate_hz: float
    n_samples: int  # window length on the board, at rate_hz
    hop: int  # samples between two predictions on the board
    threshold: float
    min_gap_s: float
    run_id: int
    board: Figure
    run: Figure
    points: int = POINTS_PER_AXIS
    consecutive: int = 1  # confident hops in a row before a count (the run's operating point)
    release: float | None = None  # a confident run ends below this (None: threshold - 0.2)

    @property
    def release_level(self) -> float:
        """Where a confident run ends, as hfwidgets.live.counter.EventCounter's default."""
        return max(self.threshold - 0.2, 0.0) if self.release is None else self.release

    def features(self, windows: Any) -> np.ndarray:
        """Board features of windows at :attr:`rate_hz` (any length: cut or padded)."""
        return board_features(windows, n=self.n_samples, points=self.points)

    def predict_proba(self, windows: Any) -> np.ndarray:
        """The int8 reference's class probabilities of windows at :attr:`rate_hz`."""
        return self.forest.predict_proba(self.features(windows))


def _teacher(predictor: RunPredictor, windows: list[np.ndarray]) -> np.ndarray:
    out = np.empty((len(windows), len(predictor.classes)), dtype=np.float64)
    by_length: dict[int, list[int]] = {}
    for i, w in enumerate(windows):
        by_length.setdefault(len(w), []).append(i)
    for members in by_length.values():
        out[members] = predictor.predict_proba(np.stack([windows[i] for i in members]))
    return out


def _run_figure(run_metrics: RunMetrics, ids: np.ndarray, on: str) -> Figure:
    pred, true = run_metrics.predictions, run_metrics.true_labels
    if not pred or not true:
        raise HfwError("the run stores no per-window predictions; retrain it with this version")
    keys = [int(i) for i in ids]
    missing = [k for k in keys if k not in pred]
    if missing:
        raise HfwError(
            f"the run did not predict windows {missing[:5]}: the project changed since it "
            "trained; train a new run"
        )
    return wilson_figure(sum(pred[k] == true[k] for k in keys), len(keys), on=on)


def distil_run(
    project: Project,
    run_id: int | None = None,
    *,
    trees: int = DEFAULT_TREES,
    max_depth: int = DEFAULT_DEPTH,
    positive: str | None = None,
    seed: int = 0,
) -> BoardModel:
    """Distil run ``run_id`` (default: the latest trained) of ``project`` into a board model.

    Raises
    ------
    HfwError
        No trained run, the project's classes changed since the run, or no windows.
    """
    if run_id is None:
        run_id = latest_run_id(project)
    predictor = load_predictor(project, run_id)
    record = project.runs.get(run_id)
    config = TrainConfig.from_dict(record.settings.get("config") or {})
    raw = project_windows(project)
    if raw.classes != predictor.classes:
        raise HfwError(
            f"run {run_id} knows classes {predictor.classes}, the project now {raw.classes}; "
            "train a new run"
        )
    rate = predictor.rate_hz
    windows = [
        resample_samples(np.asarray(w, np.float32), from_hz=r, to_hz=rate)
        for w, r in zip(raw.windows, raw.rates_hz, strict=True)
    ]
    window_s = predictor.window_s or float(np.median([len(w) for w in windows])) / rate
    n = max(round(window_s * rate), 1)
    features = board_features(windows, n=n)
    soft = _teacher(predictor, windows)
    labels, ids = raw.labels, raw.ids

    def fit(index: np.ndarray) -> QuantisedForest:
        return fit_forest(features[index], soft[index], trees=trees, max_depth=max_depth, seed=seed)

    if config.folds >= 2:
        groups = raw.groups if config.group_split else None
        folds, _ = grouped_kfold(
            labels, groups, folds=config.folds, seed=config.seed, class_names=raw.classes
        )
        pred = np.empty(len(labels), dtype=np.int64)
        for train, test in folds:
            pred[test] = fit(train).predict_proba(features[test]).argmax(1)
        on, evaluated = "cross-validation", np.arange(len(labels))
        final = fit(np.arange(len(labels)))
    else:
        split = project.splits.get(run_id)
        train = np.array([i for i, wid in enumerate(ids) if split.get(int(wid)) == "train"])
        val = np.array([i for i, wid in enumerate(ids) if split.get(int(wid)) == "val"])
        if len(train) == 0:  # the run trained on every window and stored no split
            train, val = np.arange(len(labels)), np.arange(0)
        final = fit(train)
        on, evaluated = ("val", val) if len(val) else ("train", train)
        pred = np.zeros(len(labels), dtype=np.int64)
        pred[evaluated] = final.predict_proba(features[evaluated]).argmax(1)
    correct = int((pred[evaluated] == labels[evaluated]).sum())
    point = predictor.operating_point
    positive = positive or ("high-five" if "high-five" in raw.classes else raw.classes[0])
    if positive not in raw.classes:
        raise HfwError(f"positive class {positive!r} is not one of {raw.classes}")
    return BoardModel(
        forest=final,
        classes=list(raw.classes),
        positive=positive,
        rate_hz=rate,
        n_samples=n,
        hop=max(round((point.hop_s if point else 0.2) * rate), 1),
        threshold=point.threshold if point else 0.8,
        min_gap_s=point.min_gap_s if point else max(window_s, 0.5),
        run_id=int(run_id),
        board=wilson_figure(correct, len(evaluated), on=on),
        run=_run_figure(record.metrics, ids[evaluated], on),
        consecutive=point.consecutive if point else 1,
    )
