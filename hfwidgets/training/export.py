"""Export a trained run to TorchScript or ONNX, with its classes and scalogram settings beside it.

The exported model takes scalogram images ``[B, 3, H, W]`` in [0, 1] (``B`` may vary) and
returns class probabilities ``[B, C]``. ``<out>.json`` says how to make those images: the
scalogram settings, the sample rate, and the class order.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

import torch
from torch import nn

from hfwidgets.training.predictor import latest_run_id, load_predictor

if TYPE_CHECKING:
    from hfwidgets.store import Project
    from hfwidgets.store.run_metrics import RunMetrics

__all__ = ["FORMATS", "cnn_accuracy", "export_model"]

FORMATS = ("torchscript", "onnx")


def cnn_accuracy(metrics: RunMetrics) -> float | None:
    """The CNN's validation accuracy in a run's record (the exported network's figure)."""
    figure = metrics.models.get("cnn")
    return figure.accuracy if figure is not None else metrics.accuracy


def export_model(
    project: Project,
    *,
    run_id: int | None = None,
    fmt: str = "torchscript",
    out: str | Path,
) -> Path:
    """Write run ``run_id`` of ``project`` (default: the latest) to ``out`` and ``<out>.json``.

    Parameters
    ----------
    project : hfwidgets.store.Project
    run_id : int, optional
    fmt : {"torchscript", "onnx"}
    out : path
        The model file; parent folders are created.

    Returns
    -------
    Path
        ``out``.
    """
    if fmt not in FORMATS:
        raise ValueError(f"export format {fmt!r} is not one of {', '.join(FORMATS)}")
    run_id = latest_run_id(project) if run_id is None else run_id
    predictor = load_predictor(project, run_id)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    net = nn.Sequential(predictor.net, nn.Softmax(dim=1)).eval()
    height, width = predictor.settings.size
    example = torch.rand(2, 3, height, width)
    with torch.inference_mode(False), torch.no_grad(), warnings.catch_warnings():
        # torch.jit and the TorchScript-based ONNX exporter warn that they are deprecated.
        warnings.simplefilter("ignore", category=FutureWarning)
        warnings.simplefilter("ignore", category=DeprecationWarning)
        if fmt == "torchscript":
            traced = torch.jit.trace(net, example)
            torch.jit.save(traced, str(out))
        else:
            torch.onnx.export(
                net,
                (example,),
                str(out),
                dynamo=False,
                input_names=["scalograms"],
                output_names=["probabilities"],
                dynamic_axes={"scalograms": {0: "batch"}, "probabilities": {0: "batch"}},
                opset_version=17,
            )
    metrics = project.runs.get(run_id).metrics
    meta = {
        "format": fmt,
        "run": run_id,
        "model": predictor.model_name,
        # The file holds the run's CNN; the run may count with its baseline or their fusion
        # (hfw runs use ID cnn|baseline|fusion), which the notebook alone can run.
        "network": "cnn",
        "run_counts_with": metrics.chosen,
        "cnn_accuracy": cnn_accuracy(metrics),
        "classes": predictor.classes,
        "rate_hz": predictor.rate_hz,
        "scalogram": predictor.settings.to_dict(),
        "input": {"name": "scalograms", "shape": ["batch", 3, height, width], "range": [0, 1]},
        "output": {"name": "probabilities", "shape": ["batch", len(predictor.classes)]},
    }
    out.with_name(out.name + ".json").write_text(json.dumps(meta, indent=2) + "\n")
    return out
