"""The gravity frame: a sensor held any way gives the same window up to a turn about gravity."""

from __future__ import annotations

import json
from typing import Literal

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from hfwidgets.scalogram import ScalogramSettings, compute_scalograms, gravity_frame
from hfwidgets.scalogram.frame import (
    HEADING_MAX_RATIO,
    gravity_directions,
    heading_frame,
    rotation_to_z,
)
from hfwidgets.training.data import scalogram_images

RATE = 50.0


def punch(seed: int = 0, n: int = 75) -> np.ndarray:
    """A push forward and back, a wobble, gravity along -z of the sensor as it is held."""
    rng = np.random.default_rng(seed)
    t = np.arange(n) / RATE
    push = np.exp(-(((t - 0.6) / 0.12) ** 2)) - np.exp(-(((t - 0.9) / 0.12) ** 2))
    window = np.stack([1.5 * push, 0.3 * np.sin(2 * np.pi * 4 * t), np.zeros(n)], axis=1)
    window += rng.normal(0, 0.05, (n, 3))
    shifted: np.ndarray = (window + np.array([0.1, 0.3, -0.9])).astype(np.float32)
    return shifted


def _turned_about_z(a: np.ndarray, b: np.ndarray) -> float:
    """The angle that turns ``a`` into ``b`` about z, checking that one does (z kept)."""
    np.testing.assert_allclose(a[:, 2], b[:, 2], atol=1e-4)
    angle = np.arctan2(
        (a[:, 0] * b[:, 1] - a[:, 1] * b[:, 0]).sum(), (a[:, 0] * b[:, 0] + a[:, 1] * b[:, 1]).sum()
    )
    c, s = np.cos(angle), np.sin(angle)
    np.testing.assert_allclose(a[:, :2] @ np.array([[c, s], [-s, c]]), b[:, :2], atol=1e-4)
    return float(angle)


def curl(n: int = 100, *, tilt_deg: float = 60.0) -> tuple[np.ndarray, np.ndarray]:
    """A wrist at rest, a curl that tilts the sensor ``tilt_deg`` and back, at rest again:
    the samples and the gravity the sensor measured at rest (unit)."""
    t = np.linspace(0.0, 1.0, n)
    bump = np.exp(-(((t - 0.5) / 0.12) ** 2))  # the motion, in the middle fifth or so
    tilt = np.radians(tilt_deg) * bump
    g_rest = np.array([0.2, 0.4, -0.9]) / np.linalg.norm([0.2, 0.4, -0.9])
    axis = np.cross(g_rest, [1.0, 0.0, 0.0])
    axis /= np.linalg.norm(axis)
    turns = Rotation.from_rotvec(tilt[:, None] * axis)
    gravity = turns.apply(g_rest)  # gravity as the turning sensor sees it
    swing = 1.5 * np.gradient(bump, t)[:, None] * np.array([0.0, 1.0, 0.3]) / 8.0
    noise = np.random.default_rng(0).normal(0, 0.01, (n, 3))
    return (gravity + swing + noise).astype(np.float32), g_rest


def test_the_calm_estimate_finds_the_gravity_of_the_sensor_at_rest_which_the_mean_misses() -> None:
    window, g_rest = curl()
    calm = gravity_directions(window[None], estimate="calm")[0]
    mean = gravity_directions(window[None], estimate="mean")[0]

    def angle(u: np.ndarray) -> float:
        return float(np.degrees(np.arccos(np.clip(u @ g_rest, -1, 1))))

    assert angle(calm) < 2.0  # degrees
    assert angle(mean) > 5.0  # the turn during the curl pulls the mean of all samples away
    (out,) = gravity_frame(window[None])  # the default: calm
    rest = np.r_[0:20, 80:100]
    np.testing.assert_allclose(out[rest].mean(axis=0)[:2], 0.0, atol=0.03)


@pytest.mark.parametrize("estimate", ["calm", "mean"])
def test_both_estimates_keep_a_sensor_held_any_way_a_turn_about_gravity_apart(
    estimate: Literal["calm", "mean"],
) -> None:
    window, _ = curl()
    matrix = Rotation.random(random_state=3).as_matrix()
    held_otherwise = (window @ matrix.T).astype(np.float32)
    a, b = gravity_frame(np.stack([window, held_otherwise]), estimate=estimate)
    _turned_about_z(a, b)


