"""Long recordings from CSV (generic t_ms and Edge Impulse layouts) stored as sessions, with
their gaps and rate changes named."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from hfwidgets.errors import HfwError
from hfwidgets.store import Project
from hfwidgets.store.session_import import import_session_csv
from hfwidgets.store.session_timing import time_facts


def _write(path: Path, header: str, t_ms: np.ndarray, xyz: np.ndarray) -> Path:
    rows = [header] + [
        f"{t:g},{x:.5f},{y:.5f},{z:.5f}" for t, (x, y, z) in zip(t_ms, xyz, strict=True)
    ]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def _motion(n: int) -> np.ndarray:
    xyz = np.zeros((n, 3))
    xyz[:, 0] = np.sin(np.arange(n) / 10) * 0.3
    xyz[:, 2] = 1.0
    return xyz


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return Project.create(tmp_path / "p")


def test_generic_t_ms_csv_becomes_a_session_in_g(project: Project, tmp_path: Path) -> None:
    t_ms = 1000 + np.arange(500) * 20.0  # 50 Hz, a clock that did not start at 0
    csv = _write(tmp_path / "long.csv", "t_ms,ax,ay,az", t_ms, _motion(500))
    report = import_session_csv(project, csv)
    session = project.sessions.get(report.session_id)
    assert session.rate_hz == pytest.approx(50.0)
    assert session.t[0] == 0.0
    assert session.t[-1] == pytest.approx(9.98)
    assert session.xyz[:, 2] == pytest.approx(1.0)
    assert report.facts.gaps == ()
    assert report.facts.rate_changes == ()
    assert "g (median" in report.units
    assert project.sessions.infos()[0].meta["layout"] == "t_ms,ax,ay,az"


def test_edge_impulse_csv_in_m_s2_is_read_as_g(project: Project, tmp_path: Path) -> None:
    t_ms = np.arange(300) * 16.0  # Edge Impulse's 62.5 Hz
    csv = _write(tmp_path / "ei.csv", "timestamp,accX,accY,accZ", t_ms, _motion(300) * 9.80665)
    report = import_session_csv(project, csv)
    assert report.layout == "edge impulse"
    assert report.units.startswith("m/s^2")
    session = project.sessions.get(report.session_id)
    assert session.rate_hz == pytest.approx(62.5)
    assert session.xyz[:, 2] == pytest.approx(1.0, abs=1e-4)


def test_gaps_and_rate_changes_are_named_not_hidden(project: Project, tmp_path: Path) -> None:
    first = np.arange(1500) * 20.0  # 30 s at 50 Hz
    gap = first[-1] + 2000 + np.arange(500) * 20.0  # 2 s missing, then 10 s more
    slow = gap[-1] + 40 + np.arange(500) * 40.0  # then 20 s at 25 Hz
    t_ms = np.concatenate([first, gap, slow])
    csv = _write(tmp_path / "gappy.csv", "t_ms,ax,ay,az", t_ms, _motion(t_ms.size))
    report = import_session_csv(project, csv)
    (g,) = report.facts.gaps
    assert g.at_s == pytest.approx(29.98)
    assert g.seconds == pytest.approx(2.0)
    assert g.line == 1502  # the header is line 1: sample 1501 is on line 1502
    (change,) = report.facts.rate_changes
    assert change.from_hz == pytest.approx(50.0, rel=0.02)
    assert change.to_hz == pytest.approx(25.0, rel=0.02)
    assert change.at_s == pytest.approx(42.0, abs=2.0)
    text = "\n".join(report.describe())
    assert "gap of 2.00 s after 29.98 s" in text
    assert "rate 50.0 Hz -> 25.0 Hz" in text
    meta = project.sessions.infos()[0].meta
    assert len(meta["gaps"]) == 1
    assert len(meta["rate_changes"]) == 1


def test_jitter_of_a_millisecond_clock_is_neither_gap_nor_rate_change() -> None:
    rng = np.random.default_rng(0)
    t = np.cumsum(20.0 + rng.integers(-1, 2, size=3000)) / 1000
    facts = time_facts(t, np.arange(3000) + 2, where="x.csv")
    assert facts.gaps == ()
    assert facts.rate_changes == ()


@pytest.mark.parametrize(
    ("t_ms", "words"),
    [
        ([0, 20, 40, 30, 60], "line 5: time 0.03 does not come after 0.04 \\(line 4\\)"),
        ([0, 20, 20, 40, 60], "line 4: time 0.02 does not come after 0.02"),
    ],
)
def test_non_monotonic_time_is_a_clear_error_storing_nothing(
    project: Project, tmp_path: Path, t_ms: list[float], words: str
) -> None:
    csv = _write(tmp_path / "bad.csv", "t_ms,ax,ay,az", np.array(t_ms, float), _motion(5))
    with pytest.raises(HfwError, match=words):
        import_session_csv(project, csv)
    assert project.sessions.ids() == []


def test_missing_time_column_and_unclear_units_say_what_to_do(
    project: Project, tmp_path: Path
) -> None:
    no_time = tmp_path / "no_time.csv"
    no_time.write_text("ax,ay,az\n0,0,1\n0,0,1\n", encoding="utf-8")
    with pytest.raises(HfwError, match=r"lacks column\(s\) t_ms.*timestamp,accX"):
        import_session_csv(project, no_time)
    raw = _write(tmp_path / "raw.csv", "t_ms,ax,ay,az", np.arange(5) * 20.0, _motion(5) * 400)
    with pytest.raises(HfwError, match="pass --units g or --units m/s2"):
        import_session_csv(project, raw)
    report = import_session_csv(project, raw, units="g")
    assert report.units == "g"
    assert project.sessions.ids() == [report.session_id]
