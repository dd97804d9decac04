"""The hfwidgets server extension: port listing and workbench creation, pure and over HTTP."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from pathlib import Path

import nbformat
import pytest
from serial.tools.list_ports_common import ListPortInfo

from hfwidgets._paths import WORKBENCH_TEMPLATE
from hfwidgets.errors import HfwError
from hfwidgets.sensors.port_config import (
    collect_ports,
    read_extra_ports_file,
    system_ports,
)
from hfwidgets.sensors.ports import PortInfo, is_likely_arduino
from hfwidgets.server.workbench_notebook import create_workbench_notebook
from tests.jupyter import LabServer, open_pty, start_lab

# --- pure logic -------------------------------------------------------------------------------


def fake_machine(*ports: PortInfo) -> Callable[..., list[PortInfo]]:
    def list_system(*, include_without_hardware_id: bool = False) -> list[PortInfo]:
        return list(ports)

    return list_system


def test_likely_arduino_comes_first_then_configured_then_others(pty_path: str) -> None:
    uart = PortInfo(device="/dev/ttyUSB3", hwid="USB VID:PID=067B:2303", vid=0x067B)
    uno = PortInfo(device="/dev/ttyACM0", vid=0x2341, likely_arduino=True)
    ports, warnings = collect_ports(
        extra_ports=[pty_path, "socket://localhost:7000", pty_path],
        list_system=fake_machine(uart, uno),
    )
    assert [p.device for p in ports] == [
        "/dev/ttyACM0",
        pty_path,
        "socket://localhost:7000",
        "/dev/ttyUSB3",
    ]
    assert [p.origin for p in ports] == ["system", "config", "config", "system"]
    assert warnings == []


def test_configured_port_that_is_gone_is_left_out_with_a_reason(tmp_path: Path) -> None:
    gone = str(tmp_path / "pts-gone")
    ports, warnings = collect_ports(extra_ports=[gone], list_system=fake_machine())
    assert ports == []
    assert warnings == [f"configured port {gone} does not exist (is the simulator running?)"]


def test_configured_port_already_found_by_pyserial_is_listed_once() -> None:
    uno = PortInfo(device="/dev/ttyACM0", vid=0x2341, likely_arduino=True)
    ports, _ = collect_ports(extra_ports=["/dev/ttyACM0"], list_system=fake_machine(uno))
    assert ports == [uno]


@pytest.mark.parametrize(
    ("text", "expected_ports", "warning_part"),
    [
        ('["socket://a:1", "loop://"]', ["socket://a:1", "loop://"], None),
        ('{"ports": ["loop://"]}', ["loop://"], None),
        ("", [], None),
        ("[not json", [], "is not valid JSON"),
        ('{"ports": [3]}', [], "must hold a list of port paths"),
    ],
)
def test_extra_ports_file_forms(
    tmp_path: Path, text: str, expected_ports: list[str], warning_part: str | None
) -> None:
    path = tmp_path / "ports.json"
    path.write_text(text)
    ports, warnings = read_extra_ports_file(path)
    assert ports == expected_ports
    if warning_part is None:
        assert warnings == []
    else:
        assert len(warnings) == 1
        assert str(path) in warnings[0]
        assert warning_part in warnings[0]


def test_missing_extra_ports_file_means_no_extra_ports(tmp_path: Path) -> None:
    assert read_extra_ports_file(tmp_path / "absent.json") == ([], [])


def test_failing_system_listing_still_reports_configured_ports() -> None:
    def broken(**_: object) -> list[PortInfo]:
        raise OSError("sysfs unreadable")

    ports, warnings = collect_ports(extra_ports=["loop://"], list_system=broken)
    assert [p.device for p in ports] == ["loop://"]
    assert warnings == ["listing system serial ports failed: sysfs unreadable"]


@pytest.mark.parametrize(
    ("vid", "description", "manufacturer", "expected"),
    [
        (0x2341, "", "", True),  # Arduino SA
        (0x1A86, "USB2.0-Serial", "", True),  # CH340 on clones
        (None, "Arduino Nano 33 BLE", "", True),
        (None, "", "Arduino (www.arduino.cc)", True),
        (0x067B, "Prolific USB-Serial", "Prolific", False),
        (None, "n/a", "", False),
    ],
)
def test_is_likely_arduino(
    vid: int | None, description: str, manufacturer: str, expected: bool
) -> None:
    assert (
        is_likely_arduino(vid=vid, description=description, manufacturer=manufacturer) is expected
    )


def test_system_ports_hides_legacy_uarts_unless_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    uart = ListPortInfo("/dev/ttyS0", skip_link_detection=True)  # hwid "n/a", like every PC
    uno = ListPortInfo("/dev/ttyACM0", skip_link_detection=True)
    uno.vid, uno.pid, uno.description = 0x2341, 0x0043, "Arduino Uno"
    uno.hwid = "USB VID:PID=2341:0043 SER=1 LOCATION=1-1:1.0"
    monkeypatch.setattr(
        "hfwidgets.sensors.ports._list_ports.comports", lambda include_links=True: [uart, uno]
    )

    assert [p.device for p in system_ports()] == ["/dev/ttyACM0"]
    everything = system_ports(include_without_hardware_id=True)
    assert [p.device for p in everything] == ["/dev/ttyACM0", "/dev/ttyS0"]  # Arduino first
    assert everything[1].description == ""  # pyserial's "n/a" is not shown to people
    assert everything[0].likely_arduino
    assert everything[0].to_json()["vid"] == 0x2341


def _template(tmp_path: Path) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("from hfwidgets.widgets import Workbench")]
    path = tmp_path / "template.ipynb"
    nbformat.write(nb, path)
    return path


def test_create_workbench_notebook_picks_a_free_name_in_the_folder(tmp_path: Path) -> None:
    from jupyter_server.services.contents.largefilemanager import AsyncLargeFileManager

    root = tmp_path / "root"
    (root / "class" / "week1").mkdir(parents=True)
    manager = AsyncLargeFileManager(root_dir=str(root))
    template = _template(tmp_path)

    async def create_two() -> list[str]:
        return [
            await create_workbench_notebook(manager, "/class/week1/", template=template)
            for _ in range(2)
        ]

    first, second = asyncio.run(create_two())
    assert first == "class/week1/High-Five Workbench.ipynb"
    assert second == "class/week1/High-Five Workbench 1.ipynb"
    created = nbformat.read(root / first, as_version=4)
    assert created.cells[0].source == "from hfwidgets.widgets import Workbench"


def test_create_workbench_notebook_refuses_hidden_folders_before_writing(tmp_path: Path) -> None:
    from jupyter_server.services.contents.largefilemanager import AsyncLargeFileManager

    root = tmp_path / "root"
    (root / ".secret").mkdir(parents=True)
    (root / "visible" / ".git").mkdir(parents=True)
    manager = AsyncLargeFileManager(root_dir=str(root))
    template = _template(tmp_path)
    for folder in (".secret", "visible/.git", ".not-there-yet"):
        with pytest.raises(PermissionError, match=f"folder '{folder}' is hidden"):
            asyncio.run(create_workbench_notebook(manager, folder, template=template))
    assert list((root / ".secret").iterdir()) == []
    assert list((root / "visible" / ".git").iterdir()) == []
    manager.allow_hidden = True  # the server allows hidden paths: so does the endpoint
    path = asyncio.run(create_workbench_notebook(manager, ".secret", template=template))
    assert path == ".secret/High-Five Workbench.ipynb"


def test_create_workbench_notebook_names_missing_folder_and_broken_template(tmp_path: Path) -> None:
    from jupyter_server.services.contents.filemanager import FileContentsManager

    manager = FileContentsManager(root_dir=str(tmp_path))  # a sync manager works too
    template = _template(tmp_path)
    with pytest.raises(FileNotFoundError, match="'nowhere' does not exist"):
        asyncio.run(create_workbench_notebook(manager, "nowhere", template=template))
    broken = tmp_path / "broken.ipynb"
    broken.write_text("{")
    with pytest.raises(HfwError, match=r"broken\.ipynb is not a valid notebook"):
        asyncio.run(create_workbench_notebook(manager, "", template=broken))
    with pytest.raises(HfwError, match="missing: reinstall hfwidgets"):
        asyncio.run(create_workbench_notebook(manager, "", template=tmp_path / "nope.ipynb"))


# --- a real jupyter_server with the extension ------------------------------------------------


@pytest.fixture(scope="module")
def pty_for_cli() -> Iterator[str]:
    with open_pty() as path:
        yield path


@pytest.fixture(scope="module")
def ports_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The extra-ports file the server re-reads on every request (absent at first)."""
    return tmp_path_factory.mktemp("hfw-ports") / "extra-ports.json"


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, pty_for_cli: str, ports_file: Path
) -> Iterator[LabServer]:
    """JupyterLab with the extension, one port on its command line and the extra-ports file."""
    root = tmp_path_factory.mktemp("hfw-server") / "root"
    (root / "lessons").mkdir(parents=True)
    lab = start_lab(
        root,
        [f"--HfwPorts.extra_ports={pty_for_cli}", f"--HfwPorts.extra_ports_file={ports_file}"],
    )
    try:
        yield lab
    finally:
        lab.stop()


