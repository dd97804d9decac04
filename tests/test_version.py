"""One version for the Python package and the JupyterLab extension; both installed and enabled."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest

import hfwidgets

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def package_json(repo_dir: Path) -> dict[str, Any]:
    package: dict[str, Any] = json.loads((repo_dir / "labextension" / "package.json").read_text())
    return package


def jupyter(*args: str) -> str:
    """Run a `jupyter` subcommand of this interpreter; its report, colours removed."""
    done = subprocess.run(
        [sys.executable, "-m", "jupyter", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return ANSI.sub("", done.stdout + done.stderr)


def test_package_json_is_the_version_source(repo_dir: Path) -> None:
    tomllib = pytest.importorskip("tomllib")  # Python >= 3.11
    pyproject = tomllib.loads((repo_dir / "pyproject.toml").read_text())
    assert pyproject["tool"]["hatch"]["version"] == {
        "source": "nodejs",
        "path": "labextension/package.json",
    }
    assert "version" in pyproject["project"]["dynamic"]


def test_python_package_reports_the_extension_version(repo_dir: Path) -> None:
    expected = package_json(repo_dir)["version"]
    assert re.fullmatch(r"\d+\.\d+\.\d+([-.]?(a|b|rc|alpha|beta)\.?\d+)?", expected)
    installed = version("hfwidgets")
    assert installed == expected, (
        f"installed hfwidgets is {installed} but labextension/package.json says {expected}: "
        "reinstall with `pip install -e .`"
    )
    assert hfwidgets.__version__ == expected


def test_built_extension_matches_package_json(repo_dir: Path) -> None:
    (entry,) = hfwidgets._jupyter_labextension_paths()
    built = Path(hfwidgets.__file__).parent / entry["src"] / "package.json"
    assert built.is_file(), (
        f"{built} is missing: build it with `jlpm --cwd labextension build:prod`"
    )
    data = json.loads(built.read_text())
    assert data["name"] == entry["dest"] == package_json(repo_dir)["name"]
    assert data["version"] == package_json(repo_dir)["version"]
    # The federated bundle JupyterLab loads, not just the manifest.
    assert data["jupyterlab"]["_build"]["load"].startswith("static/remoteEntry.")


def test_jupyter_lists_extension_enabled_and_ok(repo_dir: Path) -> None:
    expected = package_json(repo_dir)["version"]
    report = jupyter("labextension", "list")
    line = next((ln for ln in report.splitlines() if f"hfwidgets v{expected}" in ln), None)
    assert line is not None, f"hfwidgets v{expected} not in `jupyter labextension list`:\n{report}"
    assert "enabled" in line
    assert "OK" in line


def test_jupyter_server_extension_is_enabled_by_install() -> None:
    report = jupyter("server", "extension", "list")
    assert re.search(r"hfwidgets\s+enabled", report), report
    assert re.search(r"hfwidgets [\d.]+\w* OK", report), report
