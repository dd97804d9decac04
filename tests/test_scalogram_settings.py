"""Scalogram settings a user notices: the sign of a motion, a band that follows the data,
settings that load as they meant, training and live drawing the same pixels, bounded memory."""

from __future__ import annotations

import json
import tracemalloc
from dataclasses import replace
from pathlib import Path
from typing import Literal, TypedDict

import numpy as np
import pytest
import torch

from hfwidgets.scalogram import SETTINGS_VERSION, ScalogramSettings, compute_scalograms
from hfwidgets.store import Project
from hfwidgets.store.importers import import_generic


class _Band(TypedDict):
    f_min_hz: float
    f_max_hz: float


class _Size(TypedDict):
    size: tuple[int, int]
    n_scales: int
    representation: Literal["signed", "magnitude"]


FIXED_1_20: _Band = {"f_min_hz": 1.0, "f_max_hz": 20.0}


def stroke(n: int = 100, rate_hz: float = 50.0) -> np.ndarray:
    """A one-way stroke along x (out and stop), a wobble on y, gravity on z."""
    t = np.arange(n) / rate_hz
    duration = n / rate_hz
    x = np.exp(-(((t - duration / 2) / (duration / 8)) ** 2))  # one bump: a push to +x
    y = 0.3 * np.sin(2 * np.pi * 3 * t)
    return np.stack([x, y, np.full(n, 0.98)], axis=1).astype(np.float32)


# -- the sign of the motion ------------------------------------------------------------------


def test_signed_images_tell_a_motion_from_its_mirror_image() -> None:
    window = stroke()
    mirrored = window * np.array([-1, 1, 1], dtype=np.float32)  # the same stroke to -x
    signed = compute_scalograms(np.stack([window, mirrored]), rate_hz=50.0)
    assert np.abs(signed[0, 0] - signed[1, 0]).max() > 0.5
    np.testing.assert_allclose(signed[0, 0] - 0.5, 0.5 - signed[1, 0], atol=1e-6)
    np.testing.assert_array_equal(signed[0, 1:], signed[1, 1:])  # y, z untouched

    magnitude = ScalogramSettings(representation="magnitude")
    classic = compute_scalograms(np.stack([window, mirrored]), rate_hz=50.0, settings=magnitude)
    np.testing.assert_array_equal(classic[0], classic[1])  # |CWT(x)| = |CWT(-x)|


def test_signed_zero_is_mid_grey_and_a_push_is_brighter_where_it_happens() -> None:
    window = stroke()
    sensor = ScalogramSettings(frame="sensor")  # the sensor's own axes: z holds only gravity
    image = compute_scalograms(window[None], rate_hz=50.0, settings=sensor)[0]
    assert (image[2] == 0.5).all()  # still z: zero
    # The bump's low-frequency rows are brighter than grey in the middle of the window (the
    # push) and not at its start, where nothing happened yet.
    bottom = image[0, -40:]
    assert bottom[:, 100:124].mean() > 0.6
    assert abs(bottom[:, :10].mean() - 0.5) < abs(bottom[:, 100:124].mean() - 0.5)


# -- the band follows the data ---------------------------------------------------------------


@pytest.mark.parametrize(("n", "rate_hz"), [(150, 50.0), (30, 10.0), (119, 119.0), (400, 100.0)])
def test_default_band_follows_window_length_and_rate(n: int, rate_hz: float) -> None:
    settings = ScalogramSettings().resolve(window_s=n / rate_hz, rate_hz=rate_hz)
    assert settings.f_min_hz == pytest.approx(rate_hz / n)  # one period per window
    assert settings.f_max_hz == pytest.approx(0.8 * rate_hz / 2)  # below Nyquist
    frequencies = settings.frequencies()
    assert frequencies[0] == pytest.approx(0.4 * rate_hz)
    assert frequencies[-1] == pytest.approx(rate_hz / n)
    # And compute_scalograms accepts such windows with the defaults (fixed 1-20 Hz did not
    # fit 10 Hz data at all).
    window = np.random.default_rng(n).standard_normal((1, n, 3)).astype(np.float32)
    assert compute_scalograms(window, rate_hz=rate_hz).shape == (1, 3, 224, 224)


