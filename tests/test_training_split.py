"""Honest validation: grouped splits, k-fold cross-validation and what a figure is measured on."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from hfwidgets.training.split import (
    MIN_PER_CLASS,
    ONE_CLASS_GROUPS,
    grouped_kfold,
    grouped_split,
    validation_facts,
    window_group,
)


def _sessions(
    n_sessions: int = 6, per_class: int = 5, classes: int = 3
) -> tuple[np.ndarray, list[str]]:
    """Windows of ``n_sessions`` recording sessions, each holding every class."""
    labels: list[int] = []
    groups: list[str] = []
    for s in range(n_sessions):
        for c in range(classes):
            labels += [c] * per_class
            groups += [f"session:{s}"] * per_class
    return np.array(labels), groups


def test_window_group_prefers_session_then_teammate_project_then_import_source() -> None:
    assert window_group(session_id=4, origin="p1:7", source="train/a/1.csv") == "session:4"
    assert window_group(origin="p1:7", source="x") == "project:p1"
    assert window_group(source="train/punch/0001.csv") == "source:train"
    assert window_group(source="punch.csv#3") == "source:punch.csv"
    assert window_group(source="/dev/ttyACM0") == "source:/dev/ttyACM0"
    assert window_group() is None


def test_windows_stored_as_simulatedsource_group_with_the_simulated_arms_new_ones(
    tmp_path: Path,
) -> None:
    """Old projects stored the class name "SimulatedSource"; new windows store the label."""
    from hfwidgets.sensors import SimulatedSource
    from hfwidgets.store import Project
    from hfwidgets.training.data import project_windows

    assert window_group(source="SimulatedSource") == window_group(source="simulated arm")
    with Project.create(tmp_path / "p") as project:
        data = np.zeros((75, 3), dtype=np.float32)
        label = SimulatedSource().label
        for source in ("SimulatedSource", label, "/dev/ttyACM0", "SimulatedSource"):
            project.windows.add(data, rate_hz=50.0, source=source, label="other")
        groups = project_windows(project).groups
    assert groups[0] == groups[1] == groups[3] != groups[2]


def test_grouped_split_holds_out_whole_sessions_with_every_class_on_both_sides() -> None:
    labels, groups = _sessions()
    plan = grouped_split(labels, groups, val_fraction=0.2, seed=0)
    assert plan.grouped
    assert plan.n_groups == 6
    g = np.array(groups)
    assert not set(g[plan.train]) & set(g[plan.val])  # no session on both sides
    assert set(labels[plan.val]) == set(labels[plan.train]) == {0, 1, 2}
    assert sorted(np.concatenate([plan.train, plan.val]).tolist()) == list(range(len(labels)))
    # Stratified: each class keeps its share in validation.
    assert np.bincount(labels[plan.val]).tolist() == [5, 5, 5]
    again = grouped_split(labels, groups, val_fraction=0.2, seed=0)
    assert np.array_equal(again.val, plan.val)


def test_grouped_split_falls_back_and_says_why() -> None:
    labels, _ = _sessions(n_sessions=1)
    plan = grouped_split(labels, ["session:1"] * len(labels), val_fraction=0.2)
    assert not plan.grouped
    assert "one session" in plan.reason
    assert len(plan.val) == round(0.2 * len(labels))
    # Imported one file per class: the source names the class; grouping cannot help.
    labels = np.array([0] * 10 + [1] * 10)
    groups = ["source:punch.csv"] * 10 + ["source:flex.csv"] * 10
    plan = grouped_split(labels, groups, val_fraction=0.2)
    assert not plan.grouped
    assert plan.reason == ONE_CLASS_GROUPS
    facts = validation_facts(
        labels[plan.val], classes=["punch", "flex"], n_groups=2, grouped=False,
        reason=plan.reason,
    )  # fmt: skip
    assert not any("share sessions" in w for w in facts.warnings)


def test_grouped_kfold_tests_every_window_once_and_never_splits_a_session() -> None:
    labels, groups = _sessions(n_sessions=10, per_class=3, classes=2)
    folds, grouped = grouped_kfold(labels, groups, folds=5, seed=0)
    assert grouped
    assert len(folds) == 5
    tested = np.concatenate([test for _, test in folds])
    assert sorted(tested.tolist()) == list(range(len(labels)))
    g = np.array(groups)
    for train, test in folds:
        assert not set(g[train]) & set(g[test])
    # Fewer sessions than folds: plain stratified k-fold, and it says so.
    folds, grouped = grouped_kfold(labels, ["session:0"] * len(labels), folds=5)
    assert not grouped
    assert len(folds) == 5


def test_kfold_with_too_few_windows_of_a_class_names_the_class_and_remedy() -> None:
    with pytest.raises(ValueError, match=r"class 1 \(3\) has fewer than 5.*fewer folds"):
        grouped_kfold(np.array([0] * 6 + [1] * 3), folds=5)
    with pytest.raises(ValueError, match="at least 2 folds"):
        grouped_kfold(np.array([0, 1] * 5), folds=1)


def test_validation_facts_say_what_the_figure_is_measured_on_and_warn_when_small() -> None:
    facts = validation_facts(
        np.array([0] * 3 + [1] * 8), classes=["punch", "flex"], n_groups=4, grouped=True
    )
    assert facts.n == 11
    assert facts.per_class == {"punch": 3, "flex": 8}
    assert facts.summary == (
        "measured on 11 held-out windows from 4 sessions/sources, grouped (no session on both "
        "sides)"
    )
    assert facts.warnings == (
        f"too few windows to trust: punch (3) has fewer than {MIN_PER_CLASS} validation "
        "windows; label more, or use cross-validation (--folds 5)",
    )
    enough = validation_facts(np.array([0] * 5 + [1] * 5), classes=["a", "b"], n_groups=1,
                              grouped=False)  # fmt: skip
    assert enough.warnings == ()
    shared = validation_facts(np.array([0] * 5 + [1] * 5), classes=["a", "b"], n_groups=3,
                              grouped=False, reason="some reason")  # fmt: skip
    assert any("share sessions/sources with training" in w for w in shared.warnings)
    cv = validation_facts(np.array([0, 1] * 10), classes=["a", "b"], n_groups=1,
                          grouped=False, folds=5, on="cross-validation")  # fmt: skip
    assert "5-fold cross-validated" in cv.summary


def test_hfw_train_names_a_class_with_a_single_window_by_its_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The error said "class(es) [1]": a person cannot tell which class index 1 is."""
    from hfwidgets.cli import main
    from hfwidgets.sensors import simulate_windows
    from hfwidgets.store import Project

    windows, _labels = simulate_windows(3, seed=1)
    with Project.create(tmp_path / "p") as project:
        for i in range(3):
            project.windows.add(windows[i], rate_hz=50.0, label="high-five", source="a")
        project.windows.add(windows[4], rate_hz=50.0, label="other", source="a")
    code = main(["train", "--project", str(tmp_path / "p"), "--weights", "none", "--epochs", "1"])
    err = capsys.readouterr().err
    assert code == 1
    assert "class other has a single labelled window" in err
    assert "capture or label more windows of that class" in err
    assert "[1]" not in err
    code = main(["train", "--project", str(tmp_path / "p"), "--weights", "none", "--folds", "3"])
    err = capsys.readouterr().err
    assert code == 1
    assert "class other (1) has fewer than 3 labelled windows" in err


def test_split_errors_name_classes_when_their_names_are_given() -> None:
    labels = np.array([0, 0, 0, 1, 2])
    with pytest.raises(ValueError, match="classes swing, wave have a single labelled window each"):
        grouped_split(labels, ["a"] * 5, class_names=["high-five", "swing", "wave"])
    with pytest.raises(ValueError, match=r"at least two classes, got high-five: capture"):
        grouped_kfold(np.zeros(6, dtype=np.int64), folds=2, class_names=["high-five", "other"])
