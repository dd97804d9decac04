"""Which serial ports could be the wrist sensor: pyserial's list plus ports named in config.

Pure functions (no Jupyter, no traitlets) so the ordering and the handling of a broken
extra-ports file are tested without a server.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

from serial.tools import list_ports

__all__ = [
    "ARDUINO_USB_VIDS",
    "SerialPort",
    "collect_ports",
    "is_likely_arduino",
    "read_extra_ports_file",
    "system_ports",
]

#: USB vendor ids of Arduino boards and of the USB-serial chips their clones carry.
ARDUINO_USB_VIDS: dict[int, str] = {
    0x2341: "Arduino",
    0x2A03: "Arduino.org",
    0x1B4F: "SparkFun",
    0x239A: "Adafruit",
    0x1A86: "QinHeng CH340 (Arduino clone)",
    0x0403: "FTDI",
    0x10C4: "Silicon Labs CP210x",
}


@dataclass(frozen=True)
class SerialPort:
    """One port as the ``GET /hfwidgets/ports`` endpoint reports it."""

    device: str
    description: str = ""
    manufacturer: str = ""
    hwid: str = ""
    vid: int | None = None
    pid: int | None = None
    serial_number: str = ""
    likely_arduino: bool = False
    origin: Literal["system", "config"] = "system"

    def to_json(self) -> dict[str, Any]:
        """The JSON object the endpoint sends for this port."""
        return asdict(self)


def is_likely_arduino(*, vid: int | None, description: str = "", manufacturer: str = "") -> bool:
    """True for an Arduino's USB id or descriptor, or a USB-serial chip that clones use."""
    if vid in ARDUINO_USB_VIDS:
        return True
    text = f"{description} {manufacturer}".lower()
    return "arduino" in text


def system_ports(*, include_without_hardware_id: bool = False) -> list[SerialPort]:
    """Serial ports pyserial finds on this machine.

    Parameters
    ----------
    include_without_hardware_id
        Also list ports without a hardware id (pyserial's ``hwid == "n/a"``): the built-in
        legacy UARTs (``/dev/ttyS0``) that every Linux machine shows and no sensor is on.
    """
    ports = []
    for info in list_ports.comports():
        hwid = info.hwid or ""
        if not include_without_hardware_id and hwid in ("", "n/a"):
            continue
        description = "" if info.description in (None, "n/a") else info.description
        manufacturer = info.manufacturer or ""
        ports.append(
            SerialPort(
                device=info.device,
                description=description,
                manufacturer=manufacturer,
                hwid=hwid,
                vid=info.vid,
                pid=info.pid,
                serial_number=info.serial_number or "",
                likely_arduino=is_likely_arduino(
                    vid=info.vid, description=description, manufacturer=manufacturer
                ),
            )
        )
    return ports


def read_extra_ports_file(path: str | Path) -> tuple[list[str], list[str]]:
    """Read the ports listed in a JSON file; return ``(ports, warnings)``, never raise.

    The file holds a list of port paths/URLs, or ``{"ports": [...]}``. It is re-read on each
    request, so a test or a helper script can add the simulated Arduino's pty while the server
    runs. A missing file means "no extra ports"; a broken one is a warning naming the file.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return [], []
    except OSError as error:
        return [], [f"extra ports file {path} cannot be read: {error.strerror}"]
    try:
        data = json.loads(text) if text.strip() else []
    except json.JSONDecodeError as error:
        return [], [f"extra ports file {path} is not valid JSON ({error}); fix or delete it"]
    if isinstance(data, dict):
        data = data.get("ports", [])
    if not isinstance(data, list) or not all(isinstance(item, str) for item in data):
        return [], [f'extra ports file {path} must hold a list of port paths or {{"ports": [...]}}']
    return list(data), []


def _configured_port(name: str) -> tuple[SerialPort | None, str | None]:
    if "://" in name:  # a pyserial URL (socket://, rfc2217://, loop://): nothing to check
        return SerialPort(device=name, description="configured URL", origin="config"), None
    if not Path(name).exists():
        return None, f"configured port {name} does not exist (is the simulator running?)"
    return SerialPort(device=name, description="configured port", origin="config"), None


def collect_ports(
    *,
    extra_ports: Iterable[str] = (),
    extra_ports_file: str | Path | None = None,
    include_without_hardware_id: bool = False,
    list_system: Callable[..., Sequence[SerialPort]] = system_ports,
) -> tuple[list[SerialPort], list[str]]:
    """All candidate ports, likely Arduino first, then configured ones, then the rest.

    Parameters
    ----------
    extra_ports
        Port paths or pyserial URLs named in configuration (``HfwPorts.extra_ports``).
    extra_ports_file
        A JSON file with more of them, re-read on every call (``HfwPorts.extra_ports_file``).
    include_without_hardware_id
        Passed to `system_ports`.
    list_system
        Replaces `system_ports` (tests pass a fake machine).

    Returns
    -------
    ports, warnings
        ``warnings`` are sentences for a person (a broken file, a configured pty that is gone).
    """
    warnings: list[str] = []
    names = list(extra_ports)
    if extra_ports_file:
        from_file, file_warnings = read_extra_ports_file(extra_ports_file)
        names.extend(from_file)
        warnings.extend(file_warnings)
    try:
        found = list(list_system(include_without_hardware_id=include_without_hardware_id))
    except Exception as error:  # pyserial reads sysfs/registry; a failure must not hide config
        found = []
        warnings.append(f"listing system serial ports failed: {error}")
    seen = {port.device for port in found}
    configured = []
    for name in dict.fromkeys(names):  # keep order, drop repeats
        if name in seen:
            continue
        port, warning = _configured_port(name)
        if warning:
            warnings.append(warning)
        if port is not None:
            configured.append(port)
            seen.add(name)
    arduinos = [port for port in found if port.likely_arduino]
    others = [port for port in found if not port.likely_arduino]
    return arduinos + configured + others, warnings
