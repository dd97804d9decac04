"""hfwidgets: teach a neural network a motion in JupyterLab.

Stream a wrist accelerometer, label motion windows, turn them into scalograms, fine-tune a
pretrained torchvision CNN and count high-fives live. Pure logic lives in the sub-packages
(`sensors`, `store`, `scalogram`, `models`, `training`, `live`); `widgets` draws it.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("hfwidgets")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"

__all__ = ["__version__"]


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    """Where JupyterLab finds the prebuilt extension (``labextension/`` beside this file)."""
    return [{"src": "labextension", "dest": "hfwidgets"}]


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    """The jupyter_server extension: ``hfwidgets.server`` (GET /hfwidgets/ports and friends)."""
    return [{"module": "hfwidgets.server"}]
