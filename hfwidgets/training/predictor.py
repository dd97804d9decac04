"""A trained run as a function from raw x, y, z windows to class probabilities.

The live classifier calls :meth:`RunPredictor.predict_proba` once per hop, so it is kept cheap:
the network is built once, in eval mode, and run under ``torch.inference_mode`` on a batch.
A :class:`RunPredictor` satisfies :class:`hfwidgets.live.Predictor`, the protocol live
inference accepts (any object with ``classes``, ``rate_hz`` and ``predict_proba``).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from hfwidgets.errors import HfwError
from hfwidgets.live.operating_point import OperatingPoint, stored_operating_point
from hfwidgets.models import StagedNet, build_architecture
from hfwidgets.resampling import resample_samples
from hfwidgets.scalogram import ScalogramSettings, compute_scalograms
from hfwidgets.store.run_metrics import ModelName
from hfwidgets.store.run_status import ended_well
from hfwidgets.training.baseline import MiniRocketModel, load_baseline
from hfwidgets.training.checkpoint import load_checkpoint
from hfwidgets.training.fusion import fuse

if TYPE_CHECKING:
    from hfwidgets.store import Project

__all__ = ["RunPredictor", "latest_run_id", "load_predictor", "model_probabilities"]


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
    counts_with : {"cnn", "baseline", "fusion"}
        The run's model whose probabilities :meth:`predict_proba` gives (:meth:`use_model`).
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
        self.counts_with: ModelName = "cnn"
        self.baseline: MiniRocketModel | None = None
        self.cnn_weight = 1.0

    def use_model(
        self, model: ModelName, *, baseline: MiniRocketModel | None = None, cnn_weight: float = 1.0
    ) -> None:
        """Count with the CNN, the baseline (``cnn_weight`` 0) or their fusion.

        Raises ``ValueError`` when the baseline or fusion is asked for without a baseline.
        """
        if model != "cnn" and baseline is None:
            raise ValueError(f"the {model} model needs the run's baseline arrays")
        weight = {"cnn": 1.0, "baseline": 0.0}.get(model, float(cnn_weight))
        if not 0.0 <= weight <= 1.0:
            raise ValueError(f"cnn_weight must be in [0, 1], got {cnn_weight!r}")
        self.counts_with, self.baseline = model, baseline if model != "cnn" else None
        self.cnn_weight = weight

    def blend(self, windows: Sequence[np.ndarray], cnn_proba: np.ndarray) -> np.ndarray:
        """The probabilities of the model the run counts with, given the CNN's ``cnn_proba``
        of ``windows`` (each ``(n, 3)`` at :attr:`rate_hz`): the CNN's own, the baseline's,
        or their weighted average. Every path (torch, ONNX Runtime, ``hfw evaluate``) ends here.
        """
        if self.baseline is None or self.cnn_weight >= 1.0:
            return cnn_proba
        base = self.baseline.predict_proba(list(windows))
        if self.cnn_weight <= 0.0:
            return base.astype(np.float32)
        return fuse(cnn_proba, base, self.cnn_weight).astype(np.float32)

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
        rate = rate_hz or self.rate_hz
        if self.baseline is not None and self.cnn_weight <= 0.0:  # the baseline alone
            return self.blend(self.at_model_rate(array, rate_hz=rate), array[:, :0, 0])
        images = compute_scalograms(array, rate_hz=rate, settings=self.settings)
        return self.blend(self.at_model_rate(array, rate_hz=rate), self.predict_images(images))

    def at_model_rate(self, windows: np.ndarray, *, rate_hz: float) -> list[np.ndarray]:
        """Windows ``[B, n, 3]`` at :attr:`rate_hz`, as the baseline was trained."""
        if self.baseline is None or abs(rate_hz - self.rate_hz) < 1e-9:
            return list(windows)
        return [resample_samples(w, from_hz=rate_hz, to_hz=self.rate_hz) for w in windows]

    def predict(self, windows: np.ndarray, *, rate_hz: float | None = None) -> list[str]:
        """The most probable class name of each window."""
        proba = self.predict_proba(windows, rate_hz=rate_hz)
        return [self.classes[i] for i in proba.argmax(axis=1)]


def latest_run_id(project: Project) -> int:
    """The newest run of ``project`` that has a checkpoint (finished runs preferred)."""
    runs = [r for r in project.runs.all() if project.runs.checkpoint_path(r.id).is_file()]
    finished = [r for r in runs if ended_well(r.status)]
    pick = finished or runs
    if not pick:
        raise HfwError(f"project {project.path} has no trained run; train one first (hfw train)")
    return int(pick[-1].id)


def load_predictor(project: Project, run_id: int | None = None) -> RunPredictor:
    """The :class:`RunPredictor` of run ``run_id`` of ``project`` (default: the latest trained).

    It counts with the run's chosen model (``metrics.chosen``: the CNN, the baseline or their
    fusion); the baseline's arrays are read from ``project.runs.baseline_path`` and checked
    (:func:`~hfwidgets.training.baseline.load_baseline`), never unpickled.
    """
    if run_id is None:
        run_id = latest_run_id(project)
    predictor = RunPredictor.from_checkpoint(project.runs.checkpoint_path(run_id), run_id=run_id)
    metrics = project.runs.get(run_id).metrics
    if metrics.chosen != "cnn":
        try:
            baseline = load_baseline(project.runs.baseline_path(run_id))
        except ValueError as exc:
            raise HfwError(f"run {run_id} counts with its {metrics.chosen} model, but {exc}; or "
                           f"count with the CNN: hfw runs use {run_id} cnn") from exc  # fmt: skip
        figure = metrics.models.get(metrics.chosen)
        weight = figure.cnn_weight if figure is not None else 1.0
        predictor.use_model(metrics.chosen, baseline=baseline, cnn_weight=weight)
    # The counting settings calibrated for this run (hfw calibrate); live counting uses them.
    try:
        predictor.operating_point = stored_operating_point(project, run_id)
    except ValueError as exc:  # a damaged point must not stop the run from counting
        logging.getLogger(__name__).warning("%s; counting with the default settings", exc)
    return predictor


def model_probabilities(
    project: Project, run_id: int, windows: Sequence[np.ndarray], cnn_proba: np.ndarray
) -> dict[ModelName, np.ndarray]:
    """Class probabilities of each model run ``run_id`` has, given its CNN's ``cnn_proba``.

    ``windows`` are the same windows as ``(n, 3)`` arrays at the run's rate. The CNN is always
    there; the baseline and the fusion (with the run's weight) when the run stored them and the
    baseline's arrays load. So ``hfw evaluate`` can say how every model of the run does on
    held-out windows, not only the one it counts with.
    """
    out: dict[ModelName, np.ndarray] = {"cnn": np.asarray(cnn_proba)}
    figures = project.runs.get(run_id).metrics.models
    if "baseline" not in figures:
        return out
    try:
        baseline = load_baseline(project.runs.baseline_path(run_id))
    except ValueError as exc:
        logging.getLogger(__name__).warning("run %s: baseline not scored: %s", run_id, exc)
        return out
    out["baseline"] = baseline.predict_proba(list(windows))
    if "fusion" in figures:
        out["fusion"] = fuse(cnn_proba, out["baseline"], figures["fusion"].cnn_weight)
    return out
