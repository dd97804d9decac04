"""The ``hfw`` command line: one module per subcommand, discovered at start.

Each module ``<command>_command.py`` in this package defines ``register(subparsers)``, which
adds one subparser whose ``func(args) -> int`` does the work. ``--json`` prints one JSON
object as the last stdout line.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from collections.abc import Sequence

from hfwidgets import __version__
from hfwidgets.errors import HfwError

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hfw", description="hfwidgets: capture, label, train and count arm motions."
    )
    parser.add_argument("--version", action="version", version=f"hfw {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "func", None) is None:
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except HfwError as exc:
        print(f"hfw {args.command}: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
