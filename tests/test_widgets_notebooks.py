"""The launcher's notebook template and notebooks/workbench.ipynb are the same notebook."""

from __future__ import annotations

from pathlib import Path

import nbformat

from hfwidgets._paths import WORKBENCH_TEMPLATE


def _cells(path: Path) -> list[tuple[str, str]]:
    nb = nbformat.read(path, as_version=4)
    return [(cell.cell_type, cell.source) for cell in nb.cells]


def test_template_equals_the_repository_notebook_in_cells(repo_dir: Path) -> None:
    template = _cells(WORKBENCH_TEMPLATE)
    assert template == _cells(repo_dir / "notebooks" / "workbench.ipynb")
    assert any("Workbench(" in source for kind, source in template if kind == "code")


def test_notebooks_are_valid_and_declare_a_python_kernel(repo_dir: Path) -> None:
    for path in [WORKBENCH_TEMPLATE, *sorted((repo_dir / "notebooks").glob("*.ipynb"))]:
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
        assert nb.metadata["kernelspec"]["name"] == "python3", path
