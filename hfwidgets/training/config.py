"""Training settings: one frozen dataclass, stored with every run."""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field, fields
from typing import Any

__all__ = ["TrainConfig", "default_num_threads"]


def default_num_threads() -> int:
    """At most four threads: more rarely helps small CNNs on a CPU shared with the notebook."""
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
        Layer groups to freeze (:func:`hfwidgets.models.layer_groups`).
    epochs, batch_size, lr : int, int, float
        Passes over the training set, windows per step, Adam learning rate.
    val_fraction : float
        Share held out for validation, stratified by class (0 trains on everything).
    head_lr_factor : float
        Learn-rate multiplier for the new head (MATLAB's WeightLearnRateFactor).
    patience : int or None
        Stop after this many epochs without a better validation loss; ``None`` never stops early.
    seed : int
        Seeds the split, the head's initialisation and the batch order.
    augment : bool
        Random time shifts and amplitude jitter of the scalograms (disables feature caching).
    device : str
        ``"cpu"``, ``"cuda"`` or ``"auto"`` (CUDA when available).
    num_threads : int
        Torch CPU threads.
    weight_decay : float
        AdamW weight decay on trainable weights.
    """

    model: str = "mobilenet_v2"
    weights: str = "DEFAULT"
    frozen: tuple[str, ...] = ()
    epochs: int = 10
    batch_size: int = 16
    lr: float = 1e-3
    val_fraction: float = 0.2
    head_lr_factor: float = 1.0
    patience: int | None = None
    seed: int = 0
    augment: bool = False
    device: str = "cpu"
    num_threads: int = field(default_factory=default_num_threads)
    weight_decay: float = 0.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "frozen", tuple(self.frozen))
        object.__setattr__(self, "weights", str(self.weights))
        checks = [
            (self.epochs >= 1, "epochs", "at least 1"),
            (self.batch_size >= 1, "batch_size", "at least 1"),
            (self.lr > 0, "lr", "positive"),
            (0.0 <= self.val_fraction < 1.0, "val_fraction", "in [0, 1)"),
            (self.head_lr_factor > 0, "head_lr_factor", "positive"),
            (self.patience is None or self.patience >= 1, "patience", "None or at least 1"),
            (self.num_threads >= 1, "num_threads", "at least 1"),
            (self.weight_decay >= 0, "weight_decay", "not negative"),
            (self.device in ("cpu", "auto") or self.device.startswith("cuda"), "device",
             "'cpu', 'cuda[:N]' or 'auto'"),
        ]  # fmt: skip
        for ok, name, rule in checks:
            if not ok:
                raise ValueError(f"TrainConfig({name}={getattr(self, name)!r}) must be {rule}")

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict, stored as the run's settings."""
        data = asdict(self)
        data["frozen"] = list(self.frozen)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainConfig:
        """Inverse of :meth:`to_dict`; keys this version does not know are ignored."""
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})
