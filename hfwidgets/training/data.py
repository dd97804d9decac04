"""Training data: scalograms of a project's windows, tensors, batching, random augmentation."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
import torch
from torch import nn

from hfwidgets.errors import HfwError
from hfwidgets.models import channels_last
from hfwidgets.resampling import resample_samples
from hfwidgets.scalogram import ScalogramSettings, compute_scalograms

if TYPE_CHECKING:
    from hfwidgets.store import Project

__all__ = [
    "ProjectData",
    "ProjectWindows",
    "as_image_tensor",
    "augment_batch",
    "batch_indices",
    "dataset_of",
    "predict_logits",
    "project_dataset",
    "project_rate_hz",
    "project_scalogram_settings",
    "project_windows",
    "resolve_device",
    "scalogram_images",
]


def resolve_device(device: str) -> torch.device:
    """``"auto"`` -> CUDA when available, else CPU; a CUDA request without CUDA is an error."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError(f"device={device!r} but this machine has no CUDA GPU; use 'cpu'")
    return torch.device(device)


def as_image_tensor(images: np.ndarray | torch.Tensor) -> torch.Tensor:
    """Check and convert scalogram images ``[N, 3, H, W]`` in [0, 1] to a float32 tensor."""
    tensor = torch.as_tensor(images, dtype=torch.float32)
    if tensor.ndim != 4 or tensor.shape[1] != 3:
        raise ValueError(
            f"images must have shape [N, 3, H, W] (scalograms), got {tuple(tensor.shape)}"
        )
    return tensor


def batch_indices(
    n: int, *, batch_size: int, generator: torch.Generator | None = None
) -> Iterator[torch.Tensor]:
    """Index batches over ``range(n)``: shuffled with ``generator``, in order without one."""
    order = torch.randperm(n, generator=generator) if generator is not None else torch.arange(n)
    for start in range(0, n, batch_size):
        yield order[start : start + batch_size]


def augment_batch(
    images: torch.Tensor,
    *,
    generator: torch.Generator,
    max_shift: float = 0.15,
    gain: float = 0.2,
) -> torch.Tensor:
    """Random time shift (the motion starts a little earlier or later) and brightness jitter.

    The shift moves each image along its time axis (width) by up to ``max_shift`` of its width,
    filling with zeros, as a trigger firing at a slightly different moment would; ``gain`` scales
    intensities by a factor in ``[1 - gain, 1 + gain]`` (a softer or harder motion).
    """
    batch, _, _, width = images.shape
    out = torch.zeros_like(images)
    limit = round(max_shift * width)
    shifts = torch.randint(-limit, limit + 1, (batch,), generator=generator).tolist()
    for i, shift in enumerate(shifts):
        if shift >= 0:
            out[i, :, :, shift:] = images[i, :, :, : width - shift]
        else:
            out[i, :, :, :shift] = images[i, :, :, -shift:]
    factors = 1.0 + gain * (2.0 * torch.rand(batch, 1, 1, 1, generator=generator) - 1.0)
    return (out * factors.to(out.device)).clamp_(0.0, 1.0)


def scalogram_images(
    windows: Sequence[np.ndarray],
    rates_hz: Sequence[float],
    *,
    settings: ScalogramSettings,
) -> np.ndarray:
    """Scalograms ``[N, 3, H, W]`` of windows that may differ in length and rate.

    Windows sharing a (length, rate) are transformed together: one batched call each.
    """
    height, width = settings.size
    out = np.empty((len(windows), 3, height, width), dtype=np.float32)
    if windows and not settings.is_resolved:  # one band for all, whatever their length or rate
        settings = settings.resolve_over(
            durations_s=[len(w) / r for w, r in zip(windows, rates_hz, strict=True)],
            rates_hz=rates_hz,
        )
    groups: dict[tuple[int, float], list[int]] = {}
    for i, (window, rate) in enumerate(zip(windows, rates_hz, strict=True)):
        groups.setdefault((len(window), float(rate)), []).append(i)
    for (_, rate), members in groups.items():
        batch = np.stack([np.asarray(windows[i], dtype=np.float32) for i in members])
        out[members] = compute_scalograms(batch, rate_hz=rate, settings=settings)
    return out


def project_scalogram_settings(project: Project) -> ScalogramSettings:
    """The project's stored scalogram settings (key ``"scalogram"``), else the defaults.

    A band left to the data is resolved here over the labelled windows (shortest window, lowest
    rate, never above the project rate live windows are resampled to), so a run stores concrete
    numbers and live inference draws exactly the training images.
    """
    stored = project.settings.get("scalogram")
    settings = ScalogramSettings.from_dict(stored) if stored else ScalogramSettings()
    if settings.is_resolved:
        return settings
    labelled = [r for r in project.windows.all() if r.label is not None]
    if not labelled:  # nothing to derive from; project_dataset says what to do
        return settings
    return settings.resolve_over(
        durations_s=[len(r.data) / float(r.rate_hz) for r in labelled],
        rates_hz=[float(r.rate_hz) for r in labelled] + [float(project.rate_hz)],
    )


