"""The hfwidgets jupyter_server extension: serial ports for the status bar, new workbenches.

Endpoints (authenticated like every Jupyter endpoint):

- ``GET /hfwidgets/ports``: the serial ports the server sees, likely Arduino first, plus the
  ones named by `HfwPorts` configuration.
- ``POST /hfwidgets/workbench``: copy the shipped workbench template into a folder.

The `HfwPorts` settings are also exported to the server's environment when the extension loads
(:func:`hfwidgets.sensors.port_config.ports_environ`), so kernels started by this server, and the
Workbench's Sensor dropdown in them, list the same ports as the status bar.

Importing this package imports jupyter_server and tornado (its handlers): only the server
imports it, once it has loaded both. A kernel reads the port list from
``hfwidgets.sensors.port_config``, which never imports this package.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from hfwidgets.sensors.port_config import ports_environ
from hfwidgets.server.handlers import HfwPorts, setup_handlers

if TYPE_CHECKING:
    from jupyter_server.serverapp import ServerApp

__all__ = ["HfwPorts", "load_jupyter_server_extension"]


def load_jupyter_server_extension(serverapp: ServerApp) -> None:
    """Register the handlers; called by jupyter_server when the extension is enabled."""
    ports_config = HfwPorts(parent=serverapp)
    setup_handlers(serverapp.web_app, ports_config)
    # Kernels inherit the server's environment: this is how they learn the configured ports.
    os.environ.update(
        ports_environ(
            extra_ports=ports_config.extra_ports,
            extra_ports_file=ports_config.extra_ports_file or None,
            include_without_hardware_id=ports_config.include_without_hardware_id,
        )
    )
    serverapp.log.info("hfwidgets: serving /hfwidgets/ports and /hfwidgets/workbench")


# The name jupyter_server looks up in the module named by _jupyter_server_extension_points.
_load_jupyter_server_extension = load_jupyter_server_extension
