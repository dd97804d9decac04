"""Building a backbone with the weights a person asked for, and a fresh head for N classes.

Three kinds of weights: ``"DEFAULT"`` (or any torchvision weights enum name such as
``"IMAGENET1K_V1"``) through torchvision's weights API, which downloads into the torch hub cache;
a local state-dict file of the 1000-class ImageNet model; or ``"none"`` (random initialisation).
"""

from __future__ import annotations

import pickle
import urllib.error
from pathlib import Path
from typing import Any

import torch
import torchvision
from torch import nn

from hfwidgets.errors import HfwError
from hfwidgets.models.registry import get_spec

__all__ = [
    "WeightsError",
    "build_architecture",
    "build_model",
    "build_skeleton",
    "check_weights",
    "replace_head",
    "resolve_weights_enum",
]

IMAGENET_CLASSES = 1000


class WeightsError(HfwError):
    """The requested pretrained weights cannot be had (offline, bad file, wrong model)."""


def _options_hint(name: str) -> str:
    cache = Path(torch.hub.get_dir()) / "checkpoints"
    return (
        f"options: weights='DEFAULT' (torchvision downloads into {cache}; copy the file there "
        f"when offline), weights=PATH (a local state dict of torchvision's ImageNet {name}), "
        "or weights='none' (random initialisation, needs far more data)"
    )


def _builder_kwargs(name: str, *, pretrained: bool) -> dict[str, Any]:
    if name == "googlenet":
        # No auxiliary classifiers (they only matter when training from scratch); torchvision
        # uses transform_input for its ImageNet weights, so keep that whenever weights are loaded.
        return {"aux_logits": False, "init_weights": not pretrained, "transform_input": pretrained}
    return {}


def resolve_weights_enum(name: str, weights: str) -> torchvision.models.WeightsEnum:
    """Map ``"DEFAULT"`` or an enum member name (``"IMAGENET1K_V1"``) to torchvision's weights."""
    enum = torchvision.models.get_model_weights(name)
    key = "DEFAULT" if weights.upper() == "DEFAULT" else weights
    try:
        return enum[key]
    except KeyError:
        known = ", ".join(member.name for member in enum)
        raise ValueError(
            f"weights {weights!r} is not a file and not one of {name}'s weights ({known}); "
            + _options_hint(name)
        ) from None


def build_skeleton(name: str, *, device: str | torch.device | None = None) -> nn.Module:
    """The 1000-class ImageNet model with random weights (``device="meta"`` allocates nothing)."""
    get_spec(name)
    kwargs = _builder_kwargs(name, pretrained=device == "meta")
    with torch.device(device or "cpu"):
        return _get_model(name, kwargs)


def _get_model(name: str, kwargs: dict[str, Any]) -> nn.Module:
    model = torchvision.models.get_model(name, weights=None, **kwargs)
    if not isinstance(model, nn.Module):  # pragma: no cover - torchvision's builders return one
        raise TypeError(f"torchvision built a {type(model).__name__} for {name}")
    return model


def _imagenet_model(name: str, *, pretrained: bool) -> nn.Module:
    return _get_model(name, _builder_kwargs(name, pretrained=pretrained))


def _load_enum(name: str, weights: str) -> nn.Module:
    member = resolve_weights_enum(name, weights)
    model = _imagenet_model(name, pretrained=True)
    try:
        state = member.get_state_dict(progress=False, check_hash=True)
    except (urllib.error.URLError, OSError, RuntimeError) as exc:
        raise WeightsError(
            f"could not get {member} for {name} ({exc}); {_options_hint(name)}"
        ) from exc
    state = {k: v for k, v in state.items() if not k.startswith(("aux1.", "aux2."))}
    model.load_state_dict(state, strict=True)
    return model


def _read_state_dict(name: str, path: Path) -> dict[str, torch.Tensor]:
    """The tensors of a state-dict file, read without running any code from it."""
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        # torch's message suggests weights_only=False, which would run the file's code: never.
        raise WeightsError(
            f"weights file {path} is not a plain state dict: it holds pickled Python objects, "
            "and hfwidgets reads weights without running code from the file. Save the weights "
            f"as a state dict (torch.save(model.state_dict(), PATH)); {_options_hint(name)}"
        ) from exc
    except Exception as exc:  # a text file, a truncated zip, a directory...
        lines = str(exc).splitlines()
        reason = f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__
        raise WeightsError(
            f"cannot read weights file {path}: it is not a state dict written by torch.save "
            f"({reason}); {_options_hint(name)}"
        ) from exc
    if isinstance(state, dict) and "state_dict" in state and isinstance(state["state_dict"], dict):
        state = state["state_dict"]
    tensors = isinstance(state, dict) and all(
        isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in state.items()
    )
    if not tensors or not state:
        kind = type(state).__name__ if not isinstance(state, dict) else "dict of non-tensors"
        raise WeightsError(
            f"weights file {path} holds a {kind}, not a state dict of {name} (names -> "
            f"tensors); {_options_hint(name)}"
        )
    return {k: v for k, v in state.items() if not k.startswith(("aux1.", "aux2."))}


