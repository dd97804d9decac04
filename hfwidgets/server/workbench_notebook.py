"""Create a workbench notebook from the template the package ships, through the contents API.

Going through the server's ContentsManager (not the file system) means the notebook lands in
the folder the person sees in the file browser, whatever contents manager the server runs
(local files, a database, a cloud drive), and the server's checks on paths apply.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import nbformat
from jupyter_core.utils import ensure_async

from hfwidgets._paths import WORKBENCH_TEMPLATE
from hfwidgets.errors import HfwError

__all__ = ["WORKBENCH_BASENAME", "create_workbench_notebook", "load_workbench_template"]

#: File name of a new workbench; a number is added when the folder already has one.
WORKBENCH_BASENAME = "High-Five Workbench.ipynb"


def load_workbench_template(template: Path = WORKBENCH_TEMPLATE) -> nbformat.NotebookNode:
    """Read and validate the shipped template; an `HfwError` names the file when it is broken."""
    if not template.is_file():
        raise HfwError(
            f"the workbench template {template} is missing: reinstall hfwidgets "
            "(pip install --force-reinstall hfwidgets)"
        )
    try:
        # nbformat's read has no annotations; what it returns is a NotebookNode.
        notebook: nbformat.NotebookNode = nbformat.read(template, as_version=4)
        nbformat.validate(notebook)
    except (OSError, ValueError, nbformat.ValidationError) as error:
        raise HfwError(
            f"the workbench template {template} is not a valid notebook: {error}"
        ) from error
    return notebook


def kernel_language_info() -> dict[str, Any]:
    """The ``language_info`` an IPython kernel on this Python reports (as ipykernel writes it).

    JupyterLab writes the kernel's ``language_info`` into a notebook when the kernel starts; a
    new notebook holding the same values is not marked unsaved the moment it opens. The server's
    Python is the one its default ``python3`` kernel runs on.
    """
    return {
        "name": "python",
        "version": sys.version.split()[0],
        "mimetype": "text/x-python",
        "codemirror_mode": {"name": "ipython", "version": sys.version_info[0]},
        "pygments_lexer": "ipython3",
        "nbconvert_exporter": "python",
        "file_extension": ".py",
    }


async def _is_hidden(contents_manager: Any, directory: str) -> bool:
    """Whether ``directory`` is hidden and the manager refuses hidden paths.

    A name starting with '.' counts even when the manager cannot tell (another contents
    manager, or a folder that does not exist yet).
    """
    if getattr(contents_manager, "allow_hidden", False):
        return False
    if any(part.startswith(".") for part in directory.split("/") if part):
        return True
    if not directory or not await ensure_async(contents_manager.dir_exists(directory)):
        return False
    return bool(await ensure_async(contents_manager.is_hidden(directory)))


async def create_workbench_notebook(
    contents_manager: Any,
    directory: str,
    *,
    template: Path = WORKBENCH_TEMPLATE,
    basename: str = WORKBENCH_BASENAME,
) -> str:
    """Copy the template into ``directory`` under a free name; return the new notebook's path.

    Parameters
    ----------
    contents_manager
        The server's (sync or async) ``ContentsManager``.
    directory
        API path of the folder, relative to the server root ('' is the root).
    template, basename
        The notebook to copy and the name to give it.

    Raises
    ------
    PermissionError
        ``directory`` is hidden and the contents manager does not allow hidden paths (checked
        before anything is written).
    FileNotFoundError
        ``directory`` is not a folder the server can see.
    HfwError
        The template is missing or broken.
    """
    directory = directory.strip("/")
    if await _is_hidden(contents_manager, directory):
        raise PermissionError(
            f"folder {directory!r} is hidden: the server does not create notebooks there (its "
            "contents API refuses hidden paths unless ContentsManager.allow_hidden is set); "
            "choose a folder whose name does not start with '.'"
        )
    if not await ensure_async(contents_manager.dir_exists(directory)):
        raise FileNotFoundError(f"folder {directory or '/'!r} does not exist on the server")
    notebook = load_workbench_template(template)
    notebook.metadata["language_info"] = kernel_language_info()
    # The contents manager's own helper picks "High-Five Workbench 1.ipynb" and so on.
    name = await ensure_async(contents_manager.increment_filename(basename, directory, insert=" "))
    path = f"{directory}/{name}" if directory else name
    model = {"type": "notebook", "format": "json", "content": notebook}
    await ensure_async(contents_manager.save(model, path))
    return path
