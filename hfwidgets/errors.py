"""Errors with messages a person can act on."""

from __future__ import annotations

__all__ = ["HfwError", "HfwWarning"]


class HfwError(Exception):
    """Base class of hfwidgets' own errors: the message names the file, port or option at fault
    and what to do about it."""


class HfwWarning(UserWarning):
    """Warnings of hfwidgets itself (the test suite turns them into errors)."""
