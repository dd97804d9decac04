"""The data map: every stored window as a point in 2-D, coloured by label or by a run's verdict,
with an outlier score that finds the windows far from their class.

Pure logic (no widgets). The features are what the current backbone sees in each window
(:func:`hfwidgets.training.outputs.window_outputs`: a trained run's network when one is given,
else the pretrained backbone), reduced with scikit-learn: PCA for a few windows, PCA to 50
dimensions then t-SNE from :data:`TSNE_FROM` windows on (t-SNE keeps neighbourhoods, so classes
appear as clusters; on a handful of points it only scatters them). Both are seeded, so the same
project gives the same picture.

The outlier score of a labelled window is its distance to the centre of its class (the centre
of the other members, so a window never pulls its own centre towards itself) relative to the
distance to the nearest other class's centre, in feature space, not on the 2-D picture: above 1
the window is nearer another class than its own, which is what a mislabelled window looks like
(:func:`outlier_scores` says how this was chosen over the class's own spread).

``hfw map --project DIR [--run ID] --out map.png | --json`` draws or lists it from a script.
"""

from __future__ import annotations

import io
import math
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:
    from hfwidgets.store import Project
    from hfwidgets.training.outputs import WindowOutputs

__all__ = [
    "CLASS_COLOURS",
    "TSNE_FROM",
    "VERDICT_COLOURS",
    "DataMap",
    "MapPoint",
    "build_data_map",
    "data_map_from_outputs",
    "legend",
    "map_windows",
    "outlier_scores",
    "point_colours",
    "reduce_to_2d",
    "render_data_map_png",
]

Method = Literal["auto", "pca", "tsne"]
ColourBy = Literal["label", "verdict"]

# From this many windows the map uses t-SNE (below it PCA): t-SNE needs a perplexity well under
# the number of points, and a map of a couple of dozen windows reads fine as PCA.
TSNE_FROM = 30
# Colour-blind-safe categorical colours (Okabe-Ito), then more for many classes.
CLASS_COLOURS = (
    "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000",
    "#8c564b", "#7f7f7f", "#bcbd22", "#17becf",
)  # fmt: skip
UNLABELLED_COLOUR = "#b0b0b0"
VERDICT_COLOURS = {
    "correct": "#009E73",
    "wrong": "#D55E00",
    "unlabelled": UNLABELLED_COLOUR,
    "no run": "#0072B2",
}


@dataclass(frozen=True)
class MapPoint:
    """One window on the map.

    Attributes
    ----------
    window_id : int
    x, y : float
        Position on the map (arbitrary units: only distances between points mean anything).
    label : str or None
        The stored label (None: unlabelled).
    predicted : str or None
        The run's class (None without a run).
    confidence : float or None
        The run's probability of ``predicted``.
    verdict : str
        ``"correct"``, ``"wrong"``, ``"unlabelled"`` (the run predicted, nobody labelled), or
        ``"no run"``.
    outlier : float or None
        Distance to its class's centre over the distance to the nearest other class's centre
        (:func:`outlier_scores`; above 1: nearer another class). None: unlabelled, or a class
        of fewer than 3 windows.
    looks_like : str or None
        That nearer class, when the score is above 1.
    split : str or None
        ``"train"`` or ``"val"`` in the run (a verdict on a training window is optimistic);
        None: no run, or a window stored after it.
    """

    window_id: int
    x: float
    y: float
    label: str | None
    predicted: str | None = None
    confidence: float | None = None
    verdict: str = "no run"
    outlier: float | None = None
    looks_like: str | None = None
    split: str | None = None

    def describe(self) -> str:
        """One line for a tooltip or a list: id, label, verdict, outlier score."""
        parts = [f"window {self.window_id}", self.label or "unlabelled"]
        if self.predicted is not None:
            conf = f" {self.confidence:.0%}" if self.confidence is not None else ""
            parts.append(f"model says {self.predicted}{conf} ({self.verdict})")
        if self.split is not None:
            parts.append(f"{'training' if self.split == 'train' else 'validation'} window")
        if self.outlier is not None:
            near = f", looks like {self.looks_like}" if self.looks_like else ""
            parts.append(f"outlier score {self.outlier:.2f}{near}")
        return " · ".join(parts)


