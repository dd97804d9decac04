"""`hfw import`, `hfw export`, `hfw merge`, `hfw info` as a user types them."""

from __future__ import annotations

import json
import sys
import types
from pathlib import Path
from typing import Any

import pytest

from hfwidgets.cli import main


def _last_json(capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    out = capsys.readouterr().out
    last: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return last


def test_import_info_export_merge(
    tmp_path: Path, punch_flex_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    proj = str(tmp_path / "pf")
    assert main(["import", str(punch_flex_dir), "--project", proj, "--json"]) == 0
    report = _last_json(capsys)
    assert report["per_label"] == {"punch": 20, "flex": 15}
    assert (report["source_rate_hz"], report["rate_hz"]) == (119.0, 50.0)

    assert main(["info", "--project", proj]) == 0
    text = capsys.readouterr().out
    assert "punch" in text
    assert "20" in text
    assert main(["info", "--project", proj, "--json"]) == 0
    info = _last_json(capsys)
    assert info["counts"] == {"flex": 15, "punch": 20}
    assert (info["windows"], info["unlabelled"], info["rate_hz"]) == (35, 0, 50.0)

    out = tmp_path / "dataset"
    assert main(["export", "--project", proj, "--to", str(out), "--json"]) == 0
    assert _last_json(capsys)["files"] == 35
    mate = str(tmp_path / "mate")
    assert main(["import", str(out), "--project", mate, "--format", "generic"]) == 0
    capsys.readouterr()
    assert main(["merge", "--project", proj, mate, "--json"]) == 0
    merged = _last_json(capsys)
    assert (merged["added"], merged["duplicates"]) == (0, 35)


def test_info_shows_split_counts(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import numpy as np

    from hfwidgets.store import Project

    with Project.create(tmp_path / "p") as p:
        ids = [p.windows.add(np.ones((4, 3)) * i, rate_hz=50.0, label="other") for i in range(5)]
        p.splits.set("default", {i: ("val" if i == ids[0] else "train") for i in ids})
    assert main(["info", "--project", str(tmp_path / "p"), "--json"]) == 0
    assert _last_json(capsys)["splits"] == {"default": {"train": {"other": 4}, "val": {"other": 1}}}


def test_info_counts_deleted_windows_apart(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import numpy as np

    from hfwidgets.store import Project

    with Project.create(tmp_path / "p") as p:
        ids = [p.windows.add(np.ones((4, 3)) * i, rate_hz=50.0, label="other") for i in range(3)]
        p.windows.delete(ids[0])
    assert main(["info", "--project", str(tmp_path / "p"), "--json"]) == 0
    info = _last_json(capsys)
    assert (info["windows"], info["deleted"], info["counts"]["other"]) == (2, 1, 2)
    assert main(["info", "--project", str(tmp_path / "p")]) == 0
    assert "windows 2 (+1 deleted)" in capsys.readouterr().out


def test_failed_first_import_leaves_no_project(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "src" / "other"
    src.mkdir(parents=True)
    (src / "a.csv").write_text("ax,ay,az\n1,2\n")
    assert main(["import", str(tmp_path / "src"), "--project", str(tmp_path / "p")]) == 1
    err = capsys.readouterr().err
    assert "a.csv line 2" in err
    assert not (tmp_path / "p").exists()


def test_unknown_format_is_rejected_by_the_parser(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit):
        main(["import", str(tmp_path), "--project", str(tmp_path / "p"), "--format", "matlab"])
    assert "invalid choice: 'matlab'" in capsys.readouterr().err


def test_export_forms_are_mutually_exclusive(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from hfwidgets.store import Project

    Project.create(tmp_path / "p").close()
    proj = str(tmp_path / "p")
    argv = ["export", "--project", proj, "--to", str(tmp_path / "d"), "--format", "onnx"]
    assert main(argv) == 1
    assert "--to (dataset export) cannot be combined with --format" in capsys.readouterr().err
    assert main(["export", "--project", proj]) == 1
    assert "say what to export" in capsys.readouterr().err
    assert not (tmp_path / "d").exists()


def test_model_export_calls_training_export(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from hfwidgets.store import Project

    calls: list[tuple[Path, int | None, str, Path]] = []

    def export_model(project: Project, *, run_id: int | None, fmt: str, out: Path) -> Path:
        calls.append((project.path, run_id, fmt, out))
        return out

    fake = types.ModuleType("hfwidgets.training.export")
    monkeypatch.setattr(fake, "export_model", export_model, raising=False)
    monkeypatch.setitem(sys.modules, "hfwidgets.training.export", fake)
    Project.create(tmp_path / "p").close()
    argv = ["export", "--project", str(tmp_path / "p"), "--run", "3", "--format", "onnx"]
    assert main([*argv, "--out", str(tmp_path / "m.onnx"), "--json"]) == 0
    assert calls == [(tmp_path / "p", 3, "onnx", tmp_path / "m.onnx")]
    assert _last_json(capsys)["model"] == str(tmp_path / "m.onnx")


def test_info_on_missing_project_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["info", "--project", str(tmp_path / "none")]) == 1
    assert "no project here" in capsys.readouterr().err
