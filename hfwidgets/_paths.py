"""Paths shared by several parts: where templates and the offline weights are found."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["PACKAGE_DIR", "REPO_DIR", "WORKBENCH_TEMPLATE", "shared_weights"]

PACKAGE_DIR = Path(__file__).resolve().parent
REPO_DIR = PACKAGE_DIR.parent
WORKBENCH_TEMPLATE = PACKAGE_DIR / "templates" / "workbench.ipynb"


def shared_weights(name: str = "mobilenet_v2-imagenet-derived.pth") -> Path | None:
    """Return the offline ImageNet weights file if this checkout has one beside it.

    Looks in ``$HFW_WEIGHTS_DIR`` first, then ``../shared/weights/`` relative to the repository.
    """
    candidates = []
    if os.environ.get("HFW_WEIGHTS_DIR"):
        candidates.append(Path(os.environ["HFW_WEIGHTS_DIR"]) / name)
    candidates.append(REPO_DIR.parent / "shared" / "weights" / name)
    for path in candidates:
        if path.is_file():
            return path
    return None
