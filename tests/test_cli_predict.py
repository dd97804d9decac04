"""``hfw predict``: bad input explained; a trained run counts simulated high-fives live."""

from __future__ import annotations

from pathlib import Path

import pytest

from hfwidgets.cli import main
from hfwidgets.store import Project


def test_missing_project_is_explained(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["predict", "--project", str(tmp_path / "nope"), "--seconds", "1"])
    assert code == 1
    err = capsys.readouterr().err
    assert "nope" in err
    assert "no project here" in err


def test_project_without_a_trained_run_says_how_to_train(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    Project.create(tmp_path / "p").close()
    code = main(["predict", "--project", str(tmp_path / "p"), "--seconds", "1"])
    assert code == 1
    err = capsys.readouterr().err
    assert "no finished training run" in err
    assert "hfw train" in err


def test_unknown_run_id_points_to_hfw_info(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    Project.create(tmp_path / "p").close()
    code = main(["predict", "--project", str(tmp_path / "p"), "--run", "7", "--seconds", "1"])
    assert code == 1
    assert "hfw info" in capsys.readouterr().err


def test_port_and_simulate_are_exclusive(tmp_path: Path) -> None:
    with pytest.raises(SystemExit):
        main(["predict", "--project", str(tmp_path), "--port", "loop://", "--simulate"])


def test_nonpositive_seconds_is_rejected(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["predict", "--project", str(tmp_path), "--seconds", "0"]) == 1
    assert "--seconds" in capsys.readouterr().err