@dataclass(frozen=True)
class DataMap:
    """Every window of a project as a point (see :func:`build_data_map`)."""

    points: tuple[MapPoint, ...]
    classes: tuple[str, ...]
    method: str
    backbone: str
    run_id: int | None = None
    weights: str | None = None
    seconds: float = 0.0

    def __len__(self) -> int:
        return len(self.points)

    def point(self, window_id: int) -> MapPoint:
        """The point of ``window_id`` (``KeyError`` naming it when it is not on the map)."""
        for p in self.points:
            if p.window_id == window_id:
                return p
        raise KeyError(f"window {window_id} is not on this map")

    def outliers(self, n: int | None = None, *, min_score: float | None = None) -> list[MapPoint]:
        """Labelled points, most outlying first (window id breaks ties); the first ``n``."""
        scored = [p for p in self.points if p.outlier is not None]
        if min_score is not None:
            scored = [p for p in scored if p.outlier is not None and p.outlier >= min_score]
        scored.sort(key=lambda p: (-(p.outlier or 0.0), p.window_id))
        return scored if n is None else scored[:n]

    def describe(self) -> str:
        """What the map shows: windows, backbone or run, method."""
        source = (
            f"run {self.run_id} ({self.backbone})"
            if self.run_id is not None
            else (f"pretrained {self.backbone}")
        )
        return f"{len(self.points)} windows · features of {source} · {self.method}"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: the map's facts and every point (``hfw map --json``)."""
        return {
            "classes": list(self.classes),
            "method": self.method,
            "backbone": self.backbone,
            "run_id": self.run_id,
            "weights": self.weights,
            "seconds": round(self.seconds, 3),
            "points": [asdict(p) for p in self.points],
            "outliers": [p.window_id for p in self.outliers(10)],
        }


def reduce_to_2d(
    features: NDArray[Any], *, method: Method = "auto", seed: int = 0
) -> tuple[NDArray[np.float64], str]:
    """Positions ``[N, 2]`` of feature vectors ``[N, D]`` and the method used.

    ``"auto"`` is PCA below :data:`TSNE_FROM` points, else PCA to 50 dimensions then t-SNE.
    Deterministic for a given ``seed``. Fewer than three points are laid out without fitting.
    """
    x = np.asarray(features, dtype=np.float64)
    n = len(x)
    if method not in ("auto", "pca", "tsne"):
        raise ValueError(f"method must be 'auto', 'pca' or 'tsne', got {method!r}")
    if n == 0:
        return np.zeros((0, 2)), "none"
    if n < 3 or x.ndim != 2 or x.shape[1] == 0:
        return np.column_stack([np.arange(n, dtype=np.float64), np.zeros(n)]), "none"
    from sklearn.decomposition import PCA

    use_tsne = method == "tsne" or (method == "auto" and n >= TSNE_FROM)
    if not use_tsne:
        components = min(2, x.shape[1])
        xy = PCA(n_components=components, random_state=seed).fit_transform(x)
        if components == 1:
            xy = np.column_stack([xy[:, 0], np.zeros(n)])
        return np.asarray(xy, dtype=np.float64), "pca"
    from sklearn.manifold import TSNE

    reduced = PCA(n_components=min(50, n - 1, x.shape[1]), random_state=seed).fit_transform(x)
    perplexity = float(min(30.0, max(2.0, (n - 1) / 3)))
    xy = TSNE(
        n_components=2, perplexity=perplexity, init="pca", learning_rate="auto", random_state=seed
    ).fit_transform(reduced)
    return np.asarray(xy, dtype=np.float64), "pca+tsne"


