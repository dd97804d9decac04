"""What a Workbench remembers in its project, and what it makes from that.

The choices (backbone, weights per backbone, frozen groups, training settings, threshold) are
the project setting ``"workbench"``: re-running the notebook reopens the project as it was.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hfwidgets.store.project import Project
from hfwidgets.widgets.model_picker import ModelPicker

if TYPE_CHECKING:
    from hfwidgets.widgets.freeze_checklist import FreezeChecklist
    from hfwidgets.widgets.live_counter import LiveCounter
    from hfwidgets.widgets.training_panel import TrainingPanel

__all__ = [
    "SETTINGS_KEY",
    "TRAINING_CHOICES",
    "choices_of",
    "follow_classes",
    "make_model_picker",
]

SETTINGS_KEY = "workbench"  # project setting holding the Workbench's choices
TRAINING_CHOICES = ("epochs", "batch_size", "lr", "val_fraction")  # TrainingPanel's options


def choices_of(
    *, picker: ModelPicker, checklist: FreezeChecklist, training: TrainingPanel, live: LiveCounter
) -> dict[str, Any]:
    """The choices to store, read from the bench's widgets (JSON-ready)."""
    return {
        "model": picker.value,
        "weights": picker.weights,
        "weights_by_model": dict(picker.weights_by_backbone),
        "frozen": list(checklist.frozen),
        "epochs": int(training.epochs.value),
        "batch_size": int(training.batch_size.value),
        "lr": float(training.lr.value),
        "val_fraction": float(training.val_fraction.value),
        "threshold": float(live.threshold),
    }


def follow_classes(project: Project, classes: tuple[str, ...] | None) -> str:
    """Add the classes ``classes`` names beyond the project's; what to tell when it cannot."""
    if classes is None or tuple(classes) == tuple(project.classes):
        return ""
    missing = [c for c in project.classes if c not in classes]
    if missing:
        return (
            f"classes={tuple(classes)!r} leaves out {', '.join(missing)}, which this project "
            "has: its classes are kept. To add a class, list every class and the new one."
        )
    for name in classes:
        project.add_class(name)  # ValueError naming the rule for a bad name
    return ""


def make_model_picker(state: dict[str, Any], weights: str | None) -> ModelPicker:
    """The picker with the project's remembered weights per backbone, and ``$HFW_WEIGHTS``.

    ``$HFW_WEIGHTS`` wins (it is how tests and offline machines choose): ``none``/``DEFAULT``
    apply to every backbone, a file to the backbone chosen now (shown by its file name, and
    not a second time when it is the built-in offline file).
    """
    model = str(state.get("model", "mobilenet_v2"))
    remembered = {str(k): str(v) for k, v in (state.get("weights_by_model") or {}).items()}
    if "weights" in state and model not in remembered:  # saved before per-backbone memory
        remembered[model] = str(state["weights"])
    env = os.environ.get("HFW_WEIGHTS", "").strip()
    keywords = {"none": "none", "default": "DEFAULT"}
    fallback = keywords.get((env or weights or "").lower())
    if env and fallback is not None:
        remembered = {}
    picker = ModelPicker(model, fallback_weights=fallback)
    for backbone, value in remembered.items():
        if backbone in picker.infos and value not in keywords.values() and Path(value).is_file():
            picker.add_weights_file(value, backbone=backbone)  # a file given earlier
    picker.weights_by_backbone.update({b: v for b, v in remembered.items() if b in picker.infos})
    offered = [v for _t, v in picker.weights_dropdown.options]
    if env:
        picker.choose_weights(env, origin="$HFW_WEIGHTS")
    elif remembered.get(model) in offered:
        picker.weights = remembered[model]
    elif weights:
        picker.choose_weights(weights)
    return picker
