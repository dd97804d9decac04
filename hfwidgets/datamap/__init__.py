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

from hfwidgets.datamap.building import (
    MapOptions,
    build_data_map,
    data_map_from_outputs,
    map_windows,
)
from hfwidgets.datamap.layout import TSNE_FROM, Method, reduce_to_2d
from hfwidgets.datamap.outliers import outlier_scores
from hfwidgets.datamap.points import DataMap, MapPoint
from hfwidgets.datamap.scatter import (
    CLASS_COLOURS,
    UNLABELLED_COLOUR,
    VERDICT_COLOURS,
    ColourBy,
    legend,
    point_colours,
    render_data_map_png,
)

__all__ = [
    "CLASS_COLOURS",
    "TSNE_FROM",
    "UNLABELLED_COLOUR",
    "VERDICT_COLOURS",
    "ColourBy",
    "DataMap",
    "MapOptions",
    "MapPoint",
    "Method",
    "build_data_map",
    "data_map_from_outputs",
    "legend",
    "map_windows",
    "outlier_scores",
    "point_colours",
    "reduce_to_2d",
    "render_data_map_png",
]