def outlier_scores(
    features: NDArray[Any], labels: Sequence[str | None]
) -> tuple[NDArray[np.float64], list[str | None]]:
    """How far each labelled window sits from its class, and the class it sits nearer to.

    The score is the distance to the centre of the window's class (the mean of the *other*
    members, so a window never drags its own reference towards itself) divided by the distance
    to the nearest centre of another class. Below 1 a window is nearer its own class; above 1
    it looks more like another class (returned as the second list; None otherwise). With a
    single labelled class the divisor is the class's median distance instead.

    Measured on 15+15 simulated windows with one high-five stored as "other" (MobileNetV2
    features, 5 seeds at 64 and at 112 px): this ratio ranked that window first in 10 of 10;
    the distance over the class's own median spread ranked it 2nd to 7th, because "other" is
    several motions and its spread is wide.

    Returns
    -------
    scores : float array ``[N]``
        NaN for unlabelled windows and for classes of fewer than 3 windows.
    looks_like : list
        The other class whose centre is nearer than the window's own, else None.
    """
    x = np.asarray(features, dtype=np.float64)
    if len(x) != len(labels):
        raise ValueError(f"{len(x)} feature rows but {len(labels)} labels")
    scores = np.full(len(x), np.nan)
    looks_like: list[str | None] = [None] * len(x)
    names = sorted({label for label in labels if label is not None})
    members = {name: np.array([i for i, lab in enumerate(labels) if lab == name]) for name in names}
    centres = {name: x[idx].mean(axis=0) for name, idx in members.items()}
    for name, idx in members.items():
        n = len(idx)
        if n < 3:
            continue
        own_centre = (x[idx].sum(axis=0)[None, :] - x[idx]) / (n - 1)
        own = np.linalg.norm(x[idx] - own_centre, axis=1)
        others = [other for other in names if other != name]
        if not others:
            spread = float(np.median(own))
            scores[idx] = own / spread if spread > 0 else 0.0
            continue
        distance = np.stack([np.linalg.norm(x[idx] - centres[o], axis=1) for o in others])
        nearest = distance.argmin(axis=0)
        nearest_distance = distance.min(axis=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            scores[idx] = np.where(nearest_distance > 0, own / nearest_distance, np.inf)
        for k, i in enumerate(idx.tolist()):
            if scores[i] > 1.0:
                looks_like[i] = others[int(nearest[k])]
    return scores, looks_like


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
    predictor: Any | None = None,
    model: str = "mobilenet_v2",
    weights: str = "DEFAULT",
    method: Method = "auto",
    seed: int = 0,
) -> tuple[DataMap, WindowOutputs]:
    """:func:`build_data_map`, and the window outputs it was drawn from.

    With a run, the outputs hold every window's probabilities: what
    :func:`hfwidgets.suggestions.suggestions_from_outputs` turns into suggestions without a
    second pass through the network (the data map widget does both).
    """
    from hfwidgets.training.outputs import window_outputs

    started = time.perf_counter()
    if predictor is None and run_id is not None:
        from hfwidgets.training import load_predictor

        predictor = load_predictor(project, run_id)
    outputs = window_outputs(project, predictor=predictor, model=model, weights=weights)
    # Only a run of this project (given by id) has a split here: a teammate's run's ids
    # would name another run of this project.
    split: dict[int, str] = {}
    if run_id is not None:
        split = {int(k): str(v) for k, v in project.split(run_id).items()}
    data_map = data_map_from_outputs(
        outputs, method=method, seed=seed, split=split, seconds=time.perf_counter() - started
    )
    return data_map, outputs


