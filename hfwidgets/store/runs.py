"""Training runs of a project: ``project.runs``."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from hfwidgets.errors import HfwError
from hfwidgets.store.database import Database
from hfwidgets.store.project_settings import split_key, to_json
from hfwidgets.store.records import RunRecord
from hfwidgets.store.run_metrics import RunMetrics, model_name
from hfwidgets.store.run_status import RunStatus, is_final, run_status

__all__ = ["Runs"]


def _run_from_row(row: tuple[Any, ...]) -> RunRecord:
    rid, settings, status, metrics, created, updated, finished = row
    return RunRecord(
        id=rid,
        settings=json.loads(settings),
        status=run_status(status),  # also the words of earlier versions
        metrics=RunMetrics.from_dict(json.loads(metrics)),
        created_at=created,
        updated_at=updated,
        finished_at=finished,
    )


_RUN_COLUMNS = "id, settings, status, metrics, created_at, updated_at, finished_at"
# meta key holding the highest run id ever given out: a deleted run's id is never reused, so a
# note, notebook or setting naming "run 7" can never silently mean a different run.
_LAST_RUN_ID = "last_run_id"


class Runs:
    """A project's training runs (``project.runs``): their records, checkpoints and baselines."""

    def __init__(self, db: Database, path: Path) -> None:
        self._db = db
        self.path = path

    def add(self, settings: Mapping[str, Any]) -> int:
        """Record a new training run with status ``"created"``; return its id."""
        text = to_json(dict(settings), what="run settings")
        now = time.time()
        with self._db.write() as conn:
            row = conn.execute("SELECT value FROM meta WHERE key = ?", (_LAST_RUN_ID,)).fetchone()
            deleted_max = int(json.loads(row[0])) if row else 0
            current_max = int(conn.execute("SELECT COALESCE(MAX(id), 0) FROM runs").fetchone()[0])
            run_id = max(deleted_max, current_max) + 1
            conn.execute(
                "INSERT INTO runs (id, settings, status, created_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (run_id, text, "created", now, now),
            )
        return run_id

    def delete(self, run_id: int, *, force: bool = False) -> int:
        """Delete a training run: its record, its split, its checkpoint and baseline files.

        Other runs keep their ids, and ``run_id`` is never given to a later run.

        Parameters
        ----------
        run_id : int
            The run to delete.
        force : bool
            Also delete a run whose status is not final (``created``/``running``): only for a
            run whose process is gone (killed), since a live trainer would keep writing to it.

        Returns
        -------
        int
            Bytes of checkpoint files removed.

        Raises
        ------
        ValueError
            If there is no such run.
        HfwError
            If the run is still running and ``force`` is false.
        """
        with self._db.write() as conn:
            row = conn.execute("SELECT status FROM runs WHERE id = ?", (run_id,)).fetchone()
            if row is None:
                raise ValueError(f"no training run {run_id} in {self.path}")
            if not force and not is_final(run_status(row[0])):
                raise HfwError(
                    f"run {run_id} in {self.path} is {row[0]!r}: stop it first (Stop in the "
                    "training panel, Ctrl-C for `hfw train`); if its process is gone, delete it "
                    "with force=True (`hfw runs delete --force`)"
                )
            last = conn.execute("SELECT value FROM meta WHERE key = ?", (_LAST_RUN_ID,)).fetchone()
            high = max(int(json.loads(last[0])) if last else 0, int(run_id))
            conn.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (_LAST_RUN_ID, json.dumps(high)),
            )
            conn.execute("DELETE FROM splits WHERE name = ?", (split_key(int(run_id)),))
            conn.execute("DELETE FROM runs WHERE id = ?", (run_id,))
        # Files go after the commit: a crash in between leaves a stray file (listed by `hfw
        # info`), never a run whose checkpoint is missing.
        freed = 0
        checkpoint = self.path / "checkpoints" / f"run-{int(run_id)}.pt"
        baseline = checkpoint.with_name(f"run-{int(run_id)}.baseline.npz")
        for path in (checkpoint, checkpoint.with_name(checkpoint.name + ".tmp"), baseline):
            try:
                freed += path.stat().st_size
                path.unlink()
            except FileNotFoundError:
                pass
        return freed

    def update(
        self,
        run_id: int,
        *,
        status: RunStatus | None = None,
        metrics: RunMetrics | None = None,
    ) -> None:
        """Change a run's status and/or replace its metrics.

        A final status (``finished``, ``stopped``, ``failed``) stamps ``finished_at``.
        """
        if status is not None:
            status = run_status(status)  # a word that is no status is a ValueError, not stored
        if metrics is not None and not isinstance(metrics, RunMetrics):
            raise TypeError(f"run {run_id}: metrics must be a RunMetrics, got {type(metrics)}")
        metrics_text = None if metrics is None else to_json(metrics.to_dict(), what="run metrics")
        now = time.time()
        with self._db.write() as conn:
            row = conn.execute("SELECT status FROM runs WHERE id = ?", (run_id,)).fetchone()
            if row is None:
                raise ValueError(f"no training run {run_id} in {self.path}")
            new_status = run_status(row[0]) if status is None else status
            conn.execute(
                "UPDATE runs SET status = ?, metrics = COALESCE(?, metrics), updated_at = ?, "
                "finished_at = CASE WHEN ? THEN COALESCE(finished_at, ?) ELSE NULL END "
                "WHERE id = ?",
                (new_status, metrics_text, now, is_final(new_status), now, run_id),
            )

    def choose_model(self, run_id: int, model: str) -> RunRecord:
        """Make run ``run_id`` count with ``model`` (``cnn``, ``baseline`` or ``fusion``).

        ``hfw evaluate``, ``hfw predict``, the live counter, calibration and export then use
        it. Raises ``ValueError`` naming what the run has when it has no such model (or its
        baseline file is missing).
        """
        record = self.get(run_id)
        metrics = record.metrics.choose(model_name(model))
        if metrics.chosen != "cnn" and not self.baseline_path(run_id).is_file():
            raise ValueError(
                f"run {run_id}'s baseline file {self.baseline_path(run_id)} is missing (not "
                "shared with the project?); it can count with its cnn model only"
            )
        self.update(run_id, metrics=metrics)
        return self.get(run_id)

    def all(self) -> list[RunRecord]:
        """All training runs, oldest first."""
        rows = self._db.query(f"SELECT {_RUN_COLUMNS} FROM runs ORDER BY id")
        return [_run_from_row(r) for r in rows]

    def get(self, run_id: int) -> RunRecord:
        """One training run; ``ValueError`` naming the project if there is none."""
        rows = self._db.query(f"SELECT {_RUN_COLUMNS} FROM runs WHERE id = ?", (run_id,))
        if not rows:
            raise ValueError(f"no training run {run_id} in {self.path}")
        return _run_from_row(rows[0])

    def baseline_path(self, run_id: int) -> Path:
        """Where run ``run_id`` keeps its MiniRocket baseline's arrays, beside its checkpoint:
        ``<project>/checkpoints/run-<id>.baseline.npz`` (no pickled objects)."""
        return self.checkpoint_path(run_id).with_name(f"run-{int(run_id)}.baseline.npz")

    def checkpoint_path(self, run_id: int) -> Path:
        """Where run ``run_id`` keeps its checkpoint: ``<project>/checkpoints/run-<id>.pt``.

        The folder is created; the file exists only once the trainer has saved it.
        """
        self.get(run_id)  # unknown runs are an error, not a stray file name
        folder = self.path / "checkpoints"
        folder.mkdir(exist_ok=True)
        return folder / f"run-{run_id}.pt"
