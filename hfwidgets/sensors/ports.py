"""Which serial ports this machine sees, likely Arduinos first.

Wraps ``serial.tools.list_ports`` so the CLI, the server's ``/hfwidgets/ports`` endpoint and the
error for a missing port all agree on the list and its order. `PortInfo` is the one description
of a port: the server sends ``PortInfo.to_json()`` and adds ports named in its configuration
with ``origin="config"``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

from serial.tools import list_ports as _list_ports

__all__ = ["ARDUINO_USB_VIDS", "PortInfo", "describe_ports", "is_likely_arduino", "list_ports"]

#: USB vendor ids of Arduino boards and the USB-serial chips on their clones.
ARDUINO_USB_VIDS = {
    0x2341: "Arduino",
    0x2A03: "Arduino (arduino.org)",
    0x1B4F: "SparkFun",
    0x1A86: "CH340 USB-serial (Arduino clone)",
    0x0403: "FTDI USB-serial",
    0x10C4: "Silicon Labs CP210x USB-serial",
    0x239A: "Adafruit",
    0x2E8A: "Raspberry Pi (RP2040)",
}


@dataclass(frozen=True)
class PortInfo:
    """One serial port.

    Attributes
    ----------
    device : str
        The path to open, e.g. ``/dev/ttyACM0`` or ``COM3``.
    description : str
        What the OS calls it ("" when it does not say).
    manufacturer, hwid, serial_number : str
        As pyserial reports them ("" when unknown).
    vid, pid : int or None
        USB vendor and product id (None for non-USB ports).
    likely_arduino : bool
        The vendor id is an Arduino or a USB-serial chip used on Arduino boards.
    origin : "system" or "config"
        Seen on this machine, or named in the server's configuration (``HfwPorts``).
    """

    device: str
    description: str = ""
    manufacturer: str = ""
    hwid: str = ""
    vid: int | None = None
    pid: int | None = None
    serial_number: str = ""
    likely_arduino: bool = False
    origin: Literal["system", "config"] = "system"

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able form: what ``GET /hfwidgets/ports`` sends for this port."""
        return asdict(self)

    to_json = to_dict  # the server's name for it


def is_likely_arduino(*, vid: int | None, description: str = "", manufacturer: str = "") -> bool:
    """True for an Arduino's USB vendor id or descriptor, or a USB-serial chip clones use."""
    if vid in ARDUINO_USB_VIDS:
        return True
    return "arduino" in f"{description} {manufacturer}".lower()


def list_ports(
    *, include_links: bool = True, include_without_hardware_id: bool = True
) -> list[PortInfo]:
    """Serial ports, likely Arduinos first, then by device name.

    Parameters
    ----------
    include_links
        Also list symlinks such as ``/dev/serial/by-id/...`` (stable names).
    include_without_hardware_id
        Also list ports without a hardware id (pyserial's ``hwid == "n/a"``): the legacy
        on-board UARTs (``/dev/ttyS0``) every Linux machine shows and no sensor is on.
    """
    found = []
    for p in _list_ports.comports(include_links=include_links):
        hwid = p.hwid or ""
        if not include_without_hardware_id and hwid in ("", "n/a"):
            continue
        description = "" if p.description in (None, "n/a") else p.description
        manufacturer = p.manufacturer or ""
        found.append(
            PortInfo(
                device=p.device,
                description=description,
                hwid=hwid,
                manufacturer=manufacturer,
                vid=p.vid,
                pid=p.pid,
                serial_number=p.serial_number or "",
                likely_arduino=is_likely_arduino(
                    vid=p.vid, description=description, manufacturer=manufacturer
                ),
            )
        )
    return sorted(found, key=lambda p: (not p.likely_arduino, p.device))


def describe_ports(ports: list[PortInfo] | None = None) -> str:
    """One line for error messages: the ports seen, or that there are none."""
    ports = list_ports() if ports is None else ports
    if not ports:
        return "no serial ports are visible (is the board plugged in and the cable a data cable?)"
    names = ", ".join(f"{p.device} ({p.description})" if p.description else p.device for p in ports)
    return f"ports seen: {names}"
