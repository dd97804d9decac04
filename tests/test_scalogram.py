"""Scalograms: agreement with pywt.cwt + Pillow, images a person would recognise, bad input.

The settings (band, sign, storage) have their own file: test_scalogram_settings.py.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pytest
import pywt
from PIL import Image

from hfwidgets.scalogram import (
    ScalogramSettings,
    compute_scalograms,
    cwt_filterbank,
    gravity_frame,
    scalogram_filterbank,
)
from hfwidgets.scalogram.resize import resize_along

PUNCH_FLEX_RATE_HZ = 119.0
RECORDING_ROWS = 119

Representation = Literal["signed", "magnitude"]


def read_punch_flex(path: Path) -> np.ndarray:
    """The recordings of one IMU_Capture CSV as ``[k, 119, 3]`` (aX, aY, aZ in g)."""
    with path.open(newline="") as handle:
        rows = [[float(r["aX"]), float(r["aY"]), float(r["aZ"])] for r in csv.DictReader(handle)]
    data = np.asarray(rows, dtype=np.float32)
    assert len(data) % RECORDING_ROWS == 0, f"{path} is not whole 119-row recordings"
    return data.reshape(-1, RECORDING_ROWS, 3)


def reference_scalogram(
    window: np.ndarray, *, rate_hz: float, settings: ScalogramSettings
) -> np.ndarray:
    """The plain pipeline: pywt.cwt per axis, real part or magnitude, normalise, Pillow resize."""
    settings = settings.resolve(window_s=len(window) / rate_hz, rate_hz=rate_hz)
    signed = settings.representation == "signed"
    if settings.frame == "gravity":  # tested on its own in test_scalogram_frame.py
        window = gravity_frame(window[None])[0]
    rows = []
    for axis in range(3):
        signal = window[:, axis].astype(np.float64)
        if settings.remove_mean:
            signal = signal - signal.mean()
        coefs, _ = pywt.cwt(signal, settings.scales(rate_hz), settings.wavelet, method="fft")
        rows.append(np.real(coefs) if signed else np.abs(coefs))
    stack = np.stack(rows)
    if settings.normalize == "per-axis":
        stack /= np.abs(stack).max(axis=(1, 2), keepdims=True)
    else:
        stack /= np.abs(stack).max()
    if signed:
        stack = 0.5 + 0.5 * stack
    height, width = settings.size
    return np.stack(
        [
            np.asarray(
                Image.fromarray(channel.astype(np.float32), mode="F").resize(
                    (width, height), Image.Resampling.BILINEAR
                )
            )
            for channel in stack
        ]
    )


def relative_error(got: np.ndarray, ref: np.ndarray) -> float:
    return float(np.abs(got - ref).max() / np.abs(ref).max())


@pytest.mark.parametrize("wavelet", ["cmor1.5-1.0", "morl", "mexh", "cmor1-1.5"])
@pytest.mark.parametrize("n_samples", [50, 75, 128])
def test_filterbank_matches_pywt_cwt_on_random_windows(wavelet: str, n_samples: int) -> None:
    settings = ScalogramSettings(wavelet=wavelet, f_min_hz=1.0, f_max_hz=25.0, n_scales=32)
    signals = np.random.default_rng(n_samples).standard_normal((4, n_samples))
    bank = scalogram_filterbank(n_samples, rate_hz=50.0, settings=settings)
    ref, _ = pywt.cwt(signals, settings.scales(50.0), wavelet, method="fft", axis=-1)
    got = bank.transform(signals)  # [4, scales, n]
    assert relative_error(got, np.moveaxis(ref, 0, 1)) < 1e-5
    # pywt's own frequency axis agrees with the rows we claim to show.
    _, freqs = pywt.cwt(signals[0], settings.scales(50.0), wavelet, sampling_period=1 / 50)
    np.testing.assert_allclose(freqs, settings.frequencies(), rtol=1e-6)


def test_filterbank_matches_pywt_cwt_on_real_punches(punch_flex_dir: Path) -> None:
    windows = read_punch_flex(punch_flex_dir / "punch.csv")
    settings = ScalogramSettings().resolve(window_s=1.0, rate_hz=PUNCH_FLEX_RATE_HZ)
    bank = scalogram_filterbank(RECORDING_ROWS, rate_hz=PUNCH_FLEX_RATE_HZ, settings=settings)
    signals = windows.transpose(0, 2, 1).astype(np.float64)  # [k, 3, n], raw g with gravity
    ref, _ = pywt.cwt(signals, settings.scales(PUNCH_FLEX_RATE_HZ), settings.wavelet, axis=-1)
    assert relative_error(bank.transform(signals), np.moveaxis(ref, 0, 2)) < 1e-5


@pytest.mark.parametrize("wavelet", ["cmor1.5-1.0", "morl"])
@pytest.mark.parametrize("representation", ["signed", "magnitude"])
def test_images_match_reference_pipeline_on_real_windows(
    punch_flex_dir: Path, wavelet: str, representation: Representation
) -> None:
    punches = read_punch_flex(punch_flex_dir / "punch.csv")
    flexes = read_punch_flex(punch_flex_dir / "flex.csv")
    windows = np.concatenate([punches[:3], flexes[:3]])
    for normalize in ("per-axis", "global"):
        settings = ScalogramSettings(
            wavelet=wavelet, normalize=normalize, representation=representation
        )
        images = compute_scalograms(windows, rate_hz=PUNCH_FLEX_RATE_HZ, settings=settings)
        for image, window in zip(images, windows, strict=True):
            ref = reference_scalogram(window, rate_hz=PUNCH_FLEX_RATE_HZ, settings=settings)
            assert relative_error(image, ref) < 1e-5


def test_images_are_model_ready() -> None:
    windows = np.random.default_rng(1).standard_normal((5, 75, 3)).astype(np.float32)
    images = compute_scalograms(windows, rate_hz=50.0)
    assert images.shape == (5, 3, 224, 224)
    assert images.dtype == np.float32
    assert images.flags.c_contiguous
    assert images.min() >= 0.0
    assert images.max() <= 1.0
    # signed, global (default): every window reaches (almost) full swing in some channel.
    swing = np.abs(images - 0.5).max(axis=(1, 2, 3))
    assert (swing > 0.4).all()  # the resize smooths the sharpest peaks a little
    magnitude = ScalogramSettings(representation="magnitude")
    assert (
        compute_scalograms(windows, rate_hz=50.0, settings=magnitude).max(axis=(1, 2, 3)) > 0.95
    ).all()
    per_axis = compute_scalograms(
        windows, rate_hz=50.0, settings=ScalogramSettings(normalize="per-axis")
    )
    # per-axis: every channel reaches (almost) full swing somewhere.
    assert (np.abs(per_axis - 0.5).max(axis=(2, 3)) > 0.4).all()


def test_global_normalisation_keeps_which_axis_moved_most() -> None:
    t = np.arange(100) / 50.0
    window = np.stack([np.sin(2 * np.pi * 4 * t), 0.1 * np.sin(2 * np.pi * 4 * t), 0 * t], 1)
    settings = ScalogramSettings(normalize="global", representation="magnitude")
    image = compute_scalograms(window[None], rate_hz=50.0, settings=settings)[0]
    peaks = image.max(axis=(1, 2))
    assert peaks[0] == pytest.approx(1.0, abs=0.02)
    assert peaks[1] == pytest.approx(0.1, abs=0.02)
    assert peaks[2] == 0.0


@pytest.mark.parametrize("freq_hz", [2.0, 5.0, 12.0])
def test_a_tone_lights_the_row_of_its_frequency(freq_hz: float) -> None:
    settings = ScalogramSettings(  # no vertical resampling
        f_min_hz=1.0, f_max_hz=20.0, n_scales=48, size=(48, 100), representation="magnitude"
    )
    t = np.arange(100) / 50.0
    window = np.zeros((100, 3), dtype=np.float32)
    window[:, 1] = np.sin(2 * np.pi * freq_hz * t)
    image = compute_scalograms(window[None], rate_hz=50.0, settings=settings)[0, 1]
    brightest_row = int(image[:, 30:70].mean(axis=1).argmax())
    assert settings.frequencies()[brightest_row] == pytest.approx(freq_hz, rel=0.1)
    assert brightest_row == pytest.approx(  # high frequencies on top
        np.argmin(np.abs(settings.frequencies() - freq_hz)), abs=2
    )


def test_still_axes_are_zero_not_nan() -> None:
    window = np.zeros((75, 3), dtype=np.float32)
    window[:, 0] = np.random.default_rng(2).standard_normal(75)
    window[:, 2] = 0.98  # gravity on a still z axis: zero variance
    for normalize in ("per-axis", "global"):
        cases: tuple[tuple[Representation, float], ...] = (("magnitude", 0.0), ("signed", 0.5))
        for representation, zero in cases:
            settings = ScalogramSettings(
                normalize=normalize, representation=representation, frame="sensor"
            )  # the gravity frame would mix x's motion into the other axes
            image = compute_scalograms(window[None], rate_hz=50.0, settings=settings)[0]
            assert np.isfinite(image).all()
            assert np.abs(image[0] - zero).max() > 0.45
            assert (image[1] == zero).all()
            assert (image[2] == zero).all()
    still = np.full((1, 75, 3), 0.5, dtype=np.float32)
    assert (compute_scalograms(still, rate_hz=50.0) == 0.5).all()


def test_one_window_alone_equals_the_same_window_in_a_batch() -> None:
    windows = np.random.default_rng(3).standard_normal((70, 75, 3)).astype(np.float32)
    batch = compute_scalograms(windows, rate_hz=50.0)
    single = compute_scalograms(windows[65:66], rate_hz=50.0)
    np.testing.assert_allclose(single[0], batch[65], atol=1e-6)


@pytest.mark.parametrize("representation", ["signed", "magnitude"])
def test_long_windows_and_downsampling_resize(representation: Representation) -> None:
    # 400 samples: the transform runs in several blocks, the resize shrinks (antialiased).
    windows = np.random.default_rng(4).standard_normal((6, 400, 3)).astype(np.float32)
    settings = ScalogramSettings(size=(96, 128), n_scales=160, representation=representation)
    images = compute_scalograms(windows, rate_hz=100.0, settings=settings)
    ref = reference_scalogram(windows[1], rate_hz=100.0, settings=settings)
    assert images.shape == (6, 3, 96, 128)
    assert relative_error(images[1], ref) < 1e-5


@pytest.mark.parametrize(("n_in", "n_out"), [(64, 224), (75, 200), (400, 128), (119, 50), (1, 7)])
def test_resize_equals_pillow(n_in: int, n_out: int) -> None:
    image = np.random.default_rng(5).random((3, n_in)).astype(np.float32)
    got = resize_along(image, n_out, axis=-1)
    ref = Image.fromarray(image, mode="F").resize((n_out, 3), Image.Resampling.BILINEAR)
    np.testing.assert_allclose(got, np.asarray(ref), atol=1e-6)
    # Along the other axis: the same numbers.
    np.testing.assert_allclose(resize_along(image.T.copy(), n_out, axis=0).T, got, atol=1e-7)


def test_nan_samples_are_named() -> None:
    windows = np.zeros((3, 75, 3), dtype=np.float32)
    windows[1, 10, 1] = np.nan
    with pytest.raises(ValueError, match="window 1 axis y"):
        compute_scalograms(windows, rate_hz=50.0)


def test_f_max_above_nyquist_is_refused() -> None:
    fixed = ScalogramSettings(f_min_hz=1.0, f_max_hz=20.0)
    with pytest.raises(ValueError, match=r"f_max_hz=20.*Nyquist.*15"):
        compute_scalograms(np.zeros((1, 60, 3)), rate_hz=30.0, settings=fixed)


def test_window_shorter_than_the_wavelet_support_is_refused() -> None:
    fixed = ScalogramSettings(f_min_hz=1.0, f_max_hz=20.0)
    with pytest.raises(ValueError, match=r"shorter than the wavelet support at f_min_hz=1"):
        compute_scalograms(np.ones((1, 40, 3)), rate_hz=50.0, settings=fixed)
    # One full period of f_min fits: accepted.
    assert compute_scalograms(np.ones((1, 50, 3)), rate_hz=50.0, settings=fixed).shape == (
        1,
        3,
        224,
        224,
    )


def test_wrong_shape_gives_a_hint() -> None:
    with pytest.raises(ValueError, match=r"\[B, n, 3\].*window\[None\]"):
        compute_scalograms(np.zeros((75, 3)), rate_hz=50.0)
    for rate in (0.0, -50.0, float("nan"), float("inf"), "fast", None):
        with pytest.raises(ValueError, match=r"rate_hz"):
            compute_scalograms(np.zeros((1, 75, 3)), rate_hz=rate)  # type: ignore[arg-type]
    # numpy numbers are numbers: a rate read from an array is accepted.
    for numpy_rate in (np.float32(50.0), np.int64(50)):
        shape = compute_scalograms(np.zeros((1, 75, 3)), rate_hz=numpy_rate).shape  # type: ignore[arg-type]
        assert shape == (1, 3, 224, 224)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"wavelet": "db4"}, "continuous wavelet"),
        ({"wavelet": "cmor"}, "needs its parameters"),
        ({"f_min_hz": 30.0, "f_max_hz": 20.0}, "f_min_hz < f_max_hz"),
        ({"f_min_hz": -1.0}, "positive number of Hz"),
        ({"f_max_hz": float("nan")}, "positive number of Hz"),
        ({"representation": "phase"}, "representation"),
        ({"n_scales": 1}, "n_scales"),
        ({"n_scales": 64.5}, "n_scales"),
        ({"f_max_hz": "fast"}, "non-numeric"),
        ({"size": (0, 224)}, "size"),
        ({"normalize": "max"}, "normalize"),
    ],
)
def test_bad_settings_are_refused(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ScalogramSettings(**options)


def test_filterbank_is_reused_between_calls() -> None:
    settings = ScalogramSettings(f_min_hz=1.0, f_max_hz=20.0)
    first = scalogram_filterbank(75, rate_hz=50.0, settings=settings)
    assert scalogram_filterbank(75, rate_hz=50.0, settings=settings) is first
    assert cwt_filterbank(wavelet="morl", n_samples=75, scales=first.scales) is not first
