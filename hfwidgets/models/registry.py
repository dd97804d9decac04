"""The backbone registry: which torchvision CNNs hfwidgets offers and how each is cut into groups.

Every backbone is described once, as data: its ordered layer groups (input to head, the last one
is the new head), the module paths each group owns, and where a global pool sits. Freezing,
the frozen-prefix feature cache and export all read the same description, so a new backbone is
one entry here.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["BACKBONES", "BackboneSpec", "GroupSpec", "get_spec", "list_backbones"]


@dataclass(frozen=True)
class GroupSpec:
    """One freezable layer group.

    Attributes
    ----------
    name : str
        What a person ticks in the freeze checklist (``"stem"``, ``"stage3"``, ``"head"``).
    modules : tuple of str
        Submodule paths of the torchvision model, run in this order.
    pool : {"", "avg", "mean"}
        Parameter-free global pooling + flatten run after the modules (``"avg"``: adaptive average
        pool, ``"mean"``: mean over height and width, as ShuffleNet does).
    """

    name: str
    modules: tuple[str, ...]
    pool: str = ""


@dataclass(frozen=True)
class BackboneSpec:
    """How one torchvision backbone is built, grouped and given a new head."""

    name: str
    groups: tuple[GroupSpec, ...]
    head_path: str  # the module replaced by a fresh one for N classes

    @property
    def group_names(self) -> list[str]:
        return [group.name for group in self.groups]


def _features(prefix: str, spans: list[tuple[str, list[int]]]) -> list[GroupSpec]:
    """Group ``features.<i>`` blocks into named stages (by output resolution, as the papers do)."""
    return [GroupSpec(name, tuple(f"{prefix}.{i}" for i in idx)) for name, idx in spans]


def _mobilenet_v2() -> BackboneSpec:
    spans = [("stem", [0]), ("stage1", [1]), ("stage2", [2, 3]), ("stage3", [4, 5, 6]),
             ("stage4", [7, 8, 9, 10]), ("stage5", [11, 12, 13]), ("stage6", [14, 15, 16]),
             ("stage7", [17])]  # fmt: skip
    groups = _features("features", spans)
    groups.append(GroupSpec("conv_last", ("features.18",), "avg"))
    groups.append(GroupSpec("head", ("classifier",)))
    return BackboneSpec("mobilenet_v2", tuple(groups), "classifier.1")


def _mobilenet_v3(name: str, spans: list[tuple[str, list[int]]], last: int) -> BackboneSpec:
    groups = _features("features", spans)
    groups.append(GroupSpec("conv_last", (f"features.{last}",), "avg"))
    groups.append(GroupSpec("pre_logits", ("classifier.0", "classifier.1", "classifier.2")))
    groups.append(GroupSpec("head", ("classifier.3",)))
    return BackboneSpec(name, tuple(groups), "classifier.3")


def _efficientnet_b0() -> BackboneSpec:
    groups = _features("features", [("stem", [0])] + [(f"stage{i}", [i]) for i in range(1, 8)])
    groups.append(GroupSpec("conv_last", ("features.8",), "avg"))
    groups.append(GroupSpec("head", ("classifier",)))
    return BackboneSpec("efficientnet_b0", tuple(groups), "classifier.1")


def _resnet18() -> BackboneSpec:
    groups = (
        GroupSpec("stem", ("conv1", "bn1", "relu", "maxpool")),
        GroupSpec("layer1", ("layer1",)),
        GroupSpec("layer2", ("layer2",)),
        GroupSpec("layer3", ("layer3",)),
        GroupSpec("layer4", ("layer4",), "avg"),
        GroupSpec("head", ("fc",)),
    )
    return BackboneSpec("resnet18", groups, "fc")


def _googlenet() -> BackboneSpec:
    # The seed's network. Its input transform is added by the stage builder (see staging.py).
    groups = (
        GroupSpec("stem", ("conv1", "maxpool1", "conv2", "conv3", "maxpool2")),
        GroupSpec("inception3", ("inception3a", "inception3b", "maxpool3")),
        GroupSpec("inception4", (*(f"inception4{c}" for c in "abcde"), "maxpool4")),
        GroupSpec("inception5", ("inception5a", "inception5b"), "avg"),
        GroupSpec("head", ("dropout", "fc")),
    )
    return BackboneSpec("googlenet", groups, "fc")


def _squeezenet1_1() -> BackboneSpec:
    spans = [("stem", [0, 1, 2]), ("fire1", [3, 4, 5]), ("fire2", [6, 7, 8]),
             ("fire3", [9, 10]), ("fire4", [11, 12])]  # fmt: skip
    groups = [*_features("features", spans), GroupSpec("head", ("classifier",), "flatten")]
    return BackboneSpec("squeezenet1_1", tuple(groups), "classifier.1")


def _shufflenet_v2_x1_0() -> BackboneSpec:
    groups = (
        GroupSpec("stem", ("conv1", "maxpool")),
        GroupSpec("stage2", ("stage2",)),
        GroupSpec("stage3", ("stage3",)),
        GroupSpec("stage4", ("stage4",)),
        GroupSpec("conv5", ("conv5",), "mean"),
        GroupSpec("head", ("fc",)),
    )
    return BackboneSpec("shufflenet_v2_x1_0", groups, "fc")


# Blocks of MobileNetV3's ``features`` grouped by output resolution/width, as in the paper's table.
_V3_SMALL_SPANS = [("stem", [0]), ("stage1", [1]), ("stage2", [2, 3]), ("stage3", [4, 5, 6]),
                   ("stage4", [7, 8]), ("stage5", [9, 10, 11])]  # fmt: skip
_V3_LARGE_SPANS = [("stem", [0]), ("stage1", [1]), ("stage2", [2, 3]), ("stage3", [4, 5, 6]),
                   ("stage4", [7, 8, 9, 10]), ("stage5", [11, 12]),
                   ("stage6", [13, 14, 15])]  # fmt: skip

BACKBONES: dict[str, BackboneSpec] = {
    spec.name: spec
    for spec in (
        _googlenet(),
        _resnet18(),
        _mobilenet_v2(),
        _mobilenet_v3(
            "mobilenet_v3_small",
            _V3_SMALL_SPANS,
            12,
        ),
        _mobilenet_v3(
            "mobilenet_v3_large",
            _V3_LARGE_SPANS,
            16,
        ),
        _squeezenet1_1(),
        _shufflenet_v2_x1_0(),
        _efficientnet_b0(),
    )
}


def list_backbones() -> list[str]:
    """Names of the backbones hfwidgets can build, in the order a picker shows them."""
    return list(BACKBONES)


def get_spec(name: str) -> BackboneSpec:
    """Return the registry entry of ``name``; a ``ValueError`` lists the known names."""
    try:
        return BACKBONES[name]
    except KeyError:
        known = ", ".join(BACKBONES)
        raise ValueError(f"unknown model {name!r}: choose one of {known}") from None