def _load_file(name: str, path: Path) -> nn.Module:
    state = _read_state_dict(name, path)
    model = _imagenet_model(name, pretrained=True)
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        first = str(exc).splitlines()[0:3]
        raise WeightsError(
            f"{path} is not a state dict of torchvision's ImageNet {name} ({' '.join(first)}); "
            "pass the file saved for this model, or pick the model that file belongs to"
        ) from exc
    return model


def check_weights(name: str, weights: str | Path) -> None:
    """Check, without building the model, that ``weights`` can be had for backbone ``name``.

    A file is read (as :func:`build_model` reads it) and its tensor names and shapes compared
    with the ImageNet model's; an enum name is resolved. Downloads are not tried.

    Raises
    ------
    WeightsError
        The file is missing, unreadable, not a state dict or one of another model.
    ValueError
        An unknown backbone or weights name.
    """
    get_spec(name)
    text = str(weights)
    if text.lower() == "none":
        return
    path = Path(text).expanduser()
    if not path.is_file():
        if "/" in text or text.endswith((".pth", ".pt")):
            raise WeightsError(f"weights file {text} does not exist; {_options_hint(name)}")
        resolve_weights_enum(name, text)
        return
    state = _read_state_dict(name, path)
    skeleton = build_skeleton(name, device="meta")  # shapes only, no memory
    expected = {k: tuple(v.shape) for k, v in skeleton.state_dict().items()}
    got = {k: tuple(v.shape) for k, v in state.items()}
    if got != expected:
        missing = sorted(set(expected) - set(got))[:3]
        unexpected = sorted(set(got) - set(expected))[:3]
        shapes = sorted(k for k in set(got) & set(expected) if got[k] != expected[k])[:3]
        detail = "; ".join(
            f"{what}: {', '.join(keys)}"
            for what, keys in (("missing", missing), ("unexpected", unexpected),
                               ("other shape", shapes))
            if keys
        )  # fmt: skip
        raise WeightsError(
            f"{path} is not a state dict of torchvision's ImageNet {name} ({detail}); pass the "
            "file saved for this model, or pick the model that file belongs to"
        )


def replace_head(model: nn.Module, name: str, *, num_classes: int) -> nn.Module:
    """Swap the ImageNet classifier of ``model`` for a fresh layer with ``num_classes`` outputs."""
    spec = get_spec(name)
    old = model.get_submodule(spec.head_path)
    new: nn.Module
    if isinstance(old, nn.Linear):
        new = nn.Linear(old.in_features, num_classes)
    elif isinstance(old, nn.Conv2d):  # SqueezeNet classifies with a 1x1 convolution
        new = nn.Conv2d(old.in_channels, num_classes, kernel_size=1)
    else:  # pragma: no cover - the registry only names Linear/Conv2d heads
        raise TypeError(f"cannot replace head {spec.head_path} of type {type(old).__name__}")
    parent_path, _, attr = spec.head_path.rpartition(".")
    parent = model.get_submodule(parent_path) if parent_path else model
    setattr(parent, attr, new)
    return model


def build_architecture(name: str, *, num_classes: int, pretrained: bool) -> nn.Module:
    """The model :func:`build_model` builds, with random weights, ready for ``load_state_dict``.

    ``pretrained`` must match how the saved model was built (GoogLeNet scales its input
    differently for ImageNet weights).
    """
    get_spec(name)
    return replace_head(_imagenet_model(name, pretrained=pretrained), name, num_classes=num_classes)


def build_model(name: str, *, num_classes: int, weights: str | Path = "DEFAULT") -> nn.Module:
    """Build backbone ``name`` with the requested weights and a new ``num_classes`` head.

    Parameters
    ----------
    name : str
        One of :func:`hfwidgets.models.list_backbones`.
    num_classes : int
        Outputs of the new head (at least 2).
    weights : str or Path
        ``"DEFAULT"`` / a torchvision enum member name, a path to a state dict of the ImageNet
        model (loaded strictly before the head is replaced), or ``"none"``.

    Returns
    -------
    torch.nn.Module
        The torchvision model with its head replaced.

    Raises
    ------
    WeightsError
        The weights cannot be had; the message names the three options and the cache folder.
    """
    get_spec(name)
    if num_classes < 2:
        raise ValueError(f"num_classes must be at least 2, got {num_classes}")
    text = str(weights)
    if text.lower() == "none":
        model = _imagenet_model(name, pretrained=False)
    elif Path(text).expanduser().is_file():
        model = _load_file(name, Path(text).expanduser())
    elif "/" in text or text.endswith((".pth", ".pt")):
        raise WeightsError(f"weights file {text} does not exist; {_options_hint(name)}")
    else:
        model = _load_enum(name, text)
    return replace_head(model, name, num_classes=num_classes)
