"""The 2-D layout of feature vectors: PCA for a few windows, PCA then t-SNE for more.

t-SNE keeps neighbourhoods, so classes appear as clusters; on a handful of points it only
scatters them. Both are seeded, so the same project gives the same picture.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

__all__ = ["TSNE_FROM", "Method", "reduce_to_2d"]

Method = Literal["auto", "pca", "tsne"]

# From this many windows the map uses t-SNE (below it PCA): t-SNE needs a perplexity well under
# the number of points, and a map of a couple of dozen windows reads fine as PCA.
TSNE_FROM = 30


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
