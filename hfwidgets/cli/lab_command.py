"""``hfw lab``: open JupyterLab on the workbench notebook."""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import urllib.parse
from collections.abc import Sequence
from pathlib import Path

from hfwidgets._paths import REPO_DIR, WORKBENCH_TEMPLATE
from hfwidgets.cli._parsers import Subparsers
from hfwidgets.errors import HfwError

__all__ = ["lab_argv", "notebook_url_path", "opening_line", "register", "workbench_notebook"]


def workbench_notebook(directory: Path) -> Path:
    """Return the workbench notebook to open from ``directory``.

    In a source checkout that is ``notebooks/workbench.ipynb``; anywhere else the template the
    package ships is copied to ``<directory>/workbench.ipynb`` unless a file of that name exists
    (a person's own edits are never overwritten).
    """
    in_repo = REPO_DIR / "notebooks" / "workbench.ipynb"
    if in_repo.is_file() and directory.resolve() == REPO_DIR:
        return in_repo
    target = directory / "workbench.ipynb"
    if not target.exists():
        if not WORKBENCH_TEMPLATE.is_file():
            raise HfwError(f"the workbench template is missing: {WORKBENCH_TEMPLATE}")
        shutil.copyfile(WORKBENCH_TEMPLATE, target)
    return target


def notebook_url_path(directory: Path, notebook: Path) -> str:
    """JupyterLab's path of ``notebook`` when it serves ``directory`` (``/lab/tree/...``)."""
    return "/lab/tree/" + urllib.parse.quote(notebook.relative_to(directory).as_posix())


def opening_line(directory: Path, notebook: Path) -> str:
    """What ``hfw lab`` prints before JupyterLab starts: the notebook, and how its URL ends."""
    return (
        f"hfw lab: opening {notebook} (Ctrl-C to stop); JupyterLab prints its address below, "
        f"ending in {notebook_url_path(directory, notebook)}?token=…"
    )


def lab_argv(
    directory: Path,
    notebook: Path,
    *,
    ip: str = "127.0.0.1",
    port: int = 8888,
    no_browser: bool = False,
    jupyter_args: Sequence[str] = (),
) -> list[str]:
    """The JupyterLab command line that serves ``directory`` and opens ``notebook``.

    JupyterLab's default URL is the notebook's, so the address it prints (and opens) shows the
    notebook, not the Launcher.
    """
    relative = notebook.relative_to(directory)
    argv = [
        sys.executable,
        "-m",
        "jupyterlab",
        f"--ServerApp.root_dir={directory}",
        f"--ServerApp.ip={ip}",
        f"--ServerApp.port={port}",
        f"--LabApp.default_url={notebook_url_path(directory, notebook)}",
        str(relative),
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:  # containers and CI run as root
        argv.append("--allow-root")
    if no_browser:
        argv.append("--no-browser")
    argv.extend(jupyter_args)
    return argv


def _run(args: argparse.Namespace) -> int:
    directory = Path(args.dir).resolve()
    if not directory.is_dir():
        raise HfwError(f"--dir {args.dir!r} is not a folder")
    notebook = workbench_notebook(directory)
    argv = lab_argv(
        directory,
        notebook,
        ip=args.ip,
        port=args.port,
        no_browser=args.no_browser,
        jupyter_args=args.jupyter_args,
    )
    print(opening_line(directory, notebook), flush=True)
    os.chdir(directory)
    os.execv(sys.executable, argv)  # replace this process: signals reach JupyterLab directly
    return 0  # pragma: no cover


def register(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "lab",
        help="open JupyterLab on the workbench notebook",
        description="Open JupyterLab on notebooks/workbench.ipynb (simulated sensor by default).",
    )
    parser.add_argument("--dir", default=".", help="folder JupyterLab serves (default: here)")
    parser.add_argument("--ip", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8888, help="port (default 8888)")
    parser.add_argument("--no-browser", action="store_true", help="do not open a web browser")
    parser.add_argument(
        "jupyter_args",
        nargs="*",
        help="further JupyterLab options, after `--` (hfw lab -- --ServerApp.port_retries=0)",
    )
    parser.set_defaults(func=_run)
