"""The argument shape most subcommands share: a subparser that works on one project.

``project_command`` adds the subparser with ``--project DIR`` (required) and its ``func``;
the command adds its own options after it (``--json`` last, by convention).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any, TypeAlias

__all__ = ["Subparsers", "add_project_argument", "project_command"]

#: What ``hfw``'s parser gives each command module's ``register`` (argparse names it privately).
Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


def add_project_argument(parser: argparse.ArgumentParser, *, help: str = "project folder") -> None:
    """Add ``--project DIR`` (required) to ``parser``."""
    parser.add_argument("--project", required=True, metavar="DIR", help=help)


def project_command(
    subparsers: Subparsers,
    name: str,
    *,
    func: Callable[[argparse.Namespace], int],
    help: str,
    project_help: str = "project folder",
    **options: Any,
) -> argparse.ArgumentParser:
    """Add subcommand ``name`` with ``--project DIR`` and ``func``; returns its parser.

    ``options`` go to ``add_parser`` (``description``, ``formatter_class``).
    """
    parser: argparse.ArgumentParser = subparsers.add_parser(name, help=help, **options)
    add_project_argument(parser, help=project_help)
    parser.set_defaults(func=func)
    return parser
