"""What a training run measured: :class:`RunMetrics`, a frozen, versioned record.

Training produces it, the store keeps it as JSON (:meth:`RunMetrics.to_dict`) and every reader
(widgets, summary, CLI, live calibration) reads it by attribute. :meth:`RunMetrics.from_dict`
also reads the plain dicts that earlier versions stored (no ``version`` key, ``minirocket`` or
``n_sessions`` instead of ``baseline``/``validation``): a project trained then still opens.
Keys it does not know are kept in :attr:`RunMetrics.extra` and written back, so nothing is lost.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, cast

__all__ = [
    "MODEL_NAMES",
    "RECORD_VERSION",
    "AugmentCheck",
    "BaselineFigure",
    "ClassFigure",
    "EpochFigures",
    "EvaluatedOn",
    "ModelFigure",
    "ModelName",
    "RunMetrics",
    "ValidationFacts",
    "interval_text",
    "model_name",
    "wilson_interval",
]

#: Version written by :meth:`RunMetrics.to_dict`; a dict without one is version 0 (before 0.1).
#: Version 2 added ``models`` and ``chosen`` (a version-1 run counts with its CNN).
RECORD_VERSION = 2

EvaluatedOn = Literal["val", "train", "cross-validation"]
_ON: tuple[EvaluatedOn, ...] = ("val", "train", "cross-validation")

#: The three models of a run: the CNN, the MiniRocket baseline, and their fusion.
ModelName = Literal["cnn", "baseline", "fusion"]
MODEL_NAMES: tuple[ModelName, ...] = ("cnn", "baseline", "fusion")


def wilson_interval(accuracy: float | None, n: int) -> tuple[float, float] | None:
    """95 % Wilson score interval of an accuracy measured on ``n`` windows (scipy's
    ``binomtest(...).proportion_ci(method="wilson")``); ``None`` without a figure."""
    if accuracy is None or n <= 0:
        return None
    from scipy.stats import binomtest

    ci = binomtest(round(accuracy * n), n).proportion_ci(confidence_level=0.95, method="wilson")
    return float(ci.low), float(ci.high)


def interval_text(accuracy: float | None, n: int) -> str:
    """`` (95 % interval 85.0-96.0 %)`` for an accuracy on ``n`` windows ("" without one)."""
    interval = wilson_interval(accuracy, n)
    if interval is None:
        return ""
    return f" (95 % interval {interval[0]:.1%}-{interval[1]:.1%})"


def _float(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
        return None
    return float(value)


def _int(value: Any, default: int = 0) -> int:
    return int(value) if isinstance(value, int) and not isinstance(value, bool) else default


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _on(value: Any) -> EvaluatedOn:
    return cast(EvaluatedOn, value) if value in _ON else "val"


@dataclass(frozen=True)
class ClassFigure:
    """Precision, recall and F1 of one class, and its number of windows (``support``)."""

    precision: float = 0.0
    recall: float = 0.0
    f1: float = 0.0
    support: int = 0

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ClassFigure:
        """Read :meth:`dataclasses.asdict` output (missing figures are 0)."""
        precision, recall, f1 = (_float(data.get(k)) or 0.0 for k in ("precision", "recall", "f1"))
        return cls(precision, recall, f1, _int(data.get("support")))


@dataclass(frozen=True)
class EpochFigures:
    """Losses and accuracies of one epoch (``val_*`` are ``None`` without validation windows)."""

    epoch: int
    train_loss: float
    train_acc: float
    val_loss: float | None = None
    val_acc: float | None = None
    seconds: float = 0.0

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> EpochFigures:
        """Read one entry of a stored ``history``."""
        return cls(
            epoch=_int(data.get("epoch")),
            train_loss=_float(data.get("train_loss")) or 0.0,
            train_acc=_float(data.get("train_acc")) or 0.0,
            val_loss=_float(data.get("val_loss")),
            val_acc=_float(data.get("val_acc")),
            seconds=_float(data.get("seconds")) or 0.0,
        )


@dataclass(frozen=True)
class ValidationFacts:
    """What a run's figure is measured on (see ``training.split.validation_facts``).

    ``n`` windows measured, ``per_class`` windows of each class, ``groups`` sessions/sources in
    the project, ``grouped`` (no session on both sides), ``folds`` (0: one hold-out split),
    ``on``, ``reason`` (why not grouped), ``warnings`` (sentences), ``summary`` (one line) and
    ``leave_one_source_out`` (the folds each held out one session/source; runs stored before it
    read ``False``) and ``refit`` (windows the stored model trained on after a hold-out figure
    was measured; 0: the stored model is the measured one, as in runs stored before it).
    """

    n: int = 0
    per_class: Mapping[str, int] = field(default_factory=dict)
    groups: int = 0
    grouped: bool = False
    folds: int = 0
    on: EvaluatedOn = "val"
    reason: str = ""
    warnings: tuple[str, ...] = ()
    summary: str = ""
    leave_one_source_out: bool = False
    refit: int = 0

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict; :meth:`from_dict` reads it back."""
        out = dataclasses.asdict(self)
        out["per_class"], out["warnings"] = dict(self.per_class), list(self.warnings)
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ValidationFacts:
        """Read :meth:`to_dict` output."""
        return cls(
            n=_int(data.get("n")),
            per_class={str(k): _int(v) for k, v in _map(data.get("per_class")).items()},
            groups=_int(data.get("groups")),
            grouped=bool(data.get("grouped", False)),
            folds=_int(data.get("folds")),
            on=_on(data.get("on")),
            reason=str(data.get("reason") or ""),
            warnings=tuple(str(w) for w in data.get("warnings") or ()),
            summary=str(data.get("summary") or ""),
            leave_one_source_out=bool(data.get("leave_one_source_out", False)),
            refit=_int(data.get("refit")),
        )


