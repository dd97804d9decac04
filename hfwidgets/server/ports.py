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

from hfwidgets.sensors.ports import list_ports

__all__ = [
    "SerialPort",
    "collect_ports",
    "read_extra_ports_file",
    "system_ports",
]


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


def system_ports(*, include_without_hardware_id: bool = False) -> list[SerialPort]:
    """Serial ports this machine sees (`hfwidgets.sensors.list_ports`), likely Arduino first.

    Parameters
    ----------
    include_without_hardware_id
        Also list the legacy on-board UARTs (``/dev/ttyS0``) that no sensor is on.
    """
    return [
        SerialPort(
            device=info.device,
            description=info.description,
            manufacturer=info.manufacturer,
            hwid=info.hwid,
            vid=info.vid,
            pid=info.pid,
            serial_number=info.serial_number or "",
            likely_arduino=info.likely_arduino,
        )
        for info in list_ports(
            include_links=False, include_without_hardware_id=include_without_hardware_id
        )
    ]


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