def test_ports_endpoint_requires_the_token(server: LabServer) -> None:
    assert server.api("/hfwidgets/ports", "GET", token=False).status_code == 403


def test_ports_endpoint_lists_command_line_port_and_rereads_the_file(
    server: LabServer, pty_for_cli: str, pty_path: str, ports_file: Path
) -> None:
    reply = server.api("/hfwidgets/ports", "GET")
    assert reply.status_code == 200
    devices = [p["device"] for p in reply.json()["ports"]]
    assert pty_for_cli in devices
    assert pty_path not in devices

    ports_file.write_text(json.dumps([pty_path]))  # while the server runs
    try:
        body = server.api("/hfwidgets/ports", "GET").json()
    finally:
        ports_file.unlink()
    added = [p for p in body["ports"] if p["device"] == pty_path]
    assert added == [
        {
            "device": pty_path,
            "description": "configured port",
            "manufacturer": "",
            "hwid": "",
            "vid": None,
            "pid": None,
            "serial_number": "",
            "likely_arduino": False,
            "origin": "config",
        }
    ]


def test_ports_endpoint_reports_a_broken_file_instead_of_failing(
    server: LabServer, pty_for_cli: str, ports_file: Path
) -> None:
    ports_file.write_text("{oops")
    try:
        reply = server.api("/hfwidgets/ports", "GET")
    finally:
        ports_file.unlink()
    assert reply.status_code == 200
    assert pty_for_cli in [p["device"] for p in reply.json()["ports"]]
    assert "is not valid JSON" in reply.json()["warnings"][0]


