"""The hfwidgets jupyter_server extension: serial ports for the status bar, new workbenches.

Endpoints (authenticated like every Jupyter endpoint):

- ``GET /hfwidgets/ports``: the serial ports the server sees, likely Arduino first, plus the
  ones named by `HfwPorts` configuration.
- ``POST /hfwidgets/workbench``: copy the shipped workbench template into a folder.
"""

from __future__ import annotations

from typing import Any

from hfwidgets.server.handlers import HfwPorts, setup_handlers

__all__ = ["HfwPorts", "load_jupyter_server_extension"]


def load_jupyter_server_extension(serverapp: Any) -> None:
    """Register the handlers; called by jupyter_server when the extension is enabled."""
    ports_config = HfwPorts(parent=serverapp)
    setup_handlers(serverapp.web_app, ports_config)
    serverapp.log.info("hfwidgets: serving /hfwidgets/ports and /hfwidgets/workbench")


# The name jupyter_server looks up in the module named by _jupyter_server_extension_points.
_load_jupyter_server_extension = load_jupyter_server_extension
