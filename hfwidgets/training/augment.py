"""Random changes a wrist sensor's windows undergo between recordings, applied to raw samples.

Augmenting the raw ``(n, 3)`` acceleration before the scalogram (not the image) keeps each change
physical: a sensor strapped on at another angle around the arm sees the same motion turned about
the gravity axis, which mixes the x, y, z channels of the image in a way no image transform
reproduces; a trigger firing a little earlier shifts the motion in time; a slower or faster person
stretches it; a harder motion scales it.

The turn is about each window's own gravity axis: with the default gravity frame of the
scalograms (:mod:`hfwidgets.scalogram.frame`) every tilt of the sensor is already undone and what
remains between two ways of holding it is exactly such a turn. It is off by default
(``rotation_deg=0``): a turn to any heading makes a motion and its mirror image about the
vertical (a stroke left, a stroke right) the same motion (punch/flex mirror pairs 0.86 -> 0.63),
and with the gravity found in the calm part of each window the punch/flex models held up for a
sensor held any way without it (turned 0.971, other grips 1.000; docs/training.md, "Measured
here"). ``rotation_deg=180`` is the option for data whose heading varies and has no mirror
pairs.

These changes model a raw recording of a worn sensor. A window without gravity
(:func:`~hfwidgets.scalogram.frame.gravity_directions`: z-normalised per window, as archives
publish data, or gravity removed) is not one, and is left unchanged: measured on such data
(handwriting) a turn cost 0.24 accuracy and the time and gain changes 0.055, while on raw
punch/flex recordings they are what keeps a model working for a sensor held another way
(docs/training.md, "Measured here").

All functions take a :class:`numpy.random.Generator`, so one seed gives the same windows every run.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.spatial.transform import Rotation

from hfwidgets.scalogram.frame import gravity_directions, turn_about_gravity

__all__ = [
    "AUGMENT_PRESETS",
    "AugmentSettings",
    "augment_preset",
    "augment_window",
    "augment_windows",
    "augmented_renderer",
    "random_rotation",
    "rotate",
    "stretch",
    "time_shift",
]

Samples = NDArray[np.float32]

#: The augmentation choices a person is offered (the TrainingPanel's "Augment" menu), as
#: :class:`~hfwidgets.training.config.TrainConfig` settings. "on" (the default) shifts,
#: stretches and scales the windows; "plus any heading" also turns them to any heading about
#: gravity, for a sensor whose heading varies, which makes a motion and its mirror image about
#: the vertical (a stroke left and a stroke right) the same motion. Measured in
#: docs/training.md ("Measured here").
AUGMENT_PRESETS: dict[str, dict[str, Any]] = {
    "on": {"augment": True, "rotation_deg": 0.0},
    "on, plus any heading": {"augment": True, "rotation_deg": 180.0},
    "off": {"augment": False},
}


def augment_preset(config: Any) -> str | None:
    """The :data:`AUGMENT_PRESETS` name ``config`` matches (None: a hand-made mix)."""
    for name, settings in AUGMENT_PRESETS.items():
        if all(getattr(config, key) == value for key, value in settings.items()):
            return name
    return None


@dataclass(frozen=True)
class AugmentSettings:
    """How far each random change goes (0 turns it off).

    Parameters
    ----------
    rotation_deg : float
        Largest turn of the sensor about the window's gravity axis (uniform in
        ``[-rotation_deg, rotation_deg]``; 180: any heading)
        (:func:`~hfwidgets.scalogram.frame.turn_about_gravity`).
    shift : float
        Largest time shift, as a fraction of the window length (edges repeat the end samples).
    stretch : float
        Largest relative change of duration: factors in ``[1 - stretch, 1 + stretch]``, about the
        window's centre, the length kept.
    gain : float
        Amplitude factors in ``[1 - gain, 1 + gain]``.
    """

    rotation_deg: float = 0.0
    shift: float = 0.1
    stretch: float = 0.15
    gain: float = 0.2

    def __post_init__(self) -> None:
        for name in ("rotation_deg", "shift", "stretch", "gain"):
            value = float(getattr(self, name))
            if not (math.isfinite(value) and value >= 0):
                raise ValueError(f"AugmentSettings({name}={value!r}) must be >= 0")
            object.__setattr__(self, name, value)
        for name in ("shift", "stretch", "gain"):
            if getattr(self, name) >= 1:
                raise ValueError(f"AugmentSettings({name}={getattr(self, name)}) must be < 1")

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict."""
        return asdict(self)

    @property
    def active(self) -> bool:
        """Whether any change is switched on."""
        return any(v > 0 for v in asdict(self).values())