def test_workbench_endpoint_creates_notebook_from_shipped_template(server: LabServer) -> None:
    reply = server.api("/hfwidgets/workbench", "POST", json={"directory": "lessons"})
    if not WORKBENCH_TEMPLATE.is_file():
        # Bad install: the endpoint says which file is missing and how to fix it.
        assert reply.status_code == 500
        assert str(WORKBENCH_TEMPLATE) in reply.json()["message"]
        return
    assert reply.status_code == 201, reply.text
    path = reply.json()["path"]
    assert path == "lessons/High-Five Workbench.ipynb"
    created = nbformat.read(server.root / path, as_version=4)
    shipped = nbformat.read(WORKBENCH_TEMPLATE, as_version=4)
    assert [c.source for c in created.cells] == [c.source for c in shipped.cells]


def test_workbench_endpoint_rejects_bad_requests(server: LabServer) -> None:
    missing = server.api("/hfwidgets/workbench", "POST", json={"directory": "no/such/dir"})
    assert missing.status_code == 404
    assert "'no/such/dir' does not exist" in missing.json()["message"]
    (server.root / ".hidden").mkdir(exist_ok=True)
    hidden = server.api("/hfwidgets/workbench", "POST", json={"directory": ".hidden"})
    assert hidden.status_code == 400
    assert "'.hidden' is hidden" in hidden.json()["message"]
    assert list((server.root / ".hidden").iterdir()) == []  # refused before writing
    wrong = server.api("/hfwidgets/workbench", "POST", json={"directory": 3})
    assert wrong.status_code == 400
    assert server.api("/hfwidgets/workbench", "POST", token=False, json={}).status_code == 403
