"""Checkpoints: model and optimizer state plus everything needed to resume or predict.

Saved atomically (write a temporary file, then rename), so a crash or a stop mid-save never
leaves a truncated checkpoint where a good one was. Loaded with ``weights_only=True``: a
checkpoint is plain dicts, lists, numbers, strings and tensors.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import torch

from hfwidgets.errors import HfwError

__all__ = [
    "CHECKPOINT_FORMAT",
    "CheckpointError",
    "check_resumable",
    "load_checkpoint",
    "save_checkpoint",
]

CHECKPOINT_FORMAT = 1


class CheckpointError(HfwError):
    """A checkpoint file is missing, unreadable, or from an incompatible version."""


def save_checkpoint(path: str | Path, payload: dict[str, Any]) -> Path:
    """Write ``payload`` (with a format number) to ``path`` atomically; return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    torch.save({**payload, "format": CHECKPOINT_FORMAT}, tmp)
    os.replace(tmp, path)
    return path


def load_checkpoint(path: str | Path) -> dict[str, Any]:
    """Read a checkpoint written by :func:`save_checkpoint` onto the CPU.

    Raises
    ------
    CheckpointError
        Missing file, not a checkpoint, or a newer format; the message names the file.
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint {path} does not exist; train the run first")
    try:
        data = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise CheckpointError(f"cannot read checkpoint {path}: {exc}") from exc
    if not isinstance(data, dict) or "model_state" not in data:
        raise CheckpointError(f"{path} is not an hfwidgets checkpoint (no model_state)")
    if data.get("format", 0) > CHECKPOINT_FORMAT:
        raise CheckpointError(f"{path} was written by a newer hfwidgets; upgrade to read it")
    return data


# Settings a resumed run must share with its checkpoint: they decide the model's and the
# optimizer's shapes (other settings, such as epochs or the learning rate, may change).
_RESUME_KEYS = (("model", "model"), ("frozen", "frozen groups"), ("mode", "mode"))


def check_resumable(
    state: dict[str, Any],
    *,
    config: dict[str, Any],
    classes: list[str],
    source: str | Path,
) -> None:
    """Check that a run with ``config`` and ``classes`` can continue from checkpoint ``state``.

    Raises
    ------
    CheckpointError
        Naming the checkpoint, what differs, and the settings that resume it.
    """
    saved = dict(state.get("config") or {})
    saved.setdefault("model", state.get("model"))
    saved.setdefault("mode", "fine-tune")
    differences = []
    for key, label in _RESUME_KEYS:
        old, new = saved.get(key), config.get(key)
        if key == "frozen":
            old, new = sorted(old or ()), sorted(new or ())
        if old != new:
            differences.append(f"{label} {old!r} (now {new!r})")
    if list(state.get("classes") or []) != list(classes):
        differences.append(f"classes {state.get('classes')!r} (now {list(classes)!r})")
    if differences:
        raise CheckpointError(
            f"cannot resume from {source}: it was trained with {'; '.join(differences)}. "
            "Resume with the run's own model, frozen groups and classes, or train a new run"
        )