def random_rotation(rng: np.random.Generator, *, max_deg: float = 180.0) -> NDArray[np.float64]:
    """A random 3x3 rotation matrix turning by at most ``max_deg`` degrees.

    ``max_deg >= 180`` samples uniformly over all rotations (Haar measure); below that, a
    uniformly random axis and an angle uniform in ``[0, max_deg]``.
    """
    if max_deg >= 180.0:
        matrix: NDArray[np.float64] = Rotation.random(rng=rng).as_matrix()
        return matrix
    axis = rng.normal(size=3)
    axis /= np.linalg.norm(axis) or 1.0
    angle = math.radians(max_deg) * float(rng.uniform())
    rotvec: NDArray[np.float64] = Rotation.from_rotvec(axis * angle).as_matrix()
    return rotvec


def rotate(window: NDArray[Any], matrix: NDArray[Any]) -> Samples:
    """The samples seen by a sensor whose frame is turned by ``matrix`` (norms unchanged)."""
    xyz = np.asarray(window, dtype=np.float64)
    return (xyz @ np.asarray(matrix, dtype=np.float64).T).astype(np.float32)


def _resample(window: NDArray[Any], positions: NDArray[np.float64]) -> Samples:
    """Each axis linearly interpolated at fractional sample ``positions`` (clamped at the ends)."""
    xyz = np.asarray(window, dtype=np.float64)
    grid = np.arange(len(xyz), dtype=np.float64)
    out = np.empty((len(positions), xyz.shape[1]), dtype=np.float32)
    for axis in range(xyz.shape[1]):
        out[:, axis] = np.interp(positions, grid, xyz[:, axis])
    return out


def time_shift(window: NDArray[Any], samples: float) -> Samples:
    """The motion ``samples`` later (negative: earlier); the ends repeat the edge samples."""
    n = len(window)
    return _resample(window, np.arange(n, dtype=np.float64) - samples)


def stretch(window: NDArray[Any], factor: float) -> Samples:
    """The motion lasting ``factor`` times as long, about the centre, length kept."""
    n = len(window)
    centre = (n - 1) / 2.0
    return _resample(window, centre + (np.arange(n, dtype=np.float64) - centre) / factor)


def augment_window(
    window: NDArray[Any],
    *,
    rng: np.random.Generator,
    settings: AugmentSettings,
    gravity: str = "calm",
) -> Samples:
    """One randomly changed copy of ``window`` (``(n, 3)`` or more channels: the first 3 move).

    The draws happen in a fixed order (turn, shift, stretch, gain), so a seed gives the same
    result whichever changes are on. The turn is about the window's gravity axis, found with
    the ``gravity`` estimate of the run's scalograms (``ScalogramSettings.gravity``), so in
    their gravity frame it is exactly a turn about the vertical; a window without gravity is
    returned unchanged (the draws still happen, so the others' stay put).
    """
    xyz = np.asarray(window, dtype=np.float32)
    if xyz.ndim != 2 or xyz.shape[1] < 3:
        raise ValueError(f"a window must have shape (n, 3), got {xyz.shape}")
    angle = math.radians(min(settings.rotation_deg, 180.0)) * float(rng.uniform(-1.0, 1.0))
    shift = float(rng.uniform(-1.0, 1.0)) * settings.shift * len(xyz)
    factor = 1.0 + float(rng.uniform(-1.0, 1.0)) * settings.stretch
    gain = 1.0 + float(rng.uniform(-1.0, 1.0)) * settings.gain
    out = xyz[:, :3].copy()
    if not gravity_directions(out[None]).any():
        return out  # not a raw worn-sensor window: nothing here models its variation
    if settings.rotation_deg > 0:
        out = turn_about_gravity(out, angle, estimate=gravity)
    if settings.shift > 0:
        out = time_shift(out, shift)
    if settings.stretch > 0:
        out = stretch(out, factor)
    if settings.gain > 0:
        out *= np.float32(gain)
    return out


def augment_windows(
    windows: Sequence[NDArray[Any]],
    *,
    rng: np.random.Generator,
    settings: AugmentSettings,
    gravity: str = "calm",
) -> list[Samples]:
    """A randomly changed copy of each window (each keeps its own length)."""
    return [augment_window(w, rng=rng, settings=settings, gravity=gravity) for w in windows]


def augmented_renderer(
    windows: Sequence[NDArray[Any]],
    rates_hz: Sequence[float],
    *,
    scalogram: Any,
    settings: AugmentSettings,
) -> Callable[[NDArray[Any], np.random.Generator], NDArray[np.float32]]:
    """A ``render(index, rng)`` for :meth:`~hfwidgets.training.trainer.Trainer.fit`.

    It returns the scalograms ``[len(index), 3, H, W]`` of randomly changed copies of the
    windows at positions ``index``, drawn with ``rng``, in one batched call per (length, rate).
    ``scalogram`` is the run's :class:`~hfwidgets.scalogram.ScalogramSettings`.
    """
    from hfwidgets.training.data import scalogram_images

    def render(index: NDArray[Any], rng: np.random.Generator) -> NDArray[np.float32]:
        picked = [windows[int(i)] for i in index]
        changed = augment_windows(picked, rng=rng, settings=settings, gravity=scalogram.gravity)
        rates = [rates_hz[int(i)] for i in index]
        return scalogram_images(changed, rates, settings=scalogram)

    return render
