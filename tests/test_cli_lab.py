"""``hfw lab`` prints (and opens) the workbench notebook's URL, not the Launcher's."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests

from hfwidgets.cli.lab_command import lab_argv, opening_line
from tests.jupyter import free_port


def test_lab_argv_makes_the_notebook_jupyterlabs_default_url(tmp_path: Path) -> None:
    notebook = tmp_path / "my work" / "workbench.ipynb"
    argv = lab_argv(tmp_path, notebook, port=9999, no_browser=True, jupyter_args=["--debug"])
    assert "--LabApp.default_url=/lab/tree/my%20work/workbench.ipynb" in argv
    assert argv[-1] == "--debug"
    assert "--no-browser" in argv


def test_the_opening_line_ends_as_the_url_of_a_notebook_in_a_subfolder(tmp_path: Path) -> None:
    # A source checkout opens notebooks/workbench.ipynb: the hint names that folder too.
    notebook = tmp_path / "notebooks" / "workbench.ipynb"
    line = opening_line(tmp_path, notebook)
    assert line.endswith("ending in /lab/tree/notebooks/workbench.ipynb?token=…")
    assert "--LabApp.default_url=/lab/tree/notebooks/workbench.ipynb" in lab_argv(
        tmp_path, notebook
    )


def test_the_url_hfw_lab_prints_opens_the_notebook(tmp_path: Path) -> None:
    port = free_port()
    argv = [sys.executable, "-m", "hfwidgets", "lab", "--dir", str(tmp_path), "--port", str(port)]
    argv += ["--no-browser"]
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(tmp_path / ".runtime")}
    proc = subprocess.Popen(
        argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True
    )
    printed: list[str] = []
    try:
        pattern = re.compile(rf"http://127\.0\.0\.1:{port}/\S+")
        url = None
        deadline = time.monotonic() + 90
        assert proc.stdout is not None
        while url is None and time.monotonic() < deadline:
            line = proc.stdout.readline().decode(errors="replace")
            if not line and proc.poll() is not None:
                break
            printed.append(line)
            found = pattern.search(line)
            url = found.group(0) if found else None
        assert url is not None, "".join(printed)
        assert url.startswith(f"http://127.0.0.1:{port}/lab/tree/workbench.ipynb?token="), url
        response = None
        while response is None and time.monotonic() < deadline:  # printed before it listens
            with contextlib.suppress(requests.ConnectionError):
                response = requests.get(url, timeout=10)
            time.sleep(0.3)
        assert response is not None
        assert response.status_code == 200
        assert "JupyterLab" in response.text
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)
