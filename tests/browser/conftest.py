"""Browser-test harness: a real JupyterLab on a free localhost port, driven by Playwright in
Debian's Chromium. Screenshots of failed tests land in ``test-artifacts/``.

Fixtures
--------
``lab``      a running JupyterLab (session-wide) with ``url``, ``token``, ``root`` (its folder).
``launch_lab`` a factory ``launch_lab(root, extra_args=(), env=None) -> LabServer`` for tests that
             need their own server settings; each is stopped (by process group) at teardown.
``page``     a fresh Playwright page (``tests.browser.labtools`` opens files and runs notebooks).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests

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


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class LabServer:
    """A JupyterLab process this test session started and will stop."""

    root: Path
    port: int
    token: str
    process: subprocess.Popen[bytes]
    log_path: Path
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def api(self, path: str, method: str = "GET", **kwargs: object) -> requests.Response:
        headers = {"Authorization": f"token {self.token}"}
        return requests.request(method, f"{self.url}{path}", headers=headers, timeout=30, **kwargs)  # type: ignore[arg-type]

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        """Stop JupyterLab and its kernels: the whole process group, by the server's pid."""
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=5)


def start_lab(
    root: Path, extra_args: Sequence[str] = (), env: dict[str, str] | None = None
) -> LabServer:
    """Start JupyterLab serving ``root`` and wait until its API answers."""
    port, token = free_port(), secrets.token_hex(16)
    state = root.parent / f".lab-state-{port}"
    (state / "config").mkdir(parents=True, exist_ok=True)
    (state / "runtime").mkdir(parents=True, exist_ok=True)
    log_path = state / "server.log"
    # No "get Jupyter news?" toast over the page under test.
    settings = state / "settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True, exist_ok=True)
    (settings / "notification.jupyterlab-settings").write_text('{"fetchNews": "false"}')
    full_env = {
        **os.environ,
        "JUPYTER_RUNTIME_DIR": str(state / "runtime"),
        "JUPYTER_CONFIG_DIR": str(state / "config"),
        "JUPYTERLAB_SETTINGS_DIR": str(state / "settings"),
        "OMP_NUM_THREADS": "1",
        **(env or {}),
    }
    argv = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--no-browser",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root}",
        f"--LabApp.workspaces_dir={state / 'workspaces'}",
        "--LabApp.expose_app_in_browser=True",
        "--LabApp.news_url=",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        *extra_args,
    ]
    if os.geteuid() == 0:  # CI machines run as root; JupyterLab refuses that without this
        argv.append("--allow-root")
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            argv,
            cwd=root,
            env=full_env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = LabServer(root=root, port=port, token=token, process=process, log_path=log_path)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"JupyterLab exited early:\n{server.log()}")
        with contextlib.suppress(requests.RequestException):
            if server.api("/api/status").status_code == 200:
                return server
        time.sleep(0.3)
    server.stop()
    raise RuntimeError(f"JupyterLab did not answer within 90 s:\n{server.log()}")


@pytest.fixture(scope="session")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabServer]:
    root = tmp_path_factory.mktemp("lab-root")
    server = start_lab(root)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def launch_lab() -> Iterator[object]:
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


# Package scope: Playwright's sync API keeps an event loop running in the main thread while it is
# started; it must be gone before the rest of the suite, where asyncio.run() is used.
@pytest.fixture(scope="package")
def browser() -> Iterator[object]:
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
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> object:
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture
def page(browser: object, request: pytest.FixtureRequest) -> Iterator[object]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})  # type: ignore[attr-defined]
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    pg = context.new_page()
    console: list[str] = []
    pg.on("console", lambda msg: console.append(f"{msg.type}: {msg.text}"))
    pg.console_messages = console
    yield pg
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        name = request.node.nodeid.replace("/", "_").replace("::", "-")
        with contextlib.suppress(Exception):
            pg.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
        (ARTIFACTS / f"{name}.console.txt").write_text("\n".join(console))
    context.close()