@dataclass(frozen=True)
class BaselineFigure:
    """MiniRocket's figure on the run's own split (``accuracy`` ``None`` with an ``error``)."""

    name: str
    accuracy: float | None
    n: int = 0
    seconds: float = 0.0
    error: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict (``error`` only when there is one)."""
        out = dataclasses.asdict(self)
        if not self.error:
            del out["error"]
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | float) -> BaselineFigure:
        """Read :meth:`to_dict` output (or the bare accuracy very early runs stored)."""
        if not isinstance(data, Mapping):
            return cls(name="MiniRocket", accuracy=_float(data))
        return cls(
            name=str(data.get("name") or "MiniRocket"),
            accuracy=_float(data.get("accuracy")),
            n=_int(data.get("n")),
            seconds=_float(data.get("seconds")) or 0.0,
            error=str(data.get("error") or ""),
        )


@dataclass(frozen=True)
class AugmentCheck:
    """Augmentation against none on the run's own validation windows.

    A run that augments also trains once without augmentation on the same split; the model
    that scores better on the validation windows is kept (the augmented one when they tie), so
    augmentation never makes a run worse than none on its own validation.
    """

    augmented: float | None
    plain: float | None
    n: int = 0

    @property
    def kept(self) -> Literal["augmented", "plain"]:
        """Which model the run kept: ``"plain"`` only when it scored strictly better."""
        if self.plain is not None and (self.augmented is None or self.plain > self.augmented):
            return "plain"
        return "augmented"

    @property
    def summary(self) -> str:
        """One line for the person: which was kept, both figures and on what."""

        def figure(value: float | None) -> str:
            return "-" if value is None else f"{value:.3f}"

        with_it, without = figure(self.augmented), figure(self.plain)
        if self.kept == "plain":
            head = f"kept the model trained without augmentation ({without} against {with_it})"
        else:
            head = f"kept augmentation ({with_it} against {without} without it)"
        return f"{head} on the same {self.n} validation windows"

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AugmentCheck:
        """Read :func:`dataclasses.asdict` output."""
        return cls(_float(data.get("augmented")), _float(data.get("plain")), _int(data.get("n")))


@dataclass(frozen=True)
class ModelFigure:
    """One model of a run on the run's validation windows.

    ``cnn_weight`` is the CNN's share of the averaged class probabilities: 1 for the CNN, 0 for
    the baseline, the weight chosen on the validation windows for the fusion.
    """

    accuracy: float | None
    n: int = 0
    cnn_weight: float = 1.0

    @property
    def interval(self) -> tuple[float, float] | None:
        """95 % Wilson interval of :attr:`accuracy` on :attr:`n` windows."""
        return wilson_interval(self.accuracy, self.n)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ModelFigure:
        """Read :func:`dataclasses.asdict` output."""
        weight = _float(data.get("cnn_weight"))
        return cls(
            _float(data.get("accuracy")), _int(data.get("n")), 1.0 if weight is None else weight
        )


def model_name(value: Any) -> ModelName:
    """``value`` as a :data:`ModelName`; ``ValueError`` naming the choices otherwise."""
    if value in MODEL_NAMES:
        return cast(ModelName, value)
    raise ValueError(f"unknown model {value!r}: choose one of {', '.join(MODEL_NAMES)}")


# Fields of RunMetrics stored under their own name with no conversion.
_PLAIN = ("n", "evaluated_on", "epochs", "best_epoch", "seconds", "cached_features", "error")
_OPTIONAL = ("stopped", "error", "world_size", "replicas_identical", "operating_point")


@dataclass(frozen=True)
class RunMetrics:
    """A run's measured result.

    Attributes
    ----------
    accuracy : float or None
        On ``n`` windows of ``evaluated_on`` (``None``: nothing was trained or measured).
    classes, per_class, confusion, misclassified
        Class names in index order; :class:`ClassFigure` per class; confusion matrix (rows true,
        columns predicted); window ids predicted wrongly.
    predictions, true_labels : mapping of int to str
        Window id -> class as evaluated, so a confusion cell opens exactly the windows it counts.
    epochs, best_epoch, history
        Last whole epoch, the epoch whose weights were kept, :class:`EpochFigures` per epoch.
    validation, baseline
        :class:`ValidationFacts` and MiniRocket's :class:`BaselineFigure` (``None`` when absent).
    seconds, cached_features
        Training time; whether the frozen prefix's features were cached.
    stopped, error
        Why a run ended early (``"before training"``) or failed (the message).
    operating_point : mapping or None
        The live calibration (``live.operating_point.OperatingPoint.to_dict``).
    world_size, replicas_identical
        Of a distributed run.
    models, chosen
        :class:`ModelFigure` of each model the run has (CNN, baseline, fusion) and the one the
        run counts with (the best on validation, or the person's choice).
    augment_check : AugmentCheck or None
        The augmented CNN against one trained without augmentation on the same validation
        windows, and which was kept (``None``: the run did not augment, or was not compared).
    extra : mapping
        Keys this version does not know, kept so that rewriting a record loses nothing.
    """

    accuracy: float | None = None
    n: int = 0
    classes: tuple[str, ...] = ()
    per_class: Mapping[str, ClassFigure] = field(default_factory=dict)
    confusion: tuple[tuple[int, ...], ...] = ()
    misclassified: tuple[int, ...] = ()
    predictions: Mapping[int, str] = field(default_factory=dict)
    true_labels: Mapping[int, str] = field(default_factory=dict)
    evaluated_on: EvaluatedOn = "val"
    epochs: int = 0
    best_epoch: int | None = None
    history: tuple[EpochFigures, ...] = ()
    validation: ValidationFacts | None = None
    baseline: BaselineFigure | None = None
    seconds: float | None = None
    cached_features: bool = False
    stopped: str = ""
    error: str = ""
    operating_point: Mapping[str, Any] | None = None
    world_size: int | None = None
    replicas_identical: bool | None = None
    models: Mapping[ModelName, ModelFigure] = field(default_factory=dict)
    chosen: ModelName = "cnn"
    augment_check: AugmentCheck | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    def choose(self, model: ModelName) -> RunMetrics:
        """A copy that counts with ``model``; ``ValueError`` if the run has no such model."""
        model = model_name(model)
        if model != "cnn" and model not in self.models:
            have = ", ".join(self.models) or "cnn"
            raise ValueError(f"this run has no {model} model (it has: {have})")
        return self.replace(chosen=model)

    @property
    def accuracy_interval(self) -> tuple[float, float] | None:
        """95 % Wilson interval of :attr:`accuracy` for its :attr:`n` windows."""
        return wilson_interval(self.accuracy, self.n)

    @property
    def trained(self) -> bool:
        """Whether the run has a figure (it trained at least one whole epoch)."""
        return self.accuracy is not None

    def replace(self, **changes: Any) -> RunMetrics:
        """A copy with ``changes`` (:func:`dataclasses.replace`)."""
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict with ``version``; the keys earlier versions stored keep their names."""
        out: dict[str, Any] = dict(self.extra)
        out.update({key: getattr(self, key) for key in _PLAIN})
        out.update(
            version=RECORD_VERSION,
            accuracy=self.accuracy,
            classes=list(self.classes),
            per_class={k: dataclasses.asdict(v) for k, v in self.per_class.items()},
            confusion=[list(row) for row in self.confusion],
            misclassified=list(self.misclassified),
            predictions={str(k): v for k, v in self.predictions.items()},
            true_labels={str(k): v for k, v in self.true_labels.items()},
            history=[dataclasses.asdict(h) for h in self.history],
            models={k: dataclasses.asdict(v) for k, v in self.models.items()},
            chosen=self.chosen,
        )
        if self.validation is not None:
            out["validation"] = self.validation.to_dict()
        if self.baseline is not None:
            out["baseline"] = self.baseline.to_dict()
        if self.augment_check is not None:
            out["augment_check"] = dataclasses.asdict(self.augment_check)
        for key in _OPTIONAL:
            value = getattr(self, key)
            if value is None or value == "":
                out.pop(key, None)
            else:
                out[key] = dict(value) if key == "operating_point" else value
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RunMetrics:
        """Read :meth:`to_dict` output, or the plain dict an earlier version stored.

        Raises
        ------
        ValueError
            If the record was written by a newer version of hfwidgets.
        """
        version = _int(data.get("version"))
        if version > RECORD_VERSION:
            raise ValueError(
                f"run metrics version {version} is newer than this hfwidgets reads "
                f"({RECORD_VERSION}): upgrade hfwidgets to open this project's runs"
            )
        known = {f.name for f in dataclasses.fields(cls)} | {"version", "minirocket"}
        known |= {"n_sessions", "sessions"}
        baseline = data.get("baseline", data.get("minirocket"))
        validation = data.get("validation")
        sessions = _int(data.get("n_sessions", data.get("sessions")), -1)
        if not isinstance(validation, Mapping) and sessions >= 0:  # version 0's session count
            validation = {"groups": sessions, "n": data.get("n")}
        models = {
            model_name(k): ModelFigure.from_dict(_map(v))
            for k, v in _map(data.get("models")).items()
            if k in MODEL_NAMES
        }
        chosen = data.get("chosen")
        check = data.get("augment_check")
        world = data.get("world_size")
        same = data.get("replicas_identical")
        return cls(
            accuracy=_float(data.get("accuracy")),
            n=_int(data.get("n")),
            classes=tuple(str(c) for c in data.get("classes") or ()),
            per_class={
                str(k): ClassFigure.from_dict(_map(v))
                for k, v in _map(data.get("per_class")).items()
            },
            confusion=tuple(tuple(_int(x) for x in row) for row in data.get("confusion") or ()),
            misclassified=tuple(_int(i) for i in data.get("misclassified") or ()),
            predictions={int(k): str(v) for k, v in _map(data.get("predictions")).items()},
            true_labels={int(k): str(v) for k, v in _map(data.get("true_labels")).items()},
            evaluated_on=_on(data.get("evaluated_on")),
            epochs=_int(data.get("epochs")),
            best_epoch=_int(data.get("best_epoch")) or None,
            history=tuple(
                EpochFigures.from_dict(h)
                for h in data.get("history") or ()
                if isinstance(h, Mapping)
            ),
            validation=None if validation is None else ValidationFacts.from_dict(_map(validation)),
            baseline=None if baseline is None else BaselineFigure.from_dict(baseline),
            seconds=_float(data.get("seconds")),
            cached_features=bool(data.get("cached_features", False)),
            stopped=str(data.get("stopped") or ""),
            error=str(data.get("error") or ""),
            operating_point=dict(_map(data.get("operating_point"))) or None,
            world_size=_int(world) if isinstance(world, int) else None,
            replicas_identical=same if isinstance(same, bool) else None,
            models=models,
            chosen=model_name(chosen) if chosen in models else "cnn",
            augment_check=AugmentCheck.from_dict(check) if isinstance(check, Mapping) else None,
            extra={k: v for k, v in data.items() if k not in known},
        )
