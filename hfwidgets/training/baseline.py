"""A 1-D baseline beside every run: MiniRocket (aeon) on the raw windows, on the same split.

A user fine-tuning a CNN on scalograms wants to know whether transfer learning helps on their
data at all. MiniRocket (Dempster, Schmidt and Webb, 2021) is a strong, fast classifier of raw
time series with no settings to tune; trained on the same training windows and measured on the
same validation windows, its accuracy is the figure the CNN has to beat.

aeon compiles MiniRocket's kernels with numba the first time it runs on a machine (about 25 s on
two cores, cached afterwards); a fit on a few hundred windows then takes about a second.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "BASELINE_NAME",
    "BASELINE_VERSION",
    "BaselineOutputs",
    "MiniRocketModel",
    "as_series",
    "baseline_metrics",
    "baseline_outputs",
    "fit_minirocket",
    "load_baseline",
    "minirocket_predict",
    "save_baseline",
]

#: Version of the arrays file :func:`save_baseline` writes.
BASELINE_VERSION = 1
# MiniRocket's fitted state (aeon's ``MiniRocket.parameters``), then the classifier's arrays.
_PARAMETERS = (
    "n_channels_per_combination",
    "channel_indices",
    "dilations",
    "n_features_per_dilation",
    "biases",
)
_ARRAYS = (*_PARAMETERS, "scale", "coef", "intercept", "length", "version")

BASELINE_NAME = "MiniRocket (aeon)"

# MiniRocket's kernels span 9 samples: shorter windows are padded with their last sample.
_MIN_LENGTH = 9


def as_series(windows: Sequence[NDArray[Any]], *, length: int | None = None) -> NDArray[np.float32]:
    """Windows ``(n, 3)`` as aeon's ``[N, 3, length]`` (resampled to one length, the median).

    Windows of a project nearly always share one length; the odd one out is linearly resampled
    so that the whole set fits one array.
    """
    if not len(windows):
        raise ValueError("no windows given")
    lengths = [len(w) for w in windows]
    target = max(_MIN_LENGTH, int(length or np.median(lengths)))
    out = np.empty((len(windows), 3, target), dtype=np.float32)
    for i, window in enumerate(windows):
        xyz = np.asarray(window, dtype=np.float64)[:, :3]
        if xyz.ndim != 2 or xyz.shape[1] != 3 or len(xyz) < 2:
            raise ValueError(f"window {i} must have shape (n >= 2, 3), got {xyz.shape}")
        if len(xyz) == target:
            out[i] = xyz.T
            continue
        where = np.linspace(0.0, len(xyz) - 1.0, target)
        for axis in range(3):
            out[i, axis] = np.interp(where, np.arange(len(xyz)), xyz[:, axis])
    return out


@dataclass(frozen=True, eq=False)
class MiniRocketModel:
    """A fitted MiniRocket baseline as plain arrays: stored and rebuilt without pickle.

    ``parameters`` is aeon's ``MiniRocket.parameters`` (channels per combination, channel
    indices, dilations, features per dilation, biases); ``scale`` the feature scaling
    (``StandardScaler(with_mean=False)``), ``coef``/``intercept`` the ridge classifier
    (``[K, F]``, ``[K]``; one row for two classes), ``length`` the series length it reads.
    """

    parameters: tuple[NDArray[Any], ...]
    scale: NDArray[np.float64]
    coef: NDArray[np.float64]
    intercept: NDArray[np.float64]
    length: int

    def scores(self, windows: Sequence[NDArray[Any]]) -> NDArray[np.float64]:
        """Ridge scores ``[N, K]`` of windows ``(n, 3)`` (two classes: ``[-s, s]``)."""
        from aeon.transformations.collection.convolution_based._minirocket import (
            MiniRocket,
            _static_transform_multi,
        )

        series = as_series(windows, length=self.length)
        features = _static_transform_multi(series, self.parameters, MiniRocket._indices)
        raw = (np.asarray(features, dtype=np.float64) / self.scale) @ self.coef.T + self.intercept
        return np.concatenate([-raw, raw], axis=1) if raw.shape[1] == 1 else raw

    def predict_proba(self, windows: Sequence[NDArray[Any]]) -> NDArray[np.float64]:
        """Class probabilities ``[N, K]``: the softmax of :meth:`scores`."""
        scores = self.scores(windows)
        scores = np.exp(scores - scores.max(axis=1, keepdims=True))
        return np.asarray(scores / scores.sum(axis=1, keepdims=True), dtype=np.float64)

    def predict(self, windows: Sequence[NDArray[Any]]) -> NDArray[np.int64]:
        """The class index of each window."""
        return np.asarray(self.scores(windows).argmax(axis=1), dtype=np.int64)


def fit_minirocket(
    windows: Sequence[NDArray[Any]],
    labels: Sequence[int] | NDArray[Any],
    *,
    n_classes: int,
    seed: int = 0,
    num_kernels: int = 10_000,
) -> MiniRocketModel:
    """Fit MiniRocket and a ridge classifier (as aeon's ``MiniRocketClassifier`` does)."""
    from aeon.transformations.collection.convolution_based import MiniRocket
    from sklearn.linear_model import RidgeClassifierCV

    y = np.asarray(labels, dtype=np.int64)
    length = int(np.median([len(w) for w in windows]))
    series = as_series(windows, length=length)
    transform = MiniRocket(n_kernels=num_kernels, random_state=seed, n_jobs=1).fit(series)
    features = np.asarray(transform.transform(series), dtype=np.float64)
    scale = features.std(axis=0)
    scale[scale == 0] = 1.0  # as StandardScaler: a constant feature is left unscaled
    ridge = RidgeClassifierCV(alphas=np.logspace(-3, 3, 10)).fit(features / scale, y)
    coef = np.zeros((1 if n_classes == 2 else n_classes, features.shape[1]))
    intercept = np.zeros(len(coef))
    seen = [int(c) for c in ridge.classes_]
    # Two classes: one row of coefficients (RidgeClassifierCV may give it as a vector).
    fitted = np.atleast_2d(ridge.coef_)
    fitted_intercept = np.atleast_1d(ridge.intercept_)
    if n_classes == 2 and len(seen) == 2:
        coef[0], intercept[0] = fitted[0], fitted_intercept[0]
    elif len(seen) == 2:  # two of several classes: the others can never win
        intercept -= 1e6
        coef[seen[1]], coef[seen[0]] = fitted[0], -fitted[0]
        intercept[seen[1]], intercept[seen[0]] = fitted_intercept[0], -fitted_intercept[0]
    else:
        intercept -= 1e6  # a class absent from training is never predicted
        coef[seen], intercept[seen] = fitted, fitted_intercept
    parameters = tuple(np.asarray(a) for a in transform.parameters)
    return MiniRocketModel(parameters, scale, coef, intercept, length)


def save_baseline(path: str | Path, model: MiniRocketModel) -> Path:
    """Write ``model``'s arrays to ``path`` (``.npz``, no pickled objects); return the path."""
    path = Path(path)
    arrays: dict[str, Any] = dict(zip(_PARAMETERS, model.parameters, strict=True))
    arrays.update(scale=model.scale, coef=model.coef, intercept=model.intercept,
                  length=np.int64(model.length), version=np.int64(BASELINE_VERSION))  # fmt: skip
    tmp = path.with_name(path.name + ".tmp.npz")
    np.savez(tmp, **arrays)
    tmp.replace(path)
    return path


def load_baseline(path: str | Path) -> MiniRocketModel:
    """Rebuild a :class:`MiniRocketModel` from :func:`save_baseline`'s file, checked first.

    Raises
    ------
    ValueError
        If the file is not such a file, is of another version, or its arrays do not fit
        together (a damaged or tampered file): nothing in it is executed or unpickled.
    """
    path = Path(path)

    def bad(why: str) -> ValueError:
        return ValueError(f"{path} is not a usable MiniRocket baseline ({why}); train the run "
                          "again to write a new one")  # fmt: skip

    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {key: np.asarray(data[key]) for key in data.files}
    except (OSError, ValueError, EOFError) as exc:
        raise bad(f"{type(exc).__name__}: {exc}") from None
    missing = [key for key in _ARRAYS if key not in arrays]
    if missing:
        raise bad(f"missing arrays {missing}")
    if int(arrays["version"]) != BASELINE_VERSION:
        raise bad(f"version {int(arrays['version'])}, this hfwidgets reads {BASELINE_VERSION}")
    combos, channels, dilations, per_dilation, biases = (arrays[k] for k in _PARAMETERS)
    coef, scale, intercept = arrays["coef"], arrays["scale"], arrays["intercept"]
    checks = {
        "integer kernel parameters": all(
            a.dtype == np.int32 and a.ndim == 1 for a in (combos, channels, dilations, per_dilation)
        ),
        "84 kernels per channel combination": len(combos) % 84 == 0 and len(combos) > 0,
        "channel indices of 3 axes": len(channels) == int(combos.sum())
        and bool(((channels >= 0) & (channels < 3)).all()),
        "one feature count per dilation": len(dilations) == len(per_dilation),
        "a bias per feature": biases.dtype == np.float32
        and len(biases) == 84 * int(per_dilation.sum()),
        "classifier of the features": coef.ndim == 2 and coef.shape[1] == len(biases)
        and scale.shape == (len(biases),) and intercept.shape == (len(coef),),
        "a series length of at least 9": int(arrays["length"]) >= _MIN_LENGTH,
    }  # fmt: skip
    failed = [name for name, ok in checks.items() if not ok]
    if failed:
        raise bad("wrong " + ", ".join(failed))
    parameters = (combos, channels, dilations, per_dilation, biases)
    return MiniRocketModel(parameters, scale, coef, intercept, int(arrays["length"]))


def minirocket_predict(
    train_windows: Sequence[NDArray[Any]],
    train_labels: Sequence[int] | NDArray[Any],
    test_windows: Sequence[NDArray[Any]],
    *,
    seed: int = 0,
) -> NDArray[np.int64]:
    """Fit MiniRocket on the training windows; return its predicted class for each test window."""
    y = np.asarray(train_labels, dtype=np.int64)
    model = fit_minirocket(train_windows, y, n_classes=int(y.max()) + 1, seed=seed)
    return model.predict(test_windows)


@dataclass(frozen=True, eq=False)
class BaselineOutputs:
    """MiniRocket on a run's split(s): its figure, its probabilities and the model to keep.

    ``proba`` is ``[N, K]`` with a row for every window predicted by a model that did not
    train on it (``NaN`` rows for the others); ``model`` is fitted on the training side of the
    hold-out split, or on every window after a cross-validation (as the CNN is).
    """

    accuracy: float | None
    n: int
    seconds: float
    proba: NDArray[np.float64]
    model: MiniRocketModel | None


def baseline_outputs(
    windows: Sequence[NDArray[Any]],
    labels: Sequence[int] | NDArray[Any],
    *,
    splits: Sequence[tuple[NDArray[Any], NDArray[Any]]],
    n_classes: int,
    seed: int = 0,
    num_kernels: int = 10_000,
) -> BaselineOutputs:
    """Fit MiniRocket on the training side of each split and predict its test side.

    Parameters
    ----------
    windows : sequence of ``(n, 3)`` arrays
    labels : class index of each window
    splits : ``(train_index, test_index)`` pairs: one hold-out split, or the folds of a
        cross-validation (every window then is predicted once, by the model that did not see it)
    n_classes : number of classes (columns of ``proba``)
    """
    started = time.perf_counter()
    y = np.asarray(labels, dtype=np.int64)
    proba = np.full((len(y), n_classes), np.nan)
    model = None
    for train, test in splits:
        if not len(test):
            continue
        model = fit_minirocket([windows[i] for i in train], y[train], n_classes=n_classes,
                               seed=seed, num_kernels=num_kernels)  # fmt: skip
        proba[test] = model.predict_proba([windows[i] for i in test])
    tested = ~np.isnan(proba[:, 0])
    if len(splits) > 1 and tested.any():  # cross-validated: the kept model sees every window
        model = fit_minirocket(windows, y, n_classes=n_classes, seed=seed, num_kernels=num_kernels)
    correct = int((proba[tested].argmax(axis=1) == y[tested]).sum())
    n = int(tested.sum())
    return BaselineOutputs(
        float(correct / n) if n else None, n, time.perf_counter() - started, proba, model
    )


def baseline_metrics(
    windows: Sequence[NDArray[Any]],
    labels: Sequence[int] | NDArray[Any],
    *,
    splits: Sequence[tuple[NDArray[Any], NDArray[Any]]],
    seed: int = 0,
) -> dict[str, Any]:
    """MiniRocket's accuracy on the test side of each split (pooled over the splits).

    Returns
    -------
    dict
        ``name``, ``accuracy`` (``None`` when no split has a test side), ``n`` (windows
        predicted), ``seconds``, ``predictions`` ({position: class index}).
    """
    y = np.asarray(labels, dtype=np.int64)
    out = baseline_outputs(windows, y, splits=splits, n_classes=int(y.max()) + 1, seed=seed)
    tested = np.flatnonzero(~np.isnan(out.proba[:, 0]))
    return {
        "name": BASELINE_NAME,
        "accuracy": out.accuracy,
        "n": out.n,
        "seconds": out.seconds,
        "predictions": {int(i): int(out.proba[i].argmax()) for i in tested},
    }
