"""The gravity frame: each window turned so its mean acceleration (gravity) points along +z.

People strap or hold a sensor differently: on the punch/flex recordings of different people the
mean acceleration of a window points up to 90 degrees apart in the sensor's own axes, so the same
motion lands on different x, y, z channels of the scalogram. Gravity is the one direction every
recording shares. :func:`gravity_frame` turns each window by the smallest rotation that takes its
mean acceleration to +z: a motion keeps its direction relative to gravity (up stays up), and two
recordings of one motion with the sensor held any two ways differ only by a turn about the
vertical (z) axis, which augmentation covers (:func:`turn_about_gravity`).

A window whose mean is small next to its motion carries no usable gravity: data with gravity
removed, or z-normalised per window as archives often are. Its direction would be noise, so such
windows are left in the sensor frame (:func:`gravity_directions` says which).

Numpy only; both training and live inference reach it through
:func:`~hfwidgets.scalogram.compute_scalograms` (``ScalogramSettings(frame="gravity")``).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = [
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


def gravity_directions(windows: NDArray[np.floating]) -> NDArray[np.float64]:
    """Unit mean-acceleration direction of each window ``[B, n, 3]``; zeros where there is none.

    Returns
    -------
    ndarray ``[B, 3]``
        ``mean / |mean|`` per window, or ``(0, 0, 0)`` when ``|mean|`` is below
        :data:`GRAVITY_MIN_FRACTION` of the samples' RMS norm (no gravity to align to).
    """
    xyz = np.asarray(windows, dtype=np.float64)[..., :3]
    mean = xyz.mean(axis=1)
    norm = np.linalg.norm(mean, axis=1)
    rms = np.sqrt((xyz**2).sum(axis=2).mean(axis=1))
    has = (norm > 0) & (norm >= GRAVITY_MIN_FRACTION * rms)
    out: NDArray[np.float64] = np.zeros_like(mean)
    out[has] = mean[has] / norm[has, None]
    return out


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


def gravity_frame(windows: NDArray[np.floating]) -> NDArray[np.float32]:
    """Windows ``[B, n, 3]`` turned so each one's mean acceleration points along +z.

    Norms and the angles between samples are kept; a window without gravity
    (:func:`gravity_directions`) is returned unchanged. For any rotation ``R``,
    ``gravity_frame(x @ R.T)`` equals ``gravity_frame(x)`` turned about z.
    """
    xyz = np.asarray(windows, dtype=np.float32)
    if xyz.ndim != 3 or xyz.shape[-1] != 3:
        raise ValueError(f"windows must have shape [B, n, 3], got {xyz.shape}")
    out = xyz.copy()
    for b, g in enumerate(gravity_directions(xyz)):
        if g.any():
            matrix = rotation_to_z(g)
            out[b] = (xyz[b].astype(np.float64) @ matrix.T).astype(np.float32)
    return out


def heading_frame(windows: NDArray[np.floating]) -> NDArray[np.float32]:
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
    out = gravity_frame(windows)
    for b, g in enumerate(gravity_directions(out)):
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


def turn_about_gravity(window: NDArray[np.floating], angle_rad: float) -> NDArray[np.float32]:
    """One window ``(n, 3)`` as seen by a sensor turned ``angle_rad`` about its gravity axis.

    The mean (gravity) stays where it is, so in the gravity frame this is a turn about z: the
    sensor strapped on at another angle around the arm, or a person facing another way. A window
    without gravity is returned unchanged (there is no axis to turn about).
    """
    xyz = np.asarray(window, dtype=np.float32)
    axis = gravity_directions(xyz[None])[0]
    if not axis.any() or angle_rad == 0:
        return xyz.copy()
    kx = _cross_matrix(axis)  # Rodrigues' rotation about the unit axis by the angle
    matrix = np.eye(3) + np.sin(angle_rad) * kx + (1.0 - np.cos(angle_rad)) * (kx @ kx)
    turned: NDArray[np.float32] = (xyz.astype(np.float64) @ matrix.T).astype(np.float32)
    return turned