def test_an_unknown_gravity_estimate_is_named() -> None:
    with pytest.raises(ValueError, match="'median' must be one of"):
        gravity_directions(np.ones((1, 10, 3)), estimate="median")
    with pytest.raises(ValueError, match="gravity='median'"):
        ScalogramSettings(gravity="median")  # type: ignore[arg-type]


def test_gravity_points_up_and_the_motion_keeps_its_direction_relative_to_it() -> None:
    window = punch()
    (out,) = gravity_frame(window[None], estimate="mean")
    mean = out.mean(axis=0)
    np.testing.assert_allclose(mean[:2], 0.0, atol=1e-6)
    assert mean[2] == pytest.approx(np.linalg.norm(window.mean(axis=0)), rel=1e-5)
    # A rotation: every sample keeps its norm and its angle to gravity.
    np.testing.assert_allclose(np.linalg.norm(out, axis=1), np.linalg.norm(window, axis=1), 1e-5)
    up = window.mean(axis=0) / np.linalg.norm(window.mean(axis=0))
    np.testing.assert_allclose(out[:, 2], window @ up, atol=1e-5)


@pytest.mark.parametrize("seed", range(6))
def test_a_sensor_held_any_way_gives_the_same_window_up_to_a_turn_about_gravity(seed: int) -> None:
    window = punch(seed)
    matrix = Rotation.random(random_state=seed).as_matrix()
    held_otherwise = (window @ matrix.T).astype(np.float32)
    a, b = gravity_frame(np.stack([window, held_otherwise]))
    _turned_about_z(a, b)  # z (along gravity) equal, x-y turned by one angle for all samples


def test_upside_down_and_level_sensors_have_a_frame_too() -> None:
    for direction in ([0, 0, 1.0], [0, 0, -1.0], [1.0, 0, 0], [0, -1e-7, -1.0]):
        g = np.asarray(direction) / np.linalg.norm(direction)
        matrix = rotation_to_z(g)
        np.testing.assert_allclose(matrix @ g, [0, 0, 1], atol=1e-6)
        np.testing.assert_allclose(matrix @ matrix.T, np.eye(3), atol=1e-9)
        assert np.linalg.det(matrix) == pytest.approx(1.0)


def test_windows_without_gravity_stay_in_the_sensor_frame() -> None:
    # Z-normalised per window (the handwriting archive) or gravity removed: the mean is noise.
    rng = np.random.default_rng(1)
    letters = rng.standard_normal((4, 152, 3)).astype(np.float32)
    letters -= letters.mean(axis=1, keepdims=True)
    assert not gravity_directions(letters).any()
    np.testing.assert_array_equal(gravity_frame(letters), letters)
    settings = ScalogramSettings(size=(32, 32))
    np.testing.assert_array_equal(
        compute_scalograms(letters, rate_hz=RATE, settings=settings),
        compute_scalograms(letters, rate_hz=RATE, settings=ScalogramSettings(size=(32, 32),
                           frame="sensor")),
    )  # fmt: skip


def test_a_still_sensor_is_mid_grey_whichever_way_it_lies() -> None:
    for seed in range(3):
        matrix = Rotation.random(random_state=seed).as_matrix()
        still = np.tile(matrix @ [0.0, 0.0, 1.0], (75, 1)).astype(np.float32)[None]
        assert (compute_scalograms(still, rate_hz=RATE) == 0.5).all()


def test_the_image_of_a_turned_sensor_matches_once_the_turn_about_gravity_is_undone() -> None:
    window = punch(2)
    matrix = Rotation.from_euler("xyz", [70, -20, 130], degrees=True).as_matrix()
    turned = (window @ matrix.T).astype(np.float32)
    a, b = gravity_frame(np.stack([window, turned]))
    angle = _turned_about_z(a, b)
    c, s = np.cos(angle), np.sin(angle)
    undone = (b @ np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]])).astype(np.float32)
    sensor = ScalogramSettings(size=(48, 48), frame="sensor")
    gravity = ScalogramSettings(size=(48, 48))
    # In the gravity frame the turned sensor's image is the original's up to the heading ...
    np.testing.assert_allclose(
        compute_scalograms(undone[None], rate_hz=RATE, settings=sensor),
        compute_scalograms(window[None], rate_hz=RATE, settings=gravity),
        atol=2e-3,
    )
    # ... and the vertical channel (z) is the same without undoing anything (scaled to its own
    # peak: the global peak depends on how the rest splits between x and y).
    per_axis = ScalogramSettings(size=(48, 48), normalize="per-axis")
    images = compute_scalograms(np.stack([window, turned]), rate_hz=RATE, settings=per_axis)
    np.testing.assert_allclose(images[0, 2], images[1, 2], atol=2e-3)
    raw = compute_scalograms(np.stack([window, turned]), rate_hz=RATE, settings=sensor)
    assert np.abs(raw[0] - raw[1]).max() > 0.2  # in the sensor frame they differ


