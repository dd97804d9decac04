"""Import (generic layout, Arduino IMU_Capture), export, round trips, bad inputs, merging."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from hfwidgets.errors import HfwError
from hfwidgets.store import (
    Project,
    export_generic,
    import_arduino_imu,
    import_generic,
    import_path,
    merge_projects,
)


def _write_generic(root: Path, windows: dict[str, list[np.ndarray]], rate: float | None) -> Path:
    for label, arrays in windows.items():
        (root / label).mkdir(parents=True)
        for i, arr in enumerate(arrays):
            rows = "\n".join(",".join(repr(float(v)) for v in row) for row in arr)
            (root / label / f"{i}.csv").write_text(f"ax,ay,az\n{rows}\n")
    if rate is not None:
        (root / "meta.json").write_text(json.dumps({"rate_hz": rate}))
    return root


def _snapshot(project: Project) -> list[tuple[int, str | None, bytes]]:
    return [(w.id, w.label, w.data.tobytes()) for w in project.windows.all()]


@pytest.fixture
def punch_flex_project(tmp_path: Path, punch_flex_dir: Path) -> Iterator[Project]:
    with Project.create(tmp_path / "pf", classes=(), rate_hz=50.0) as p:
        import_arduino_imu(p, punch_flex_dir / "punch.csv")
        import_arduino_imu(p, punch_flex_dir / "flex.csv")
        yield p


def test_real_punch_flex_imports_20_plus_15_windows_at_50_hz(punch_flex_project: Project) -> None:
    assert punch_flex_project.windows.counts() == {"punch": 20, "flex": 15}
    windows = punch_flex_project.windows.all()
    # 119 samples at 119 Hz = 1 s, resampled to the project's 50 Hz
    assert {w.data.shape for w in windows} == {(50, 3)}
    assert {w.rate_hz for w in windows} == {50.0}
    first = windows[0]
    assert first.source == "punch.csv#0"
    # the resampled recording keeps the punch's peak (values clip at 4 g in this dataset)
    assert 2.0 < float(np.abs(first.data).max()) < 5.0


def test_import_export_import_round_trips_bit_for_bit(
    punch_flex_project: Project, tmp_path: Path
) -> None:
    report = export_generic(punch_flex_project, tmp_path / "exported")
    assert report.per_label == {"punch": 20, "flex": 15}
    assert json.loads((tmp_path / "exported" / "meta.json").read_text())["rate_hz"] == 50.0
    assert len(list((tmp_path / "exported" / "punch").glob("*.csv"))) == 20
    with Project.create(tmp_path / "again", classes=()) as again:
        imported = import_generic(again, tmp_path / "exported")
        assert imported.source_rate_hz == 50.0  # no resampling on the way back
        # label folders are read in name order (flex before punch), files in id order
        before = [(w.label, w.data.tobytes()) for w in punch_flex_project.windows.all()]
        after = [(w.label, w.data.tobytes()) for w in again.windows.all()]
        assert len(after) == 35
        assert sorted(after, key=lambda x: x[0] or "") == sorted(before, key=lambda x: x[0] or "")
        assert set(again.classes) == {"punch", "flex"}
        export_generic(again, tmp_path / "exported2")
    for a, b in zip(
        sorted((tmp_path / "exported").rglob("*.csv")),
        sorted((tmp_path / "exported2").rglob("*.csv")),
        strict=True,
    ):
        assert a.read_bytes() == b.read_bytes()


def test_generic_import_resamples_from_meta_rate_and_skips_duplicates(tmp_path: Path) -> None:
    t = np.arange(100) / 100.0
    wave = np.stack([np.sin(2 * np.pi * 2 * t)] * 3, axis=1)
    src = _write_generic(tmp_path / "src", {"wave": [wave], "rest": [wave * 0]}, rate=100.0)
    with Project.create(tmp_path / "p", rate_hz=50.0) as p:
        report = import_generic(p, src)
        assert report.new_classes == ("rest", "wave")
        assert report.per_label == {"rest": 1, "wave": 1}
        data = p.windows.all(label="wave")[0].data
        assert data.shape == (50, 3)
        np.testing.assert_allclose(data[10:40, 0], wave[20:80:2, 0], atol=0.05)
        again = import_generic(p, src)
        assert (again.window_ids, again.duplicates) == ((), 2)
        assert len(p.windows.ids()) == 2


def test_arduino_window_and_rate_options(tmp_path: Path) -> None:
    rows = "\n".join(f"{i},{-i},{i / 2}" for i in range(40))
    csv = tmp_path / "wave.csv"
    csv.write_text(f"aX,aY,aZ\n{rows}\n")
    with Project.create(tmp_path / "p", classes=(), rate_hz=50.0) as p:
        report = import_arduino_imu(p, csv, window=20, rate_hz=50.0, label="swipe")
        assert report.per_label == {"swipe": 2}
        assert p.windows.all()[1].data[0].tolist() == [20.0, -20.0, 10.0]


def test_import_path_autodetects_format(tmp_path: Path, punch_flex_dir: Path) -> None:
    with Project.create(tmp_path / "p", classes=()) as p:
        assert import_path(p, punch_flex_dir).per_label == {"punch": 20, "flex": 15}
        with pytest.raises(ValueError, match="unknown import format 'matlab'"):
            import_path(p, punch_flex_dir, fmt="matlab")


GOOD = "ax,ay,az\n0.1,0.2,0.3\n0.4,0.5,0.6\n"
BAD_FILES: dict[str, tuple[str | bytes, str]] = {
    "empty": ("", r"bad\.csv: empty file"),
    "header only": ("ax,ay,az\n", r"bad\.csv: only a header"),
    "wrong header": ("x,y,z\n1,2,3\n", r"bad\.csv line 1: header 'x,y,z' lacks column"),
    "ragged": ("ax,ay,az\n1,2,3\n4,5\n", r"bad\.csv line 3: 2 values, but the header has 3"),
    "nan": ("ax,ay,az\n1,2,3\n4,nan,6\n", r"bad\.csv line 3, column ay: 'nan' is not a finite"),
    "text": ("ax,ay,az\n1,2,3\n\n4,5,x\n", r"bad\.csv line 4, column az: 'x' is not a number"),
    "binary": (b"ax,ay,az\n1,2,3\n\xff\xfe\x00\x01", r"bad\.csv line 3: not UTF-8"),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_generic_file_names_file_and_line_and_stores_nothing(tmp_path: Path, case: str) -> None:
    content, message = BAD_FILES[case]
    src = tmp_path / "src"
    (src / "other").mkdir(parents=True)
    (src / "other" / "a_good.csv").write_text(GOOD)
    bad = src / "other" / "bad.csv"
    bad.write_bytes(content if isinstance(content, bytes) else content.encode())
    with Project.create(tmp_path / "p") as p:
        p.windows.add(np.ones((4, 3)), rate_hz=50.0, label="high-five")
        before = (_snapshot(p), p.classes)
        with pytest.raises(HfwError, match=message):
            import_generic(p, src)
        assert (_snapshot(p), p.classes) == before


@pytest.mark.parametrize(
    ("layout", "message"),
    [
        ({"other/.keep": ""}, r"other: label folder has no \.csv files"),
        ({"loose.csv": GOOD}, r"loose\.csv: CSV files belong in a label folder"),
        ({"README.md": "hi"}, "no label folders"),
        ({"meta.json": '{"rate_hz": 50,}', "other/a.csv": GOOD}, r"meta\.json line 1: invalid"),
        (
            {"meta.json": '{"rate_hz": -5}', "other/a.csv": GOOD},
            r"meta\.json line 1: rate_hz: -5 Hz is not an accelerometer sample rate",
        ),
        (
            {
                "meta.json": '{\n  "classes": ["other"],\n  "rate_hz": Infinity\n}',
                "other/a.csv": GOOD,
            },
            r"meta\.json line 3: rate_hz: inf Hz is not an accelerometer sample rate",
        ),
        (
            {"meta.json": '{"rate_hz": 0.01}', "other/a.csv": GOOD},
            r"meta\.json line 1: rate_hz: 0\.01 Hz .*is it seconds, not Hz\?",
        ),
        (
            {"other/a.csv": "ax,ay,az\n0.1,0.2,0.3\n0.4,1e30,0.6\n"},
            r"a\.csv line 3, column ay: 1e30 g is beyond \+/-1000 g",
        ),
        (
            {"other/a.csv": "ax,ay,az\n0.1,0.2,0.3\n-inf,0.5,0.6\n"},
            r"a\.csv line 3, column ax: '-inf' is not a finite number",
        ),
        ({"_unused/a.csv": GOOD}, r"no label folders.*_unused: folder name starts with '_'"),
        (
            {"meta.json": '{"classes": ["other", 5]}', "other/a.csv": GOOD},
            r"meta\.json: classes: invalid class name 5",
        ),
        ({"meta.json": '{"classes": "other"}', "other/a.csv": GOOD}, r"meta\.json: classes must"),
    ],
)
def test_bad_generic_layout_is_explained(
    tmp_path: Path, layout: dict[str, str], message: str
) -> None:
    src = tmp_path / "src"
    for name, text in layout.items():
        (src / name).parent.mkdir(parents=True, exist_ok=True)
        (src / name).write_text(text)
    with Project.create(tmp_path / "p") as p:
        with pytest.raises(HfwError, match=message):
            import_generic(p, src)
        assert p.windows.ids() == []


def test_arduino_file_with_a_partial_recording_names_the_line(tmp_path: Path) -> None:
    rows = "\n".join("1,2,3,0,0,0" for _ in range(25))
    csv = tmp_path / "punch.csv"
    csv.write_text(f"aX,aY,aZ,gX,gY,gZ\n{rows}\n")
    with Project.create(tmp_path / "p") as p:
        with pytest.raises(HfwError, match=r"punch\.csv line 22: the last recording has 5 rows"):
            import_arduino_imu(p, csv, window=10)
        assert p.windows.ids() == []


def test_export_refuses_a_non_empty_destination(
    punch_flex_project: Project, tmp_path: Path
) -> None:
    dst = tmp_path / "taken"
    dst.mkdir()
    (dst / "notes.txt").write_text("mine")
    with pytest.raises(HfwError, match="not an empty folder"):
        export_generic(punch_flex_project, dst)
    assert [p.name for p in dst.iterdir()] == ["notes.txt"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".taken")]


def test_export_leaves_out_unlabelled_windows(tmp_path: Path) -> None:
    with Project.create(tmp_path / "p") as p:
        p.windows.add(np.ones((4, 3)), rate_hz=50.0, label="other")
        p.windows.add(np.zeros((4, 3)), rate_hz=50.0)
        p.windows.add(np.ones((8, 3)), rate_hz=100.0, label="other")  # resampled on export
        report = export_generic(p, tmp_path / "out")
    assert (report.files, report.unlabelled_skipped, report.resampled) == (2, 1, 1)
    assert sorted(x.name for x in (tmp_path / "out").iterdir()) == ["meta.json", "other"]


def test_merge_keeps_provenance_skips_duplicates_and_reports_conflicts(tmp_path: Path) -> None:
    shared, mine, theirs = np.ones((5, 3)), np.zeros((5, 3)), np.full((5, 3), 2.0)
    unlabelled_here = np.full((5, 3), 3.0)
    with Project.create(tmp_path / "a") as a, Project.create(tmp_path / "b") as b:
        a.windows.add(shared, rate_hz=50.0, label="other")
        a.windows.add(mine, rate_hz=50.0, label="high-five")
        a_blank = a.windows.add(unlabelled_here, rate_hz=50.0)
        b.windows.add(shared, rate_hz=50.0, label="high-five")  # same recording, other label
        b.add_class("wave")
        sid = b.sessions.add(np.arange(5) / 50.0, theirs, rate_hz=50.0, source="loop://")
        b_new = b.windows.add(theirs, rate_hz=50.0, label="wave", session_id=sid)
        b.windows.add(unlabelled_here, rate_hz=50.0, label="other")
        b_id = b.project_id

        report = merge_projects(a, tmp_path / "b")
        assert (report.added, report.duplicates, report.labels_adopted) == (1, 2, 1)
        assert report.conflicts == ((1, "other", "high-five"),)
        assert report.new_classes == ("wave",)
        merged = a.windows.all(label="wave")[0]
        assert merged.origin == f"{b_id}:{b_new}"
        assert merged.session_id is not None
        assert a.sessions.get(merged.session_id).source == "loop://"
        assert a.windows.get(a_blank).label == "other"
        assert a.windows.get(1).label == "other"  # ours kept on conflict

        again = merge_projects(a, tmp_path / "b")
        assert (again.added, again.duplicates) == (0, 3)
        with pytest.raises(HfwError, match="same project"):
            merge_projects(a, tmp_path / "a")


def test_merge_brings_a_teammates_marks_linked_to_the_copied_windows(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    t = np.arange(250) / 50.0  # 5 s at 50 Hz
    with Project.create(tmp_path / "a") as a, Project.create(tmp_path / "b") as b:
        a.sessions.add(t, rng.normal(size=(250, 3)), rate_hz=50.0, source="mine")  # ids differ
        a.windows.add(np.zeros((5, 3)), rate_hz=50.0, label="other")
        sid = b.sessions.add(t, rng.normal(size=(250, 3)), rate_hz=50.0, source="loop://")
        event = b.marks.add(sid, label="high-five", at=1.0, window_s=1.0)
        region = b.marks.add(sid, label="other", start=2.0, end=4.5, window_s=1.0, note="walk")

        report = merge_projects(a, tmp_path / "b")
        assert (report.marks_added, report.sessions_added) == (2, 1)
        marks = [m for m in a.marks.all() if m.session_id != 1]
        assert [(m.kind, m.start, m.end, m.label, m.note) for m in marks] == [
            ("event", 1.0, 1.0, "high-five", ""),
            ("region", 2.0, 4.5, "other", "walk"),
        ]
        for mine, theirs in zip(marks, (event, region), strict=True):
            assert len(mine.window_ids) == len(theirs.window_ids) >= 1
            assert set(mine.window_ids).isdisjoint({1})  # our own window stays unlinked
            for wid, their_wid in zip(mine.window_ids, theirs.window_ids, strict=True):
                w = a.windows.get(wid)
                assert (w.label, w.session_id) == (mine.label, mine.session_id)
                np.testing.assert_array_equal(w.data, b.windows.get(their_wid).data)
        again = merge_projects(a, tmp_path / "b")
        assert (again.marks_added, again.sessions_added) == (0, 0)
        a.marks.undo(marks[1].session_id)  # a copied mark undoes like one placed here
        assert [m.label for m in a.marks.all(marks[1].session_id)] == ["high-five"]


def test_hidden_and_private_folders_are_reported_not_skipped_silently(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from hfwidgets.cli import main

    src = tmp_path / "src"
    for name in ("other/a.csv", "_drafts/b.csv", ".cache/c.csv", "other/._a.csv"):
        (src / name).parent.mkdir(parents=True, exist_ok=True)
        (src / name).write_text(GOOD)
    with Project.create(tmp_path / "p", classes=()) as p:
        report = import_generic(p, src)
    assert report.per_label == {"other": 1}
    assert [Path(item.split(":")[0]).name for item in report.skipped] == [
        ".cache", "_drafts", "._a.csv"
    ]  # fmt: skip
    assert main(["import", str(src), "--project", str(tmp_path / "q")]) == 0
    err = capsys.readouterr().err
    assert "warning: skipped" in err
    assert "_drafts: folder name starts with '_', so it is not a label" in err


def test_absurd_rates_are_refused_with_the_option_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], punch_flex_dir: Path
) -> None:
    from hfwidgets.cli import main

    for rate in ("0.01", "inf", "1e9"):
        code = main(["import", str(punch_flex_dir / "punch.csv"), "--project",
                     str(tmp_path / "p"), "--rate", rate])  # fmt: skip
        assert code == 1
        assert f"--rate: {float(rate)!r} Hz is not an accelerometer sample rate" in (
            capsys.readouterr().err
        )
    assert not (tmp_path / "p").exists()
    src = str(punch_flex_dir)
    assert main(["import", src, "--project", str(tmp_path / "p"), "--project-rate", "0.01"]) == 1
    assert "--project-rate: 0.01 Hz is not" in capsys.readouterr().err
    assert main(["record", "--seconds", "1", "--fast", "--rate", "0.01", "--project",
                 str(tmp_path / "r")]) == 1  # fmt: skip
    assert "--rate: 0.01 Hz is not an accelerometer sample rate" in capsys.readouterr().err
    assert not (tmp_path / "r").exists()
    with pytest.raises(ValueError, match=r"project rate_hz: 0\.01 Hz"):
        Project.create(tmp_path / "q", rate_hz=0.01)


def test_nan_in_a_stored_window_is_named_by_its_id_not_its_position(tmp_path: Path) -> None:
    import sqlite3

    from hfwidgets.training.data import project_windows

    with Project.create(tmp_path / "p") as p:
        p.windows.add(np.ones((8, 3)), rate_hz=50.0, label="other")
        p.windows.add(np.ones((8, 3)) * 2, rate_hz=50.0)  # unlabelled: not in training
        bad = p.windows.add(np.ones((8, 3)) * 3, rate_hz=50.0, label="other")
    nan = np.ones((8, 3), np.float32)
    nan[4, 1] = np.nan
    conn = sqlite3.connect(tmp_path / "p" / "project.sqlite")  # another tool wrote it
    conn.execute("UPDATE windows SET data = ? WHERE id = ?", (nan.astype("<f4").tobytes(), bad))
    conn.commit()
    conn.close()
    with Project.open(tmp_path / "p") as p, pytest.raises(HfwError) as info:
        project_windows(p)
    assert f"window {bad} " in str(info.value)  # id 3, the second labelled window
    assert "project.windows.delete(" in str(info.value)
