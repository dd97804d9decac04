"""FreezeChecklist: one checkbox per layer group, presets, and the live trainable count."""

from __future__ import annotations

from typing import Any

import ipywidgets as w
import traitlets

from hfwidgets.widgets._close import close_widgets
from hfwidgets.widgets._static import static_bundle

__all__ = ["FreezeChecklist", "group_role"]


def group_role(name: str, index: int, count: int) -> str:
    """What layer group ``name`` (``index`` of ``count``, input to head) detects, in words.

    CNNs learn general patterns first and task-specific ones last: the stem and early stages
    respond to edges and ridges (in a scalogram: onsets and frequency bands), the middle to
    textures and combinations, the late stages to whole shapes like the one ImageNet classes
    have. Freezing early groups keeps those general detectors; training late ones adapts them.
    """
    if name == "head":
        return "new head: maps the features to your classes"
    if index == 0:
        return "stem: first convolution, edges and ridges"
    if name == "conv_last":
        return "last 1×1 convolution: mixes the late features"
    share = index / max(count - 1, 1)
    if share < 0.4:
        return "early: edges, onsets, frequency bands"
    if share < 0.75:
        return "middle: textures and combinations of them"
    return "late: whole shapes, closest to ImageNet's classes"


class FreezeChecklist(w.VBox):
    """Tick the layer groups of ``backbone`` to freeze; see trainable parameters as you tick.

    Parameters
    ----------
    backbone
        A name from :func:`hfwidgets.models.list_backbones`.
    frozen
        Initially frozen groups; default: the feature-extractor preset (all but the head).
    num_classes
        Classes of the new head (its size counts as trainable).

    Attributes
    ----------
    frozen : list of str
        Frozen groups in network order (a trait: observe it, or link it to a TrainingPanel).
    trainable, total : int
        Parameter counts for the current ticks.
    """

    backbone = traitlets.Unicode("mobilenet_v2", help="Backbone whose groups are listed.")
    frozen = traitlets.List(traitlets.Unicode(), help="Frozen layer groups, in network order.")
    trainable = traitlets.Int(0, help="Trainable parameters with the current ticks.")
    total = traitlets.Int(0, help="All parameters of the backbone with its new head.")

    def __init__(
        self,
        backbone: str = "mobilenet_v2",
        *,
        frozen: list[str] | None = None,
        num_classes: int = 2,
    ) -> None:
        from hfwidgets.models.freezing import FREEZE_PRESETS  # the one vocabulary (hfw train too)

        self.num_classes = int(num_classes)
        self.checkboxes: dict[str, w.Checkbox] = {}
        self.group_sizes: dict[str, int] = {}
        self._updating = False
        self._building = False
        self.boxes = w.VBox(layout=w.Layout(max_height="320px", overflow="auto"))
        self.preset = w.Dropdown(
            description="Preset",
            options=list(FREEZE_PRESETS),
            value="feature extractor",
            style={"description_width": "initial"},
        )
        self.last_n = w.BoundedIntText(
            value=2,
            min=1,
            max=2,
            description="N",
            layout=_narrow(),
            style={"description_width": "16px"},
        )
        self.apply_preset_button = w.Button(
            description="Apply preset",
            icon="check",
            layout=w.Layout(width="auto", min_width="130px"),
        )
        self.apply_preset_button.on_click(lambda _b: self.apply_preset(self.preset.value))
        self.count_html = w.HTML()
        super().__init__(
            [
                w.HBox(
                    [self.preset, self.last_n, self.apply_preset_button],
                    layout=w.Layout(flex_flow="row wrap"),
                ),
                self.boxes,
                self.count_html,
            ]
        )
        self.add_class("hfw-freeze-checklist")
        self._build(backbone, frozen)

    def apply_preset(self, preset: str, *, n: int | None = None) -> list[str]:
        """Tick boxes by preset (a key of :data:`hfwidgets.models.FREEZE_PRESETS`, as ``hfw train
        --freeze-preset`` takes them); returns the frozen groups."""
        from hfwidgets.models.freezing import preset_frozen

        keep = max(1, int(n if n is not None else self.last_n.value))
        self.frozen = preset_frozen(self.backbone, preset, n=keep)
        return self.frozen

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any] | None:
        return static_bundle(
            super()._repr_mimebundle_(**kwargs),
            f"FreezeChecklist: {self.backbone}, {len(self.frozen)} of {len(self.checkboxes)} "
            f"groups frozen ({', '.join(self.frozen) or 'none'}); {self.trainable:,} of "
            f"{self.total:,} parameters trainable",
        )

    @property
    def groups(self) -> list[str]:
        """Layer groups of the current backbone, input to head."""
        return list(self.checkboxes)

    @traitlets.observe("backbone")
    def _on_backbone(self, change: dict[str, Any]) -> None:
        if not self._building:
            self._build(change["new"], None)

    @traitlets.observe("frozen")
    def _on_frozen(self, change: dict[str, Any]) -> None:
        from hfwidgets.models import count_trainable_for, validate_frozen

        ordered = validate_frozen(self.backbone, change["new"])
        if ordered != list(change["new"]):
            self.frozen = ordered  # keep network order; re-enters once
            return
        self._updating = True
        try:
            with self.hold_sync():
                for name, box in self.checkboxes.items():
                    box.value = name in ordered
                trainable, total = count_trainable_for(
                    self.backbone, ordered, num_classes=self.num_classes
                )
                self.trainable, self.total = trainable, total
                share = 100.0 * trainable / total if total else 0.0
                self.count_html.value = (
                    f"<b>{trainable:,}</b> of {total:,} parameters trainable "
                    f"(<b>{share:.2f} %</b>) · {len(ordered)} of {len(self.checkboxes)} "
                    "groups frozen"
                )
        finally:
            self._updating = False

    def _build(self, backbone: str, frozen: list[str] | None) -> None:
        from hfwidgets.models import count_trainable_for, layer_groups

        groups = layer_groups(backbone)  # raises ValueError naming the known backbones
        self.checkboxes = {}
        self.group_sizes = {}
        rows = []
        for index, name in enumerate(groups):
            box = w.Checkbox(description=name, indent=False, layout=w.Layout(width="130px"))
            box.observe(self._on_box, "value")
            self.checkboxes[name] = box
            trainable, total = count_trainable_for(backbone, [name], num_classes=self.num_classes)
            size = total - trainable
            self.group_sizes[name] = size
            rows.append(
                w.HBox(
                    [
                        box,
                        w.HTML(
                            f"<small><b>{size:,}</b> parameters</small>",
                            layout=w.Layout(width="130px", flex="0 0 auto"),
                        ),
                        # Its own line height: wrapped in a narrow window, it stays in its row.
                        w.HTML(
                            "<div style='line-height:1.25;font-size:85%'>"
                            f"{group_role(name, index, len(groups))}</div>",
                            layout=w.Layout(flex="1 1 160px", min_width="0"),
                        ),
                    ],
                    layout=w.Layout(align_items="center", height="auto"),
                )
            )
        replaced = self.boxes.children
        self.boxes.children = tuple(rows)
        # Another backbone's rows (other groups): closed, or each switch of backbone would leave
        # its checkboxes, texts and their observers in the kernel and the front end.
        close_widgets(replaced)
        self.last_n.max = len(groups)
        self._building = True
        try:
            self.backbone = backbone
        finally:
            self._building = False
        initial = groups[:-1] if frozen is None else list(frozen)
        # Assign through the trait so the count refreshes even when the list is equal.
        self.set_trait("frozen", [])
        self.frozen = initial

    def _on_box(self, _change: dict[str, Any]) -> None:
        if self._updating:
            return
        self.frozen = [name for name, box in self.checkboxes.items() if box.value]


def _narrow() -> w.Layout:
    return w.Layout(width="90px")
