"""Deleting a training run: record, split and checkpoint go; other ids stay; ids never reused."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from hfwidgets.cli import main
from hfwidgets.errors import HfwError
from hfwidgets.store import Project
from hfwidgets.store.run_metrics import RunMetrics


def _project_with_runs(folder: Path) -> tuple[Project, list[int], list[int]]:
    p = Project.create(folder)
    ids = [
        p.windows.add(np.full((8, 3), i, np.float32), rate_hz=50.0, label="other") for i in range(4)
    ]
    runs = []
    for k in range(3):
        run = p.runs.add({"backbone": "mobilenet_v2", "k": k})
        p.splits.set(run, {ids[0]: "train", ids[1]: "val"})
        p.runs.update(
            run, status="finished", metrics=RunMetrics.from_dict({"accuracy": 0.5 + k / 10})
        )
        p.runs.checkpoint_path(run).write_bytes(b"x" * (1000 * (k + 1)))
        runs.append(run)
    return p, ids, runs


def test_delete_run_removes_record_split_and_checkpoint_only(tmp_path: Path) -> None:
    p, ids, (r1, r2, r3) = _project_with_runs(tmp_path / "p")
    with p:
        assert p.runs.delete(r2) == 2000
        assert [r.id for r in p.runs.all()] == [r1, r3]
        assert p.splits.get(r2) == {}
        assert p.splits.get(r1) == {ids[0]: "train", ids[1]: "val"}
        assert not p.runs.checkpoint_path(r1).with_name(f"run-{r2}.pt").exists()
        assert p.runs.checkpoint_path(r1).is_file()
        assert p.runs.checkpoint_path(r3).is_file()
        assert p.runs.get(r3).metrics.accuracy == pytest.approx(0.7)
        with pytest.raises(ValueError, match=f"no training run {r2}"):
            p.runs.get(r2)
        with pytest.raises(ValueError, match=f"no training run {r2}"):
            p.runs.delete(r2)


def test_a_deleted_run_id_is_never_given_out_again(tmp_path: Path) -> None:
    p, _, (_, _, r3) = _project_with_runs(tmp_path / "p")
    with p:
        p.runs.delete(r3)  # the newest: SQLite alone would hand out its id again
        new = p.runs.add({"backbone": "resnet18"})
        assert new == r3 + 1
        assert not p.runs.checkpoint_path(new).exists()


def test_a_running_run_needs_force(tmp_path: Path) -> None:
    with Project.create(tmp_path / "p") as p:
        run = p.runs.add({})
        p.runs.update(run, status="running")
        with pytest.raises(HfwError, match="stop it first"):
            p.runs.delete(run)
        assert [r.id for r in p.runs.all()] == [run]
        p.runs.delete(run, force=True)
        assert p.runs.all() == []


def test_hfw_runs_lists_and_deletes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    p, _, (r1, r2, r3) = _project_with_runs(tmp_path / "p")
    p.close()
    proj = str(tmp_path / "p")
    assert main(["runs", "--project", proj, "--json"]) == 0
    rows = json.loads(capsys.readouterr().out.strip().splitlines()[-1])["runs"]
    assert [(r["id"], r["status"], r["checkpoint_bytes"]) for r in rows] == [
        (r1, "finished", 1000), (r2, "finished", 2000), (r3, "finished", 3000)
    ]  # fmt: skip
    assert rows[2]["accuracy"] == pytest.approx(0.7)
    assert main(["runs", "--project", proj]) == 0
    assert "mobilenet_v2" in capsys.readouterr().out

    assert main(["runs", "delete", str(r1), "--project", proj, "--json"]) == 0
    assert json.loads(capsys.readouterr().out.strip()) == {"deleted": r1, "freed_bytes": 1000}
    assert main(["runs", "delete", str(r1), "--project", proj]) == 1
    err = capsys.readouterr().err
    assert f"no training run {r1}" in err
    assert f"runs: {r2}, {r3}" in err
    with Project.open(proj) as again:
        assert [r.id for r in again.runs.all()] == [r2, r3]