# -- the heading frame (frame="gravity+heading") ---------------------------------------------


@pytest.mark.parametrize("seed", range(6))
def test_a_sensor_held_any_way_gives_the_same_canonical_window_when_the_heading_is_defined(
    seed: int,
) -> None:
    window = punch(seed)
    matrix = Rotation.random(random_state=100 + seed).as_matrix()
    held_otherwise = (window @ matrix.T).astype(np.float32)
    a, b = heading_frame(np.stack([window, held_otherwise]))
    np.testing.assert_allclose(a, b, atol=1e-4)
    # Gravity still points up and the push (the larger horizontal excursion) along +x.
    np.testing.assert_allclose(gravity_directions(a[None])[0], [0.0, 0.0, 1.0], atol=1e-5)
    assert a[:, 0].max() > -a[:, 0].min() * 0.9
    assert a[:, 0].var() > a[:, 1].var()


def test_the_heading_frame_gives_the_same_image_whichever_way_the_sensor_is_held() -> None:
    window = punch(3)
    settings = ScalogramSettings(size=(48, 48), frame="gravity+heading")
    turned = [(window @ Rotation.random(random_state=s).as_matrix().T) for s in range(4)]
    images = compute_scalograms(np.stack([window, *turned]).astype(np.float32), rate_hz=RATE,
                                settings=settings)  # fmt: skip
    for image in images[1:]:
        np.testing.assert_allclose(image, images[0], atol=2e-3)
    gravity = ScalogramSettings(size=(48, 48))
    raw = compute_scalograms(np.stack(turned[:2]).astype(np.float32), rate_hz=RATE,
                             settings=gravity)  # fmt: skip
    assert np.abs(raw[0] - raw[1]).max() > 0.1  # the gravity frame alone leaves the heading free


def test_a_window_moving_as_much_every_way_horizontally_keeps_the_gravity_frame_heading() -> None:
    t = np.arange(100) / RATE
    circle = np.stack([np.cos(2 * np.pi * 2 * t), np.sin(2 * np.pi * 2 * t), np.zeros(100)], 1)
    circle = (circle + np.array([0.0, 0.0, 1.0])).astype(np.float32)
    assert HEADING_MAX_RATIO < 1
    np.testing.assert_array_equal(heading_frame(circle[None]), gravity_frame(circle[None]))
    still = np.tile(np.array([0.2, 0.3, -0.9], dtype=np.float32), (50, 1))[None]
    np.testing.assert_array_equal(heading_frame(still), gravity_frame(still))


def test_windows_without_gravity_are_left_alone_by_the_heading_frame() -> None:
    rng = np.random.default_rng(4)
    letters = rng.standard_normal((3, 152, 3)).astype(np.float32)
    letters -= letters.mean(axis=1, keepdims=True)
    np.testing.assert_array_equal(heading_frame(letters), letters)


def test_training_and_live_draw_the_same_heading_frame_image() -> None:
    windows = [punch(s) for s in range(3)]
    stored = ScalogramSettings(size=(32, 32), frame="gravity+heading").resolve(
        window_s=len(windows[0]) / RATE, rate_hz=RATE
    )
    trained = scalogram_images(windows, [RATE] * 3, settings=stored)
    loaded = ScalogramSettings.from_dict(json.loads(json.dumps(stored.to_dict())))
    assert loaded.frame == "gravity+heading"
    for window, image in zip(windows, trained, strict=True):
        live = compute_scalograms(window[None], rate_hz=RATE, settings=loaded)[0]
        np.testing.assert_array_equal(live, image)


def test_an_unknown_frame_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match=r"frame='heading'.*gravity\+heading"):
        ScalogramSettings(frame="heading")  # type: ignore[arg-type]
