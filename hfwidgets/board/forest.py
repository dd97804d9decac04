"""The board model itself: a random forest on int8 features, converted and quantised by emlearn.

emlearn (PyPI) converts the scikit-learn forest to C for its ``eml_trees.h`` runtime, which
ships in the same package: emlearn's :class:`~emlearn.preprocessing.Quantizer` turns the
features to int8 (stored in the runtime's int16 inputs) and the converter stores each leaf's
class proportions in 8 bits. :func:`reference_proba` is the int8 reference: the converted
forest evaluated in numpy exactly as ``eml_trees_predict_proba`` evaluates it in C (thresholds
as the converter writes them, float32 sums in the same order), so the C compiled for any host
must give the same bits.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from hfwidgets.errors import HfwError

__all__ = ["QuantisedForest", "fit_forest", "mean_visits", "reference_proba"]


def _emlearn() -> Any:
    # emlearn.bayes calls numpy.seterr(all="raise") when the package is imported, which would
    # turn every later underflow in the kernel (a scalogram's float cast) into an exception;
    # errstate puts numpy's error handling back as it was.
    try:
        with np.errstate():
            import emlearn
            from emlearn.preprocessing import Quantizer
    except ImportError as exc:  # pragma: no cover - emlearn is a dependency
        raise HfwError(f"the board model needs emlearn (pip install emlearn): {exc}") from exc
    return emlearn, Quantizer


@dataclass
class QuantisedForest:
    """A forest converted by emlearn, with the int8 feature scale in front of it.

    Attributes
    ----------
    scale : float
        Features are ``clip(x * scale, -127, 127)`` truncated to int8 (emlearn's Quantizer).
    nodes : ndarray
        ``[nodes, 4]`` int64: feature, threshold (as written to C), left, right (emlearn's
        encoding: >= 0 a node index, < 0 the leaf ``-child - 1``).
    roots : ndarray
        Root node of each tree.
    leaves : ndarray
        ``[leaves, classes]`` uint8 class proportions (255 = 1).
    wrapper : object
        The emlearn converter's model; ``wrapper.save(name=..., inference=["loadable"])``
        writes the C.
    """

    scale: float
    nodes: np.ndarray
    roots: np.ndarray
    leaves: np.ndarray
    n_classes: int
    n_features: int
    wrapper: Any

    def quantise(self, features: np.ndarray) -> np.ndarray:
        """int8 features (as int16, the runtime's input type) of float features."""
        _, quantizer_cls = _emlearn()
        quantizer = quantizer_cls(dtype="int8", max_value=127.0 / self.scale)
        quantizer.scale_ = self.scale
        return np.asarray(quantizer.transform(np.asarray(features, dtype=np.float64)), np.int16)

    def predict_proba(self, features: np.ndarray) -> np.ndarray:
        """Class probabilities ``[B, C]`` (float32) of float features: the int8 reference."""
        return reference_proba(self, self.quantise(features))

    @property
    def n_trees(self) -> int:
        return len(self.roots)


def fit_forest(
    features: np.ndarray,
    soft_targets: np.ndarray,
    *,
    trees: int = 20,
    max_depth: int = 6,
    seed: int = 0,
) -> QuantisedForest:
    """Fit the forest to the teacher's probabilities and convert it with emlearn.

    Soft targets are taught as weighted examples: every window appears once per class,
    weighted by the teacher's probability of that class, so each leaf's class proportions are
    the teacher's average belief there (distillation for trees).
    """
    from sklearn.ensemble import RandomForestClassifier

    emlearn, quantizer_cls = _emlearn()
    x = np.asarray(features, dtype=np.float64)
    soft = np.asarray(soft_targets, dtype=np.float64)
    n, n_classes = soft.shape
    quantizer = quantizer_cls(dtype="int8", max_quantile=0.0).fit(x)
    q = np.asarray(quantizer.transform(x), dtype=np.int16)
    xs = np.concatenate([q] * n_classes)
    ys = np.repeat(np.arange(n_classes), n)
    weights = soft.T.reshape(-1)
    keep = weights > 0
    forest = RandomForestClassifier(
        n_estimators=trees, max_depth=max_depth, random_state=seed, n_jobs=1
    )
    forest.fit(xs[keep], ys[keep], sample_weight=weights[keep])
    if len(forest.classes_) != n_classes:
        raise HfwError(
            f"the teacher gives {n_classes} classes but only {len(forest.classes_)} have any "
            "weight in the training windows; label windows of every class"
        )
    wrapper = emlearn.convert(forest, method="loadable", dtype="int16_t", leaf_bits=8)
    flat_nodes, roots, leaves = wrapper.forest_
    nodes = np.array(
        [[int(f), int(th), int(left), int(right)] for f, th, left, right in flat_nodes],
        dtype=np.int64,
    )  # int(th): the threshold exactly as emlearn's C generator writes it
    return QuantisedForest(
        scale=float(quantizer.scale_),
        nodes=nodes,
        roots=np.asarray(roots, dtype=np.int64),
        leaves=np.asarray(leaves, dtype=np.uint8).reshape(-1, n_classes),
        n_classes=n_classes,
        n_features=x.shape[1],
        wrapper=wrapper,
    )


def _walk(model: QuantisedForest, root: int, q: np.ndarray) -> tuple[int, int]:
    """The leaf tree ``root`` reaches for features ``q`` (as ``eml_trees_predict_tree``), visits."""
    node, visits = int(root), 0
    while node >= 0:
        visits += 1
        feature, threshold, left, right = model.nodes[node]
        node = int(left) if q[feature] < threshold else int(right)
    return -node - 1, visits


def reference_proba(model: QuantisedForest, quantised: np.ndarray) -> np.ndarray:
    """``eml_trees_predict_proba`` in numpy float32: per tree ``leaf / 255.0f`` summed, / trees."""
    q = np.asarray(quantised)
    out = np.zeros((len(q), model.n_classes), dtype=np.float32)
    n_trees = np.float32(model.n_trees)
    for b in range(len(q)):
        acc = np.zeros(model.n_classes, dtype=np.float32)
        for root in model.roots:
            acc = acc + model.leaves[_walk(model, int(root), q[b])[0]].astype(
                np.float32
            ) / np.float32(255.0)
        out[b] = acc / n_trees
    return out


def mean_visits(model: QuantisedForest, quantised: np.ndarray) -> float:
    """Mean tree nodes visited per prediction of ``quantised`` features (for latency estimates)."""
    q = np.asarray(quantised)
    total = sum(_walk(model, int(root), row)[1] for row in q for root in model.roots)
    return total / max(len(q), 1)
