"""Scalograms: agreement with pywt.cwt + Pillow, images a person would recognise, bad input."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
import pywt
from PIL import Image

from hfwidgets._cwt_filterbank import cwt_filterbank, resize_along, resize_matrix
from hfwidgets.scalogram import (
    ScalogramCache,
    ScalogramSettings,
    compute_scalograms,
    scalogram_filterbank,
)

PUNCH_FLEX_RATE_HZ = 119.0
RECORDING_ROWS = 119


def read_punch_flex(path: Path) -> np.ndarray:
    """The recordings of one IMU_Capture CSV as ``[k, 119, 3]`` (aX, aY, aZ in g)."""
    with path.open(newline="") as handle:
        rows = [[float(r["aX"]), float(r["aY"]), float(r["aZ"])] for r in csv.DictReader(handle)]
    data = np.asarray(rows, dtype=np.float32)
    assert len(data) % RECORDING_ROWS == 0, f"{path} is not whole 119-row recordings"
    return data.reshape(-1, RECORDING_ROWS, 3)


def reference_scalogram(window: np.ndarray, *, rate_hz: float, settings: ScalogramSettings):
    """The plain pipeline: pywt.cwt per axis, magnitude, normalise, Pillow bilinear resize."""
    magnitudes = []
    for axis in range(3):
        signal = window[:, axis].astype(np.float64)
        if settings.remove_mean:
            signal = signal - signal.mean()
        coefs, _ = pywt.cwt(signal, settings.scales(rate_hz), settings.wavelet, method="fft")
        magnitudes.append(np.abs(coefs))
    stack = np.stack(magnitudes)
    if settings.normalize == "per-axis":
        stack /= stack.max(axis=(1, 2), keepdims=True)
    else:
        stack /= stack.max()
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
def test_filterbank_matches_pywt_cwt_on_random_windows(wavelet, n_samples):
    settings = ScalogramSettings(wavelet=wavelet, f_min_hz=1.0, f_max_hz=25.0, n_scales=32)
    signals = np.random.default_rng(n_samples).standard_normal((4, n_samples))
    bank = scalogram_filterbank(n_samples, rate_hz=50.0, settings=settings)
    ref, _ = pywt.cwt(signals, settings.scales(50.0), wavelet, method="fft", axis=-1)
    got = bank.transform(signals)  # [4, scales, n]
    assert relative_error(got, np.moveaxis(ref, 0, 1)) < 1e-5
    # pywt's own frequency axis agrees with the rows we claim to show.
    _, freqs = pywt.cwt(signals[0], settings.scales(50.0), wavelet, sampling_period=1 / 50)
    np.testing.assert_allclose(freqs, settings.frequencies(), rtol=1e-6)


def test_filterbank_matches_pywt_cwt_on_real_punches(punch_flex_dir):
    windows = read_punch_flex(punch_flex_dir / "punch.csv")
    settings = ScalogramSettings()
    bank = scalogram_filterbank(RECORDING_ROWS, rate_hz=PUNCH_FLEX_RATE_HZ, settings=settings)
    signals = windows.transpose(0, 2, 1).astype(np.float64)  # [k, 3, n], raw g with gravity
    ref, _ = pywt.cwt(signals, settings.scales(PUNCH_FLEX_RATE_HZ), settings.wavelet, axis=-1)
    assert relative_error(bank.transform(signals), np.moveaxis(ref, 0, 2)) < 1e-5


@pytest.mark.parametrize("wavelet", ["cmor1.5-1.0", "morl"])
@pytest.mark.parametrize("batch", [2, 8])  # the numpy (live) and the torch (batch) paths
def test_images_match_reference_pipeline_on_real_windows(punch_flex_dir, wavelet, batch):
    punches = read_punch_flex(punch_flex_dir / "punch.csv")
    flexes = read_punch_flex(punch_flex_dir / "flex.csv")
    windows = np.concatenate([punches[: batch // 2], flexes[: batch - batch // 2]])
    for normalize in ("per-axis", "global"):
        settings = ScalogramSettings(wavelet=wavelet, normalize=normalize)
        images = compute_scalograms(windows, rate_hz=PUNCH_FLEX_RATE_HZ, settings=settings)
        for image, window in zip(images, windows, strict=True):
            ref = reference_scalogram(window, rate_hz=PUNCH_FLEX_RATE_HZ, settings=settings)
            assert relative_error(image, ref) < 1e-5


def test_images_are_model_ready():
    windows = np.random.default_rng(1).standard_normal((5, 75, 3)).astype(np.float32)
    images = compute_scalograms(windows, rate_hz=50.0)
    assert images.shape == (5, 3, 224, 224)
    assert images.dtype == np.float32
    assert images.flags.c_contiguous
    assert images.min() >= 0.0
    assert images.max() <= 1.0
    # global (default): every window reaches (almost) full brightness in some channel.
    assert (images.max(axis=(1, 2, 3)) > 0.95).all()
    per_axis = compute_scalograms(
        windows, rate_hz=50.0, settings=ScalogramSettings(normalize="per-axis")
    )
    # per-axis: every channel reaches (almost) full brightness somewhere.
    assert (per_axis.max(axis=(2, 3)) > 0.95).all()


def test_global_normalisation_keeps_which_axis_moved_most():
    t = np.arange(100) / 50.0
    window = np.stack([np.sin(2 * np.pi * 4 * t), 0.1 * np.sin(2 * np.pi * 4 * t), 0 * t], 1)
    settings = ScalogramSettings(normalize="global")
    image = compute_scalograms(window[None], rate_hz=50.0, settings=settings)[0]
    peaks = image.max(axis=(1, 2))
    assert peaks[0] == pytest.approx(1.0, abs=0.02)
    assert peaks[1] == pytest.approx(0.1, abs=0.02)
    assert peaks[2] == 0.0


@pytest.mark.parametrize("freq_hz", [2.0, 5.0, 12.0])
def test_a_tone_lights_the_row_of_its_frequency(freq_hz):
    settings = ScalogramSettings(n_scales=48, size=(48, 100))  # no vertical resampling
    t = np.arange(100) / 50.0
    window = np.zeros((100, 3), dtype=np.float32)
    window[:, 1] = np.sin(2 * np.pi * freq_hz * t)
    image = compute_scalograms(window[None], rate_hz=50.0, settings=settings)[0, 1]
    brightest_row = int(image[:, 30:70].mean(axis=1).argmax())
    assert settings.frequencies()[brightest_row] == pytest.approx(freq_hz, rel=0.1)
    assert brightest_row == pytest.approx(  # high frequencies on top
        np.argmin(np.abs(settings.frequencies() - freq_hz)), abs=2
    )


def test_still_axes_are_black_not_nan():
    window = np.zeros((75, 3), dtype=np.float32)
    window[:, 0] = np.random.default_rng(2).standard_normal(75)
    window[:, 2] = 0.98  # gravity on a still z axis: zero variance
    for normalize in ("per-axis", "global"):
        settings = ScalogramSettings(normalize=normalize)
        image = compute_scalograms(window[None], rate_hz=50.0, settings=settings)[0]
        assert np.isfinite(image).all()
        assert image[0].max() > 0.9
        assert not image[1].any()
        assert not image[2].any()
    still = np.full((1, 75, 3), 0.5, dtype=np.float32)
    assert not compute_scalograms(still, rate_hz=50.0).any()


def test_one_window_alone_equals_the_same_window_in_a_batch():
    windows = np.random.default_rng(3).standard_normal((70, 75, 3)).astype(np.float32)
    batch = compute_scalograms(windows, rate_hz=50.0)
    single = compute_scalograms(windows[65:66], rate_hz=50.0)
    np.testing.assert_allclose(single[0], batch[65], atol=1e-6)


@pytest.mark.parametrize("batch", [2, 6])
def test_long_windows_and_downsampling_resize(batch):
    # 400 samples: too long for the time-domain form of the bank, so the FFT route runs.
    windows = np.random.default_rng(4).standard_normal((batch, 400, 3)).astype(np.float32)
    settings = ScalogramSettings(size=(96, 128), n_scales=160)
    assert scalogram_filterbank(400, rate_hz=100.0, settings=settings).toeplitz is None
    images = compute_scalograms(windows, rate_hz=100.0, settings=settings)
    ref = reference_scalogram(windows[1], rate_hz=100.0, settings=settings)
    assert images.shape == (batch, 3, 96, 128)
    assert relative_error(images[1], ref) < 1e-5


def test_sparse_resize_equals_the_matrix():
    image = np.random.default_rng(10).random((2, 64, 75)).astype(np.float32)
    for n_out in (224, 50):  # up and down (antialiased, more taps)
        dense = resize_matrix(64, n_out) @ image @ resize_matrix(75, n_out).T
        sparse = resize_along(resize_along(image, n_out, axis=-1), n_out, axis=-2)
        np.testing.assert_allclose(sparse, dense, atol=1e-6)


def test_resize_matrix_equals_pillow():
    image = np.random.default_rng(5).random((64, 75)).astype(np.float32)
    got = resize_matrix(64, 224) @ image @ resize_matrix(75, 200).T
    ref = Image.fromarray(image, mode="F").resize((200, 224), Image.Resampling.BILINEAR)
    np.testing.assert_allclose(got, np.asarray(ref), atol=1e-6)


def test_nan_samples_are_named():
    windows = np.zeros((3, 75, 3), dtype=np.float32)
    windows[1, 10, 1] = np.nan
    with pytest.raises(ValueError, match="window 1 axis y"):
        compute_scalograms(windows, rate_hz=50.0)


def test_f_max_above_nyquist_is_refused():
    with pytest.raises(ValueError, match=r"f_max_hz=20.*Nyquist.*15"):
        compute_scalograms(np.zeros((1, 60, 3)), rate_hz=30.0)


def test_window_shorter_than_the_wavelet_support_is_refused():
    with pytest.raises(ValueError, match=r"shorter than the wavelet support at f_min_hz=1"):
        compute_scalograms(np.ones((1, 40, 3)), rate_hz=50.0)
    # One full period of f_min fits: accepted.
    assert compute_scalograms(np.ones((1, 50, 3)), rate_hz=50.0).shape == (1, 3, 224, 224)


def test_wrong_shape_gives_a_hint():
    with pytest.raises(ValueError, match=r"\[B, n, 3\].*window\[None\]"):
        compute_scalograms(np.zeros((75, 3)), rate_hz=50.0)
    with pytest.raises(ValueError, match=r"rate_hz"):
        compute_scalograms(np.zeros((1, 75, 3)), rate_hz=0.0)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"wavelet": "db4"}, "continuous wavelet"),
        ({"wavelet": "cmor"}, "needs its parameters"),
        ({"f_min_hz": 30.0}, "f_min_hz < f_max_hz"),
        ({"n_scales": 1}, "n_scales"),
        ({"n_scales": 64.5}, "n_scales"),
        ({"f_max_hz": "fast"}, "non-numeric"),
        ({"size": (0, 224)}, "size"),
        ({"normalize": "max"}, "normalize"),
    ],
)
def test_bad_settings_are_refused(options, message):
    with pytest.raises(ValueError, match=message):
        ScalogramSettings(**options)


def test_settings_round_trip_through_json_with_a_stable_key():
    settings = ScalogramSettings(wavelet="morl", f_min_hz=0.5, size=(112, 112))
    loaded = ScalogramSettings.from_dict(json.loads(json.dumps(settings.to_dict())))
    assert loaded == settings
    assert loaded.key() == settings.key()
    assert ScalogramSettings().key() == ScalogramSettings.from_dict({}).key()
    assert ScalogramSettings(n_scales=65).key() != ScalogramSettings().key()
    assert ScalogramSettings(f_min_hz=1, n_scales=64.0).key() == ScalogramSettings().key()
    with pytest.raises(ValueError, match="unknown scalogram settings"):
        ScalogramSettings.from_dict({"colormap": "jet"})


def test_filterbank_is_reused_between_calls():
    settings = ScalogramSettings()
    first = scalogram_filterbank(75, rate_hz=50.0, settings=settings)
    assert scalogram_filterbank(75, rate_hz=50.0, settings=settings) is first
    assert cwt_filterbank(wavelet="morl", n_samples=75, scales=first.scales) is not first


def test_cache_serves_repeats_and_computes_only_misses(tmp_path):
    windows = np.random.default_rng(6).standard_normal((4, 75, 3)).astype(np.float32)
    cache = ScalogramCache(directory=tmp_path / "cache")
    first = cache.compute_scalograms(windows[:3], rate_hz=50.0)
    both = cache.compute_scalograms(windows, rate_hz=50.0)
    assert (cache.hits, cache.misses) == (3, 4)
    np.testing.assert_array_equal(both[:3], first)
    np.testing.assert_allclose(both, compute_scalograms(windows, rate_hz=50.0), atol=1e-6)
    both[:] = 0  # the caller's copy, not the cache's
    assert cache.compute_scalograms(windows[:1], rate_hz=50.0).any()


def test_cache_keys_include_settings_and_rate(tmp_path):
    windows = np.random.default_rng(7).standard_normal((1, 100, 3)).astype(np.float32)
    cache = ScalogramCache()
    a = cache.compute_scalograms(windows, rate_hz=50.0)
    b = cache.compute_scalograms(windows, rate_hz=60.0)
    c = cache.compute_scalograms(windows, rate_hz=50.0, settings=ScalogramSettings(n_scales=32))
    assert cache.misses == 3
    assert not np.array_equal(a, b)
    assert not np.array_equal(a, c)


def test_cache_persists_on_disk_across_instances(tmp_path):
    windows = np.random.default_rng(8).standard_normal((2, 75, 3)).astype(np.float32)
    settings = ScalogramSettings(size=(64, 64))
    folder = tmp_path / "cache" / "scalograms"
    first = ScalogramCache(directory=folder).compute_scalograms(
        windows, rate_hz=50.0, settings=settings
    )
    assert len(list((folder / settings.key()).glob("*.npy"))) == 2
    assert json.loads((folder / settings.key() / "settings.json").read_text())["size"] == [64, 64]
    reopened = ScalogramCache(directory=folder)
    again = reopened.compute_scalograms(windows, rate_hz=50.0, settings=settings)
    assert (reopened.hits, reopened.misses) == (2, 0)
    np.testing.assert_array_equal(again, first)
    # A torn file is recomputed, not fatal.
    next((folder / settings.key()).glob("*.npy")).write_bytes(b"not an npy")
    fresh = ScalogramCache(directory=folder)
    np.testing.assert_array_equal(
        fresh.compute_scalograms(windows, rate_hz=50.0, settings=settings), first
    )
    assert fresh.misses == 1


def test_cache_memory_is_bounded_least_recently_used_first():
    settings = ScalogramSettings(size=(32, 32))
    image_bytes = 3 * 32 * 32 * 4
    cache = ScalogramCache(max_bytes=2 * image_bytes)
    windows = np.random.default_rng(9).standard_normal((3, 75, 3)).astype(np.float32)
    cache.compute_scalograms(windows[:2], rate_hz=50.0, settings=settings)
    cache.compute_scalograms(windows[:1], rate_hz=50.0, settings=settings)  # 0 is now newest
    cache.compute_scalograms(windows[2:], rate_hz=50.0, settings=settings)  # evicts 1
    assert len(cache) == 2
    assert cache.nbytes == 2 * image_bytes
    misses = cache.misses
    cache.compute_scalograms(windows[:1], rate_hz=50.0, settings=settings)
    assert cache.misses == misses
    cache.compute_scalograms(windows[1:2], rate_hz=50.0, settings=settings)
    assert cache.misses == misses + 1
