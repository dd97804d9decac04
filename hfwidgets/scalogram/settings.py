"""ScalogramSettings: what decides a scalogram's pixels, stored with projects and models.

The frequency band may be left to the data (``f_min_hz=None``, ``f_max_hz=None``, the default):
:meth:`ScalogramSettings.resolve` then fills it in from the window length (lowest frequency: one
period per window) and the rate the recordings really had (highest: 80 % of their Nyquist
frequency). Training resolves once over all its windows and stores the concrete band with the
run, so live inference draws exactly the training images.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, fields, replace
from typing import Any, Literal

import numpy as np
import pywt

from hfwidgets.scalogram.frame import GRAVITY_ESTIMATES

__all__ = ["F_MAX_NYQUIST_FRACTION", "SETTINGS_VERSION", "ScalogramSettings"]

#: Version written by :meth:`ScalogramSettings.to_dict`. Version 1 (and dicts without a version)
#: had a fixed 1-20 Hz band and magnitude images as defaults; they still load as exactly that.
#: Version 2 had no ``frame`` (windows drawn in the sensor frame); it loads as ``"sensor"``.
#: Version 3 had no ``gravity`` (the frame's gravity was the mean of all samples); ``"mean"``.
SETTINGS_VERSION = 4
#: A data-derived top row sits at this fraction of the Nyquist frequency: the complex Morlet's
#: pass band is about +-20 % wide, so a row at Nyquist itself would be half aliased.
F_MAX_NYQUIST_FRACTION = 0.8

_NORMALIZE = ("per-axis", "global")
_REPRESENTATIONS = ("signed", "magnitude")
_FRAMES = ("gravity", "gravity+heading", "sensor")
# What a field meant when a stored dict omitted it, by settings version.
_OLD_DEFAULTS: dict[int, dict[str, Any]] = {
    1: {
        "f_min_hz": 1.0,
        "f_max_hz": 20.0,
        "representation": "magnitude",
        "frame": "sensor",
        "gravity": "mean",
    },
    2: {"frame": "sensor", "gravity": "mean"},
    3: {"gravity": "mean"},
}


def _optional_hz(value: Any) -> float | None:
    return None if value is None else float(value)


@dataclass(frozen=True)
class ScalogramSettings:
    """Everything that decides what a scalogram looks like; stored with projects and models.

    Parameters
    ----------
    wavelet : str
        A PyWavelets continuous wavelet: ``"cmor<B>-<C>"`` (complex Morlet, default
        ``"cmor1.5-1.0"``), ``"morl"``, ``"mexh"``, ``"gaus<k>"``, ...
    f_min_hz, f_max_hz : float or None
        Frequency range shown, bottom row to top row. ``None`` (default) derives it from the
        data (see :meth:`resolve`): the lowest frequency from the window length, the highest
        from the sample rate. Fixed values must satisfy ``f_max_hz <= rate / 2`` and windows
        of at least one period of ``f_min_hz``.
    n_scales : int
        Rows of the transform (geometric in frequency) before resizing.
    size : tuple of int
        ``(height, width)`` of the output image, the model's input size.
    normalize : {"global", "per-axis"}
        ``"global"`` (default) scales all three channels by the window's peak, which keeps which
        axis moved most; ``"per-axis"`` scales each channel to its own peak.
    remove_mean : bool
        Subtract each axis' mean (gravity, sensor offset) before the transform.
    representation : {"signed", "magnitude"}
        ``"signed"`` (default): the real part of the transform, 0.5 = zero, brighter = the
        axis moved in its positive direction at that time and frequency, so a motion and its
        mirror image give different pictures. ``"magnitude"``: the classic ``|CWT|`` image
        (0 = black), blind to the direction of a motion.
    frame : {"gravity", "gravity+heading", "sensor"}
        ``"gravity"`` (default): each window is first turned so its mean acceleration (gravity)
        points along +z (:func:`~hfwidgets.scalogram.frame.gravity_frame`), so a sensor held
        another way gives the same image up to a turn about the vertical; windows without
        gravity (z-normalised, gravity removed) stay as they are. ``"gravity+heading"``: the
        gravity frame, then each window turned about the vertical so its dominant horizontal
        motion lies along +x (:func:`~hfwidgets.scalogram.frame.heading_frame`): the same image
        however the sensor is held. ``"sensor"``: the sensor's own x, y, z axes.
    gravity : {"calm", "mean"}
        Where the gravity frames find gravity (:mod:`hfwidgets.scalogram.frame`): ``"calm"``
        (default) the mean of the calmer half of the window's samples (the sensor at rest
        measures gravity alone), ``"mean"`` the mean of all samples, which a motion that turns
        the wrist pulls away from gravity (settings version 3).
    """

    wavelet: str = "cmor1.5-1.0"
    f_min_hz: float | None = None
    f_max_hz: float | None = None
    n_scales: int = 64
    size: tuple[int, int] = (224, 224)
    normalize: Literal["per-axis", "global"] = "global"
    remove_mean: bool = True
    representation: Literal["signed", "magnitude"] = "signed"
    frame: Literal["gravity", "gravity+heading", "sensor"] = "gravity"
    gravity: Literal["calm", "mean"] = "calm"

    def __post_init__(self) -> None:
        self._canonicalise()
        self._check_wavelet()
        self._check_band()
        self._check_choices()

    def _canonicalise(self) -> None:
        # Canonical types keep the object hashable and key() stable: JSON gives lists for
        # tuples, and 1 == 1.0 must not yield two different keys for equal settings.
        try:
            canonical = {
                "size": tuple(int(v) for v in self.size),
                "f_min_hz": _optional_hz(self.f_min_hz),
                "f_max_hz": _optional_hz(self.f_max_hz),
                "n_scales": int(self.n_scales),
                "remove_mean": bool(self.remove_mean),
            }
        except (TypeError, ValueError) as exc:
            raise ValueError(f"ScalogramSettings got a non-numeric value: {exc}") from exc
        if canonical["n_scales"] != self.n_scales:
            raise ValueError(f"ScalogramSettings(n_scales={self.n_scales}) must be an int >= 2")
        for name, value in canonical.items():
            object.__setattr__(self, name, value)

    def _check_wavelet(self) -> None:
        # Checked first: pywt accepts a bare "cmor" with a deprecation warning and old defaults.
        if str(self.wavelet).startswith(("cmor", "shan", "fbsp")) and "-" not in self.wavelet:
            raise ValueError(
                f"ScalogramSettings(wavelet={self.wavelet!r}) needs its parameters, "
                f"e.g. 'cmor1.5-1.0' (bandwidth-centre frequency)"
            )
        try:
            pywt.ContinuousWavelet(self.wavelet)
        except (ValueError, TypeError) as exc:
            raise ValueError(
                f"ScalogramSettings(wavelet={self.wavelet!r}) is not a PyWavelets continuous "
                f"wavelet; choose e.g. 'cmor1.5-1.0', 'morl' or 'mexh' "
                f"(pywt.wavelist(kind='continuous'))"
            ) from exc

    def _check_band(self) -> None:
        for name in ("f_min_hz", "f_max_hz"):
            value = getattr(self, name)
            if value is not None and not (math.isfinite(value) and value > 0):
                raise ValueError(
                    f"ScalogramSettings({name}={value}) must be a positive number of Hz, "
                    f"or None to derive it from the data"
                )
        if (
            self.f_min_hz is not None
            and self.f_max_hz is not None
            and not self.f_min_hz < self.f_max_hz
        ):
            raise ValueError(
                f"ScalogramSettings needs 0 < f_min_hz < f_max_hz, got f_min_hz={self.f_min_hz}, "
                f"f_max_hz={self.f_max_hz}"
            )

    def _check_choices(self) -> None:
        if self.n_scales < 2:
            raise ValueError(f"ScalogramSettings(n_scales={self.n_scales}) must be an int >= 2")
        if len(self.size) != 2 or min(self.size) < 1:
            raise ValueError(f"ScalogramSettings(size={self.size}) must be (height, width) >= 1")
        if self.normalize not in _NORMALIZE:
            raise ValueError(
                f"ScalogramSettings(normalize={self.normalize!r}) must be one of {_NORMALIZE}"
            )
        if self.representation not in _REPRESENTATIONS:
            raise ValueError(
                f"ScalogramSettings(representation={self.representation!r}) must be one of "
                f"{_REPRESENTATIONS}"
            )
        if self.frame not in _FRAMES:
            raise ValueError(f"ScalogramSettings(frame={self.frame!r}) must be one of {_FRAMES}")
        if self.gravity not in GRAVITY_ESTIMATES:
            raise ValueError(
                f"ScalogramSettings(gravity={self.gravity!r}) must be one of {GRAVITY_ESTIMATES}"
            )

    # -- the data-derived band ---------------------------------------------------------------

    @property
    def is_resolved(self) -> bool:
        """Whether both band edges are numbers (no ``None`` left to derive from data)."""
        return self.f_min_hz is not None and self.f_max_hz is not None

    def resolve(self, *, window_s: float, rate_hz: float) -> ScalogramSettings:
        """These settings with the data-derived band edges filled in.

        Parameters
        ----------
        window_s : float
            Duration of the shortest window to be drawn; ``f_min_hz=None`` becomes
            ``1 / window_s`` (one period of the lowest row fits every window).
        rate_hz : float
            The lowest rate the recordings really had (before any up-sampling);
            ``f_max_hz=None`` becomes ``0.8 * rate_hz / 2``.

        Returns
        -------
        ScalogramSettings
            ``self`` when already resolved, else a copy with both band edges set.

        Raises
        ------
        ValueError
            A non-positive duration or rate, or a band that comes out empty (for example a
            fixed ``f_min_hz`` above the derived ``f_max_hz``), naming the remedy.
        """
        if self.is_resolved:
            return self
        if not (math.isfinite(rate_hz) and rate_hz > 0):
            raise ValueError(f"rate_hz must be a positive number, got {rate_hz}")
        if not (math.isfinite(window_s) and window_s > 0):
            raise ValueError(f"window_s must be a positive number of seconds, got {window_s}")
        f_min = self.f_min_hz if self.f_min_hz is not None else 1.0 / window_s
        f_max = self.f_max_hz if self.f_max_hz is not None else F_MAX_NYQUIST_FRACTION * rate_hz / 2
        if not f_min < f_max:
            raise ValueError(
                f"no frequency band fits windows of {window_s:.3g} s at {rate_hz:g} Hz with "
                f"f_min_hz={self.f_min_hz}, f_max_hz={self.f_max_hz} (derived "
                f"{f_min:.3g}-{f_max:.3g} Hz); use longer windows or set both band edges"
            )
        return replace(self, f_min_hz=f_min, f_max_hz=f_max)

    def resolve_over(
        self, *, durations_s: Sequence[float], rates_hz: Sequence[float]
    ) -> ScalogramSettings:
        """:meth:`resolve` for a whole data set: its shortest window and its lowest rate.

        Every window of the set then fits the band, and they are all drawn with one band, so
        the same motion gives the same rows whatever window or recording it came from.
        """
        if self.is_resolved:
            return self
        if len(durations_s) == 0 or len(rates_hz) == 0:
            raise ValueError("resolving a data-derived band needs at least one window")
        return self.resolve(window_s=float(min(durations_s)), rate_hz=float(min(rates_hz)))

    def frequencies(self) -> np.ndarray:
        """Frequency of each transform row in Hz, top row first (highest frequency)."""
        f_min, f_max = self._band()
        return np.geomspace(f_max, f_min, self.n_scales)

    def scales(self, rate_hz: float) -> np.ndarray:
        """``pywt.cwt`` scales (in samples) of :meth:`frequencies` at ``rate_hz``."""
        self._band()
        return _scales(self, float(rate_hz)).copy()

    def _band(self) -> tuple[float, float]:
        if self.f_min_hz is None or self.f_max_hz is None:
            raise ValueError(
                "these ScalogramSettings derive their band from the data (f_min_hz or f_max_hz "
                "is None); call settings.resolve(window_s=..., rate_hz=...) first"
            )
        return self.f_min_hz, self.f_max_hz

    # -- storage -------------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict (with a format version) for the project store and model exports."""
        data = asdict(self)
        data["size"] = list(self.size)
        data["version"] = SETTINGS_VERSION
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ScalogramSettings:
        """Inverse of :meth:`to_dict`; missing fields take the defaults of the dict's version.

        A dict without ``"version"`` (or with version 1) was written when the defaults were a
        fixed 1-20 Hz band and magnitude images, so its missing fields mean exactly that; one
        of version 1 or 2 drew windows in the sensor frame (``frame="sensor"``); one of
        versions 1 to 3 found gravity as the mean of all samples (``gravity="mean"``).

        Raises
        ------
        ValueError
            On unknown fields or a newer format version, naming them.
        """
        data = dict(data)
        version = data.pop("version", 1)
        if version not in range(1, SETTINGS_VERSION + 1):
            raise ValueError(
                f"scalogram settings version {version} is not supported (this hfwidgets reads "
                f"versions 1 to {SETTINGS_VERSION}); upgrade hfwidgets"
            )
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown scalogram settings {unknown}; known: {sorted(known)}")
        data = {**_OLD_DEFAULTS.get(version, {}), **data}
        return cls(**data)

    def key(self) -> str:
        """Stable 16-hex-digit hash of the settings (same across processes and machines)."""
        text = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()[:16]


@functools.lru_cache(maxsize=64)
def _scales(settings: ScalogramSettings, rate_hz: float) -> np.ndarray:
    # Cached: pywt samples the wavelet (4096 points) to find its centre frequency each call.
    normalised = settings.frequencies() / rate_hz
    return np.asarray(
        pywt.frequency2scale(settings.wavelet, normalised, precision=12), dtype=np.float64
    )
