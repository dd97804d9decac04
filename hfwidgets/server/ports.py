"""Which serial ports could be the wrist sensor: pyserial's list plus ports named in config.

Pure functions (no Jupyter, no traitlets) so the ordering and the handling of a broken
extra-ports file are tested without a server.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path

from hfwidgets.sensors.ports import PortInfo, list_ports

__all__ = [
    "ENV_EXTRA_PORTS",
    "ENV_EXTRA_PORTS_FILE",
    "ENV_WITHOUT_HARDWARE_ID",
    "collect_ports",
    "collect_ports_from_environ",
    "ports_environ",
    "read_extra_ports_file",
    "system_ports",
]


def system_ports(*, include_without_hardware_id: bool = False) -> list[PortInfo]:
    """Serial ports this machine sees (`hfwidgets.sensors.list_ports`), likely Arduino first.

    Parameters
    ----------
    include_without_hardware_id
        Also list the legacy on-board UARTs (``/dev/ttyS0``) that no sensor is on.
    """
    return list_ports(include_links=False, include_without_hardware_id=include_without_hardware_id)


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


def _configured_port(name: str) -> tuple[PortInfo | None, str | None]:
    if "://" in name:  # a pyserial URL (socket://, rfc2217://, loop://): nothing to check
        return PortInfo(device=name, description="configured URL", origin="config"), None
    if not Path(name).exists():
        return None, f"configured port {name} does not exist (is the simulator running?)"
    return PortInfo(device=name, description="configured port", origin="config"), None


def collect_ports(
    *,
    extra_ports: Iterable[str] = (),
    extra_ports_file: str | Path | None = None,
    include_without_hardware_id: bool = False,
    list_system: Callable[..., Sequence[PortInfo]] = system_ports,
) -> tuple[list[PortInfo], list[str]]:
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


# Environment variables carrying the server's `HfwPorts` settings to the kernels it starts.
ENV_EXTRA_PORTS = "HFW_EXTRA_PORTS"  # a JSON list of port paths/URLs (or one path)
ENV_EXTRA_PORTS_FILE = "HFW_EXTRA_PORTS_FILE"  # an absolute path to the extra ports file
ENV_WITHOUT_HARDWARE_ID = "HFW_PORTS_WITHOUT_HARDWARE_ID"  # "1" lists /dev/ttyS* too


def ports_environ(
    *,
    extra_ports: Iterable[str] = (),
    extra_ports_file: str | Path | None = None,
    include_without_hardware_id: bool = False,
) -> dict[str, str]:
    """The environment variables that make `collect_ports_from_environ` see these settings.

    A relative ``extra_ports_file`` is made absolute here (the server's folder), since kernels
    run in the notebook's folder.
    """
    env = {
        ENV_EXTRA_PORTS: json.dumps(list(extra_ports)),
        ENV_WITHOUT_HARDWARE_ID: "1" if include_without_hardware_id else "0",
    }
    env[ENV_EXTRA_PORTS_FILE] = str(Path(extra_ports_file).resolve()) if extra_ports_file else ""
    return env


def collect_ports_from_environ(
    environ: Mapping[str, str] | None = None,
    *,
    list_system: Callable[..., Sequence[PortInfo]] = system_ports,
) -> tuple[list[PortInfo], list[str]]:
    """`collect_ports` with the settings found in ``environ`` (default: ``os.environ``).

    In a kernel started by a Jupyter server with the hfwidgets extension these are the server's
    `HfwPorts` settings, so the Workbench lists exactly the ports the status bar shows.
    """
    env = os.environ if environ is None else environ
    raw = env.get(ENV_EXTRA_PORTS, "").strip()
    warnings: list[str] = []
    extra: list[str] = []
    if raw.startswith("["):
        try:
            loaded = json.loads(raw)
        except json.JSONDecodeError as error:
            loaded = []
            warnings.append(f"${ENV_EXTRA_PORTS} is not a JSON list ({error}); ignoring it")
        extra = [str(item) for item in loaded] if isinstance(loaded, list) else []
    elif raw:
        extra = [raw]
    ports, more = collect_ports(
        extra_ports=extra,
        extra_ports_file=env.get(ENV_EXTRA_PORTS_FILE) or None,
        include_without_hardware_id=env.get(ENV_WITHOUT_HARDWARE_ID, "0") == "1",
        list_system=list_system,
    )
    return ports, warnings + more