def project_rate_hz(project: Project) -> float:
    """The rate a run of ``project`` learns at: its slowest labelled window's, at most the
    project's.

    Training draws every window at its own rate (import never up-samples), so a model trained
    on 10 Hz windows of a 50 Hz project has seen 10 Hz images; the run records this rate and
    ``hfw evaluate``, ``hfw predict``, calibration and live counting resample their windows
    to it. Recording the project rate instead had them up-sample to 50 Hz and draw other
    images than training did (handwriting 10 Hz: 0.59 on the test letters at their own rate,
    0.14 through ``hfw evaluate``; docs/training.md, "Short, slow windows").
    """
    rates = [float(r.rate_hz) for r in project.windows.all() if r.label is not None]
    return min([float(project.rate_hz), *rates])


class ProjectData(NamedTuple):
    """The labelled windows of a project, ready for the trainer."""

    images: np.ndarray  # [N, 3, H, W] float32 in [0, 1]
    labels: np.ndarray  # [N] class indices
    ids: np.ndarray  # [N] window ids
    classes: list[str]
    window_s: float  # median window duration, what live inference should cut


class ProjectWindows(NamedTuple):
    """The labelled windows of a project as raw samples, with the group each belongs to."""

    windows: list[np.ndarray]  # (n, 3) float32 each
    rates_hz: list[float]
    labels: np.ndarray  # [N] class indices
    ids: np.ndarray  # [N] window ids
    groups: list[str | None]  # session / source (split.window_group), None when unknown
    classes: list[str]


def project_windows(project: Project) -> ProjectWindows:
    """Raw samples, rates, labels, ids and validation groups of the labelled windows.

    A window stored faster than the project rate (a capture from a 119 Hz board) is resampled
    down to it with :func:`hfwidgets.resampling.resample_samples`, as the live classifier
    resamples every window of that board for the run, so training draws the images live
    inference will; slower windows keep their own rate (never up-sampled), as import does.

    Raises
    ------
    HfwError
        The project has no labelled windows, naming its folder and what to do.
    """
    from hfwidgets.training.split import window_group

    classes = list(project.classes)
    records = [r for r in project.windows.all() if r.label is not None and r.label in classes]
    if not records:
        raise HfwError(
            f"project {project.path} has no labelled windows; label some (Labeler, or "
            "`hfw import`) before training"
        )
    # Named by window id (the scalogram code only knows positions in its batch).
    broken = [r.id for r in records if not np.isfinite(r.data).all()]
    if broken:
        raise HfwError(
            f"project {project.path}: window {broken[0]} "
            f"{'' if len(broken) == 1 else f'(and {len(broken) - 1} more: {broken[1:6]}) '}"
            "holds NaN or infinite samples (written by another tool); delete it before training "
            f"(Labeler review, or project.windows.delete({broken[0]}))"
        )
    model_hz = float(project.rate_hz)
    rates = [min(float(r.rate_hz), model_hz) for r in records]
    return ProjectWindows(
        windows=[
            resample_samples(np.asarray(r.data[:, :3], np.float32), from_hz=r.rate_hz, to_hz=rate)
            for r, rate in zip(records, rates, strict=True)
        ],
        rates_hz=rates,
        labels=np.array([classes.index(str(r.label)) for r in records], dtype=np.int64),
        ids=np.array([r.id for r in records], dtype=np.int64),
        groups=[
            window_group(session_id=r.session_id, origin=r.origin or "", source=r.source or "")
            for r in records
        ],
        classes=classes,
    )


def dataset_of(raw: ProjectWindows, *, settings: ScalogramSettings) -> ProjectData:
    """The :class:`ProjectData` (scalograms) of windows read by :func:`project_windows`."""
    images = scalogram_images(raw.windows, raw.rates_hz, settings=settings)
    pairs = zip(raw.windows, raw.rates_hz, strict=True)
    window_s = float(np.median([len(w) / r for w, r in pairs]))
    return ProjectData(images, raw.labels, raw.ids, raw.classes, window_s)


def project_dataset(project: Project, *, settings: ScalogramSettings) -> ProjectData:
    """Scalograms, labels, ids and classes of the labelled windows of ``project``.

    Raises
    ------
    HfwError
        The project has no labelled windows, naming its folder and what to do.
    """
    return dataset_of(project_windows(project), settings=settings)


def predict_logits(
    net: nn.Module, inputs: torch.Tensor, index: np.ndarray, *, device: torch.device
) -> torch.Tensor:
    """Logits of ``net`` (put in eval mode, then restored) for ``inputs[index]``, on the CPU."""
    was_training = net.training
    net.eval()
    out = []
    with torch.inference_mode():
        for rows in batch_indices(len(index), batch_size=16):  # see frozen_features.INFERENCE_BATCH
            out.append(net(channels_last(inputs[torch.as_tensor(index)[rows]].to(device))).cpu())
    net.train(was_training)
    return torch.cat(out) if out else torch.zeros(0, 0)