def test_a_slow_gesture_shows_in_the_default_band_but_not_in_the_old_one() -> None:
    rate, n = 50.0, 200  # a 4 s gesture swinging at 0.5 Hz
    t = np.arange(n) / rate
    window = np.zeros((n, 3), dtype=np.float32)
    window[:, 0] = np.sin(2 * np.pi * 0.5 * t)
    window[:, 1] = 0.5 * np.sin(2 * np.pi * 8.0 * t)  # a faster tremor on y for contrast
    size: _Size = {"size": (64, 200), "n_scales": 64, "representation": "magnitude"}
    derived = ScalogramSettings(**size)
    image = compute_scalograms(window[None], rate_hz=rate, settings=derived)[0]
    rows = derived.resolve(window_s=n / rate, rate_hz=rate).frequencies()
    brightest = rows[int(image[0, :, 60:140].mean(axis=1).argmax())]
    assert brightest == pytest.approx(0.5, rel=0.25)
    old = ScalogramSettings(**size, **FIXED_1_20)
    image_old = compute_scalograms(window[None], rate_hz=rate, settings=old)[0]
    # In 1-20 Hz the swing is only the fading edge of the bottom row; y's tremor dominates.
    assert image_old[0].max() < image_old[1].max()


def test_a_band_is_resolved_over_a_whole_data_set() -> None:
    settings = ScalogramSettings(f_max_hz=None, f_min_hz=None)
    resolved = settings.resolve_over(durations_s=[3.0, 1.5, 2.0], rates_hz=[50.0, 10.0, 50.0])
    assert (resolved.f_min_hz, resolved.f_max_hz) == pytest.approx((1 / 1.5, 4.0))
    # A fixed edge stays as given; only the missing one is derived.
    half = ScalogramSettings(f_min_hz=0.5).resolve(window_s=2.0, rate_hz=50.0)
    assert half.f_min_hz == 0.5
    assert half.f_max_hz == pytest.approx(20.0)
    assert resolved.resolve(window_s=100.0, rate_hz=1000.0) is resolved  # already concrete


