"""The static project summary: run rows a person compares, and the PNG a shared notebook shows."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from hfwidgets.store import Project
from hfwidgets.store.run_metrics import RunMetrics
from hfwidgets.store.run_status import RunStatus
from hfwidgets.summary import (
    TARGET_PER_CLASS,
    count_verdict,
    render_summary_png,
    summarize_runs,
    summary_text,
)

METRICS = {
    "accuracy": 0.75,
    "n": 8,
    "evaluated_on": "val",
    "classes": ["high-five", "other"],
    "confusion": [[3, 1], [1, 3]],
    "history": [
        {"epoch": 1, "train_loss": 0.9, "val_loss": 0.8, "train_acc": 0.5, "val_acc": 0.5},
        {"epoch": 2, "train_loss": 0.5, "val_loss": 0.6, "train_acc": 0.8, "val_acc": 0.75},
    ],
    "seconds": 12.4,
    "baseline": {"accuracy": 0.875},
    "validation": {"groups": 3, "summary": "measured on 8 held-out windows from 3 sessions"},
}
CONFIG = {"model": "resnet18", "frozen": ["stem", "layer1"], "epochs": 5, "val_fraction": 0.2}


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Project]:
    with Project.create(tmp_path / "p") as p:
        rng = np.random.default_rng(0)
        for label in ["high-five"] * 5 + ["other"] * 2:
            p.windows.add(rng.normal(size=(75, 3)).astype(np.float32), rate_hz=50.0, label=label)
        yield p


def _add_run(project: Project, *, status: RunStatus = "finished", checkpoint: bytes = b"") -> int:
    run_id = project.runs.add({"config": CONFIG})
    project.runs.update(
        run_id, status=status, metrics=RunMetrics.from_dict(METRICS if status == "finished" else {})
    )
    if checkpoint:
        path = project.runs.checkpoint_path(run_id)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(checkpoint)
    return run_id


def test_run_rows_say_settings_what_accuracy_was_measured_on_baseline_and_size(
    project: Project,
) -> None:
    first = _add_run(project, checkpoint=b"x" * 2_500_000)
    second = _add_run(project, status="failed")
    rows = summarize_runs(project)
    assert [r.id for r in rows] == [second, first]  # newest first
    done = rows[1]
    assert done.settings_text() == "resnet18 · 2 frozen · 2/5 epochs · val 20%"
    assert done.accuracy_text() == (
        "75.0% (95 % interval 40.9%-92.9%) on 8 validation windows from 3 sessions/sources"
    )
    assert done.baseline_text() == "MiniRocket 87.5%"
    assert done.size_text() == "2.5 MB"
    assert done.time_text().endswith("· 12 s")
    assert done.usable
    assert not rows[0].usable
    assert rows[0].size_text() == "no checkpoint"


def test_counts_are_judged_against_the_target_and_balance() -> None:
    assert count_verdict({"high-five": 12, "other": 20}, target=20) == (
        "8 more high-five to reach 20 each"
    )
    assert count_verdict({"a": 25, "b": 20}, target=20).startswith("at least 20 per class")
    assert "unbalanced (a more than twice" in count_verdict({"a": 50, "b": 20}, target=20)


def test_summary_text_is_a_readable_line(project: Project) -> None:
    _add_run(project, checkpoint=b"x")
    text = summary_text(project)
    assert text.startswith("High-five workbench · project p: high-five 5, other 2 windows")
    assert f"target {TARGET_PER_CLASS} each" in text
    assert "best run 1: 75.0%" in text


def _pixels(png: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG"
    return image.convert("RGB")


def test_png_draws_counts_runs_matrix_and_curves(project: Project) -> None:
    empty = _pixels(render_summary_png(project))
    run_id = _add_run(project, checkpoint=b"x")
    image = _pixels(render_summary_png(project))
    # A run adds the confusion matrix and the curves below the counts and the run table.
    assert image.height > empty.height + 200
    counted = image.getcolors(maxcolors=1 << 20)
    assert counted is not None
    colours = {c for _n, c in counted}
    assert (31, 119, 180) in colours
    assert (255, 127, 14) in colours
    assert render_summary_png(project, run_id=run_id) == render_summary_png(project)
    with pytest.raises(ValueError, match="no training run 99"):
        render_summary_png(project, run_id=99)
