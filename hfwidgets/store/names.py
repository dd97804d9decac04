"""Class names: what a project accepts, checked on import, on create and on every open.

Class names are shown in widgets, written into export folder names and typed as labels, so
they must be portable file names and plain text. Import always refused bad names, but a
project database written by another tool (or edited with sqlite3) was opened as it was; now
:func:`check_stored_names` refuses such a database before anything is written, naming the bad
value and the way out (``Project.open(path, rename_classes={...})``).
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from hfwidgets.errors import HfwError

__all__ = [
    "check_class_name",
    "check_stored_names",
    "rename_stored_classes",
    "store_classes",
    "stored_classes",
]

# Not in a name: path and shell-special characters, markup brackets, C0/C1 control characters,
# Unicode line/paragraph separators and bidirectional overrides (they reorder what is shown).
_CLASS_NAME = re.compile(
    r"^[^/\\:*?\"<>|\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]{1,64}$"
)


def check_class_name(name: str) -> str:
    """Return ``name`` if it can be a class (and an export folder) name, else ``ValueError``."""
    if (
        not isinstance(name, str)
        or not _CLASS_NAME.match(name)
        or name.strip() != name
        or name.startswith(".")
    ):
        raise ValueError(
            f"invalid class name {name!r}: use 1-64 characters, no leading dot or spaces, "
            'no control characters and none of / \\ : * ? " < > |'
        )
    return name


def stored_classes(conn: sqlite3.Connection) -> list[Any]:
    """The ``classes`` metadata as stored (a list; [] when missing): the one place it is read."""
    row = conn.execute("SELECT value FROM meta WHERE key = 'classes'").fetchone()
    classes = json.loads(row[0]) if row else []
    return classes if isinstance(classes, list) else [classes]


def store_classes(conn: sqlite3.Connection, names: list[str]) -> None:
    """Write the ``classes`` metadata (inside the caller's write transaction)."""
    conn.execute("UPDATE meta SET value = ? WHERE key = 'classes'", (json.dumps(names),))


def _stored_names(conn: sqlite3.Connection) -> tuple[list[object], set[object]]:
    """The ``classes`` metadata and every distinct label in windows and label history."""
    classes = stored_classes(conn)
    labels = {r[0] for r in conn.execute("SELECT DISTINCT label FROM windows")}
    has_history = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'label_history'"
    ).fetchone()
    if has_history:
        for column in ("label", "previous"):
            labels |= {r[0] for r in conn.execute(f"SELECT DISTINCT {column} FROM label_history")}
    labels.discard(None)
    return classes, labels


def check_stored_names(conn: sqlite3.Connection, db_path: Path) -> None:
    """Refuse a database whose class names or labels are not valid class names.

    Raises
    ------
    HfwError
        Naming the first bad value (as ``repr``, so control characters show) and how to open
        the project with it renamed.
    """
    classes, labels = _stored_names(conn)
    for where, values in (("class name", classes), ("label", sorted(labels, key=repr))):
        for value in values:
            try:
                check_class_name(value)  # type: ignore[arg-type]
            except ValueError as exc:
                folder = str(db_path.parent)
                raise HfwError(
                    f"{db_path}: {where} {value!r} is not allowed ({exc}); it was written by "
                    "another tool, and markup or control characters in a name would reach the "
                    "widgets. Nothing was changed. Open it with the name replaced: "
                    f"Project.open({folder!r}, rename_classes={{{value!r}: 'new-name'}})"
                ) from None


def rename_stored_classes(conn: sqlite3.Connection, renames: Mapping[str, str]) -> None:
    """Rename classes and labels in an open write transaction.

    Renaming onto an existing class merges the two. The new names are checked first.
    """
    for new in renames.values():
        check_class_name(new)
    merged: list[str] = []
    for name in stored_classes(conn):
        new = renames.get(name, name)
        if new not in merged:
            merged.append(new)
    store_classes(conn, merged)
    has_history = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'label_history'"
    ).fetchone()
    for old, new in renames.items():
        conn.execute("UPDATE windows SET label = ? WHERE label = ?", (new, old))
        if has_history:
            conn.execute("UPDATE label_history SET label = ? WHERE label = ?", (new, old))
            conn.execute("UPDATE label_history SET previous = ? WHERE previous = ?", (new, old))
