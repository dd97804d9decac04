"""Which run a command uses, and its predictor on the live inference path.

``hfw predict`` and ``hfw calibrate`` both take ``--run`` (default: the newest finished run)
and classify with the run's network in ONNX Runtime when it is installed.
"""

from __future__ import annotations

import argparse
from typing import Any

from hfwidgets.cli._parsers import add_project_argument
from hfwidgets.errors import HfwError
from hfwidgets.store.project import Project
from hfwidgets.store.run_status import ended_well

__all__ = ["add_run_arguments", "load_run_predictor", "pick_run"]


def pick_run(project: Project, run_id: int | None) -> int:
    """The run to use: ``run_id`` if given (it must exist), else the newest finished run.

    Every command's ``--run`` is checked here, so a wrong one reads the same everywhere.
    """
    if run_id is not None:
        try:
            project.runs.get(run_id)
        except ValueError as exc:
            known = (
                ", ".join(str(r.id) for r in project.runs.all()) or "none; train one (hfw train)"
            )
            raise HfwError(
                f"--run {run_id}: {exc} (runs: {known}; `hfw info --project {project.path}` "
                "lists them with their status)"
            ) from exc
        return run_id
    finished = [r for r in project.runs.all() if ended_well(r.status)]
    if not finished:
        raise HfwError(
            f"{project.path} has no finished training run; train one first "
            f"(`hfw train --project {project.path}`) or pass --run ID"
        )
    return int(finished[-1].id)


def load_run_predictor(
    project: Project, run_id: int | None, *, backend: str = "auto"
) -> tuple[int, Any]:
    """``(run id, predictor)``: `pick_run`'s run, its predictor on the ``backend`` path.

    ``backend`` as for `hfwidgets.live.runtime.live_predictor` (``"auto"``: ONNX Runtime on
    one thread when installed, the same probabilities as torch in about a third of the time);
    a backend that cannot be used is an ``HfwError`` naming ``--backend``.
    """
    run = pick_run(project, run_id)
    from hfwidgets.live.runtime import live_predictor
    from hfwidgets.training.predictor import load_predictor  # deferred: imports torch

    predictor = load_predictor(project, run)
    try:
        return run, live_predictor(predictor, backend=backend)
    except ValueError as exc:
        raise HfwError(f"--backend {backend}: {exc}") from exc


def add_run_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``--project DIR`` (required) and ``--run ID`` (default: newest finished run)."""
    add_project_argument(parser)
    parser.add_argument(
        "--run", type=int, metavar="ID", help="training run (default: newest finished run)"
    )
