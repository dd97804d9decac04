"""Synthetic wrist-accelerometer motions in g: rest, walk, wave, raise, swing and high-five.

The model is a forearm with the sensor on the wrist: x along the forearm towards the hand, y to the
thumb side, z out of the back of the wrist. An accelerometer reads specific force, so a hanging
arm reads about ``(-1, 0, 0)`` g and an arm raised overhead ``(+1, 0, 0)`` g. Every motion is the
gravity reading of a changing arm elevation plus the arm's own (dynamic) acceleration plus sensor
noise. A high-five is a fast raise with a forward swing of the palm (which faces -z) that ends in
a sharp impact spike (+z: the hand is stopped), then a slower return.

Signals are synthesised at >= 1 kHz and block-averaged down to the requested rate, which acts like
the MPU-9250's low-pass filter: a 20 ms impact still shows at 50 Hz, as it does on real hardware.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "MOTION_KINDS",
    "OTHER_KINDS",
    "MotionEvent",
    "motion_stream",
    "simulate_motion",
    "simulate_session",
    "simulate_windows",
]

#: Motions the simulator knows; "high-five" is the positive class, the rest are "other".
MOTION_KINDS = ("high-five", "swing", "wave", "raise", "walk", "rest")
OTHER_KINDS = ("swing", "wave", "raise", "walk", "rest")

_HANG = 0.15  # rad: a relaxed arm hangs slightly forward of vertical
_NOISE_G = 0.015  # MPU-9250 at +/-4 g, DLPF on: about 10-20 mg rms


class MotionEvent(NamedTuple):
    """A motion the simulator performed: ``t`` is its peak (the impact of a high-five), in s."""

    t: float
    kind: str


def _smoothstep(u: NDArray[np.float64]) -> NDArray[np.float64]:
    # Quintic "smootherstep": zero first and second derivative at both ends, so the arm's
    # acceleration (the second derivative of its angle) has no jumps where motions join.
    u = np.clip(u, 0.0, 1.0)
    return u * u * u * (u * (6.0 * u - 15.0) + 10.0)


def _bump(t: NDArray[np.float64], centre: float, width: float) -> NDArray[np.float64]:
    return np.exp(-0.5 * ((t - centre) / width) ** 2)


def _fine(kind: str, rng: np.random.Generator, fs: float) -> tuple[NDArray[np.float64], float]:
    """One motion at the fine rate ``fs``: ``(reading [m,3] in g without noise, peak time)``."""
    if kind not in MOTION_KINDS:
        raise ValueError(f"unknown motion kind {kind!r}; choose one of {', '.join(MOTION_KINDS)}")
    s = rng.uniform(0.8, 1.25)  # person-to-person speed and size
    dur = {"high-five": 1.1, "swing": 1.6, "wave": 2.2, "raise": 2.0, "walk": 4.0, "rest": 1.5}[
        kind
    ]
    dur *= rng.uniform(0.85, 1.2)
    if kind == "high-five":  # long enough for the arm to come back down after the impact
        dur = 0.40 / s + 0.75
    t = np.arange(int(dur * fs)) / fs
    elev = np.full_like(t, _HANG)  # arm elevation from hanging, rad
    roll = np.full_like(t, rng.normal(0.0, 0.15))
    dyn = np.zeros((t.size, 3))
    peak = dur / 2
    if kind == "high-five":
        up, hit = 0.38 / s, 0.40 / s  # raise+swing time, impact time
        elev = _HANG + (2.2 - _HANG) * _smoothstep(t / up) * (
            1 - _smoothstep((t - hit - 0.15) / 0.5)
        )
        omega = np.gradient(elev, t)  # rad/s of the swing
        dyn[:, 0] -= 0.03 * omega**2  # centripetal pull towards the elbow/shoulder, r ~ 0.3 m
        # The palm faces -z and moves that way: the thrust reads -z, the stop at impact +z.
        dyn[:, 2] -= 1.2 * s * _bump(t, up * 0.55, 0.07 / s)
        # Contact lasts ~40 ms (a half-sine push), then the wrist rings briefly: long enough
        # to survive the sensor's low-pass filter at 50 Hz, as real impacts do.
        after = np.clip(t - hit, 0.0, None)
        contact = np.where(after < 0.04, np.sin(np.pi * after / 0.04), 0.0) * (t >= hit)
        ring = np.exp(-after / 0.05) * np.sin(2 * np.pi * 12 * after) * (after >= 0.04)
        dyn[:, 2] += rng.uniform(3.0, 4.5) * (contact - 0.25 * ring)
        dyn[:, 1] += 0.8 * np.exp(-after / 0.03) * (t >= hit)
        peak = hit + 0.02  # the middle of the contact
    elif kind == "swing":  # a pendulum swing, e.g. throwing something underhand
        f = rng.uniform(0.8, 1.3)
        env = np.sin(np.pi * t / dur) ** 2
        elev = _HANG + 0.6 * s * env * np.sin(2 * np.pi * f * t)
        dyn[:, 0] -= 0.06 * np.gradient(elev, t) ** 2
    elif kind == "wave":  # arm up, hand waving side to side at 2-3 Hz
        f = rng.uniform(2.0, 3.0)
        lift = _smoothstep(t / 0.4) * (1 - _smoothstep((t - dur + 0.4) / 0.4))
        elev = _HANG + 2.0 * lift
        roll = roll + 0.5 * lift * np.sin(2 * np.pi * f * t)
        dyn[:, 1] += 0.6 * s * lift * np.sin(2 * np.pi * f * t)
    elif kind == "raise":  # slowly raise the arm (asking a question), hold, lower
        elev = _HANG + 2.6 * _smoothstep(t / 0.8) * (1 - _smoothstep((t - dur + 0.8) / 0.8))
        dyn[:, 2] += 0.15 * np.gradient(np.gradient(elev, t), t) / 9.81
    elif kind == "walk":  # arm swinging by the side at the stride rate, vertical bounce at 2x
        f = rng.uniform(0.8, 1.0)
        env = _smoothstep(t / 0.5) * (1 - _smoothstep((t - dur + 0.5) / 0.5))
        elev = _HANG + 0.35 * s * env * np.sin(2 * np.pi * f * t)
        dyn[:, 0] += env * (0.18 * np.abs(np.sin(2 * np.pi * f * t)) - 0.11)
        dyn[:, 2] += env * 0.12 * np.sin(4 * np.pi * f * t + 0.3)
    elif kind == "rest":
        elev = elev + np.cumsum(rng.normal(0, 0.0005, t.size))
    gravity = np.stack(
        [-np.cos(elev), np.sin(elev) * np.sin(roll), np.sin(elev) * np.cos(roll)], axis=1
    )
    return gravity + dyn, float(peak)


def _decimate(fine: NDArray[np.float64], factor: int) -> NDArray[np.float64]:
    n = fine.shape[0] // factor
    return np.asarray(fine[: n * factor].reshape(n, factor, 3).mean(axis=1), dtype=np.float64)


def _fine_rate(rate_hz: float) -> tuple[float, int]:
    factor = max(1, int(np.ceil(1000.0 / rate_hz)))
    return rate_hz * factor, factor


def simulate_motion(
    kind: str, *, rate_hz: float = 50.0, seed: int | np.random.Generator = 0
) -> tuple[NDArray[np.float32], float]:
    """One motion, sampled at ``rate_hz``, with noise.

    Returns
    -------
    xyz : ndarray of float32, shape (n, 3)
        Acceleration in g; starts and ends with the arm hanging at rest.
    peak_s : float
        Time of the motion's peak from the first sample (the impact of a high-five).
    """
    if not rate_hz > 0:
        raise ValueError(f"rate_hz must be > 0, got {rate_hz!r}")
    rng = np.random.default_rng(seed)
    fs, factor = _fine_rate(rate_hz)
    fine, peak = _fine(kind, rng, fs)
    xyz = _decimate(fine, factor) + rng.normal(0.0, _NOISE_G, (fine.shape[0] // factor, 3))
    return xyz.astype(np.float32), peak


def motion_stream(
    *,
    rate_hz: float = 50.0,
    seed: int = 0,
    events_per_minute: float = 12.0,
    script: list[str] | None = None,
    high_five_share: float = 0.4,
) -> Iterator[tuple[NDArray[np.float32], list[MotionEvent]]]:
    """Endless chunks of a session: rest gaps and motions, with the events each chunk contains.

    Event times are seconds from the first sample of the stream. With ``script`` the listed
    motions are performed in order (1-2 s of rest between), then the arm rests forever.
    """
    if not rate_hz > 0:
        raise ValueError(f"rate_hz must be > 0, got {rate_hz!r}")
    if events_per_minute < 0:
        raise ValueError(f"events_per_minute must be >= 0, got {events_per_minute!r}")
    rng = np.random.default_rng(seed)
    fs, factor = _fine_rate(rate_hz)
    pending = list(script) if script is not None else None
    produced = 0  # samples emitted so far, at rate_hz
    while True:
        if pending is not None:
            kind = pending.pop(0) if pending else None
            gap = rng.uniform(1.0, 2.0) if kind else 5.0
        else:
            gap = rng.exponential(60.0 / events_per_minute) if events_per_minute > 0 else 5.0
            gap = min(max(gap, 0.6), 30.0)
            others = rng.choice(OTHER_KINDS[:-1])
            kind = "high-five" if rng.random() < high_five_share else str(others)
            kind = kind if events_per_minute > 0 else None
        fine_rest, _ = _fine("rest", rng, fs)
        n_rest = int(gap * fs)
        rest = np.resize(fine_rest, (max(n_rest, factor), 3))
        parts, events = [rest], []
        if kind is not None:
            motion, peak = _fine(kind, rng, fs)
            parts.append(motion)
            start = produced + rest.shape[0] // factor
            events.append(MotionEvent(round(start / rate_hz + peak, 4), kind))
        fine = np.concatenate(parts)
        xyz = _decimate(fine, factor)
        xyz += rng.normal(0.0, _NOISE_G, xyz.shape)
        produced += xyz.shape[0]
        yield xyz.astype(np.float32), events


def simulate_session(
    seconds: float,
    *,
    rate_hz: float = 50.0,
    seed: int = 0,
    events_per_minute: float = 12.0,
    script: list[str] | None = None,
) -> tuple[NDArray[np.float64], NDArray[np.float32], list[MotionEvent]]:
    """A recorded session of ``seconds`` at ``rate_hz``: ``(t, xyz, events)``.

    ``t`` is 0-based seconds (float64, shape (n,)), ``xyz`` float32 (n, 3) in g, ``events`` the
    motions performed whose peak lies inside the session, sorted by time.

    Examples
    --------
    >>> t, xyz, events = simulate_session(30, rate_hz=50, seed=1)
    >>> xyz.shape, xyz.dtype
    ((1500, 3), dtype('float32'))
    """
    n = round(seconds * rate_hz)
    chunks, events = [], []
    got = 0
    for xyz, evs in motion_stream(
        rate_hz=rate_hz, seed=seed, events_per_minute=events_per_minute, script=script
    ):
        chunks.append(xyz)
        events.extend(evs)
        got += xyz.shape[0]
        if got >= n:
            break
    xyz_all = np.concatenate(chunks)[:n] if chunks else np.zeros((0, 3), np.float32)
    t = np.arange(n, dtype=np.float64) / rate_hz
    return t, xyz_all, [e for e in events if e.t < n / rate_hz]


def simulate_windows(
    n_per_class: int,
    *,
    rate_hz: float = 50.0,
    window_s: float = 1.5,
    seed: int = 0,
    pre_s: float = 0.4,
) -> tuple[NDArray[np.float32], list[str]]:
    """Labelled example windows, as the trigger segmenter would cut them from a live arm.

    Returns ``(windows, labels)``: float32 ``[2 * n_per_class, n, 3]`` with
    ``n = round(window_s * rate_hz)``, and labels ``"high-five"`` / ``"other"`` (shuffled). The
    motion's peak sits ``pre_s`` after the window start, give or take 0.15 s; "other" windows
    are swings, waves, raises, walking and rest.
    """
    if n_per_class < 1:
        raise ValueError(f"n_per_class must be >= 1, got {n_per_class!r}")
    n = round(window_s * rate_hz)
    if n < 4:
        raise ValueError(f"window_s * rate_hz gives {n} samples; need at least 4")
    rng = np.random.default_rng(seed)
    windows, labels = [], []
    for label in ("high-five", "other"):
        for _ in range(n_per_class):
            kind = "high-five" if label == "high-five" else str(rng.choice(OTHER_KINDS))
            motion, peak = simulate_motion(kind, rate_hz=rate_hz, seed=rng)
            rest, _ = simulate_motion("rest", rate_hz=rate_hz, seed=rng)
            pad = np.resize(rest, (2 * n, 3))
            padded = np.concatenate([pad[:n], motion, pad[n:]])
            offset = pre_s + rng.uniform(-0.15, 0.15)
            start = n + round((peak - offset) * rate_hz)
            start = min(max(start, 0), padded.shape[0] - n)
            windows.append(padded[start : start + n])
            labels.append(label)
    order = rng.permutation(len(labels))
    return np.stack(windows)[order].astype(np.float32), [labels[i] for i in order]
