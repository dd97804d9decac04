"""One resampling for every path: a session replayed live gives the images training drew."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy.signal import resample_poly

from hfwidgets.live import LiveClassifier, classify_recording
from hfwidgets.live.hop_windows import HopGeometry
from hfwidgets.models import StagedNet, build_model
from hfwidgets.resampling import rate_ratio, resample_samples, resampled_length
from hfwidgets.scalogram import ScalogramSettings
from hfwidgets.sensors import ReplaySource
from hfwidgets.sensors.base import estimate_rate
from hfwidgets.sensors.motions import simulate_session
from hfwidgets.store import Project, import_generic
from hfwidgets.training.data import project_dataset, project_scalogram_settings
from hfwidgets.training.predictor import RunPredictor

WINDOW_S, HOP_S, MODEL_HZ = 1.5, 0.2, 50.0


class ImageTap(RunPredictor):
    """The run's predictor, keeping every image it was shown (by the window's position)."""

    def __init__(self, settings: ScalogramSettings) -> None:
        name = "squeezenet1_1"
        net = StagedNet(build_model(name, num_classes=2, weights="none"), name)
        super().__init__(
            net, classes=["high-five", "other"], settings=settings, rate_hz=MODEL_HZ,
            model_name=name, window_s=WINDOW_S,
        )  # fmt: skip
        self.images: list[np.ndarray] = []

    def predict_images(self, images: np.ndarray) -> np.ndarray:  # type: ignore[override]
        self.images.extend(np.asarray(images))
        return np.full((len(images), 2), 0.5)


def test_a_batch_is_resampled_window_by_window_as_scipy_does() -> None:
    windows = np.random.default_rng(0).standard_normal((4, 178, 3)).astype(np.float32)
    out = resample_samples(windows, from_hz=119.0, to_hz=50.0)
    assert out.shape == (4, resampled_length(178, from_hz=119.0, to_hz=50.0), 3) == (4, 75, 3)
    assert out.dtype == np.float32
    for i, window in enumerate(windows):
        alone = resample_samples(window, from_hz=119.0, to_hz=50.0)
        np.testing.assert_array_equal(out[i], alone)  # alone or in a batch: the same samples
        np.testing.assert_allclose(alone, resample_poly(window, 50, 119, axis=0), atol=1e-6)
    assert resample_samples(windows, from_hz=50.0, to_hz=50.0) is windows  # no copy
    # A rate estimated from timestamps lands on the nominal rate's filter.
    assert rate_ratio(from_hz=119.00004, to_hz=50.0) == (50, 119)


def test_resampling_refuses_what_it_cannot_resample() -> None:
    with pytest.raises(ValueError, match="positive"):
        resample_samples(np.zeros((10, 3), np.float32), from_hz=0.0, to_hz=50.0)
    with pytest.raises(ValueError, match="channels"):
        resample_samples(np.zeros(10, np.float32), from_hz=100.0, to_hz=50.0)


def _session_project(path: Path, *, rate_hz: float) -> tuple[Project, dict[int, int], ReplaySource]:
    """A 50 Hz project holding a session at ``rate_hz`` and windows cut on its live hop grid.

    Half the windows are kept as a capture stores them (at the session's rate), half come in by
    `import_generic` (resampled at import). Returns the project, window id by the index of the
    window's last sample, and the stored session as a replay.
    """
    t, xyz, _ = simulate_session(12.0, rate_hz=rate_hz, seed=3, events_per_minute=20)
    project = Project.create(path / "p", rate_hz=MODEL_HZ)
    project.settings.set("scalogram", ScalogramSettings(size=(32, 32)).to_dict())
    session_id = project.sessions.add(t, xyz, rate_hz=rate_hz, source="board")
    # The live grid cuts at the rate the replay measures from the timestamps.
    geo = HopGeometry.of(
        window_s=WINDOW_S, hop_s=HOP_S, source_rate=estimate_rate(t), model_rate=MODEL_HZ
    )
    window_n, hop_n = geo.window_n, geo.hop_n
    ends = list(range(window_n - 1, len(t), hop_n))[::7]
    files = path / "files"
    by_end: dict[int, int] = {}
    for k, end in enumerate(ends):
        data = xyz[end - window_n + 1 : end + 1]
        if k % 2 == 0:
            by_end[end] = project.windows.add(
                data, rate_hz=rate_hz, session_id=session_id, t0=float(t[end - window_n + 1]),
                label="other",
            )  # fmt: skip
        else:
            (files / "other").mkdir(parents=True, exist_ok=True)
            rows = "\n".join(",".join(f"{v:.9g}" for v in row) for row in data)
            (files / "other" / f"w{end}.csv").write_text(f"ax,ay,az\n{rows}\n")
            (files / "meta.json").write_text(f'{{"rate_hz": {rate_hz}}}')
            (imported,) = import_generic(project, files).window_ids
            (files / "other" / f"w{end}.csv").unlink()
            by_end[end] = imported
    stored = project.sessions.get(session_id)
    return project, by_end, ReplaySource(stored.t, stored.xyz, speed=None)


@pytest.mark.parametrize("rate_hz", [119.0, 100.0])
def test_a_stored_session_replayed_live_gives_the_images_training_drew(
    tmp_path: Path, rate_hz: float
) -> None:
    project, by_end, replay = _session_project(tmp_path, rate_hz=rate_hz)
    settings = project_scalogram_settings(project)
    trained = project_dataset(project, settings=settings)
    drawn = dict(zip(trained.ids.tolist(), trained.images, strict=True))

    tap = ImageTap(settings)
    live = LiveClassifier(replay, tap, hop_s=HOP_S, window_s=WINDOW_S)
    replay.start()  # the whole session at its own rate, into the live classifier's buffer
    assert replay.rate_hz == pytest.approx(rate_hz)
    predictions = live.step()
    seen = {p.index: image for p, image in zip(predictions, tap.images, strict=True)}
    assert set(by_end) <= set(seen)
    for end, window_id in by_end.items():
        np.testing.assert_allclose(seen[end], drawn[window_id], atol=1e-3)

    # Calibration and `hfw predict --recording` classify a whole recording the same way.
    offline = ImageTap(settings)
    classify_recording(replay.buffer.since(0)[1], replay.buffer.since(0)[2], offline,
                       rate_hz=replay.rate_hz, hop_s=HOP_S, window_s=WINDOW_S)  # fmt: skip
    for prediction, image in zip(predictions, offline.images, strict=True):
        np.testing.assert_allclose(image, seen[prediction.index], atol=1e-6)
    project.close()
