"""The layer rule import-linter cannot state: no package imports another package's private names.

(The other rules, pure logic under the widgets, the CLI and the server, are the
``[tool.importlinter]`` contracts in pyproject.toml, checked by ``make lint``.)
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "hfwidgets"


def _subpackage(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 2 else ""  # "" for the root modules (hfwidgets._worker)


def private_imports_across_packages(root: Path = PACKAGE) -> list[str]:
    """``file:line: module.name`` for each private name imported from another subpackage."""
    found = []
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root.parent).with_suffix("").parts
        importer = parts[1] if len(parts) > 2 else ""
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.ImportFrom) and node.module):
                continue
            source = _subpackage(node.module)
            if not node.module.startswith("hfwidgets.") or not source or source == importer:
                continue
            names = [a.name for a in node.names if a.name.startswith("_")]
            if any(p.startswith("_") for p in node.module.split(".")[2:]):
                names.append("(private module)")
            found += [f"{path.name}:{node.lineno}: {node.module}.{name}" for name in names]
    return found


def test_no_package_imports_a_private_name_of_another() -> None:
    assert private_imports_across_packages() == []


def test_the_check_finds_a_private_import(tmp_path: Path) -> None:
    package = tmp_path / "hfwidgets"
    (package / "explain").mkdir(parents=True)
    (package / "explain" / "overlay.py").write_text(
        "from hfwidgets.scalogram.render import _font\nfrom hfwidgets.explain.heat import _ok\n"
    )
    assert private_imports_across_packages(package) == [
        "overlay.py:1: hfwidgets.scalogram.render._font"
    ]
