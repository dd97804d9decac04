"""Compile the board model's C: for the Cortex-M4F (sizes) and for this computer (parity).

``arm-none-eabi-gcc`` (Debian's ``gcc-arm-none-eabi``) compiles the inference code to an
object for the Nano 33 BLE's Cortex-M4F; ``arm-none-eabi-size`` reads its sections and
``-fstack-usage`` its stack frames. The same sources compiled with the host's ``gcc`` run the
stored windows through the C and give back its int8 features and probabilities.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hfwidgets.errors import HfwError

__all__ = [
    "CORTEX_M4F_FLAGS",
    "ObjectSize",
    "arm_toolchain",
    "compile_cortex_m4f",
    "count_on_host",
    "run_on_host",
]

CORTEX_M4F_FLAGS = (
    "-mcpu=cortex-m4", "-mthumb", "-mfpu=fpv4-sp-d16", "-mfloat-abi=hard",
    "-Os", "-std=c99", "-Wall", "-Werror=implicit-function-declaration",
)  # fmt: skip

# One translation unit that keeps every entry point the sketch calls (a static function that
# nothing calls would be dropped and its size with it).
_OBJECT_C = """#include "hfw_board.h"
int hfw_board_step(float ax, float ay, float az) { return hfw_board_push(ax, ay, az); }
int32_t hfw_board_total(void) { return hfw_board_count(); }
float hfw_board_p_last(void) { return hfw_board_last_p(); }
"""

# Host program: stdin int32 count, then count windows of N x 3 float32 (oldest first);
# stdout per window the int16 features, then the float32 probabilities, raw bytes.
_HOST_C = """#include <stdio.h>
#include "hfw_board.h"
int main(void) {
  int32_t count;
  static float ring[HFW_BOARD_N][3];
  if (fread(&count, sizeof count, 1, stdin) != 1) return 2;
  for (int32_t w = 0; w < count; w++) {
    if (fread(ring, sizeof ring, 1, stdin) != 1) return 3;
    float proba[HFW_BOARD_CLASSES];
    int16_t q[HFW_BOARD_FEATURES];
    if (hfw_board_proba(ring, 0, proba, q) != 0) return 4;
    fwrite(q, sizeof q, 1, stdout);
    fwrite(proba, sizeof proba, 1, stdout);
  }
  return 0;
}
"""


# Streaming program: stdin int32 count, then count samples of 3 float32; stdout one record per
# counted motion: int32 sample index, int32 count, float32 p (what the sketch prints).
_STREAM_C = """#include <stdio.h>
#include "hfw_board.h"
int main(void) {
  int32_t count;
  float xyz[3];
  if (fread(&count, sizeof count, 1, stdin) != 1) return 2;
  for (int32_t i = 0; i < count; i++) {
    if (fread(xyz, sizeof xyz, 1, stdin) != 1) return 3;
    if (hfw_board_push(xyz[0], xyz[1], xyz[2])) {
      int32_t total = hfw_board_count();
      float p = hfw_board_last_p();
      fwrite(&i, sizeof i, 1, stdout);
      fwrite(&total, sizeof total, 1, stdout);
      fwrite(&p, sizeof p, 1, stdout);
    }
  }
  return 0;
}
"""


@dataclass(frozen=True)
class ObjectSize:
    """Sections of the compiled inference object (``arm-none-eabi-size``), bytes."""

    text: int
    data: int
    bss: int
    stack: int  # sum of the object's stack frames (-fstack-usage): an upper bound

    @property
    def flash_bytes(self) -> int:
        return self.text + self.data

    @property
    def ram_bytes(self) -> int:
        return self.data + self.bss + self.stack


def arm_toolchain() -> tuple[str, str] | None:
    """Paths of ``arm-none-eabi-gcc`` and ``arm-none-eabi-size``, or None when not installed."""
    gcc, size = shutil.which("arm-none-eabi-gcc"), shutil.which("arm-none-eabi-size")
    return (gcc, size) if gcc and size else None


def _run(cmd: list[str], *, what: str, **kwargs: object) -> subprocess.CompletedProcess[bytes]:
    done = subprocess.run(cmd, capture_output=True, check=False, **kwargs)  # type: ignore[call-overload]
    if done.returncode != 0:
        raise HfwError(f"{what} failed ({' '.join(cmd[:1])}): {done.stderr.decode()[-2000:]}")
    return done  # type: ignore[no-any-return]


def compile_cortex_m4f(source_dir: Path) -> ObjectSize:
    """Compile ``source_dir``'s ``hfw_board.h`` for the Cortex-M4F; the object's sizes.

    Raises
    ------
    HfwError
        The toolchain is not installed, or the C does not compile (the compiler's message).
    """
    tools = arm_toolchain()
    if tools is None:
        raise HfwError(
            "arm-none-eabi-gcc is not installed (Debian: apt-get install gcc-arm-none-eabi)"
        )
    gcc, size = tools
    with tempfile.TemporaryDirectory(prefix="hfw-board-") as tmp:
        unit = Path(tmp) / "hfw_board_object.c"
        unit.write_text(_OBJECT_C)
        obj = Path(tmp) / "hfw_board_object.o"
        _run(
            [gcc, *CORTEX_M4F_FLAGS, "-fstack-usage", f"-I{source_dir}", "-c", str(unit),
             "-o", str(obj)],
            what="compiling the board model for the Cortex-M4F", cwd=tmp,
        )  # fmt: skip
        gxx = shutil.which("arm-none-eabi-g++")
        if gxx is not None:  # the sketch compiles it as C++ (an .ino is C++): that must work too
            _run(
                [gxx, *CORTEX_M4F_FLAGS[:5], "-std=gnu++11", "-x", "c++", f"-I{source_dir}",
                 "-c", str(unit), "-o", str(Path(tmp) / "cxx.o")],
                what="compiling the board model as C++ (as the sketch does)", cwd=tmp,
            )  # fmt: skip
        out = _run([size, "-A", str(obj)], what="arm-none-eabi-size").stdout.decode()
        sections: dict[str, int] = {}
        for line in out.splitlines():
            parts = line.split()
            if len(parts) >= 2 and parts[0].startswith(".") and parts[1].isdigit():
                sections[parts[0]] = sections.get(parts[0], 0) + int(parts[1])
        text = sum(v for k, v in sections.items() if k.startswith((".text", ".rodata")))
        data = sum(v for k, v in sections.items() if k.startswith(".data"))
        bss = sum(v for k, v in sections.items() if k.startswith((".bss", "COMMON")))
        stack = 0
        for su in Path(tmp).glob("*.su"):
            for line in su.read_text().splitlines():
                fields = line.split("\t")
                if len(fields) >= 2 and fields[1].strip().isdigit():
                    stack += int(fields[1])
    return ObjectSize(text=text, data=data, bss=bss, stack=stack)


def run_on_host(source_dir: Path, windows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Run the board C compiled with this computer's ``gcc`` on windows ``[B, N, 3]``.

    Returns the C's int8 features ``[B, F]`` (int16) and probabilities ``[B, C]`` (float32).
    """
    header = (source_dir / "hfw_board.h").read_text()

    def define(name: str) -> int:
        for line in header.splitlines():
            if line.startswith(f"#define {name} "):
                return int(line.split()[2])
        raise HfwError(f"{source_dir}/hfw_board.h lacks {name}")

    n, n_features = define("HFW_BOARD_N"), define("HFW_BOARD_FEATURES")
    n_classes = define("HFW_BOARD_CLASSES")
    array = np.ascontiguousarray(windows, dtype=np.float32)
    if array.ndim != 3 or array.shape[1:] != (n, 3):
        raise ValueError(f"windows must have shape [B, {n}, 3], got {array.shape}")
    raw = _host_program(source_dir, _HOST_C, np.int32(len(array)).tobytes() + array.tobytes())
    record = np.dtype([("q", "<i2", (n_features,)), ("p", "<f4", (n_classes,))])
    rows = np.frombuffer(raw, dtype=record, count=len(array))
    return rows["q"].astype(np.int16), rows["p"].astype(np.float32)


def _host_program(source_dir: Path, program: str, stdin: bytes) -> bytes:
    """Compile ``program`` against ``source_dir`` with the host's gcc, run it on ``stdin``."""
    gcc = shutil.which("gcc") or shutil.which("cc")
    if gcc is None:
        raise HfwError("no C compiler (gcc) on this computer")
    with tempfile.TemporaryDirectory(prefix="hfw-board-host-") as tmp:
        main = Path(tmp) / "host.c"
        main.write_text(program)
        exe = Path(tmp) / "host"
        _run([gcc, "-O2", "-std=c99", f"-I{source_dir}", str(main), "-o", str(exe), "-lm"],
             what="compiling the board model for this computer")  # fmt: skip
        return _run([str(exe)], what="running the board model on this computer", input=stdin).stdout


def count_on_host(source_dir: Path, samples: np.ndarray) -> list[tuple[int, int, float]]:
    """Stream ``samples`` ``[n, 3]`` through the board's ``hfw_board_push`` on this computer.

    Returns ``(sample index, count, p)`` for every motion the board counted, as the sketch
    would print ``# count`` after that sample.
    """
    array = np.ascontiguousarray(samples, dtype=np.float32)
    if array.ndim != 2 or array.shape[1] != 3:
        raise ValueError(f"samples must have shape [n, 3], got {array.shape}")
    raw = _host_program(source_dir, _STREAM_C, np.int32(len(array)).tobytes() + array.tobytes())
    rows = np.frombuffer(raw, dtype=np.dtype([("i", "<i4"), ("n", "<i4"), ("p", "<f4")]))
    return [(int(r["i"]), int(r["n"]), float(r["p"])) for r in rows]
