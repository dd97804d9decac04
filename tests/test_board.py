"""The board model: distilled from a run, measured on its split, compiled, and equal on the host."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import torch

from hfwidgets.board.bundle import SKETCH_NAME, BoardExport, export_board
from hfwidgets.board.features import fit_window
from hfwidgets.board.forest import fit_forest
from hfwidgets.board.targets import NANO_33_BLE, UNO, check_fit
from hfwidgets.board.toolchain import arm_toolchain, run_on_host
from hfwidgets.cli import main
from hfwidgets.errors import HfwError
from hfwidgets.sensors.motions import simulate_windows
from hfwidgets.store import Project
from hfwidgets.training.config import TrainConfig
from hfwidgets.training.runner import train_project

torch.set_num_threads(1)
REPO = Path(__file__).resolve().parents[1]
TINY = {"model": "squeezenet1_1", "weights": "none", "frozen": ("stem",), "epochs": 1,
        "batch_size": 8, "num_threads": 1, "baseline": False}  # fmt: skip
needs_arm = pytest.mark.skipif(
    arm_toolchain() is None,
    reason="arm-none-eabi-gcc not installed (Debian: apt-get install gcc-arm-none-eabi; "
    "`make test` installs it): the Cortex-M4F compile check cannot run here",
)
needs_gcc = pytest.mark.skipif(shutil.which("gcc") is None, reason="no host C compiler (gcc)")


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Project]:
    windows, labels = simulate_windows(50, seed=3)  # 100 windows, 75 samples at 50 Hz
    with Project.create(tmp_path_factory.mktemp("board") / "p") as project:
        project.settings.set("scalogram", {"size": [32, 32]})
        for data, label in zip(windows, labels, strict=True):
            project.windows.add(data, rate_hz=50.0, source="sim", label=label)
        train_project(project, TrainConfig(**TINY))  # type: ignore[arg-type]
        yield project


@pytest.fixture(scope="module")
def exported(trained: Project, tmp_path_factory: pytest.TempPathFactory) -> BoardExport:
    return export_board(trained, out=tmp_path_factory.mktemp("out"))


@needs_gcc
def test_host_build_gives_the_int8_reference_exactly_on_100_stored_windows(
    exported: BoardExport, trained: Project
) -> None:
    model = exported.model
    windows = np.stack([fit_window(w.data, model.n_samples) for w in trained.windows.all()])
    assert len(windows) == 100
    quantised, proba = run_on_host(exported.sketch.parent, windows)
    expected_q = model.forest.quantise(model.features(windows))
    expected_p = model.predict_proba(windows)
    np.testing.assert_array_equal(quantised, expected_q)
    np.testing.assert_array_equal(proba.view(np.uint32), expected_p.view(np.uint32))  # bits
    assert len(np.unique(proba[:, 0])) > 2  # real probabilities, not a constant


@needs_arm
def test_cortex_m4f_compile_gives_sizes_within_the_nano_budget(exported: BoardExport) -> None:
    assert exported.size_source == "arm-none-eabi-size"
    assert 0 < exported.flash_bytes <= 256 * 1024
    assert 0 < exported.ram_bytes <= 64 * 1024
    # the forest's tables are in the object: more nodes, more flash
    assert exported.flash_bytes > 8 * len(exported.model.forest.nodes)
    assert exported.fits["nano33ble"]["fits"] is True


def test_accuracy_is_measured_on_the_runs_validation_windows(
    exported: BoardExport, trained: Project
) -> None:
    model = exported.model
    split = trained.splits.get(model.run_id)
    n_val = sum(part == "val" for part in split.values())
    assert model.board.on == model.run.on == "val"
    assert model.board.n == model.run.n == n_val > 0
    for figure in (model.board, model.run):
        assert figure.low <= figure.accuracy <= figure.high
        assert figure.accuracy == pytest.approx(figure.correct / figure.n)


def test_the_uno_is_refused_with_the_limit_and_the_size_needed(exported: BoardExport) -> None:
    uno = exported.fits["uno"]
    assert uno["fits"] is False
    assert uno["ram_needed"] > uno["ram_limit"] or any("double" in r for r in uno["reasons"])
    assert any(f"{uno['ram_needed']} bytes of RAM" in r for r in uno["reasons"])
    assert "Nano 33 BLE" in uno["instead"]
    huge = check_fit(NANO_33_BLE, flash_bytes=400_000, ram_bytes=70_000, table_bytes=390_000)
    assert not huge.fits
    assert "400000 bytes of flash" in huge.reasons[0]
    assert "262144" in huge.reasons[0]
    assert "70000 bytes of RAM" in huge.reasons[1]
    assert "65536" in huge.reasons[1]
    small = check_fit(UNO, flash_bytes=2000, ram_bytes=600, table_bytes=900)
    assert small.ram_needed == 1500  # the tables count against an AVR's RAM


def test_sketch_keeps_the_hfw_imu_protocol_and_prints_counts(exported: BoardExport) -> None:
    sketch = exported.sketch.read_text()
    original = (REPO / "firmware" / "hfw_imu" / "hfw_imu.ino").read_text()
    for part in ("bool setupImu() {", "void writeRegister", "uint8_t readRegister"):
        block = original[original.index(part) :].split("\n}\n", 1)[0]
        assert block in sketch, part
    assert "const unsigned long RATE_HZ = 50;" in sketch
    assert "Serial.begin(115200);" in sketch
    assert 'Serial.print(F("# hfw-imu v1 rate="));' in sketch  # the header hfwidgets reads
    assert "Serial.print(g[i], 4);" in sketch  # every sample still streamed, 4 decimals
    assert 'Serial.print(F("# count "));' in sketch
    assert "@" not in sketch.replace("@file", "")
    folder = exported.sketch.parent
    assert folder.name == SKETCH_NAME
    assert exported.sketch.name == f"{SKETCH_NAME}.ino"
    for name in ("hfw_board.h", "hfw_board_forest.h", "eml_trees.h", "eml_common.h", "README.md"):
        assert (folder / name).is_file(), name
    assert "#include <eml_" not in (folder / "eml_trees.h").read_text()  # found beside it


def test_the_student_follows_the_teacher_not_the_labels() -> None:
    rng = np.random.default_rng(0)
    features = rng.normal(size=(60, 10)).astype(np.float32)
    teacher = np.where(features[:, 3:4] > 0, [[0.9, 0.1]], [[0.2, 0.8]])  # the teacher's rule
    forest = fit_forest(features, teacher, trees=5, max_depth=3)
    test = rng.normal(size=(200, 10)).astype(np.float32)
    agree = (forest.predict_proba(test).argmax(1) == (test[:, 3] <= 0)).mean()
    assert agree > 0.9
    confident = forest.predict_proba(test[test[:, 3] > 1.0])[:, 0]
    # soft: the teacher's 0.9 is the ceiling (hard labels would give pure leaves of 1.0)
    assert confident.mean() > 0.6
    assert confident.max() <= 0.91


def test_cli_export_board_json_reports_sizes_and_accuracy(
    trained: Project, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "b"
    args = ["export", "--project", str(trained.path), "--format", "board", "--out", str(out)]
    assert main([*args, "--json"]) == 0
    report = json.loads(capsys.readouterr().out.strip().splitlines()[-1])["model"]
    assert report["size_source"] in ("arm-none-eabi-size", "estimate")
    assert report["flash_bytes"] > 0
    assert report["ram_bytes"] > 0
    assert 0.0 <= report["accuracy"] <= 1.0
    assert report["accuracy"] == report["board"]["accuracy"]
    assert json.loads((out / "board.json").read_text())["flash_bytes"] == report["flash_bytes"]
    assert main(args) == 0
    text = capsys.readouterr().out
    assert "uno: does not fit" in text
    assert "bytes of RAM" in text


def test_cross_validated_run_is_compared_on_the_same_folds(
    tmp_path: Path, punch_flex_dir: Path
) -> None:
    assert main(["import", "--project", str(tmp_path / "pf"), str(punch_flex_dir)]) == 0
    with Project.open(tmp_path / "pf") as project:
        project.settings.set("scalogram", {"size": [32, 32]})
        train_project(project, TrainConfig(**TINY, folds=5))  # type: ignore[arg-type]
        result = export_board(project, out=tmp_path / "out", positive="punch")
    model = result.model
    assert model.board.on == model.run.on == "cross-validation"
    assert model.board.n == model.run.n == 35
    assert model.positive == "punch"
    assert (result.sketch.parent / "hfw_board.h").read_text().count("#define HFW_BOARD_POSITIVE 1")


def test_a_changed_hfw_imu_sketch_is_refused_with_what_is_missing() -> None:
    from hfwidgets.board.sketch import board_sketch, hfw_imu_sketch_path

    original = hfw_imu_sketch_path().read_text()
    board_sketch(original, rate_hz=50, run_id=1, positive="high-five")  # the shipped one fits
    with pytest.raises(HfwError, match="no sample line"):
        board_sketch(original.replace("LSB_PER_G, 4", "LSB_PER_G, 3"), rate_hz=50, run_id=1,
                     positive="high-five")  # fmt: skip


@needs_gcc
def test_the_boards_streaming_counter_counts_where_the_reference_and_event_counter_do(
    exported: BoardExport, tmp_path: Path
) -> None:
    from hfwidgets.board.csource import write_c_sources
    from hfwidgets.board.toolchain import count_on_host
    from hfwidgets.live.counter import EventCounter
    from hfwidgets.sensors import simulate_session

    model = exported.model
    _, xyz, _ = simulate_session(60.0, rate_hz=50.0, seed=5)
    n, hop = model.n_samples, model.hop
    ends = list(range(n + hop - 2, len(xyz), hop))  # the sample after which the board predicts
    p = model.predict_proba(np.stack([xyz[i - n + 1 : i + 1] for i in ends]))
    positive = model.classes.index(model.positive)
    # levels this run's probabilities cross several times, so there is something to count
    model.threshold = float(np.quantile(p[:, positive], 0.85))
    model.release = float(np.quantile(p[:, positive], 0.5))
    write_c_sources(model, tmp_path)
    on_board = count_on_host(tmp_path, xyz)
    gap = round(model.min_gap_s * model.rate_hz)  # in samples, as the C counts it
    counter = EventCounter(
        threshold=float(np.float32(model.threshold)),
        release=float(np.float32(model.release)),
        min_gap_s=gap,  # time in samples: exact, as on the board
        consecutive=model.consecutive,
    )
    expected = [
        (i, event.count, float(prob[positive]))
        for i, prob in zip(ends, p, strict=True)
        if (event := counter.update(i, float(prob[positive]))) is not None
    ]
    assert len(expected) >= 2
    assert on_board == expected


def test_fitting_a_board_model_leaves_numpys_error_handling_as_it_was() -> None:
    """emlearn sets numpy.seterr(all="raise") on import; after a board model is fitted in a
    kernel, an underflow in a later scalogram must still pass quietly (a fresh interpreter, so
    the import is not one an earlier test already made)."""
    import subprocess
    import sys

    code = (
        "import numpy as np\n"
        "before = np.geterr()\n"
        "from hfwidgets.board.forest import fit_forest\n"
        "rng = np.random.default_rng(0)\n"
        "fit_forest(rng.normal(size=(40, 4)), rng.dirichlet([1.0, 1.0], 40))\n"
        "assert np.geterr() == before, np.geterr()\n"
        "np.array([1e-300]).astype(np.float32)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
