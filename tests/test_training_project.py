"""Training a stored project: train_project, the background runner, the predictor, the CLI."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import NoReturn

import numpy as np
import pytest
import torch

from hfwidgets.cli import main
from hfwidgets.store import Project
from hfwidgets.training.config import TrainConfig
from hfwidgets.training.fit_events import BatchEnded, EpochEnded, FitEnded
from hfwidgets.training.predictor import load_predictor
from hfwidgets.training.runner import TrainingRunner, train_project

torch.set_num_threads(1)
RATE = 50.0


def _motion(kind: str, rng: np.random.Generator) -> np.ndarray:
    """1.5 s of x, y, z in g: a sharp swing along x, or a slow wave along z."""
    t = np.arange(75) / RATE
    xyz = rng.normal(0.0, 0.03, (75, 3))
    xyz[:, 2] += 1.0  # gravity
    if kind == "high-five":
        xyz[:, 0] += 2.5 * np.exp(-((t - 0.7) ** 2) / 0.005) * np.sin(2 * np.pi * 6 * t)
    else:
        xyz[:, 2] += 0.4 * np.sin(2 * np.pi * 1.2 * t + rng.uniform(0, 6))
    return xyz.astype(np.float32)


def _write_generic(folder: Path, n: int, seed: int) -> Path:
    rng = np.random.default_rng(seed)
    for label in ("high-five", "other"):
        (folder / label).mkdir(parents=True)
        for i in range(n):
            np.savetxt(folder / label / f"{i}.csv", _motion(label, rng), delimiter=",",
                       header="ax,ay,az", comments="", fmt="%.5f")  # fmt: skip
    (folder / "meta.json").write_text(json.dumps({"rate_hz": RATE}))
    return folder


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Project]:
    rng = np.random.default_rng(0)
    proj = Project.create(tmp_path / "proj", classes=("high-five", "other"), rate_hz=RATE)
    for i in range(24):
        label = "high-five" if i % 2 == 0 else "other"
        proj.windows.add(_motion(label, rng), rate_hz=RATE, label=label)
    proj.windows.add(_motion("other", rng), rate_hz=RATE)  # unlabelled: not trained on
    proj.settings.set("scalogram", {"size": [64, 64]})  # small images keep the tests quick
    yield proj
    proj.close()


@pytest.fixture
def config(mobilenet_v2_weights: Path) -> TrainConfig:
    return TrainConfig(
        model="mobilenet_v2",
        weights=str(mobilenet_v2_weights),
        frozen=("stem", "stage1", "stage2", "stage3", "stage4", "stage5", "stage6", "stage7",
                "conv_last"),
        epochs=8,
        batch_size=8,
        lr=1e-2,
        num_threads=1,
    )  # fmt: skip


def test_train_project_stores_run_metrics_split_and_checkpoint(
    project: Project, config: TrainConfig
) -> None:
    run_id = train_project(project, config)
    run = project.runs.get(run_id)
    assert run.status == "finished"
    assert run.settings["config"]["model"] == "mobilenet_v2"
    assert run.settings["scalogram"]["size"] == [64, 64]
    metrics = run.metrics
    assert metrics.accuracy is not None
    assert metrics.accuracy >= 0.8
    assert metrics.classes == ("high-five", "other")
    assert metrics.cached_features is True
    assert metrics.epochs == 8
    split = project.splits.get(run_id)
    assert sorted(split.values()).count("val") == 5  # 20 % of the 24 labelled windows
    assert len(split) == 24
    assert project.runs.checkpoint_path(run_id).is_file()

    predictor = load_predictor(project)
    windows = np.stack([w.data for w in project.windows.all(label="high-five")[:3]])
    proba = predictor.predict_proba(windows)
    assert proba.shape == (3, 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    assert predictor.predict(windows) == ["high-five"] * 3
    assert predictor.rate_hz == RATE
    assert predictor.settings.size == (64, 64)
    assert predictor.window_s == pytest.approx(1.5)  # 75 samples at 50 Hz: what live cuts


def test_runner_trains_in_the_background_and_reports_events(
    project: Project, config: TrainConfig
) -> None:
    runner = TrainingRunner(project, config)
    events: list[object] = []
    seen_thread: set[str] = set()

    def record(event: object) -> None:
        events.append(event)
        seen_thread.add(threading.current_thread().name)

    runner.on_event(record)
    runner.start()
    assert runner.join(timeout=120)
    assert runner.status == "finished"
    assert seen_thread == {"hfw-training"}
    assert isinstance(events[-1], FitEnded)
    assert len([e for e in events if isinstance(e, EpochEnded)]) == 8
    assert runner.run_id is not None
    assert project.runs.get(runner.run_id).status == "finished"


def test_runner_stop_ends_within_a_batch_and_is_recorded(
    project: Project, config: TrainConfig
) -> None:
    runner = TrainingRunner(project, config)
    batches: list[BatchEnded] = []

    def stop_after_first(event: object) -> None:
        if isinstance(event, BatchEnded):
            batches.append(event)
            runner.stop()

    runner.on_event(stop_after_first)
    runner.start()
    assert runner.join(timeout=120)
    assert len(batches) == 1
    assert runner.status == "stopped"
    assert runner.run_id is not None
    assert project.runs.get(runner.run_id).status == "stopped"


def test_runner_reports_failure_without_raising_in_the_thread(
    tmp_path: Path, config: TrainConfig
) -> None:
    empty = Project.create(tmp_path / "empty", classes=("high-five", "other"), rate_hz=RATE)
    runner = TrainingRunner(empty, config)
    ends: list[FitEnded] = []
    runner.on_event(lambda e: ends.append(e) if isinstance(e, FitEnded) else None)
    runner.start()
    assert runner.join(timeout=60)
    assert runner.status == "failed"
    assert "no labelled windows" in (ends[-1].error or "")
    empty.close()


def test_cli_train_and_evaluate_print_json(
    project: Project, config: TrainConfig, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = project.path
    project.close()
    code = main(["train", "--project", str(path), "--model", "mobilenet_v2",
                 "--weights", config.weights, "--freeze-until", "backbone", "--epochs", "6",
                 "--batch-size", "8", "--lr", "0.01", "--threads", "1", "--json"])  # fmt: skip
    out = capsys.readouterr()
    assert code == 0
    summary = json.loads(out.out.strip().splitlines()[-1])
    assert {"run", "accuracy", "classes", "confusion", "per_class", "seconds", "epochs"} <= set(
        summary
    )
    assert summary["epochs"] == 6
    assert "epoch 6:" in out.err  # progress goes to stderr

    data = _write_generic(tmp_path / "heldout", n=4, seed=7)
    code = main(["evaluate", "--project", str(path), "--data", str(data), "--json"])
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert code == 0
    assert result["n"] == 8
    assert result["run"] == summary["run"]
    assert result["accuracy"] >= 0.75
    assert sum(result["per_class"][c]["support"] for c in result["classes"]) == 8
    # Held-out windows are files: every verdict names the CSV it was made on.
    assert len(result["predictions"]) == 8
    assert all(Path(name).suffix == ".csv" for name in result["predictions"])
    assert set(result["true_labels"]) == set(result["predictions"])


def test_cli_train_rejects_unknown_group_naming_the_valid_ones(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    path = project.path
    project.close()
    code = main(["train", "--project", str(path), "--model", "resnet18", "--weights", "none",
                 "--freeze", "stem,nope"])  # fmt: skip
    assert code == 1
    assert "layer1" in capsys.readouterr().err


def test_resume_run_continues_the_stored_run(project: Project, config: TrainConfig) -> None:
    from dataclasses import replace

    run_id = train_project(project, replace(config, epochs=2))
    assert project.runs.get(run_id).metrics.epochs == 2
    epochs: list[int] = []
    on_epoch = lambda e: epochs.append(e.epoch) if isinstance(e, EpochEnded) else None  # noqa: E731
    again = train_project(project, replace(config, epochs=4), callbacks=[on_epoch],
                          resume_run=run_id)  # fmt: skip
    assert again == run_id
    assert epochs == [3, 4]
    metrics = project.runs.get(run_id).metrics
    assert metrics.epochs == 4
    assert [h.epoch for h in metrics.history] == [1, 2, 3, 4]


class Pickled:
    """Not a tensor: torch.load(weights_only=True) refuses to build it."""


def test_cli_failed_resume_never_changes_the_finished_run(
    project: Project, config: TrainConfig, capsys: pytest.CaptureFixture[str]
) -> None:
    from dataclasses import replace

    run_id = train_project(project, replace(config, epochs=2))
    before = project.runs.get(run_id)
    checkpoint = project.runs.checkpoint_path(run_id).read_bytes()
    path = project.path
    project.close()
    code = main(["train", "--project", str(path), "--resume", str(run_id), "--model", "resnet18",
                 "--weights", "none", "--epochs", "4", "--threads", "1"])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 1
    assert f"run {run_id}" in err
    assert "model 'mobilenet_v2' (now 'resnet18')" in err
    assert "Traceback" not in err
    with Project.open(path) as reopened:
        assert reopened.runs.get(run_id) == before  # status, metrics, settings, times
        assert reopened.runs.checkpoint_path(run_id).read_bytes() == checkpoint


def test_a_resume_that_fails_while_training_restores_the_run(
    project: Project, config: TrainConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dataclasses import replace

    from hfwidgets.training.trainer import Trainer

    run_id = train_project(project, replace(config, epochs=2))
    before = project.runs.get(run_id)

    def crash(self: Trainer, *args: object, **kwargs: object) -> NoReturn:
        raise RuntimeError("out of memory")

    monkeypatch.setattr(Trainer, "fit", crash)
    with pytest.raises(RuntimeError, match="out of memory"):
        train_project(project, replace(config, epochs=4), resume_run=run_id)
    after = project.runs.get(run_id)
    assert (after.status, after.metrics) == (before.status, before.metrics)


@pytest.mark.parametrize("content", ["pickled objects", "text"])
def test_cli_weights_that_are_not_a_state_dict_are_a_clear_error(
    project: Project, tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str
) -> None:
    weights = tmp_path / "model.pth"
    if content == "text":
        weights.write_text("not weights\n")
    else:
        torch.save({"model": Pickled()}, weights)
    runs = len(project.runs.all())
    path = project.path
    project.close()
    code = main(["train", "--project", str(path), "--weights", str(weights), "--epochs", "1"])
    err = capsys.readouterr().err
    assert code == 1
    assert str(weights) in err
    assert "state dict" in err
    assert "weights='none'" in err
    assert "weights='DEFAULT'" in err
    assert "weights_only=False" not in err
    assert "Traceback" not in err
    with Project.open(path) as reopened:
        assert len(reopened.runs.all()) == runs  # no failed run left behind


def test_cli_feature_extractor_mode_names_classes_in_its_report(
    project: Project, config: TrainConfig, capsys: pytest.CaptureFixture[str]
) -> None:
    path = project.path
    project.close()
    code = main(["train", "--project", str(path), "--mode", "feature-extractor",
                 "--weights", config.weights, "--threads", "1"])  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0
    assert "after 1 epochs" in out
    table = out[out.index("confusion") :].splitlines()
    assert table[1].split() == ["high-five", "other"]  # columns, then one row per class
    assert table[2].split()[0] == "high-five"
    assert table[3].split()[0] == "other"
    assert sum(int(n) for line in table[2:4] for n in line.split()[1:]) == 5  # validation windows
    with Project.open(path) as reopened:
        run = reopened.runs.all()[-1]
        assert run.settings["config"]["mode"] == "feature-extractor"
        assert (run.metrics.accuracy or 0.0) >= 0.8
        predictor = load_predictor(reopened)
        assert predictor.classes == ["high-five", "other"]


def test_a_run_on_slow_windows_keeps_their_rate_so_evaluate_draws_the_training_images(
    tmp_path: Path, config: TrainConfig
) -> None:
    # Files at 10 Hz (30 samples, 3 s) imported into a 50 Hz project are stored at 10 Hz and
    # drawn at 10 Hz in training; the run must say 10 Hz, or hfw evaluate (and live counting)
    # up-sample their windows to 50 Hz and show the model other images than it learned.
    from hfwidgets.cli.evaluate_command import evaluate_folder
    from hfwidgets.store import import_generic
    from hfwidgets.training.data import scalogram_images

    rng = np.random.default_rng(3)
    folder = tmp_path / "slow"
    t = np.arange(30) / 10.0
    for label, freq in (("high-five", 3.0), ("other", 0.7)):
        (folder / label).mkdir(parents=True)
        for i in range(8):
            xyz = rng.normal(0.0, 0.05, (30, 3))
            xyz[:, 2] += 1.0
            xyz[:, 0] += np.sin(2 * np.pi * freq * t + rng.uniform(0, 6))
            np.savetxt(folder / label / f"{i}.csv", xyz, delimiter=",", header="ax,ay,az",
                       comments="", fmt="%.5f")  # fmt: skip
    (folder / "meta.json").write_text(json.dumps({"rate_hz": 10}))
    with Project.create(tmp_path / "p", classes=(), rate_hz=RATE) as project:
        project.settings.set("scalogram", {"size": [64, 64], "version": 4})
        import_generic(project, folder)
        run = train_project(project, TrainConfig(**{**config.to_dict(), "epochs": 1}))
        predictor = load_predictor(project, run)
        assert predictor.rate_hz == 10.0
        windows = [r.data[:, :3] for r in project.windows.all()]
        sources = [r.source for r in project.windows.all()]
        images = scalogram_images(windows, [10.0] * len(windows), settings=predictor.settings)
        trained = predictor.predict_images(images).argmax(axis=1)
        result = evaluate_folder(project, folder, run_id=run)
    by_file = {Path(s).name + Path(s).parent.name: predictor.classes[int(k)]
               for s, k in zip(sources, trained, strict=True)}  # fmt: skip
    evaluated = {Path(s).name + Path(s).parent.name: c for s, c in result["predictions"].items()}
    assert evaluated == by_file
