"""Leave-one-source-out: with 2..max sessions/sources every source is held out once."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import torch

from hfwidgets.cli import main
from hfwidgets.store import Project
from hfwidgets.store.records import RunRecord
from hfwidgets.store.run_metrics import ValidationFacts
from hfwidgets.training.config import TrainConfig, build_train_config
from hfwidgets.training.loso import loso_folds
from hfwidgets.training.run_steps import plan_run
from hfwidgets.training.runner import train_project
from hfwidgets.training.split import validation_facts

torch.set_num_threads(1)
RATE = 50.0


def test_three_sources_are_each_held_out_exactly_once() -> None:
    labels = np.array([0, 1, 0, 1, 0, 1, 1, 0])
    groups = ["a", "a", "b", "b", "c", "c", None, "a"]
    folds = loso_folds(labels, groups, max_sources=6)
    assert folds is not None
    assert len(folds) == 3
    held = np.concatenate([test for _, test in folds])
    assert sorted(held.tolist()) == [0, 1, 2, 3, 4, 5, 7]  # each named window once
    for train, test in folds:
        assert {groups[i] for i in test}
        assert len({groups[i] for i in test}) == 1
        assert not set(train) & set(test)
        assert 6 in train  # the window without a group always trains
        assert sorted([*train, *test]) == list(range(8))


def test_one_source_or_more_than_max_keeps_the_hold_out() -> None:
    labels = np.array([0, 1] * 4)
    assert loso_folds(labels, ["a"] * 8) is None
    assert loso_folds(labels, [None] * 8) is None
    assert loso_folds(labels, [f"s{i // 2}" for i in range(8)], max_sources=3) is None
    assert loso_folds(labels, [f"s{i // 2}" for i in range(8)], max_sources=0) is None
    assert loso_folds(labels, [f"s{i // 2}" for i in range(8)], max_sources=4) is not None


def test_a_class_missing_from_a_training_side_keeps_the_hold_out() -> None:
    # class 1 only in source "b": holding out "b" leaves training without it
    labels = np.array([0, 0, 1, 1, 0, 0])
    assert loso_folds(labels, ["a", "a", "b", "b", "c", "c"]) is None


def test_the_summary_says_leave_one_source_out() -> None:
    facts = validation_facts(np.array([0, 1, 0]), classes=("x", "y"), n_groups=3, grouped=True,
                             folds=3, on="cross-validation", loso_fold_epochs=6)  # fmt: skip
    assert "leave-one-source-out over 3" in facts.summary
    assert facts.summary.endswith("; fold models trained 6 epochs, without augmentation")
    assert facts.leave_one_source_out
    assert type(facts).from_dict(facts.to_dict()) == facts
    assert not type(facts).from_dict({"on": "val"}).leave_one_source_out  # an old stored run


def test_loso_max_sources_is_validated() -> None:
    with pytest.raises(ValueError, match="loso_max_sources"):
        TrainConfig(loso_max_sources=-1)
    assert build_train_config(loso_max_sources=0).loso_max_sources == 0


def _motion(kind: str, rng: np.random.Generator) -> np.ndarray:
    t = np.arange(75) / RATE
    xyz = rng.normal(0.0, 0.03, (75, 3))
    xyz[:, 2] += 1.0
    if kind == "high-five":
        xyz[:, 0] += 2.5 * np.exp(-((t - 0.7) ** 2) / 0.005) * np.sin(2 * np.pi * 6 * t)
    else:
        xyz[:, 2] += 0.4 * np.sin(2 * np.pi * 1.2 * t + rng.uniform(0, 6))
    return xyz.astype(np.float32)


def _validation(run: RunRecord) -> ValidationFacts:
    """How the run's figure was validated (every finished run says)."""
    facts = run.metrics.validation
    assert facts is not None
    return facts


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Project]:
    """18 labelled windows from three recorders (import sources), both classes in each."""
    rng = np.random.default_rng(0)
    proj = Project.create(tmp_path / "proj", classes=("high-five", "other"), rate_hz=RATE)
    for i in range(18):
        label = "high-five" if i % 2 == 0 else "other"
        proj.windows.add(_motion(label, rng), rate_hz=RATE, label=label,
                        source=f"rec{i % 3}.csv#{i}")  # fmt: skip
    proj.settings.set("scalogram", {"size": [32, 32]})
    yield proj
    proj.close()


@pytest.fixture
def config(mobilenet_v2_weights: Path) -> TrainConfig:
    return TrainConfig(weights=str(mobilenet_v2_weights),
                       frozen=("stem", "stage1", "stage2", "stage3", "stage4", "stage5",
                               "stage6", "stage7", "conv_last"),
                       epochs=2, lr=1e-2, num_threads=1, baseline=False)  # fmt: skip


def test_a_run_on_three_sources_measures_leave_one_source_out(
    project: Project, config: TrainConfig
) -> None:
    run = project.runs.get(train_project(project, config))
    metrics = run.metrics
    assert run.status == "finished"
    assert metrics.evaluated_on == "cross-validation"
    assert metrics.n == 18
    facts = metrics.validation
    assert facts is not None
    assert facts.leave_one_source_out
    assert facts.folds == 3
    assert facts.grouped
    assert "leave-one-source-out over 3" in facts.summary
    assert _validation(project.runs.get(run.id)).leave_one_source_out  # stored and read back


def test_cli_loso_max_sources_0_keeps_the_hold_out(
    project: Project, config: TrainConfig, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["train", "--project", str(project.path), "--weights", config.weights,
                 "--epochs", "1", "--freeze-until", "backbone", "--threads", "1", "--no-baseline",
                 "--loso-max-sources", "0"])  # fmt: skip
    assert code == 0
    run = project.runs.all()[-1]
    assert run.metrics.evaluated_on == "val"
    assert run.metrics.n < 18
    assert not _validation(run).leave_one_source_out


def test_leave_one_source_out_folds_train_without_augmentation_and_the_stored_model_with(
    project: Project, config: TrainConfig
) -> None:
    """The fold models skip augmentation (their frozen prefix is computed once, not once per
    epoch) and train half the epochs: the default measurement stays cheap; the stored model
    keeps the run's recipe, and folds asked for with --folds train exactly as the run does."""
    augmenting = dataclasses.replace(config, augment=True, epochs=5)
    plan = plan_run(project, augmenting)
    assert plan.loso
    assert plan.fit_config.augment
    assert plan.fit_config.epochs == 5
    assert not plan.fold_config.augment
    assert plan.fold_config.epochs == 3
    assert dataclasses.replace(plan.fold_config, augment=True, epochs=5) == plan.fit_config
    assert plan_run(project, dataclasses.replace(config, epochs=1)).fold_config.epochs == 1
    kfold = plan_run(project, dataclasses.replace(augmenting, folds=3, loso_max_sources=0))
    assert not kfold.loso
    assert kfold.folds is not None
    assert kfold.fold_config == kfold.fit_config


def test_the_figure_says_how_its_fold_models_trained(project: Project, config: TrainConfig) -> None:
    run = project.runs.get(train_project(project, dataclasses.replace(config, augment=True)))
    assert _validation(run).leave_one_source_out
    summary = _validation(run).summary
    assert summary.endswith("; fold models trained 1 epoch, without augmentation")
