"""The typed run record: round trip, one status vocabulary, and runs stored by earlier versions."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from hfwidgets.cli.train_command import train_summary
from hfwidgets.store import Project, RunRecord
from hfwidgets.store.run_metrics import (
    RECORD_VERSION,
    BaselineFigure,
    ClassFigure,
    EpochFigures,
    ModelFigure,
    RunMetrics,
    ValidationFacts,
    interval_text,
    wilson_interval,
)
from hfwidgets.store.run_status import FINAL_STATUSES, ended_well, is_final, run_status
from hfwidgets.store.schema import DB_NAME
from hfwidgets.summary import summarize_runs


def _full() -> RunMetrics:
    return RunMetrics(
        accuracy=0.75,
        n=4,
        classes=("punch", "flex"),
        per_class={"punch": ClassFigure(1.0, 0.5, 0.6, 2), "flex": ClassFigure(0.6, 1.0, 0.8, 2)},
        confusion=((1, 1), (0, 2)),
        misclassified=(11,),
        predictions={10: "punch", 11: "flex", 12: "flex", 13: "flex"},
        true_labels={10: "punch", 11: "punch", 12: "flex", 13: "flex"},
        evaluated_on="val",
        epochs=3,
        best_epoch=2,
        history=(EpochFigures(1, 0.9, 0.5, 0.8, 0.5, 1.5), EpochFigures(2, 0.5, 0.8, 0.6, 0.75)),
        validation=ValidationFacts(
            n=4, per_class={"punch": 2, "flex": 2}, groups=3, grouped=True, warnings=("w",)
        ),
        baseline=BaselineFigure("MiniRocket (aeon)", 0.5, n=4, seconds=1.25),
        seconds=12.5,
        cached_features=True,
        operating_point={"threshold": 0.9},
        models={
            "cnn": ModelFigure(0.75, 4),
            "baseline": ModelFigure(0.5, 4, 0.0),
            "fusion": ModelFigure(0.8, 4, 0.3),
        },
        chosen="fusion",
        extra={"note": "kept"},
    )


def test_the_record_round_trips_through_json_with_its_version() -> None:
    record = _full()
    stored = json.loads(json.dumps(record.to_dict()))
    assert stored["version"] == RECORD_VERSION
    assert stored["predictions"]["11"] == "flex"  # JSON keys: ids as strings, as before
    assert RunMetrics.from_dict(stored) == record
    assert RunMetrics.from_dict(RunMetrics().to_dict()) == RunMetrics()


def test_a_record_of_a_newer_version_is_refused_with_what_to_do() -> None:
    with pytest.raises(ValueError, match="upgrade hfwidgets"):
        RunMetrics.from_dict({"version": RECORD_VERSION + 1, "accuracy": 0.5})


def test_one_status_vocabulary_reads_the_old_words() -> None:
    assert run_status("completed") == "finished"  # the trainer's old word
    assert run_status("cancelled") == "stopped"  # accepted by the old schema, written by nothing
    assert [s for s in ("created", "running", *FINAL_STATUSES) if ended_well(s)] == ["finished"]
    assert is_final("failed")
    assert not is_final("running")
    with pytest.raises(ValueError, match="unknown run status 'done'"):
        run_status("done")


def test_a_status_word_that_is_no_status_is_refused_by_the_store(tmp_path: Path) -> None:
    with Project.create(tmp_path / "p") as project:
        run_id = project.runs.add({})
        with pytest.raises(ValueError, match="unknown run status"):
            project.runs.update(run_id, status="done")  # type: ignore[arg-type]
        assert project.runs.get(run_id).status == "created"


# What version 0.1.0 stored: no version, the trainer's "completed", the baseline under
# "minirocket" or as {"accuracy": ...}, a session count, string ids, keys this version dropped.
_OLD_RUNS = [
    ("completed", {
        "accuracy": 0.8, "n": 5, "classes": ["a", "b"], "evaluated_on": "val", "epochs": 4,
        "confusion": [[2, 1], [0, 2]], "misclassified": [7],
        "per_class": {"a": {"precision": 1.0, "recall": 0.67, "f1": 0.8, "support": 3}},
        "predictions": {"7": "b"}, "true_labels": {"7": "a"},
        "history": [{"epoch": 1, "train_loss": 0.7, "train_acc": 0.5, "val_loss": None,
                     "val_acc": None, "seconds": 0.1}, "not an epoch"],
        "minirocket": 0.6, "n_sessions": 3, "seconds": 9.0, "lr_used": 0.001,
    }),
    ("cancelled", {}),
    ("finished", {"accuracy": 0.9, "baseline": {"name": "MiniRocket", "accuracy": 0.95, "n": 5},
                  "validation": {"n": 5, "groups": 2, "on": "val", "warnings": ["w"]}}),
]  # fmt: skip


def test_runs_stored_by_an_earlier_version_open_and_read(tmp_path: Path) -> None:
    path = tmp_path / "old"
    Project.create(path).close()
    with sqlite3.connect(path / DB_NAME) as conn:
        for status, metrics in _OLD_RUNS:
            conn.execute(
                "INSERT INTO runs (settings, status, metrics, created_at, updated_at, "
                "finished_at) VALUES (?, ?, ?, 0, 0, 0)",
                (json.dumps({"config": {"model": "mobilenet_v2"}}), status, json.dumps(metrics)),
            )
    with Project.open(path) as project:
        first, cancelled, third = project.runs.all()
        assert [first.status, cancelled.status, third.status] == ["finished", "stopped", "finished"]
        m = first.metrics
        assert (m.accuracy, m.n, m.classes, m.epochs) == (0.8, 5, ("a", "b"), 4)
        assert m.predictions == {7: "b"}
        assert m.per_class["a"].support == 3
        assert [h.epoch for h in m.history] == [1]
        assert m.baseline == BaselineFigure("MiniRocket", 0.6)
        assert m.validation is not None
        assert m.validation.groups == 3
        assert m.extra == {"lr_used": 0.001}
        assert third.metrics.baseline is not None
        assert third.metrics.baseline.accuracy == 0.95
        assert cancelled.metrics == RunMetrics()
        assert (m.models, m.chosen) == ({}, "cnn")  # a run from before the fusion: its CNN
        rows = {r.id: r for r in summarize_runs(project)}
        text = rows[first.id].accuracy_text()
        assert (
            text
            == "80.0% (95 % interval 37.6%-96.4%) on 5 validation windows from 3 sessions/sources"
        )
        assert rows[first.id].baseline_text() == "MiniRocket 60.0%"
        assert rows[third.id].baseline == 0.95
        assert train_summary(first, mode="fine-tune", seconds=1.0)["accuracy"] == 0.8
        # Rewriting an old record (a calibration, a status change) loses nothing it held.
        project.runs.update(first.id, metrics=m.replace(operating_point={"threshold": 0.5}))
        again = project.runs.get(first.id).metrics
        assert again.extra == {"lr_used": 0.001}
        assert again.replace(operating_point=None) == m
        project.runs.delete(first.id)  # an old "completed" run is final: deleted without force


def test_every_accuracy_carries_its_wilson_interval() -> None:
    # Known values: 7 of 10 -> [0.3968, 0.8922]; 45 of 50 -> [0.7864, 0.9565] (Wilson, 95 %).
    low, high = wilson_interval(0.7, 10) or (0.0, 0.0)
    assert (low, high) == pytest.approx((0.3968, 0.8922), abs=1e-4)
    assert wilson_interval(0.9, 50) == pytest.approx((0.7864, 0.9565), abs=1e-4)
    assert wilson_interval(None, 10) is None
    assert wilson_interval(0.5, 0) is None
    assert RunMetrics(accuracy=0.7, n=10).accuracy_interval == wilson_interval(0.7, 10)
    assert ModelFigure(0.9, 50, 0.4).interval == wilson_interval(0.9, 50)
    assert interval_text(0.7, 10) == " (95 % interval 39.7%-89.2%)"
    record = _full()
    summary = train_summary(
        RunRecord(id=1, settings={}, status="finished", metrics=record), mode="m", seconds=1.0
    )
    assert summary["accuracy_interval"] == list(wilson_interval(0.75, 4) or ())
    assert summary["models"]["fusion"]["interval"] == list(wilson_interval(0.8, 4) or ())
