"""Browser-test harness: a real JupyterLab on a free localhost port, driven by Playwright in
Debian's Chromium. Screenshots of failed tests land in ``test-artifacts/``.

Fixtures
--------
``lab``      a running JupyterLab (session-wide) with ``url``, ``token``, ``root`` (its folder).
``launch_lab`` a factory ``launch_lab(root, extra_args=(), env=None) -> LabServer`` for tests that
             need their own server settings; each is stopped (by process group) at teardown.
``page``     a fresh Playwright page (``tests.browser.labtools`` opens files and runs notebooks).
``fake_arduino`` a streaming :class:`FakeArduino` pty (seed 3) behind ``tmp_path/ttyHFW0``; give
             its ``path`` to ``labtools.start_workbench_lab(ports=...)``. ``pty_path`` (the
             root conftest) is a pty that sends nothing.
"""

from __future__ import annotations

import contextlib
from collections.abc import Generator, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.jupyter import LabServer, LaunchLab, start_lab

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

    from hfwidgets.sensors.fake_arduino import FakeArduino

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

pytestmark = pytest.mark.browser


@pytest.fixture(scope="session")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabServer]:
    root = tmp_path_factory.mktemp("lab-root")
    server = start_lab(root)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def launch_lab() -> Iterator[LaunchLab]:
    started: list[LabServer] = []

    def launch(
        root: Path, extra_args: Sequence[str] = (), env: dict[str, str] | None = None
    ) -> LabServer:
        server = start_lab(root, extra_args, env)
        started.append(server)
        return server

    yield launch
    for server in started:
        server.stop()


@pytest.fixture
def fake_arduino(tmp_path: Path) -> Iterator[FakeArduino]:
    from hfwidgets.sensors.fake_arduino import FakeArduino

    arduino = FakeArduino(link=tmp_path / "ttyHFW0", seed=3).start()
    try:
        yield arduino
    finally:
        arduino.stop()


# Package scope: Playwright's sync API keeps an event loop running in the main thread while it is
# started; it must be gone before the rest of the suite, where asyncio.run() is used.
@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"{CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium)"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture
def page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    pg = context.new_page()
    console: list[str] = []
    pg.on("console", lambda msg: console.append(f"{msg.type}: {msg.text}"))
    yield pg
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        name = request.node.nodeid.replace("/", "_").replace("::", "-")
        with contextlib.suppress(Exception):
            pg.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
        (ARTIFACTS / f"{name}.console.txt").write_text("\n".join(console))
    context.close()
