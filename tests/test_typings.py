"""The ipywidgets stub (typings/ipywidgets) names only what ipywidgets has.

mypy checks every widget of hfwidgets against that stub, so a name it declares that ipywidgets
lacks (a typo, or one an ipywidgets release dropped) would let wrong code pass the type check.
"""

from __future__ import annotations

import ast
from pathlib import Path

import ipywidgets

STUB = Path(__file__).resolve().parents[1] / "typings" / "ipywidgets" / "__init__.pyi"


def _declared() -> dict[str, tuple[list[str], set[str]]]:
    """Each class of the stub: its stub bases and the members it declares itself."""
    classes: dict[str, tuple[list[str], set[str]]] = {}
    for node in ast.parse(STUB.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.ClassDef):
            bases = [b.id for b in node.bases if isinstance(b, ast.Name)]
            members = {
                item.target.id
                for item in node.body
                if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name)
            } | {item.name for item in node.body if isinstance(item, ast.FunctionDef)}
            classes[node.name] = (bases, members)
    return classes


def _members(name: str, classes: dict[str, tuple[list[str], set[str]]]) -> set[str]:
    bases, members = classes.get(name, ([], set()))
    return members.union(*(_members(base, classes) for base in bases))


def test_every_public_class_and_member_of_the_stub_exists_in_ipywidgets() -> None:
    classes = _declared()
    public = [name for name in classes if not name.startswith("_")]
    assert {"Widget", "VBox", "HTML", "Button", "dlink"} <= set(public)
    missing = [
        f"{name}.{member}"
        for name in public
        for member in sorted(_members(name, classes))
        if not hasattr(getattr(ipywidgets, name), member)
    ]
    assert [name for name in public if not hasattr(ipywidgets, name)] == []
    assert missing == []
