"""True freezing by layer group: no gradients, no optimizer state, BatchNorm statistics fixed."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import Any

from torch import nn

from hfwidgets.models.registry import get_spec
from hfwidgets.models.weights import build_skeleton, replace_head

__all__ = [
    "ALL_BUT_HEAD",
    "FREEZE_PRESETS",
    "apply_freeze",
    "count_parameters",
    "count_trainable_for",
    "frozen_prefix_length",
    "frozen_until",
    "layer_groups",
    "preset_frozen",
    "resolve_frozen",
    "set_train_mode",
    "trainable_param_groups",
    "validate_frozen",
]


# The one freezing vocabulary: the FreezeChecklist offers these presets and ``hfw train
# --freeze-preset`` takes them (spelled with hyphens or spaces, any case: "feature-extractor").
FREEZE_PRESETS: dict[str, str] = {
    "feature extractor": "freeze every group but the new head",
    "fine-tune last N": "train the last N groups (the head included), freeze the rest",
    "everything": "train every layer (freeze nothing)",
}

#: The pseudo-group of ``frozen_until`` (``--freeze-until backbone``): every group but the head,
#: the same as the ``"feature extractor"`` preset.
ALL_BUT_HEAD = "backbone"


def layer_groups(name: str) -> list[str]:
    """Freezable groups of backbone ``name``, ordered from input to the new head (last)."""
    return get_spec(name).group_names


def validate_frozen(name: str, frozen: Iterable[str]) -> list[str]:
    """Check ``frozen`` against the groups of ``name``; return it in network order.

    Raises
    ------
    ValueError
        A group name that ``name`` does not have (the message lists the valid ones).
    """
    groups = layer_groups(name)
    wanted = set(frozen)
    unknown = sorted(wanted - set(groups))
    if unknown:
        raise ValueError(
            f"{name} has no layer group {', '.join(unknown)}; its groups are {', '.join(groups)}"
        )
    return [group for group in groups if group in wanted]


def _spelling(text: str) -> str:
    return " ".join(text.replace("-", " ").replace("_", " ").lower().split())


def _preset_key(preset: str) -> str:
    """The ``FREEZE_PRESETS`` key ``preset`` spells (``"fine-tune-last"``: "fine-tune last N")."""
    wanted = _spelling(preset)
    for key in FREEZE_PRESETS:
        spelled = _spelling(key)
        if wanted in (spelled, spelled.removesuffix(" n")):
            return key
    raise ValueError(
        f"unknown freeze preset {preset!r}; the presets are "
        + "; ".join(f"{key!r} ({text})" for key, text in FREEZE_PRESETS.items())
    )


def preset_frozen(name: str, preset: str, *, n: int | None = None) -> list[str]:
    """The groups of backbone ``name`` that preset ``preset`` (a ``FREEZE_PRESETS`` key) freezes.

    ``n`` is the number of trained groups of ``"fine-tune last N"`` (more than the backbone has
    trains everything).

    Raises
    ------
    ValueError
        An unknown preset (the message lists them), or ``"fine-tune last N"`` without ``n >= 1``.
    """
    groups = layer_groups(name)
    key = _preset_key(preset)
    if key == "feature extractor":
        return groups[:-1]
    if key == "everything":
        return []
    if n is None or n < 1:
        raise ValueError(
            f"freeze preset {key!r} needs N >= 1, the number of groups to train (n=N; "
            "hfw train --last-n N)"
        )
    return groups[: max(0, len(groups) - n)]


def frozen_until(name: str, group: str) -> list[str]:
    """Groups of ``name`` from the input up to and including ``group`` (``"backbone"``: all but
    the head).

    Raises
    ------
    ValueError
        ``name`` has no such group (the message lists its groups).
    """
    groups = layer_groups(name)
    if group == ALL_BUT_HEAD:
        return groups[:-1]
    if group not in groups:
        raise ValueError(
            f"{name} has no layer group {group!r} to freeze up to; its groups are "
            f"{', '.join(groups)} (or {ALL_BUT_HEAD!r} for all but the head)"
        )
    return groups[: groups.index(group) + 1]


def resolve_frozen(
    name: str,
    *,
    groups: str | Iterable[str] | None = None,
    until: str | None = None,
    preset: str | None = None,
    n: int | None = None,
) -> tuple[str, ...]:
    """The frozen groups of ``name`` from at most one of three ways of saying them.

    Parameters
    ----------
    groups : str or iterable of str, optional
        The groups themselves (a comma-separated string is split).
    until : str, optional
        Freeze from the input up to and including this group (see :func:`frozen_until`).
    preset : str, optional
        A key of ``FREEZE_PRESETS`` (see :func:`preset_frozen`), with ``n`` for
        ``"fine-tune last N"``.

    Returns
    -------
    tuple of str
        In network order; empty when nothing is said.
    """
    said = [kind for kind, value in (("groups", groups), ("until", until), ("preset", preset))
            if value is not None]  # fmt: skip
    if len(said) > 1:
        raise ValueError(f"say the frozen groups one way, not by {' and '.join(said)}")
    if until is not None:
        return tuple(frozen_until(name, until))
    if preset is not None:
        return tuple(preset_frozen(name, preset, n=n))
    if isinstance(groups, str):
        groups = [part.strip() for part in groups.split(",") if part.strip()]
    return tuple(validate_frozen(name, groups or ()))


def frozen_prefix_length(name: str, frozen: Iterable[str]) -> int:
    """Number of leading groups frozen when ``frozen`` is exactly a prefix of the groups, else 0."""
    ordered = validate_frozen(name, frozen)
    groups = layer_groups(name)
    return len(ordered) if ordered == groups[: len(ordered)] else 0


def _group_modules(model: nn.Module, name: str) -> dict[str, list[nn.Module]]:
    return {
        group.name: [model.get_submodule(path) for path in group.modules]
        for group in get_spec(name).groups
    }


def apply_freeze(model: nn.Module, name: str, frozen: Iterable[str]) -> nn.Module:
    """Freeze the groups ``frozen`` of ``model`` and unfreeze all others.

    A frozen parameter has ``requires_grad=False`` (so the optimizer never sees it) and the
    BatchNorm/Dropout layers of frozen groups stay in eval mode under :func:`set_train_mode`.
    """
    wanted = set(validate_frozen(name, frozen))
    for param in model.parameters():
        param.requires_grad_(True)
    for group, modules in _group_modules(model, name).items():
        if group in wanted:
            for module in modules:
                module.requires_grad_(False)
    model._hfw_frozen = sorted(wanted)  # type: ignore[assignment]  # read by set_train_mode
    return model


def set_train_mode(model: nn.Module, name: str, frozen: Iterable[str] | None = None) -> None:
    """``model.train()``, except frozen groups, which stay in eval mode (running stats fixed)."""
    wanted = set(frozen if frozen is not None else getattr(model, "_hfw_frozen", ()))
    model.train()
    for group, modules in _group_modules(model, name).items():
        if group in wanted:
            for module in modules:
                module.eval()


def count_parameters(model: nn.Module) -> tuple[int, int]:
    """Return ``(trainable, total)`` parameter counts of ``model``."""
    total = trainable = 0
    for param in model.parameters():
        total += param.numel()
        if param.requires_grad:
            trainable += param.numel()
    return trainable, total


@functools.lru_cache(maxsize=32)
def _skeleton(name: str, num_classes: int) -> nn.Module:
    # On the meta device: shapes only, no memory, no initialisation cost.
    return replace_head(build_skeleton(name, device="meta"), name, num_classes=num_classes)


@functools.lru_cache(maxsize=64)
def _group_sizes(name: str, num_classes: int) -> dict[str, int]:
    model = _skeleton(name, num_classes)
    sizes: dict[str, int] = {}
    seen: set[int] = set()
    for group, modules in _group_modules(model, name).items():
        count = 0
        for module in modules:
            for param in module.parameters():
                if id(param) not in seen:
                    seen.add(id(param))
                    count += param.numel()
        sizes[group] = count
    return sizes


def count_trainable_for(
    name: str, frozen: Iterable[str], *, num_classes: int = 2
) -> tuple[int, int]:
    """``(trainable, total)`` of backbone ``name`` with ``frozen`` groups, without building weights.

    Cheap enough to call on every checkbox change: per-group sizes come from a cached skeleton on
    PyTorch's meta device.
    """
    wanted = set(validate_frozen(name, frozen))
    sizes = _group_sizes(name, num_classes)
    total = sum(sizes.values())
    return total - sum(size for group, size in sizes.items() if group in wanted), total


def trainable_param_groups(
    model: nn.Module, name: str, *, lr: float, head_lr_factor: float = 1.0
) -> list[dict[str, Any]]:
    """Optimizer parameter groups of the trainable parameters of ``model``.

    Frozen parameters are left out, so they get no optimizer state at all; the head's learning
    rate is ``lr * head_lr_factor`` (MATLAB's learn-rate factors for new layers).
    """
    head_modules = get_spec(name).groups[-1].modules
    head = {id(p) for path in head_modules for p in model.get_submodule(path).parameters()}
    trainable = [p for p in model.parameters() if p.requires_grad]
    body_params = [p for p in trainable if id(p) not in head]
    head_params = [p for p in trainable if id(p) in head]
    groups: list[dict[str, Any]] = [{"params": body_params, "lr": lr}] if body_params else []
    if head_params:
        groups.append({"params": head_params, "lr": lr * head_lr_factor})
    return groups