@pytest.mark.parametrize(
    ("settings", "call", "message"),
    [
        (ScalogramSettings(), {"window_s": 0.0, "rate_hz": 50.0}, "window_s"),
        (ScalogramSettings(), {"window_s": 2.0, "rate_hz": float("nan")}, "rate_hz"),
        (ScalogramSettings(f_min_hz=30.0), {"window_s": 2.0, "rate_hz": 50.0}, "no frequency band"),
        (ScalogramSettings(f_max_hz=0.2), {"window_s": 2.0, "rate_hz": 50.0}, "no frequency band"),
    ],
)
def test_an_impossible_band_is_a_clear_error(
    settings: ScalogramSettings, call: dict[str, float], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        settings.resolve(**call)


def test_impossible_windows_for_the_band_are_refused_by_name() -> None:
    with pytest.raises(ValueError, match=r"f_max_hz=20.*Nyquist"):
        compute_scalograms(
            np.ones((1, 30, 3)), rate_hz=10.0, settings=ScalogramSettings(**FIXED_1_20)
        )
    with pytest.raises(ValueError, match="f_min_hz"):  # a fixed f_min too low for 1 s
        compute_scalograms(
            np.ones((1, 50, 3)), rate_hz=50.0, settings=ScalogramSettings(f_min_hz=0.5)
        )
    with pytest.raises(ValueError, match=r"resolve\(window_s=\.\.\., rate_hz=\.\.\.\)"):
        ScalogramSettings().frequencies()
    with pytest.raises(ValueError, match="NaN"):
        compute_scalograms(np.full((1, 50, 3), np.nan), rate_hz=50.0)


# -- storage -----------------------------------------------------------------------------------


def test_settings_round_trip_through_json_with_a_stable_key() -> None:
    for settings in (
        ScalogramSettings(),
        ScalogramSettings(
            wavelet="morl", f_min_hz=0.5, size=(112, 112), representation="magnitude"
        ),
        ScalogramSettings().resolve(window_s=1.5, rate_hz=50.0),
    ):
        stored = json.loads(json.dumps(settings.to_dict()))
        assert stored["version"] == SETTINGS_VERSION
        loaded = ScalogramSettings.from_dict(stored)
        assert loaded == settings
        assert loaded.key() == settings.key()
    assert ScalogramSettings().key() == ScalogramSettings.from_dict({"version": 4}).key()
    assert ScalogramSettings(n_scales=65).key() != ScalogramSettings().key()
    assert (
        ScalogramSettings(f_min_hz=1, n_scales=64.0).key()  # type: ignore[arg-type]
        == ScalogramSettings(f_min_hz=1.0).key()
    )
    with pytest.raises(ValueError, match="unknown scalogram settings"):
        ScalogramSettings.from_dict({"colormap": "jet"})
    with pytest.raises(ValueError, match="version 5 is not supported"):
        ScalogramSettings.from_dict({"version": 5})


def test_old_stored_settings_still_mean_what_they_meant() -> None:
    # Written by hfwidgets before the signed image and the data-derived band (version 1).
    old_defaults = {
        "wavelet": "cmor1.5-1.0",
        "f_min_hz": 1.0,
        "f_max_hz": 20.0,
        "n_scales": 64,
        "size": [224, 224],
        "normalize": "global",
        "remove_mean": True,
        "version": 1,
    }
    meant = ScalogramSettings(
        f_min_hz=1.0, f_max_hz=20.0, representation="magnitude", frame="sensor", gravity="mean"
    )
    assert ScalogramSettings.from_dict(old_defaults) == meant
    # Partial dicts (a project's hand-written setting, an old checkpoint) kept the old defaults.
    assert ScalogramSettings.from_dict({"size": [64, 64]}) == ScalogramSettings(
        size=(64, 64),
        f_min_hz=1.0,
        f_max_hz=20.0,
        representation="magnitude",
        frame="sensor",
        gravity="mean",
    )
    # Version 2 (signed, data-derived band) drew windows in the sensor frame.
    assert ScalogramSettings.from_dict({"version": 2}) == ScalogramSettings(
        frame="sensor", gravity="mean"
    )
    # Version 3 (the gravity frame) found gravity as the mean of all samples.
    assert ScalogramSettings.from_dict({"version": 3}) == ScalogramSettings(gravity="mean")
    assert ScalogramSettings.from_dict({"version": 1, "f_min_hz": 2.0}).f_min_hz == 2.0
    # And they draw exactly the images they drew: magnitude, 1-20 Hz.
    window = stroke()[None]
    np.testing.assert_array_equal(
        compute_scalograms(
            window, rate_hz=50.0, settings=ScalogramSettings.from_dict(old_defaults)
        ),
        compute_scalograms(window, rate_hz=50.0, settings=meant),
    )


# -- import keeps the real rate; training and live draw the same pixels -----------------------


def _write_generic(folder: Path, *, rate_hz: float, n: int, per_class: int = 3) -> None:
    rng = np.random.default_rng(0)
    for label in ("high-five", "other"):
        (folder / label).mkdir(parents=True)
        for i in range(per_class):
            samples = rng.standard_normal((n, 3)) * 0.3 + [0.0, 0.0, 1.0]
            lines = ["ax,ay,az", *(",".join(f"{v:.5f}" for v in row) for row in samples)]
            (folder / label / f"{i:02d}.csv").write_text("\n".join(lines) + "\n")
    (folder / "meta.json").write_text(json.dumps({"rate_hz": rate_hz}))


def test_import_keeps_the_rate_the_recording_really_had(tmp_path: Path) -> None:
    from hfwidgets.training.data import project_scalogram_settings

    slow, fast = tmp_path / "slow", tmp_path / "fast"
    _write_generic(slow, rate_hz=10.0, n=30)
    _write_generic(fast, rate_hz=119.0, n=476)  # 4 s
    with Project.create(tmp_path / "p", classes=(), rate_hz=50.0) as project:
        report = import_generic(project, slow)
        assert (report.source_rate_hz, report.rate_hz) == (10.0, 10.0)  # not up-sampled
        assert {len(w.data) for w in project.windows.all()} == {30}
        report = import_generic(project, fast)
        assert report.rate_hz == 50.0  # down-sampled to the project rate as before
        assert {w.rate_hz for w in project.windows.all()} == {10.0, 50.0}
        # The default band: below the slowest Nyquist (5 Hz), one period of the shortest (3 s).
        settings = project_scalogram_settings(project)
        assert settings.is_resolved
        assert settings.f_max_hz == pytest.approx(4.0)
        assert settings.f_min_hz == pytest.approx(1 / 3.0)


class _RecordingNet(torch.nn.Module):
    """Stands in for a trained network: remembers the images it is shown."""

    def __init__(self, classes: int) -> None:
        super().__init__()
        self.classes = classes
        self.seen: list[np.ndarray] = []

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        self.seen.append(images.numpy().copy())
        return torch.zeros(len(images), self.classes)


def test_live_inference_draws_exactly_the_training_images(tmp_path: Path) -> None:
    from hfwidgets.live.offline import classify_recording
    from hfwidgets.training import predictor as run_predictor
    from hfwidgets.training.data import project_dataset, project_scalogram_settings

    # The run's predictor class (named RunPredictor since the live Predictor protocol took the
    # plain name).
    predictor_class = run_predictor.RunPredictor

    folder = tmp_path / "recordings"
    _write_generic(folder, rate_hz=50.0, n=90)
    with Project.create(tmp_path / "p", classes=(), rate_hz=50.0) as project:
        import_generic(project, folder)
        project.settings.set("scalogram", ScalogramSettings(size=(64, 64)).to_dict())
        settings = project_scalogram_settings(project)  # what the run stores
        data = project_dataset(project, settings=settings)
        window = project.windows.get(int(data.ids[0])).data
    # The checkpoint keeps the settings as JSON; the predictor reads them back.
    stored = json.loads(json.dumps({"scalogram": settings.to_dict()}))["scalogram"]
    net = _RecordingNet(len(data.classes))
    predictor = predictor_class(
        net,  # type: ignore[arg-type]
        classes=data.classes,
        settings=ScalogramSettings.from_dict(stored),
        rate_hz=50.0,
        model_name="recording",
        window_s=data.window_s,
    )
    # The live path: cut the window from a recording, classify it as LiveClassifier would.
    t = np.arange(len(window)) / 50.0
    classify_recording(t, window, predictor, rate_hz=50.0, hop_s=0.2)
    (shown,) = net.seen
    np.testing.assert_array_equal(shown[0], data.images[0])
    # Still the same when the live window would resolve a band of its own differently: the
    # band was fixed by training.
    longer = np.concatenate([window, window])
    predictor.predict_proba(longer[None])
    assert net.seen[-1].shape == (1, 3, 64, 64)
    assert predictor.settings == settings
    # Both drew the window in the gravity frame (the default), through the one image path:
    # its mean acceleration turned to +z before the transform.
    from hfwidgets.scalogram import gravity_frame

    assert settings.frame == "gravity"
    in_sensor_axes = replace(settings, frame="sensor")
    upright = gravity_frame(window[None, :, :3])
    np.testing.assert_array_equal(
        shown[0], compute_scalograms(upright, rate_hz=50.0, settings=in_sensor_axes)[0]
    )
    assert not np.array_equal(
        shown[0], compute_scalograms(window[None, :, :3], rate_hz=50.0, settings=in_sensor_axes)[0]
    )


# -- memory grows linearly with the window ------------------------------------------------------


def _peak_bytes(n: int) -> int:
    window = np.random.default_rng(n).standard_normal((1, n, 3)).astype(np.float32)
    tracemalloc.start()
    try:
        compute_scalograms(window, rate_hz=50.0, settings=ScalogramSettings(size=(64, 64)))
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_a_long_window_needs_memory_linear_in_its_length() -> None:
    # The dense resize matrix of old needed 4.3 GB for 20,000 samples and 149 GiB for 200,000.
    small, large = _peak_bytes(10_000), _peak_bytes(20_000)
    assert large < 200 * 2**20
    assert large / small < 2.5  # linear (2x), not quadratic (4x)


def test_the_band_follows_short_slow_windows_and_long_fast_ones_by_one_rule() -> None:
    # The same rule in samples: one period per window at the bottom, 0.4 cycles per sample
    # (80 % of Nyquist) at the top; a watch's 30 samples at 10 Hz get 1/3-4 Hz, a 100-sample
    # window at 50 Hz 0.5-20 Hz.
    slow = ScalogramSettings().resolve(window_s=30 / 10.0, rate_hz=10.0)
    fast = ScalogramSettings().resolve(window_s=100 / 50.0, rate_hz=50.0)
    assert (slow.f_min_hz, slow.f_max_hz) == pytest.approx((1 / 3, 4.0))
    assert (fast.f_min_hz, fast.f_max_hz) == pytest.approx((0.5, 20.0))
    assert slow.size == fast.size == (224, 224)
    rng = np.random.default_rng(0)
    image = compute_scalograms(rng.normal(size=(1, 30, 3)), rate_hz=10.0)
    assert image.shape == (1, 3, 224, 224)
    assert np.isfinite(image).all()


def test_a_window_too_short_for_any_scalogram_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match=r"windows of 3 samples .* use windows of"):
        compute_scalograms(np.zeros((1, 3, 3)), rate_hz=10.0)
    with pytest.raises(ValueError, match=r"no frequency band fits windows of 0\.1 s at 10 Hz"):
        ScalogramSettings(f_max_hz=4.0).resolve(window_s=0.1, rate_hz=10.0)
