"""``hfw export --format board``: the board model, its Arduino sketch and its figures, in a folder.

``OUT/hfw_imu_board/`` is an Arduino sketch folder (open ``hfw_imu_board.ino``): the hfw_imu
sketch with the board model beside it. ``OUT/board.json`` holds the figures: the board model's
validation accuracy next to the run's (same windows, 95 % Wilson intervals), flash and RAM
(``arm-none-eabi-size`` on the compiled inference object where the toolchain is installed, else
an estimate from the converted tables, and which of the two), an estimated latency, and whether
it fits each board with the reasons when it does not.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from hfwidgets.board.csource import write_c_sources
from hfwidgets.board.distill import DEFAULT_DEPTH, DEFAULT_TREES, BoardModel, distil_run
from hfwidgets.board.forest import mean_visits
from hfwidgets.board.sketch import board_sketch, hfw_imu_sketch_path
from hfwidgets.board.targets import NANO_33_BLE, TARGETS, check_fit
from hfwidgets.board.toolchain import arm_toolchain, compile_cortex_m4f
from hfwidgets.errors import HfwError

if TYPE_CHECKING:
    from hfwidgets.store import Project

__all__ = ["SKETCH_NAME", "BoardExport", "estimate_latency_ms", "export_board"]

SKETCH_NAME = "hfw_imu_board"
# Code of the glue and emlearn's runtime compiled for the Cortex-M4F, without tables (-Os,
# measured with arm-none-eabi-size: docs/board.md); the estimate when no toolchain is here.
_CODE_BYTES_ESTIMATE = 1600
_STACK_BYTES_ESTIMATE = 700


@dataclass
class BoardExport:
    """What ``export_board`` wrote and measured (``to_dict`` is ``hfw export --json``)."""

    out: Path
    sketch: Path
    model: BoardModel
    flash_bytes: int
    ram_bytes: int
    size_source: str  # "arm-none-eabi-size" or "estimate"
    latency_ms: float
    fits: dict[str, dict[str, Any]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        model = self.model
        return {
            "out": str(self.out),
            "sketch": str(self.sketch),
            "run_id": model.run_id,
            "classes": model.classes,
            "positive": model.positive,
            "threshold": model.threshold,
            "accuracy": model.board.accuracy,
            "board": model.board.to_dict(),
            "run": model.run.to_dict(),
            "flash_bytes": self.flash_bytes,
            "ram_bytes": self.ram_bytes,
            "size_source": self.size_source,
            "latency_ms": self.latency_ms,
            "latency_source": "estimate",
            "target": NANO_33_BLE.name,
            "fits": self.fits,
            "model": {
                "kind": "emlearn random forest, int8 features, 8-bit leaves",
                "trees": model.forest.n_trees,
                "nodes": len(model.forest.nodes),
                "features": model.forest.n_features,
                "window_samples": model.n_samples,
                "rate_hz": model.rate_hz,
                "hop_samples": model.hop,
            },
        }


def _table_bytes(model: BoardModel) -> int:
    forest = model.forest
    return 8 * len(forest.nodes) + 4 * forest.n_trees + forest.leaves.size


def estimate_latency_ms(model: BoardModel, windows: list[np.ndarray], *, clock_hz: float) -> float:
    """Estimated time of one prediction on a Cortex-M4F at ``clock_hz`` (not measured on a board).

    Cycles: 10 per tree node visited (mean over ``windows``), 25 per tree (the leaf's
    proportions), 8 per window sample and axis (min/max), 120 per feature (software double
    multiply and conversions).
    """
    visits = mean_visits(model.forest, model.forest.quantise(model.features(windows)))
    cycles = (
        10 * visits
        + 25 * model.forest.n_trees
        + 8 * 3 * model.n_samples
        + 120 * model.forest.n_features
    )
    return 1000.0 * cycles / clock_hz


def _write_sketch(model: BoardModel, folder: Path) -> Path:
    if float(model.rate_hz) != int(model.rate_hz):
        raise HfwError(
            f"the run's rate is {model.rate_hz:g} Hz; the sketch samples at whole Hz: set the "
            "project rate to a whole number and train again"
        )
    text = board_sketch(
        hfw_imu_sketch_path().read_text(),
        rate_hz=int(model.rate_hz),
        run_id=model.run_id,
        positive=model.positive,
    )
    folder.mkdir(parents=True, exist_ok=True)
    sketch = folder / f"{SKETCH_NAME}.ino"
    sketch.write_text(text)
    write_c_sources(model, folder)
    return sketch


def export_board(
    project: Project,
    *,
    out: str | Path,
    run_id: int | None = None,
    trees: int | None = None,
    max_depth: int | None = None,
    positive: str | None = None,
) -> BoardExport:
    """Distil run ``run_id`` (default: latest) into a board model and write it to folder ``out``.

    Raises
    ------
    HfwError
        No trained run, a rate the sketch cannot sample at, or C that does not compile.
    """
    model = distil_run(
        project,
        run_id,
        trees=trees or DEFAULT_TREES,
        max_depth=max_depth or DEFAULT_DEPTH,
        positive=positive,
    )
    out = Path(out)
    sketch = _write_sketch(model, out / SKETCH_NAME)
    tables = _table_bytes(model)
    if arm_toolchain() is not None:
        size = compile_cortex_m4f(sketch.parent)
        flash, ram, source = size.flash_bytes, size.ram_bytes, "arm-none-eabi-size"
    else:
        flash = tables + _CODE_BYTES_ESTIMATE
        ram = 4 * 3 * model.n_samples + 64 + _STACK_BYTES_ESTIMATE
        source = "estimate"
    windows = [w.data for w in project.windows.all() if w.label is not None]
    latency = estimate_latency_ms(model, windows, clock_hz=NANO_33_BLE.clock_hz)
    fits = {
        name: check_fit(target, flash_bytes=flash, ram_bytes=ram, table_bytes=tables).to_dict()
        for name, target in TARGETS.items()
    }
    if not fits["uno"]["fits"]:
        fits["uno"]["instead"] = (
            f"a Cortex-M4F board such as the {NANO_33_BLE.title} ({NANO_33_BLE.ram_bytes // 1024}"
            f" KB RAM, {NANO_33_BLE.flash_bytes // 1024} KB flash) holds this model"
        )
    result = BoardExport(out, sketch, model, flash, ram, source, latency, fits)
    (out / "board.json").write_text(json.dumps(result.to_dict(), indent=2))
    (sketch.parent / "README.md").write_text(_readme(result))
    return result


def _readme(result: BoardExport) -> str:
    model = result.model
    return (
        f"# {SKETCH_NAME}: counts motions on the board (run {model.run_id})\n\n"
        f"Open `{SKETCH_NAME}.ino` in the Arduino IDE for an Arduino Nano 33 BLE class board "
        "(Cortex-M4F) with an MPU-9250 wired as in hfwidgets' `firmware/README.md`. It streams "
        "every sample in the hfw-imu v1 protocol, as `hfw_imu` does, and prints "
        f"`# count N p=0.97` each time it counts a {model.positive!r} "
        f"(p >= {model.threshold:g}).\n\n"
        f"- board model: {model.board.accuracy:.3f} on {model.board.on} "
        f"({model.board.correct}/{model.board.n}); the run's network: {model.run.accuracy:.3f}\n"
        f"- flash {result.flash_bytes} B, RAM {result.ram_bytes} B ({result.size_source})\n"
        "- `eml_*.h`: emlearn's runtime (MIT licence, https://github.com/emlearn/emlearn)\n"
    )