def build_data_map(
    project: Project,
    *,
    run_id: int | None = None,
    predictor: Any | None = None,
    model: str = "mobilenet_v2",
    weights: str = "DEFAULT",
    method: Method = "auto",
    seed: int = 0,
) -> DataMap:
    """The data map of every stored window of ``project``.

    Parameters
    ----------
    run_id, predictor
        A trained run (its network gives the features, its verdicts the colours): by id in
        this project, or a loaded predictor. Neither: the pretrained ``model``.
    model, weights
        Backbone (any of :func:`hfwidgets.models.list_backbones`) and weights without a run.
    method, seed
        See :func:`reduce_to_2d`.
    """
    return map_windows(
        project,
        run_id=run_id,
        predictor=predictor,
        model=model,
        weights=weights,
        method=method,
        seed=seed,
    )[0]


def point_colours(data_map: DataMap, *, by: ColourBy = "label") -> list[str]:
    """A colour per point: its class (grey unlabelled) or its verdict."""
    if by == "verdict":
        return [VERDICT_COLOURS.get(p.verdict, UNLABELLED_COLOUR) for p in data_map.points]
    if by != "label":
        raise ValueError(f"colour by 'label' or 'verdict', got {by!r}")
    index = {name: i for i, name in enumerate(data_map.classes)}
    colours = []
    for p in data_map.points:
        if p.label is None:
            colours.append(UNLABELLED_COLOUR)
        else:
            k = index.setdefault(p.label, len(index))  # a label the run does not know
            colours.append(CLASS_COLOURS[k % len(CLASS_COLOURS)])
    return colours


def legend(data_map: DataMap, *, by: ColourBy = "label") -> list[tuple[str, str]]:
    """(name, colour) pairs of what the colours mean, in the order of :func:`point_colours`."""
    if by == "verdict":
        seen = {p.verdict for p in data_map.points}
        return [(name, colour) for name, colour in VERDICT_COLOURS.items() if name in seen]
    names = list(data_map.classes)
    names += sorted({p.label for p in data_map.points if p.label and p.label not in names})
    pairs = [(name, CLASS_COLOURS[i % len(CLASS_COLOURS)]) for i, name in enumerate(names)]
    if any(p.label is None for p in data_map.points):
        pairs.append(("unlabelled", UNLABELLED_COLOUR))
    return pairs


def render_data_map_png(
    data_map: DataMap, *, by: ColourBy = "label", size: tuple[int, int] = (720, 560)
) -> bytes:
    """The map as a PNG (Pillow only): points, a ring around the 5 strongest outliers, legend."""
    from PIL import Image, ImageDraw, ImageFont

    width, height = size
    image = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=13)
    draw.text((10, 8), f"Data map: {data_map.describe()}", fill="black", font=font)
    left, top, right, bottom = 30, 36, width - 170, height - 30
    draw.rectangle((left, top, right, bottom), outline="#cccccc")
    pts = data_map.points
    if pts:
        xs = np.array([p.x for p in pts])
        ys = np.array([p.y for p in pts])
        span_x = float(np.ptp(xs)) or 1.0
        span_y = float(np.ptp(ys)) or 1.0

        def place(p: MapPoint) -> tuple[float, float]:
            px = left + 10 + (p.x - xs.min()) / span_x * (right - left - 20)
            py = bottom - 10 - (p.y - ys.min()) / span_y * (bottom - top - 20)
            return px, py

        for p, colour in zip(pts, point_colours(data_map, by=by), strict=True):
            px, py = place(p)
            draw.ellipse((px - 4, py - 4, px + 4, py + 4), fill=colour)
        for p in data_map.outliers(5):
            px, py = place(p)
            draw.ellipse((px - 8, py - 8, px + 8, py + 8), outline="black", width=2)
            draw.text((px + 9, py - 7), str(p.window_id), fill="black", font=font)
    y = top
    for name, colour in legend(data_map, by=by):
        draw.rectangle((right + 14, y + 3, right + 24, y + 13), fill=colour)
        draw.text((right + 30, y), name[:18], fill="black", font=font)
        y += 18
    draw.ellipse((right + 13, y + 2, right + 25, y + 14), outline="black", width=2)
    draw.text((right + 30, y), "outlier", fill="black", font=font)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()
