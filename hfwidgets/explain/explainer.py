"""Explain a run's verdict on a window: which time and frequency of its scalogram drove it.

The model explained is the run's own (:func:`hfwidgets.training.predictor.load_predictor` rebuilds
it from the checkpoint), and the image is the one training drew for the window: the run's stored,
resolved scalogram settings applied to the window's samples at the window's own rate (what
:func:`hfwidgets.training.data.scalogram_images` does; random augmentation, when a run used it, is
not applied, as for validation).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from hfwidgets.errors import HfwError
from hfwidgets.explain.gradcam import gradcam_map, gradcam_target
from hfwidgets.explain.heatmap import METHODS, Explanation, image_grid, normalised, peak_of
from hfwidgets.explain.occlusion import (
    DEFAULT_PATCH,
    DEFAULT_STRIDE,
    neutral_value,
    occlusion_map,
)
from hfwidgets.scalogram import compute_scalograms

if TYPE_CHECKING:
    from hfwidgets.store import Project
    from hfwidgets.training.predictor import RunPredictor

__all__ = ["choose_method", "class_index", "explain_stored_window", "explain_window"]


def class_index(classes: list[str], name: str | None, *, default: int) -> int:
    """Index of class ``name`` (``default``, the verdict, when None).

    Raises
    ------
    ValueError
        ``name`` is not one of ``classes`` (the message lists them).
    """
    if name is None:
        return default
    if name not in classes:
        raise ValueError(
            f"class {name!r} is not one of the run's classes ({', '.join(map(repr, classes))})"
        )
    return classes.index(name)


def choose_method(predictor: RunPredictor, method: str) -> str:
    """``"auto"`` -> Grad-CAM when the network has a convolutional group, else occlusion
    (:func:`explain_window` also occludes when the group's feature map is a single cell wide).

    Raises
    ------
    ValueError
        An unknown method, or Grad-CAM asked for a network without a convolutional group.
    """
    if method not in (*METHODS, "auto"):
        raise ValueError(f"unknown explanation method {method!r}; use gradcam, occlusion or auto")
    has_conv = gradcam_target(predictor.net, predictor.model_name) is not None
    if method == "auto":
        return "gradcam" if has_conv else "occlusion"
    if method == "gradcam" and not has_conv:
        raise ValueError(
            f"{predictor.model_name} has no convolutional layer group for Grad-CAM; "
            "use method='occlusion'"
        )
    return method


def explain_window(
    predictor: RunPredictor,
    window: Any,
    *,
    rate_hz: float | None = None,
    target: str | None = None,
    method: str = "auto",
    patch: float = DEFAULT_PATCH,
    stride: float = DEFAULT_STRIDE,
    run_id: int | None = None,
    window_id: int | None = None,
) -> Explanation:
    """Explain ``predictor``'s verdict on one window of x, y, z samples.

    ``run_id`` and ``window_id`` are only recorded in the result (``run_id`` defaults to the
    predictor's).

    Parameters
    ----------
    predictor : RunPredictor
        A trained run (:func:`hfwidgets.training.predictor.load_predictor`).
    window : numpy.ndarray
        ``[n, 3]`` samples in g (or an object with such a ``.data`` and a ``.rate_hz``).
    rate_hz : float, optional
        The window's sample rate (default: its ``.rate_hz``, else the run's rate).
    target : str, optional
        The class to explain (default: the verdict).
    method : {"auto", "gradcam", "occlusion"}
        ``"auto"``: Grad-CAM on the last convolutional group, occlusion without one or when
        that group's feature map is a single cell wide (a tiny image).
    patch, stride : float
        Occlusion's patch side and step, as fractions of the image's side.

    Returns
    -------
    Explanation
        The heat map on the scalogram's grid, its peak frequency and time, the verdict.

    Raises
    ------
    ValueError
        A bad window, an unknown class or method (each named).
    """
    started = time.perf_counter()
    data = np.asarray(getattr(window, "data", window), dtype=np.float32)
    if data.ndim != 2 or data.shape[1] < 3:
        raise ValueError(f"window must have shape [n, 3] (x, y, z), got {data.shape}")
    data = data[:, :3]
    rate = float(rate_hz or getattr(window, "rate_hz", None) or predictor.rate_hz)
    settings = predictor.settings.resolve(window_s=len(data) / rate, rate_hz=rate)
    chosen = choose_method(predictor, method)
    image_np = compute_scalograms(data[None], rate_hz=rate, settings=settings)[0]
    image = torch.from_numpy(image_np)
    net = predictor.net.eval()
    with torch.inference_mode():
        probs = torch.softmax(net(image[None]), dim=1)[0].numpy()
    classes = list(predictor.classes)
    verdict = int(np.argmax(probs))
    index = class_index(classes, target, default=verdict)
    layer = None
    if chosen == "gradcam":
        found = gradcam_target(net, predictor.model_name)
        assert found is not None  # choose_method checked
        heat, cells = gradcam_map(net, image, target=found, class_index=index)
        layer = found.group
        if method == "auto" and min(cells) < 2:
            # A 1-cell feature map (a tiny image) says nothing about where: occlude instead.
            chosen, layer = "occlusion", None
    if chosen == "occlusion":
        neutral = neutral_value(settings.representation)
        heat, cells = occlusion_map(
            net, image, class_index=index, neutral=neutral, patch=patch, stride=stride
        )
    heatmap = normalised(heat.numpy())
    frequencies, times = image_grid(settings, n_samples=len(data), rate_hz=rate)
    # The peak is refined over one cell of the map's own grid around the hottest pixel.
    reach = (heatmap.shape[0] // max(cells[0], 1) // 2, heatmap.shape[1] // max(cells[1], 1) // 2)
    peak_hz, peak_s = peak_of(heatmap, frequencies, times, reach=reach)
    return Explanation(
        method=chosen,
        target=classes[index],
        predicted=classes[verdict],
        probabilities={c: float(p) for c, p in zip(classes, probs, strict=True)},
        heatmap=heatmap,
        frequencies_hz=frequencies,
        times_s=times,
        peak_hz=peak_hz,
        peak_s=peak_s,
        image=image_np,
        layer=layer,
        cells=cells,
        seconds=time.perf_counter() - started,
        run_id=run_id if run_id is not None else predictor.run_id,
        window_id=window_id,
        window_s=len(data) / rate,
    )


def explain_stored_window(
    project: Project,
    window_id: int,
    *,
    run_id: int | None = None,
    predictor: RunPredictor | None = None,
    target: str | None = None,
    method: str = "auto",
    patch: float = DEFAULT_PATCH,
    stride: float = DEFAULT_STRIDE,
) -> Explanation:
    """Explain run ``run_id``'s verdict on stored window ``window_id`` of ``project``.

    Parameters
    ----------
    run_id : int, optional
        Default: the latest trained run.
    predictor : RunPredictor, optional
        The run's predictor when the caller already has it (a widget keeps one per run); used
        unless ``run_id`` names another run.
    target, method, patch, stride
        As :func:`explain_window`.

    Raises
    ------
    HfwError
        No such run or window, or the run has no checkpoint (each named, with the remedy).
    ValueError
        An unknown class or method.
    """
    from hfwidgets.training.predictor import latest_run_id, load_predictor

    if predictor is not None and run_id in (None, predictor.run_id):
        run_id = predictor.run_id  # None for a predictor that is not a stored run's
    else:
        if run_id is None:
            run_id = latest_run_id(project)
        try:
            project.runs.get(run_id)
        except ValueError:
            known = ", ".join(str(r.id) for r in project.runs.all()) or "none yet"
            raise HfwError(f"project {project.path} has no run {run_id} (runs: {known})") from None
        predictor = load_predictor(project, run_id)
    try:
        record = project.windows.get(window_id)
    except ValueError:
        raise HfwError(
            f"project {project.path} has no window {window_id} (it may have been deleted)"
        ) from None
    return explain_window(
        predictor,
        record.data,
        rate_hz=float(record.rate_hz),
        target=target,
        method=method,
        patch=patch,
        stride=stride,
        run_id=run_id,
        window_id=int(record.id),
    )
