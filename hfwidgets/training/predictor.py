"""A trained run as a function from raw x, y, z windows to class probabilities.

The live classifier calls :meth:`RunPredictor.predict_proba` once per hop, so it is kept cheap:
the network is built once, in eval mode, and run under ``torch.inference_mode`` on a batch.
A :class:`RunPredictor` satisfies :class:`hfwidgets.live.Predictor`, the protocol live
inference accepts (any object with ``classes``, ``rate_hz`` and ``predict_proba``).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from hfwidgets.errors import HfwError
from hfwidgets.live.calibration import OperatingPoint, stored_operating_point
from hfwidgets.models import StagedNet, build_architecture
from hfwidgets.scalogram import ScalogramSettings, compute_scalograms
from hfwidgets.store.run_status import ended_well
from hfwidgets.training.checkpoint import load_checkpoint

if TYPE_CHECKING:
    from hfwidgets.store import Project

__all__ = ["RunPredictor", "latest_run_id", "load_predictor"]


class RunPredictor:
    """Class probabilities of acceleration windows, with the run's scalogram settings.

    Attributes
    ----------
    classes : list of str
    settings : ScalogramSettings
    rate_hz : float
        The sample rate the model was trained at.
    window_s : float or None
        Median duration of the training windows (what live inference should cut), if known.
    model_name : str
    net : StagedNet
        Images in [0, 1] -> logits, in eval mode.
    """

    def __init__(
        self,
        net: StagedNet,
        *,
        classes: list[str],
        settings: ScalogramSettings,
        rate_hz: float,
        model_name: str,
        run_id: int | None = None,
        window_s: float | None = None,
    ) -> None:
        self.net = net.eval()
        self.classes = list(classes)
        self.settings = settings
        self.rate_hz = float(rate_hz)
        self.model_name = model_name
        self.run_id = run_id
        self.window_s = window_s
        #: The run's calibrated counting settings (`hfwidgets.live.calibration`), set by
        #: :func:`load_predictor`; None when the run was never calibrated.
        self.operating_point: OperatingPoint | None = None

    @classmethod
    def from_checkpoint(cls, path: str | Path, *, run_id: int | None = None) -> RunPredictor:
        """Build from a checkpoint written by the trainer (see :mod:`.checkpoint`)."""
        state = load_checkpoint(path)
        return cls.from_state(state, run_id=run_id, source=str(path))

    @classmethod
    def from_state(
        cls, state: dict[str, Any], *, run_id: int | None = None, source: str = "checkpoint"
    ) -> RunPredictor:
        config = state.get("config") or {}
        name = state["model"]
        pretrained = str(config.get("weights", "DEFAULT")).lower() != "none"
        model = build_architecture(name, num_classes=len(state["classes"]), pretrained=pretrained)
        model.load_state_dict(state["model_state"])
        if "scalogram" not in state or "rate_hz" not in state:
            raise HfwError(f"{source} lacks scalogram settings or rate; retrain with hfwidgets")
        return cls(
            StagedNet(model, name),
            classes=list(state["classes"]),
            settings=ScalogramSettings.from_dict(state["scalogram"]),
            rate_hz=float(state["rate_hz"]),
            model_name=name,
            run_id=run_id,
            window_s=float(state["window_s"]) if state.get("window_s") else None,
        )

    def predict_images(self, images: np.ndarray | torch.Tensor) -> np.ndarray:
        """Probabilities ``[B, C]`` of scalogram images ``[B, 3, H, W]`` in [0, 1]."""
        with torch.inference_mode():
            logits = self.net(torch.as_tensor(images, dtype=torch.float32))
            return torch.softmax(logits, dim=1).numpy()

    def predict_proba(self, windows: np.ndarray, *, rate_hz: float | None = None) -> np.ndarray:
        """Probabilities ``[B, C]`` (columns in :attr:`classes` order) of windows ``[B, n, 3]``.

        ``rate_hz`` defaults to the training rate; pass the source's rate if it differs.
        """
        array = np.asarray(windows, dtype=np.float32)
        if array.ndim == 2:
            array = array[None]
        images = compute_scalograms(array, rate_hz=rate_hz or self.rate_hz, settings=self.settings)
        return self.predict_images(images)

    def predict(self, windows: np.ndarray, *, rate_hz: float | None = None) -> list[str]:
        """The most probable class name of each window."""
        proba = self.predict_proba(windows, rate_hz=rate_hz)
        return [self.classes[i] for i in proba.argmax(axis=1)]


def latest_run_id(project: Project) -> int:
    """The newest run of ``project`` that has a checkpoint (finished runs preferred)."""
    runs = [r for r in project.runs() if project.checkpoint_path(r.id).is_file()]
    finished = [r for r in runs if ended_well(r.status)]
    pick = finished or runs
    if not pick:
        raise HfwError(f"project {project.path} has no trained run; train one first (hfw train)")
    return int(pick[-1].id)


def load_predictor(project: Project, run_id: int | None = None) -> RunPredictor:
    """The :class:`RunPredictor` of run ``run_id`` of ``project`` (default: the latest trained)."""
    if run_id is None:
        run_id = latest_run_id(project)
    predictor = RunPredictor.from_checkpoint(project.checkpoint_path(run_id), run_id=run_id)
    # The counting settings calibrated for this run (hfw calibrate); live counting uses them.
    try:
        predictor.operating_point = stored_operating_point(project, run_id)
    except ValueError as exc:  # a damaged point must not stop the run from counting
        logging.getLogger(__name__).warning("%s; counting with the default settings", exc)
    return predictor
