"""Settings and train/validation splits of a project: ``project.settings``, ``project.splits``."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from hfwidgets.store.database import Database

__all__ = ["Settings", "Splits", "split_key", "to_json"]

_PARTS = ("train", "val")


def split_key(name: str | int) -> str:
    """Storage key of a split: a run id ``7`` becomes ``"run:7"``, a name is kept."""
    if isinstance(name, bool):
        raise ValueError(f"split name must be a string or a run id, got {name!r}")
    if isinstance(name, int):
        return f"run:{name}"
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"split name must be a non-empty string or a run id, got {name!r}")
    return name


def to_json(value: Any, *, what: str) -> str:
    try:
        return json.dumps(value, sort_keys=True)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{what} must be JSON-serialisable (dict/list/str/number): {exc}") from exc


class Settings:
    """A project's named JSON settings (``project.settings``): the scalogram, the window
    length, the live counter's threshold, ..."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def get(self, key: str, default: Any = None) -> Any:
        """Return the JSON value stored under ``key`` (e.g. ``"scalogram"``), or ``default``."""
        rows = self._db.query("SELECT value FROM settings WHERE key = ?", (key,))
        return json.loads(rows[0][0]) if rows else default

    def set(self, key: str, value: Any) -> None:
        """Store a JSON-serialisable ``value`` under ``key``, replacing any earlier one."""
        text = to_json(value, what=f"setting {key!r}")
        self._db.execute_write(
            "INSERT INTO settings (key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, text),
        )


class Splits:
    """A project's stored train/validation splits (``project.splits``), by name or run id."""

    def __init__(self, db: Database, path: Path) -> None:
        self._db = db
        self.path = path

    def set(self, name: str | int, assignment: Mapping[int, str]) -> None:
        """Store a train/validation split, replacing any split of the same name.

        Parameters
        ----------
        name : str or int
            A split name (``"default"``) or a run id (stored as ``"run:<id>"``).
        assignment : mapping of int to str
            Window id -> ``"train"`` or ``"val"``.
        """
        key = split_key(name)
        rows = [(key, int(wid), part) for wid, part in assignment.items()]
        bad = [part for _, _, part in rows if part not in _PARTS]
        if bad:
            raise ValueError(f"split {key!r}: part {bad[0]!r} is not one of {_PARTS}")
        with self._db.write() as conn:
            known = {r[0] for r in conn.execute("SELECT id FROM windows WHERE deleted_at IS NULL")}
            missing = sorted({wid for _, wid, _ in rows} - known)
            if missing:
                raise ValueError(
                    f"split {key!r}: no windows with ids {missing[:10]} in {self.path}"
                )
            conn.execute("DELETE FROM splits WHERE name = ?", (key,))
            conn.executemany("INSERT INTO splits (name, window_id, part) VALUES (?, ?, ?)", rows)

    def get(self, name: str | int) -> dict[int, str]:
        """Return a stored split as window id -> ``"train"``/``"val"`` (empty if none).

        Deleted windows are left out (their entries are kept, so restoring one puts it back).
        """
        rows = self._db.query(
            "SELECT s.window_id, s.part FROM splits s JOIN windows w ON w.id = s.window_id "
            "WHERE s.name = ? AND w.deleted_at IS NULL ORDER BY s.window_id",
            (split_key(name),),
        )
        return {wid: part for wid, part in rows}

    def names(self) -> list[str]:
        """Names of the stored splits (run splits as ``"run:<id>"``)."""
        return [r[0] for r in self._db.query("SELECT DISTINCT name FROM splits ORDER BY name")]
