"""Label suggestions (issue 17): accuracy on held-back captures, the uncertainty order, and that a
suggestion never becomes a label by itself; ``hfw suggest``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import torch

from hfwidgets.cli import main
from hfwidgets.sensors import simulate_windows
from hfwidgets.store import Project
from hfwidgets.suggestions import (
    Suggestion,
    by_uncertainty,
    suggest,
    suggest_window,
    suggestion_from_probs,
)
from hfwidgets.training.config import TrainConfig
from hfwidgets.training.predictor import load_predictor
from hfwidgets.training.runner import train_project

torch.set_num_threads(1)


def _stored_id(suggestion: Suggestion) -> int:
    """The window id of a suggestion for a stored window."""
    assert suggestion.window_id is not None
    return suggestion.window_id


#: The trained project, its run id and the held-back captures' true labels by window id.
Trained = tuple[Project, int, dict[int, str]]


@pytest.fixture(scope="module")
def trained(
    tmp_path_factory: pytest.TempPathFactory, mobilenet_v2_weights: Path
) -> Iterator[Trained]:
    """A 2-class project: 60 labelled simulated windows with a trained run, and 60 held-back
    captures of the same simulated arm stored unlabelled (their truth kept aside)."""
    path = tmp_path_factory.mktemp("suggest") / "project"
    project = Project.create(path)
    project.settings.set("scalogram", {"size": [112, 112]})  # small images keep the test quick
    windows, labels = simulate_windows(30, seed=1)
    for data, label in zip(windows, labels, strict=True):
        project.windows.add(data, rate_hz=50.0, source="session-1", label=label)
    held, truth_labels = simulate_windows(30, seed=101)
    truth = {
        project.windows.add(data, rate_hz=50.0, source="session-2"): label
        for data, label in zip(held, truth_labels, strict=True)
    }
    config = TrainConfig(
        model="mobilenet_v2",
        weights=str(mobilenet_v2_weights),
        mode="feature-extractor",
        num_threads=1,
        baseline=False,
        seed=0,
    )
    run_id = train_project(project, config)
    yield project, run_id, truth
    project.close()


def test_suggestions_on_held_back_captures_are_as_accurate_as_validation(trained: Trained) -> None:
    project, run_id, truth = trained
    validation = float(project.runs.get(run_id).metrics.accuracy or 0.0)
    suggestions = suggest(project, run_id=run_id)  # unlabelled windows: the held-back ones
    assert sorted(_stored_id(s) for s in suggestions) == sorted(truth)
    correct = sum(s.label == truth[_stored_id(s)] for s in suggestions)
    accuracy = correct / len(suggestions)
    assert accuracy >= validation, (accuracy, validation)
    assert accuracy >= 0.9


def test_suggestions_are_the_runs_probabilities_on_its_own_images(trained: Trained) -> None:
    project, run_id, _ = trained
    predictor = load_predictor(project, run_id)
    suggestions = suggest(project, predictor=predictor, which="all")
    by_id = {s.window_id: s for s in suggestions}
    records = project.windows.all()
    assert set(by_id) == {r.id for r in records}
    for record in records[::7]:
        expected = predictor.predict_proba(record.data, rate_hz=record.rate_hz)[0]
        got = [by_id[record.id].probs[c] for c in predictor.classes]
        np.testing.assert_allclose(got, expected, atol=1e-4)
        single = suggest_window(predictor, record.data, rate_hz=record.rate_hz)
        assert single.label == by_id[record.id].label
        assert single.confidence == pytest.approx(by_id[record.id].confidence, abs=1e-4)


def test_suggestions_come_least_confident_first(trained: Trained) -> None:
    project, run_id, _ = trained
    suggestions = suggest(project, run_id=run_id, which="all")
    margins = [s.margin for s in suggestions]
    assert margins == sorted(margins)
    assert len(set(np.round(margins, 6))) > 1  # the order is not trivially flat
    for s in suggestions:
        top = sorted(s.probs.values(), reverse=True)
        assert s.margin == pytest.approx(top[0] - top[1], abs=1e-6)
        assert s.confidence == pytest.approx(top[0], abs=1e-6)


def test_suggesting_never_writes_a_label(trained: Trained) -> None:
    project, run_id, truth = trained
    before = {r.id: r.label for r in project.windows.all()}
    history = {wid: project.labels.history(wid) for wid in list(truth)[:5]}
    suggest(project, run_id=run_id, which="all")
    assert main(["suggest", "--project", str(project.path), "--run", str(run_id), "--json"]) == 0
    assert {r.id: r.label for r in project.windows.all()} == before
    assert project.windows.count_unlabelled() == len(truth)
    assert {wid: project.labels.history(wid) for wid in history} == history


def test_hfw_suggest_lists_every_unlabelled_window_by_uncertainty(
    trained: Trained, capsys: pytest.CaptureFixture[str]
) -> None:
    project, run_id, truth = trained
    assert main(["suggest", "--project", str(project.path), "--run", str(run_id), "--json"]) == 0
    out = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    rows = out["suggestions"]
    assert out["run"] == run_id
    assert out["order"] == "margin, least confident first"
    assert sorted(r["window_id"] for r in rows) == sorted(truth)
    assert [r["margin"] for r in rows] == sorted(r["margin"] for r in rows)
    assert main(["suggest", "--project", str(project.path), "--run", str(run_id), "--all"]) == 0
    text = capsys.readouterr().out
    assert "window" in text
    assert "suggestion" in text
    assert "confidence" in text
    assert len([ln for ln in text.splitlines() if ln.strip()[:1].isdigit()]) == len(
        project.windows.ids()
    )


def test_hfw_suggest_prelabels_a_teammates_project_from_my_run(
    trained: Trained, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project, run_id, _ = trained
    windows, labels = simulate_windows(4, seed=7)
    with Project.create(tmp_path / "teammate") as other:
        for data in windows:
            other.windows.add(data, rate_hz=50.0)
    code = main(["suggest", "--project", str(tmp_path / "teammate"), "--run", str(run_id),
                 "--run-from", str(project.path), "--json"])  # fmt: skip
    assert code == 0
    rows = json.loads(capsys.readouterr().out.strip().splitlines()[-1])["suggestions"]
    assert len(rows) == len(labels)
    with Project.open(tmp_path / "teammate") as other:
        assert other.windows.count_unlabelled() == len(labels)  # checked by a person, never applied


def test_hfw_suggest_without_a_run_says_what_to_do(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    Project.create(tmp_path / "p").close()
    assert main(["suggest", "--project", str(tmp_path / "p")]) == 1
    assert "train one first" in capsys.readouterr().err


def test_suggestion_from_probs_and_order_for_any_number_of_classes() -> None:
    classes = ["a", "b", "c", "d"]
    sure = suggestion_from_probs([0.05, 0.85, 0.05, 0.05], classes, window_id=1, current="b")
    torn = suggestion_from_probs([0.40, 0.38, 0.12, 0.10], classes, window_id=2)
    assert (sure.label, sure.agrees) == ("b", True)
    assert torn.label == "a"
    assert torn.agrees is None
    assert torn.margin == pytest.approx(0.02)
    assert [s.window_id for s in by_uncertainty([sure, torn])] == [2, 1]
    with pytest.raises(ValueError, match="3 probabilities for 4 classes"):
        suggestion_from_probs([0.2, 0.3, 0.5], classes)
    assert isinstance(sure, Suggestion)
    assert sure.text() == "b 85%"
