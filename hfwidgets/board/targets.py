"""The boards the board model is built for, and whether a model of a given size fits one.

The Nano 33 BLE class (nRF52840, Cortex-M4F with a single-precision FPU, 1 MB flash, 256 KB
RAM) is the target. The budget for the model and its inference code is a quarter of each
(256 KB flash, 64 KB RAM), leaving the rest to the Arduino core, Serial, Wire and BLE. An AVR
Uno is named so the export can say why it is not a target.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["NANO_33_BLE", "TARGETS", "UNO", "BoardTarget", "Fit", "check_fit"]


@dataclass(frozen=True)
class BoardTarget:
    """A board: its memories, the share of them the model may use, and how it stores tables.

    ``const_in_ram``: the compiler copies ``static const`` tables into RAM (AVR does unless
    they are marked PROGMEM, which emlearn's generated tables are not).
    ``double_bits``: width of C's ``double`` (AVR's is 32 bits, so the int8 features would not
    be those of the reference).
    """

    name: str
    title: str
    cpu: str
    clock_hz: float
    flash_bytes: int
    ram_bytes: int
    model_flash_bytes: int
    model_ram_bytes: int
    const_in_ram: bool = False
    double_bits: int = 64
    fpu: bool = True


NANO_33_BLE = BoardTarget(
    name="nano33ble", title="Arduino Nano 33 BLE", cpu="Cortex-M4F", clock_hz=64e6,
    flash_bytes=1024 * 1024, ram_bytes=256 * 1024,
    model_flash_bytes=256 * 1024, model_ram_bytes=64 * 1024,
)  # fmt: skip
UNO = BoardTarget(
    name="uno", title="Arduino Uno", cpu="ATmega328P (AVR)", clock_hz=16e6,
    flash_bytes=32 * 1024 - 512, ram_bytes=2048,
    model_flash_bytes=32 * 1024 - 512 - 6 * 1024,  # the core, Serial and Wire take ~6 KB
    model_ram_bytes=2048 - 600,  # Serial and Wire buffers, the core's globals, the stack
    const_in_ram=True, double_bits=32, fpu=False,
)  # fmt: skip
TARGETS = {t.name: t for t in (NANO_33_BLE, UNO)}


@dataclass(frozen=True)
class Fit:
    """Whether the model fits ``target``, and each limit it passes, said plainly."""

    target: str
    fits: bool
    flash_needed: int
    ram_needed: int
    flash_limit: int
    ram_limit: int
    reasons: tuple[str, ...]

    def to_dict(self) -> dict[str, object]:
        return {
            "target": self.target,
            "fits": self.fits,
            "flash_needed": self.flash_needed,
            "ram_needed": self.ram_needed,
            "flash_limit": self.flash_limit,
            "ram_limit": self.ram_limit,
            "reasons": list(self.reasons),
        }


def check_fit(target: BoardTarget, *, flash_bytes: int, ram_bytes: int, table_bytes: int) -> Fit:
    """Check a model of ``flash_bytes``/``ram_bytes`` (``table_bytes`` of them constant tables).

    On a board that keeps constant tables in RAM the tables count against RAM as well.
    """
    ram = ram_bytes + (table_bytes if target.const_in_ram else 0)
    reasons = []
    if flash_bytes > target.model_flash_bytes:
        reasons.append(
            f"the model needs {flash_bytes} bytes of flash; the {target.title} leaves it "
            f"{target.model_flash_bytes} (of {target.flash_bytes})"
        )
    if ram > target.model_ram_bytes:
        where = (
            f" ({table_bytes} of them the forest's tables, which an AVR copies into RAM)"
            if target.const_in_ram
            else ""
        )
        reasons.append(
            f"the model needs {ram} bytes of RAM{where}; the {target.title} leaves it "
            f"{target.model_ram_bytes} (of {target.ram_bytes})"
        )
    if target.double_bits < 64:
        reasons.append(
            f"its C double has {target.double_bits} bits, so the int8 features would differ "
            "from the reference's"
        )
    return Fit(
        target=target.name,
        fits=not reasons,
        flash_needed=int(flash_bytes),
        ram_needed=int(ram),
        flash_limit=target.model_flash_bytes,
        ram_limit=target.model_ram_bytes,
        reasons=tuple(reasons),
    )
