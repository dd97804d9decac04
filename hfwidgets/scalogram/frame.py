"""The gravity frame: each window turned so its mean acceleration (gravity) points along +z.

People strap or hold a sensor differently: on the punch/flex recordings of different people the
mean acceleration of a window points up to 90 degrees apart in the sensor's own axes, so the same
motion lands on different x, y, z channels of the scalogram. Gravity is the one direction every
recording shares. :func:`gravity_frame` turns each window by the smallest rotation that takes its
gravity to +z: a motion keeps its direction relative to gravity (up stays up), and two
recordings of one motion with the sensor held any two ways differ only by a turn about the
vertical (z) axis, which augmentation covers (:func:`turn_about_gravity`).

Where gravity is (``estimate``): ``"calm"`` (the default) averages the calmer half of the
window's samples, those whose smoothed sample-to-sample change is at most the median: a sensor at
rest before and after a motion measures gravity alone, while a punch or a curl turns the wrist
and pulls the mean of all samples 20-60 degrees away from it (punch/flex windows' means are
0.24-0.73 g long). ``"mean"`` averages every sample (the frame of scalogram settings version 3).
Both are rotation-equivariant (the choice of samples depends on norms only), so a sensor held
another way still gives the same window up to a turn about z.

A window whose mean is small next to its motion carries no usable gravity: data with gravity
removed, or z-normalised per window as archives often are. Its direction would be noise, so such
windows are left in the sensor frame (:func:`gravity_directions` says which).

Numpy only; both training and live inference reach it through
:func:`~hfwidgets.scalogram.compute_scalograms` (``ScalogramSettings(frame="gravity")``).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy.ndimage import uniform_filter1d

__all__ = [
    "GRAVITY_ESTIMATES",
    "GRAVITY_MIN_FRACTION",
    "HEADING_MAX_RATIO",
    "gravity_directions",
    "gravity_frame",
    "heading_frame",
    "rotation_to_z",
    "turn_about_gravity",
]

#: A window carries gravity when the norm of its mean acceleration is at least this fraction of
#: the root-mean-square norm of its samples. Raw wrist windows: 0.2-0.6 during a punch, 1 at rest;
#: z-normalised or gravity-free data: about 0 (1e-7 on the handwriting archive).
GRAVITY_MIN_FRACTION = 0.1
#: :func:`heading_frame` fixes a window's heading only when the smaller principal variance of its
#: horizontal motion is at most this fraction of the larger one; above it the motion has no
#: dominant horizontal axis (a circle, or stillness) and its heading would be noise.
HEADING_MAX_RATIO = 0.8
#: How :func:`gravity_directions` finds gravity in a window (module docstring).
GRAVITY_ESTIMATES = ("calm", "mean")
#: The "calm" estimate smooths the sample-to-sample change over this fraction of the window.
CALM_SMOOTHING = 0.1


def gravity_directions(
    windows: NDArray[np.floating], *, estimate: str = "calm"
) -> NDArray[np.float64]:
    """Unit gravity direction of each window ``[B, n, 3]``; zeros where there is none.

    Parameters
    ----------
    estimate : {"calm", "mean"}
        Where gravity is: the mean of the calmer half of the samples, or of all of them
        (module docstring).

    Returns
    -------
    ndarray ``[B, 3]``
        The estimate's unit direction per window, or ``(0, 0, 0)`` when the norm of the mean of
        all samples is below :data:`GRAVITY_MIN_FRACTION` of the samples' RMS norm (no gravity
        to align to, whichever estimate).
    """
    if estimate not in GRAVITY_ESTIMATES:
        raise ValueError(f"gravity estimate {estimate!r} must be one of {GRAVITY_ESTIMATES}")
    xyz = np.asarray(windows, dtype=np.float64)[..., :3]
    mean = xyz.mean(axis=1)
    norm = np.linalg.norm(mean, axis=1)
    rms = np.sqrt((xyz**2).sum(axis=2).mean(axis=1))
    has = (norm > 0) & (norm >= GRAVITY_MIN_FRACTION * rms)
    if estimate == "calm" and xyz.shape[1] > 2:
        mean = _calm_means(xyz)
        norm = np.linalg.norm(mean, axis=1)
        has &= norm > 0
    out: NDArray[np.float64] = np.zeros_like(mean)
    out[has] = mean[has] / norm[has, None]
    return out


def _calm_means(xyz: NDArray[np.float64]) -> NDArray[np.float64]:
    """Mean of each window's samples whose smoothed change is at most the window's median."""
    step = np.linalg.norm(np.diff(xyz, axis=1, prepend=xyz[:, :1]), axis=2)  # [B, n]
    size = max(3, round(CALM_SMOOTHING * xyz.shape[1]))
    change = uniform_filter1d(step, size=size, axis=1, mode="nearest")
    calm = change <= np.median(change, axis=1, keepdims=True)
    means: NDArray[np.float64] = (xyz * calm[..., None]).sum(axis=1) / calm.sum(axis=1)[:, None]
    return means


def rotation_to_z(direction: NDArray[np.floating]) -> NDArray[np.float64]:
    """The smallest rotation (3x3) taking the unit vector ``direction`` to ``(0, 0, 1)``.

    Rodrigues' formula; ``direction`` opposite to +z turns half a circle about x (any axis
    in the plane would do: the turn about z left over is free anyway).
    """
    g = np.asarray(direction, dtype=np.float64)
    c = float(g[2])  # cos of the angle between g and +z
    if c < -1.0 + 1e-9:
        return np.diag([1.0, -1.0, -1.0])
    vx = _cross_matrix(np.array([g[1], -g[0], 0.0]))  # of g x z
    matrix: NDArray[np.float64] = np.eye(3) + vx + vx @ vx / (1.0 + c)
    return matrix


def _cross_matrix(v: NDArray[np.float64]) -> NDArray[np.float64]:
    """The matrix of ``u -> v x u``."""
    return np.array([[0.0, -v[2], v[1]], [v[2], 0.0, -v[0]], [-v[1], v[0], 0.0]])


def gravity_frame(windows: NDArray[np.floating], *, estimate: str = "calm") -> NDArray[np.float32]:
    """Windows ``[B, n, 3]`` turned so each one's gravity (``estimate``) points along +z.

    Norms and the angles between samples are kept; a window without gravity
    (:func:`gravity_directions`) is returned unchanged. For any rotation ``R``,
    ``gravity_frame(x @ R.T)`` equals ``gravity_frame(x)`` turned about z.
    """
    xyz = np.asarray(windows, dtype=np.float32)
    if xyz.ndim != 3 or xyz.shape[-1] != 3:
        raise ValueError(f"windows must have shape [B, n, 3], got {xyz.shape}")
    out = xyz.copy()
    for b, g in enumerate(gravity_directions(xyz, estimate=estimate)):
        if g.any():
            matrix = rotation_to_z(g)
            out[b] = (xyz[b].astype(np.float64) @ matrix.T).astype(np.float32)
    return out


def heading_frame(windows: NDArray[np.floating], *, estimate: str = "calm") -> NDArray[np.float32]:
    """Windows ``[B, n, 3]`` in the gravity frame, then turned about z to a canonical heading.

    After :func:`gravity_frame` two holds of the sensor differ only by a turn about z. This turns
    each window so the first principal axis of its horizontal (x, y) motion, mean removed, lies
    along +x, its sign chosen so the third moment of the motion along that axis is positive (the
    larger, sharper excursion points to +x; the larger excursion decides when the third moment
    is about zero). Then any rotation ``R`` of the sensor gives the same window:
    ``heading_frame(x @ R.T) == heading_frame(x)``, up to rounding. A window without gravity,
    or whose horizontal motion is nearly isotropic (principal variance ratio above
    :data:`HEADING_MAX_RATIO`), keeps the :func:`gravity_frame` heading.
    """
    out = gravity_frame(windows, estimate=estimate)
    for b, g in enumerate(gravity_directions(out, estimate=estimate)):
        if not g.any():
            continue
        xy = out[b, :, :2].astype(np.float64)
        xy -= xy.mean(axis=0)
        variances, vectors = np.linalg.eigh(xy.T @ xy)  # ascending
        if variances[1] <= 0 or variances[0] > HEADING_MAX_RATIO * variances[1]:
            continue
        axis = vectors[:, 1]
        along = xy @ axis
        third = float(np.mean(along**3))
        scale = float(np.mean(along**2)) ** 1.5
        if abs(third) > 1e-3 * scale:
            sign = 1.0 if third > 0 else -1.0
        else:
            sign = 1.0 if along.max() >= -along.min() else -1.0
        cos, sin = sign * axis
        # The turn about z taking (cos, sin) to (1, 0).
        turn = np.array([[cos, sin, 0.0], [-sin, cos, 0.0], [0.0, 0.0, 1.0]])
        out[b] = (out[b].astype(np.float64) @ turn.T).astype(np.float32)
    return out


def turn_about_gravity(
    window: NDArray[np.floating], angle_rad: float, *, estimate: str = "calm"
) -> NDArray[np.float32]:
    """One window ``(n, 3)`` as seen by a sensor turned ``angle_rad`` about its gravity axis
    (found as :func:`gravity_frame` finds it with the same ``estimate``).

    Gravity stays where it is, so in the gravity frame this is a turn about z: the
    sensor strapped on at another angle around the arm, or a person facing another way. A window
    without gravity is returned unchanged (there is no axis to turn about).
    """
    xyz = np.asarray(window, dtype=np.float32)
    axis = gravity_directions(xyz[None], estimate=estimate)[0]
    if not axis.any() or angle_rad == 0:
        return xyz.copy()
    kx = _cross_matrix(axis)  # Rodrigues' rotation about the unit axis by the angle
    matrix = np.eye(3) + np.sin(angle_rad) * kx + (1.0 - np.cos(angle_rad)) * (kx @ kx)
    turned: NDArray[np.float32] = (xyz.astype(np.float64) @ matrix.T).astype(np.float32)
    return turned
