"""A training run's status: one vocabulary for the trainer, the store, widgets and the CLI.

A run is ``"created"``, then ``"running"``, then ends ``"finished"`` (trained to the end),
``"stopped"`` (Stop, Ctrl-C, or stopped before training) or ``"failed"``. Projects written by
earlier versions also hold ``"completed"`` (the trainer's old word for finished) and
``"cancelled"`` (accepted by the schema, written by nothing); :func:`run_status` reads them.
"""

from __future__ import annotations

from typing import Literal, cast, get_args

__all__ = ["FINAL_STATUSES", "RunStatus", "ended_well", "is_final", "run_status"]

RunStatus = Literal["created", "running", "finished", "stopped", "failed"]

#: Statuses after which a run never changes again (its ``finished_at`` gets stamped).
FINAL_STATUSES: tuple[RunStatus, ...] = ("finished", "stopped", "failed")

_STATUSES: tuple[str, ...] = get_args(RunStatus)
# Words of earlier versions -> today's status.
_OLD_WORDS: dict[str, RunStatus] = {"completed": "finished", "cancelled": "stopped"}


def run_status(word: str) -> RunStatus:
    """The :data:`RunStatus` ``word`` names (also the old words ``completed``/``cancelled``).

    Raises
    ------
    ValueError
        If ``word`` is no run status, old or new.
    """
    if word in _OLD_WORDS:
        return _OLD_WORDS[word]
    if word in _STATUSES:
        return cast(RunStatus, word)
    raise ValueError(f"unknown run status {word!r}: expected one of {', '.join(_STATUSES)}")


def ended_well(status: RunStatus) -> bool:
    """Whether a run trained to its end (the one status whose model a person counts with)."""
    return status == "finished"


def is_final(status: RunStatus) -> bool:
    """Whether ``status`` is final: finished, stopped or failed."""
    return status in FINAL_STATUSES
