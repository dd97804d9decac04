"""Training settings: one frozen dataclass, stored with every run, and the one way to build it.

The notebook panel, ``hfw train`` and the distributed launcher all build their settings with
:func:`build_train_config` (the two command lines through
:mod:`hfwidgets.training.options`), so a setting means the same everywhere.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from hfwidgets.errors import HfwError

__all__ = [
    "AUTO_FROZEN",
    "MODES",
    "SCHEDULES",
    "ConfigError",
    "TrainConfig",
    "build_train_config",
    "default_frozen",
    "default_num_threads",
]

#: How a run learns. ``"fine-tune"``: gradient descent on every unfrozen group.
#: ``"feature-extractor"``: the pretrained network without its head computes features once and a
#: logistic regression on them becomes the head (the seed's comparison with fine-tuning).
MODES = ("fine-tune", "feature-extractor")

#: ``TrainConfig(frozen=AUTO_FROZEN)`` (the default) freezes :func:`default_frozen` groups.
AUTO_FROZEN: tuple[str, ...] = ("auto",)
#: Epochs of a run that leaves ``epochs`` to the data (``TrainConfig.epochs=None``) and has at
#: least 200 windows; fewer windows train more (``TrainConfig.epochs_for``), at most
#: ``AUTO_MAX_EPOCHS``: an epoch has costs that do not shrink with the windows (validation, a
#: checkpoint, the augmented windows' scalograms), and 50 epochs of punch/flex's 28 training
#: windows took 267 s a fold where 12 took about 40 s.
AUTO_EPOCHS = 12
AUTO_MAX_EPOCHS = 24

#: Learning-rate schedules (:attr:`TrainConfig.schedule`).
SCHEDULES = ("cosine", "constant")


class ConfigError(HfwError, ValueError):
    """A training setting is out of range or unknown; the message names it."""


def default_frozen(model: str) -> tuple[str, ...]:
    """The groups a run freezes by default: the first third of the feature groups.

    Early layers detect edges and blobs, as useful on a scalogram as on a photo; with a few
    hundred windows they gain little from training, while their large activations make up
    half the cost of a step (MobileNetV2 at 224x224: stem..stage2 frozen halves the CPU time
    of a training step). An unknown backbone freezes nothing (building it fails later, clearly).
    """
    from hfwidgets.models.freezing import layer_groups

    try:
        groups = layer_groups(model)
    except (KeyError, ValueError):
        return ()
    return tuple(groups[: (len(groups) - 1) // 3])


def default_num_threads() -> int:
    """``OMP_NUM_THREADS`` where it is set, else at most four threads (more rarely helps small
    CNNs on a CPU shared with the notebook).

    Two trainings that each take every core run several times slower than the two of them on
    one core each: a person running several at once says so with ``OMP_NUM_THREADS``, as for
    any OpenMP program.
    """
    asked = os.environ.get("OMP_NUM_THREADS", "").strip()
    if asked.isdigit() and int(asked) >= 1:
        return int(asked)
    return max(1, min(4, os.cpu_count() or 1))


@dataclass(frozen=True)
class TrainConfig:
    """How to fine-tune.

    Parameters
    ----------
    model : str
        Backbone name (:func:`hfwidgets.models.list_backbones`).
    weights : str
        ``"DEFAULT"``, a state-dict path, or ``"none"``.
    frozen : tuple of str
        Layer groups to freeze (:func:`hfwidgets.models.layer_groups`). The default,
        ``("auto",)``, freezes the first third of the backbone's feature groups
        (:func:`default_frozen`).
        Layer groups to freeze (:func:`hfwidgets.models.layer_groups`).
    epochs : int or None
        Passes over the training set; ``None`` (auto, the default) is :data:`AUTO_EPOCHS`, or
        more for few windows (``min_steps``, :meth:`epochs_for`). A run records the epochs it
        trains, so its row, its progress and a resume agree.
    batch_size, lr : int, float
        Windows per step, Adam learning rate. Batches of 8 (not
        16): twice the steps for the same images, which a few hundred windows need
        (handwriting 0.576 -> 0.604; docs/training.md).
    min_steps : int
        With auto epochs, few windows train more of them: at least this many optimizer steps.
        300 is what 12 epochs of 200 windows in batches of 8 take, the project size the time
        budget is written for: a smaller project sees its windows about as many times in all
        (2,400 passes) and costs no more time (handwriting, 120 training letters: 20 epochs,
        CNN 0.645 -> 0.678; docs/training.md).
    val_fraction : float
        Share held out for validation, stratified by class (0 trains on everything).
    head_lr_factor : float
        Learn-rate multiplier for the new head (MATLAB's WeightLearnRateFactor).
    patience : int or None
        Stop after this many epochs without a better validation loss; ``None`` never stops early.
    seed : int
        Seeds the split, the head's initialisation and the batch order.
    augment : bool
        Randomly turn (about gravity), shift, stretch and scale each training window's raw
        samples every epoch before its scalogram (when the runner passes the raw windows;
        otherwise shift and scale the images). On by default: with the gravity-frame
        scalograms it is what keeps a model working for a sensor held another way (punch/flex
        turned at random 0.514 -> 0.914; docs/training.md, "Measured here"). Windows without
        gravity (z-normalised archives) are left unchanged, and a run of only such windows
        trains without it (:func:`~hfwidgets.training.validation.augments_anything`). With it
        the frozen prefix runs once per epoch instead of once per run.
    device : str
        ``"cpu"``, ``"cuda"`` or ``"auto"`` (CUDA when available).
    num_threads : int
        Torch CPU threads (default: :func:`default_num_threads`).
    weight_decay : float
        AdamW weight decay on trainable weights.
    mode : {"fine-tune", "feature-extractor"}
        See ``MODES``. Feature-extractor runs ignore ``frozen``, ``epochs``, ``lr``,
        ``batch_size`` and ``augment``: they freeze all but the head and fit it in one step.
    schedule : {"cosine", "constant"}
        Learning rate over the run: ``"cosine"`` warms up linearly for ``warmup_epochs`` then
        decays to zero along a half cosine; ``"constant"`` keeps ``lr``.
    warmup_epochs : float
        Length of the linear warm-up (may be a fraction of an epoch).
    keep_best : bool
        End with the weights of the epoch with the best validation accuracy (lowest validation
        loss among equals) instead of the last epoch's; the run records which.
    freeze_bn : bool
        Estimate the trainable BatchNorm layers' running statistics once on the training
        windows, then keep them fixed (eval mode) while fine-tuning. Off by default: measured
        on handwriting (26 classes, 120 windows) it barely learned in 3 epochs (train loss
        3.42 -> 3.29) where batch statistics did (3.32 -> 1.54).
    recalibrate_bn : bool
        After the last epoch, re-estimate the trainable BatchNorm statistics of the kept weights
        on the training windows in one pass
        (:func:`~hfwidgets.training.batchnorm.recalibrate_batchnorm`): with a few batches per
        epoch the running averages would otherwise still hold much of ImageNet's.
    rotation_deg, shift, stretch, gain : float
        How far ``augment`` turns each window about its gravity axis (windows without gravity
        are not turned), shifts and stretches the motion in time, and scales it
        (:class:`~hfwidgets.training.augment.AugmentSettings`).
    folds : int
        0: one hold-out split. ``k >= 2``: k-fold cross-validation measures the figure (every
        window predicted once by a model that did not see it), then one model trains on all.
    group_split : bool
        Validate on whole sessions/import sources training did not see, when there are several
        (:func:`~hfwidgets.training.split.grouped_split`).
    baseline : bool
        Train the MiniRocket baseline on the same split (:mod:`~hfwidgets.training.baseline`).
    label_smoothing : float
        Share of each training target spread evenly over the other classes (cross-entropy's
        ``label_smoothing``); 0 trains on one-hot targets.
    loso_max_sources : int
        With ``folds=0``, ``group_split`` and between 2 and this many sessions/sources, measure
        by leave-one-source-out (one model per source held out, pooled; then one model trains on
        all: :func:`~hfwidgets.training.loso.loso_folds`) instead of one hold-out split. 0: never.
    augment_check : bool
        When a run augments and holds out validation windows, train once more without
        augmentation on the same split and keep that model if it scores better on validation
        (:func:`~hfwidgets.training.validation.check_augmentation`): augmentation never makes a
        run worse than none on its own validation. The no-augmentation fit caches its frozen
        prefix, so it costs a fraction of the run. Not made for cross-validated runs (``folds``,
        leave-one-source-out), whose stored model has no validation windows to choose on.
    refit : bool
        After a hold-out run is measured (and its epoch, augmentation and fusion weight chosen
        on validation), train the stored model once more, the same way, on every labelled
        window (:func:`~hfwidgets.training.run_steps.refit_run`), as cross-validated runs do: a
        fifth more windows to learn from (handwriting 0.593 -> 0.662 on the test letters). The
        figure stays the held-out one; ``False`` stores the measured model itself.
    """

    model: str = "mobilenet_v2"
    weights: str = "DEFAULT"
    frozen: tuple[str, ...] = AUTO_FROZEN
    epochs: int | None = None
    min_steps: int = 300
    batch_size: int = 8
    lr: float = 1e-3
    val_fraction: float = 0.2
    head_lr_factor: float = 1.0
    patience: int | None = None
    seed: int = 0
    augment: bool = True
    device: str = "cpu"
    num_threads: int = field(default_factory=default_num_threads)
    weight_decay: float = 0.0
    mode: str = "fine-tune"
    schedule: str = "cosine"
    warmup_epochs: float = 1.0
    keep_best: bool = True
    freeze_bn: bool = False
    recalibrate_bn: bool = True
    rotation_deg: float = 0.0
    shift: float = 0.1
    stretch: float = 0.15
    gain: float = 0.2
    folds: int = 0
    group_split: bool = True
    baseline: bool = True
    label_smoothing: float = 0.0
    loso_max_sources: int = 6
    augment_check: bool = True
    refit: bool = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "frozen", tuple(self.frozen))
        if self.frozen == AUTO_FROZEN:
            object.__setattr__(self, "frozen", default_frozen(self.model))
        object.__setattr__(self, "weights", str(self.weights))
        checks = [
            (self.epochs is None or self.epochs >= 1, "epochs", "None (auto) or at least 1"),
            (self.min_steps >= 0, "min_steps", "not negative"),
            (self.batch_size >= 1, "batch_size", "at least 1"),
            (self.lr > 0, "lr", "positive"),
            (0.0 <= self.val_fraction < 1.0, "val_fraction", "in [0, 1)"),
            (self.head_lr_factor > 0, "head_lr_factor", "positive"),
            (self.patience is None or self.patience >= 1, "patience", "None or at least 1"),
            (self.num_threads >= 1, "num_threads", "at least 1"),
            (self.weight_decay >= 0, "weight_decay", "not negative"),
            (self.device in ("cpu", "auto") or self.device.startswith("cuda"), "device",
             "'cpu', 'cuda[:N]' or 'auto'"),
            (self.mode in MODES, "mode", " or ".join(repr(m) for m in MODES)),
            (self.schedule in SCHEDULES, "schedule", " or ".join(repr(m) for m in SCHEDULES)),
            (self.warmup_epochs >= 0, "warmup_epochs", "not negative"),
            (self.folds == 0 or self.folds >= 2, "folds", "0 (one split) or at least 2"),
            (self.rotation_deg >= 0, "rotation_deg", "not negative"),
            (0 <= self.shift < 1, "shift", "in [0, 1)"),
            (0 <= self.stretch < 1, "stretch", "in [0, 1)"),
            (0 <= self.gain < 1, "gain", "in [0, 1)"),
            (0 <= self.label_smoothing < 1, "label_smoothing", "in [0, 1)"),
            (self.loso_max_sources >= 0, "loso_max_sources", "not negative (0: never)"),
        ]  # fmt: skip
        for ok, name, rule in checks:
            if not ok:
                raise ConfigError(f"TrainConfig({name}={getattr(self, name)!r}) must be {rule}")

    def epochs_for(self, n_train: int) -> int:
        """Epochs a fit over ``n_train`` training windows runs: ``epochs`` when set, else auto.

        Auto is :data:`AUTO_EPOCHS`, or more for few windows: enough for ``min_steps``
        optimizer steps, so a small project gets as many updates as 200 windows get in 12
        epochs (docs/training.md has the table that chose it).
        """
        if self.epochs is not None:
            return self.epochs
        return auto_epochs(n_train, batch_size=self.batch_size, min_steps=self.min_steps)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict, stored as the run's settings."""
        data = asdict(self)
        data["frozen"] = list(self.frozen)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainConfig:
        """Inverse of :meth:`to_dict`; keys this version does not know are ignored."""
        known = {f.name for f in fields(cls)}
        settings = {k: v for k, v in data.items() if k in known}
        return cls(**settings)


def auto_epochs(n_train: int, *, batch_size: int, min_steps: int = 300) -> int:
    """:data:`AUTO_EPOCHS`, or enough epochs over ``n_train`` windows for ``min_steps`` steps
    (at most :data:`AUTO_MAX_EPOCHS`)."""
    steps_per_epoch = math.ceil(max(1, n_train) / batch_size)
    return min(AUTO_MAX_EPOCHS, max(AUTO_EPOCHS, math.ceil(min_steps / steps_per_epoch)))


def build_train_config(
    *,
    model: str = "mobilenet_v2",
    freeze: str | Iterable[str] | None = None,
    freeze_until: str | None = None,
    freeze_preset: str | None = None,
    last_n: int | None = None,
    **settings: Any,
) -> TrainConfig:
    """The :class:`TrainConfig` of a run, with the frozen groups said any one supported way.

    Parameters
    ----------
    model : str
        Backbone name.
    freeze : str or iterable of str, optional
        Groups to freeze (a string is split at commas).
    freeze_until : str, optional
        Freeze up to and including this group (``"backbone"``: all but the head).
    freeze_preset : str, optional
        A key of :data:`hfwidgets.models.FREEZE_PRESETS` (``last_n`` for "fine-tune last N").
    **settings
        Any other :class:`TrainConfig` field; ``None`` keeps the default.

    Raises
    ------
    ConfigError
        An unknown backbone, group, preset or setting, or a value out of range.
    """
    from hfwidgets.models.freezing import resolve_frozen

    known = {f.name for f in fields(TrainConfig)} - {"model", "frozen"}
    unknown = sorted(set(settings) - known)
    if unknown:
        raise ConfigError(
            f"unknown training setting {', '.join(unknown)}; the settings are "
            f"{', '.join(sorted(known | {'model', 'freeze', 'freeze_until', 'freeze_preset'}))}"
        )
    try:
        frozen = resolve_frozen(
            model, groups=freeze, until=freeze_until, preset=freeze_preset, n=last_n
        )
        given = {key: value for key, value in settings.items() if value is not None}
        said = any(v is not None for v in (freeze, freeze_until, freeze_preset))
        if said:
            given["frozen"] = frozen  # otherwise the recipe's default (AUTO_FROZEN)
        return TrainConfig(model=model, **given)
    except ConfigError:
        raise
    except ValueError as exc:
        raise ConfigError(str(exc)) from exc
