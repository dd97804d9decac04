"""Stop ends a run promptly wherever it is pressed: before the runner starts, while the data and
the frozen layers' outputs are prepared, mid-epoch (tests/test_training_project.py), or after the
last epoch while the baseline would run."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from torch import nn

from hfwidgets.store import Project
from hfwidgets.training import fit_setup
from hfwidgets.training.config import TrainConfig
from hfwidgets.training.fit_events import (
    BatchEnded,
    EpochEnded,
    FitEnded,
    FitStarted,
    StopRequested,
)
from hfwidgets.training.frozen_features import compute_features
from hfwidgets.training.runner import TrainingRunner, train_project

torch.set_num_threads(1)
RATE = 50.0
HEAD_ONLY = ("stem", "stage1", "stage2", "stage3", "stage4", "stage5", "stage6", "stage7",
             "conv_last")  # fmt: skip


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Project]:
    rng = np.random.default_rng(0)
    proj = Project.create(tmp_path / "proj", classes=("high-five", "other"), rate_hz=RATE)
    t = np.arange(75) / RATE
    for i in range(20):
        xyz = rng.normal(0.0, 0.05, (75, 3))
        xyz[:, 2] += 1.0
        if i % 2 == 0:
            xyz[:, 0] += 2.0 * np.exp(-((t - 0.7) ** 2) / 0.005)
        proj.windows.add(xyz.astype(np.float32), rate_hz=RATE,
                        label="high-five" if i % 2 == 0 else "other")  # fmt: skip
    proj.settings.set("scalogram", {"size": [64, 64]})  # small images keep the tests quick
    yield proj
    proj.close()


@pytest.fixture
def config(mobilenet_v2_weights: Path) -> TrainConfig:
    return TrainConfig(model="mobilenet_v2", weights=str(mobilenet_v2_weights), frozen=HEAD_ONLY,
                       epochs=2, batch_size=8, lr=1e-2, num_threads=1)  # fmt: skip


class _Recorder:
    def __init__(self) -> None:
        self.events: list[Any] = []

    def __call__(self, event: Any) -> None:
        self.events.append(event)

    def of(self, kind: type) -> list[Any]:
        return [e for e in self.events if isinstance(e, kind)]


def test_caching_the_frozen_layers_stops_before_its_next_batch() -> None:
    stop = threading.Event()
    calls: list[int] = []

    class Prefix(nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            calls.append(len(x))
            stop.set()  # Stop pressed while the first batch went through
            return x

    with pytest.raises(StopRequested, match="frozen layers"):
        compute_features(Prefix(), torch.zeros(40, 3, 8, 8), batch_size=16, stop_event=stop)
    assert calls == [16]  # one batch of 16, not all 40 windows


def test_a_stop_while_the_cache_is_computed_ends_the_run_before_any_batch(
    project: Project, config: TrainConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    stop = threading.Event()
    real = compute_features  # what fit_setup calls

    def stop_pressed_meanwhile(*args: Any, **kwargs: Any) -> torch.Tensor:
        stop.set()
        return real(*args, **kwargs)

    monkeypatch.setattr(fit_setup, "compute_features", stop_pressed_meanwhile)
    seen = _Recorder()
    run_id = train_project(project, config, callbacks=[seen], stop_event=stop)
    assert seen.of(FitStarted) == []
    assert seen.of(BatchEnded) == []
    (end,) = seen.of(FitEnded)
    assert (end.status, end.run_id) == ("stopped", run_id)
    run = project.runs.get(run_id)
    assert run.status == "stopped"
    assert run.metrics.epochs == 0
    assert run.metrics.accuracy is None  # no figure of an untrained network
    assert not project.runs.checkpoint_path(run_id).exists()


def test_a_runner_stopped_before_it_starts_trains_nothing(
    project: Project, config: TrainConfig
) -> None:
    runner = TrainingRunner(project, config)
    seen = _Recorder()
    runner.on_event(seen)
    runner.stop()  # Stop pressed before the thread (and its stop event) existed
    runner.start()
    assert runner.join(timeout=120)
    assert runner.status == "stopped"
    assert seen.of(BatchEnded) == []
    assert runner.run_id is not None
    assert project.runs.get(runner.run_id).status == "stopped"


def test_stop_after_the_last_epoch_leaves_the_baseline_out(
    project: Project, config: TrainConfig
) -> None:
    stop = threading.Event()
    seen = _Recorder()

    def stop_after_the_last_epoch(event: Any) -> None:
        seen(event)
        if isinstance(event, EpochEnded) and event.epoch == config.epochs:
            stop.set()

    run_id = train_project(project, config, callbacks=[stop_after_the_last_epoch], stop_event=stop)
    run = project.runs.get(run_id)
    assert run.status == "finished"  # every epoch ran: the model is complete
    assert run.metrics.baseline is not None
    assert run.metrics.baseline.accuracy is None
    assert "Stop" in run.metrics.baseline.error
    assert run.metrics.augment_check is None  # nor trained again without augmentation
    assert seen.of(FitEnded)[-1].status == "finished"


def test_a_stop_while_an_epochs_augmented_inputs_are_drawn_cuts_that_pass_short(
    project: Project, config: TrainConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    import dataclasses

    from hfwidgets.training import epochs

    stop = threading.Event()
    real = compute_features  # what epochs calls
    passes: list[str] = []

    def stop_pressed_meanwhile(*args: Any, **kwargs: Any) -> torch.Tensor:
        stop.set()  # Stop pressed while the frozen layers run over the epoch's new images
        try:
            out = real(*args, **kwargs)
        except StopRequested:
            passes.append("cut short")
            raise
        passes.append("ran to the end")
        return out

    monkeypatch.setattr(epochs, "compute_features", stop_pressed_meanwhile)
    augmenting = dataclasses.replace(config, augment=True, shift=0.1, rotation_deg=0.0)
    seen = _Recorder()
    run_id = train_project(project, augmenting, callbacks=[seen], stop_event=stop)
    assert passes == ["cut short"]
    assert seen.of(BatchEnded) == []
    assert project.runs.get(run_id).status == "stopped"
    assert seen.of(FitEnded)[-1].status == "stopped"
