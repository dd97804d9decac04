"""Building a data map: a project's window outputs (features, probabilities) as points."""

from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING, TypedDict, Unpack

import numpy as np

from hfwidgets.datamap.layout import Method, reduce_to_2d
from hfwidgets.datamap.outliers import outlier_scores
from hfwidgets.datamap.points import DataMap, MapPoint

if TYPE_CHECKING:
    from hfwidgets.store import Project
    from hfwidgets.training.outputs import WindowOutputs
    from hfwidgets.training.predictor import RunPredictor

__all__ = ["MapOptions", "build_data_map", "data_map_from_outputs", "map_windows"]


class MapOptions(TypedDict, total=False):
    """The options of :func:`map_windows`, which :func:`build_data_map` passes on."""

    run_id: int | None
    predictor: RunPredictor | None
    model: str
    weights: str
    method: Method
    seed: int


def _verdict(label: str | None, predicted: str | None) -> str:
    if predicted is None:
        return "no run"
    if label is None:
        return "unlabelled"
    return "correct" if label == predicted else "wrong"


def data_map_from_outputs(
    outputs: WindowOutputs,
    *,
    method: Method = "auto",
    seed: int = 0,
    split: dict[int, str] | None = None,
    seconds: float = 0.0,
) -> DataMap:
    """The map of windows whose features (and probabilities) are already computed."""
    xy, used = reduce_to_2d(outputs.features, method=method, seed=seed)
    scores, looks_like = outlier_scores(outputs.features, outputs.labels)
    points = []
    for i, wid in enumerate(outputs.ids.tolist()):
        predicted = confidence = None
        if outputs.probs is not None:
            k = int(np.argmax(outputs.probs[i]))
            predicted, confidence = outputs.classes[k], float(outputs.probs[i, k])
        label = outputs.labels[i]
        score = float(scores[i])
        points.append(
            MapPoint(
                window_id=int(wid),
                x=float(xy[i, 0]),
                y=float(xy[i, 1]),
                label=label,
                predicted=predicted,
                confidence=confidence,
                verdict=_verdict(label, predicted),
                outlier=None if math.isnan(score) else score,
                looks_like=looks_like[i],
                split=(split or {}).get(int(wid)),
            )
        )
    return DataMap(
        points=tuple(points),
        classes=tuple(outputs.classes),
        method=used,
        backbone=outputs.backbone,
        run_id=outputs.run_id,
        weights=outputs.weights,
        seconds=seconds,
    )


def map_windows(
    project: Project,
    *,
    run_id: int | None = None,
    predictor: RunPredictor | None = None,
    model: str = "mobilenet_v2",
    weights: str = "DEFAULT",
    method: Method = "auto",
    seed: int = 0,
) -> tuple[DataMap, WindowOutputs]:
    """The data map of every stored window of ``project``, and the window outputs it came from.

    With a run, the outputs hold every window's probabilities: what
    :func:`hfwidgets.suggestions.suggestions_from_outputs` turns into suggestions without a
    second pass through the network (the data map widget does both).

    Parameters
    ----------
    run_id, predictor
        A trained run (its network gives the features, its verdicts the colours): by id in
        this project, or a loaded predictor. Neither: the pretrained ``model``.
    model, weights
        Backbone (any of :func:`hfwidgets.models.list_backbones`) and weights without a run.
    method, seed
        See :func:`~hfwidgets.datamap.layout.reduce_to_2d`.
    """
    from hfwidgets.training.outputs import window_outputs

    started = time.perf_counter()
    if predictor is None and run_id is not None:
        from hfwidgets.training.predictor import load_predictor

        predictor = load_predictor(project, run_id)
    outputs = window_outputs(project, predictor=predictor, model=model, weights=weights)
    # Only a run of this project (given by id) has a split here: a teammate's run's ids
    # would name another run of this project.
    split: dict[int, str] = {}
    if run_id is not None:
        split = {int(k): str(v) for k, v in project.splits.get(run_id).items()}
    data_map = data_map_from_outputs(
        outputs, method=method, seed=seed, split=split, seconds=time.perf_counter() - started
    )
    return data_map, outputs


def build_data_map(project: Project, **options: Unpack[MapOptions]) -> DataMap:
    """The data map of every stored window of ``project`` (options: :func:`map_windows`)."""
    return map_windows(project, **options)[0]
