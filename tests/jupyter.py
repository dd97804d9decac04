"""Real Jupyter servers and pseudo-terminals for tests: started on a free localhost port with a
token and their own config, runtime and settings folders, stopped by process group."""

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
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import requests

__all__ = ["LabServer", "LaunchLab", "free_port", "open_pty", "start_lab"]


@contextlib.contextmanager
def open_pty() -> Iterator[str]:
    """A real pseudo-terminal (like the one `hfw simulate-arduino` opens); yields its path."""
    leader, follower = os.openpty()
    try:
        yield os.ttyname(follower)
    finally:
        os.close(leader)
        os.close(follower)


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

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def api(
        self, path: str, method: str = "GET", *, token: bool = True, **kwargs: object
    ) -> requests.Response:
        """Call the server's HTTP API, with the token unless ``token=False``."""
        headers = {"Authorization": f"token {self.token}"} if token else {}
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


class LaunchLab(Protocol):
    """The browser tests' ``launch_lab`` fixture: start a JupyterLab, stopped at teardown."""

    def __call__(
        self, root: Path, extra_args: Sequence[str] = (), env: dict[str, str] | None = None
    ) -> LabServer: ...


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
