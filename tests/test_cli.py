"""The ``hfw`` entry point: version, help, and ``hfw lab`` serving the workbench notebook."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from hfwidgets.cli import build_parser, main
from tests.jupyter import free_port

REPO = Path(__file__).resolve().parents[1]


def test_version_matches_the_labextension_package(capsys: pytest.CaptureFixture[str]) -> None:
    package = json.loads((REPO / "labextension" / "package.json").read_text())
    with contextlib.suppress(SystemExit):
        main(["--version"])
    assert capsys.readouterr().out.strip() == f"hfw {package['version']}"


def test_every_subcommand_has_help() -> None:
    parser = build_parser()
    subparsers = parser._subparsers
    assert subparsers is not None
    commands = subparsers._group_actions[0].choices
    assert isinstance(commands, dict)
    assert "lab" in commands
    for name, sub in commands.items():
        assert sub.format_help().startswith("usage: hfw"), name


def test_no_command_prints_help_and_fails(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "COMMAND" in capsys.readouterr().out


def test_lab_serves_the_workbench_notebook(tmp_path: Path) -> None:
    port, token = free_port(), "hfw-test-token"
    argv = [sys.executable, "-m", "hfwidgets", "lab", "--dir", str(tmp_path), "--port", str(port)]
    argv += ["--no-browser", "--", f"--IdentityProvider.token={token}"]
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(tmp_path / ".runtime")}
    proc = subprocess.Popen(
        argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        url = f"http://127.0.0.1:{port}/api/contents/workbench.ipynb"
        deadline, response = time.monotonic() + 60, None
        while time.monotonic() < deadline and proc.poll() is None:
            with contextlib.suppress(requests.RequestException):
                response = requests.get(url, headers={"Authorization": f"token {token}"}, timeout=5)
                break
            time.sleep(0.3)
        assert response is not None, proc.stdout.read().decode() if proc.stdout else ""
        assert response.status_code == 200
        cells = response.json()["content"]["cells"]
        assert any("Workbench" in "".join(c["source"]) for c in cells)
        page = requests.get(
            f"http://127.0.0.1:{port}/lab/tree/workbench.ipynb?token={token}", timeout=10
        )
        assert page.status_code == 200
        assert "JupyterLab" in page.text
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)
