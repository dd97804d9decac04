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
