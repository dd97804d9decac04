"""Tornado handlers of the hfwidgets server extension, and the ports configuration."""

from __future__ import annotations

import asyncio
import json
import logging

import tornado.web
from jupyter_server.base.handlers import APIHandler
from jupyter_server.utils import url_path_join
from traitlets import Bool, List, Unicode
from traitlets.config import Configurable

from hfwidgets.errors import HfwError
from hfwidgets.sensors.port_config import collect_ports
from hfwidgets.server.workbench_notebook import create_workbench_notebook

__all__ = ["HfwPorts", "PortsHandler", "WorkbenchHandler", "setup_handlers"]

log = logging.getLogger(__name__)


class HfwPorts(Configurable):
    """Which serial ports ``GET /hfwidgets/ports`` reports besides the ones pyserial finds.

    Set on the command line (``--HfwPorts.extra_ports=/dev/pts/5``) or in a Jupyter config
    file (``c.HfwPorts.extra_ports_file = "/tmp/hfw-ports.json"``).
    """

    extra_ports = List(
        Unicode(),
        default_value=[],
        help="Port paths or pyserial URLs to list as well, e.g. the pty of `hfw simulate-arduino`.",
    ).tag(config=True)

    extra_ports_file = Unicode(
        "",
        help=(
            "A JSON file (a list of ports, or {'ports': [...]}) re-read on every request, so a "
            "port can be added while the server runs. Missing file = no extra ports."
        ),
    ).tag(config=True)

    include_without_hardware_id = Bool(
        False,
        help="Also list ports with no hardware id, such as the built-in /dev/ttyS* UARTs.",
    ).tag(config=True)


class PortsHandler(APIHandler):
    """``GET /hfwidgets/ports``: ``{"ports": [...], "warnings": [...]}``, likely Arduino first."""

    @tornado.web.authenticated
    async def get(self) -> None:
        config: HfwPorts = self.settings["hfwidgets_ports"]
        # pyserial walks sysfs (or the registry): keep that off the server's event loop.
        ports, warnings = await asyncio.to_thread(
            collect_ports,
            extra_ports=config.extra_ports,
            extra_ports_file=config.extra_ports_file or None,
            include_without_hardware_id=config.include_without_hardware_id,
        )
        self.finish(json.dumps({"ports": [port.to_json() for port in ports], "warnings": warnings}))


class WorkbenchHandler(APIHandler):
    """``POST /hfwidgets/workbench`` with ``{"directory": "sub/folder"}``: ``201 {"path": ...}``."""

    @tornado.web.authenticated
    async def post(self) -> None:
        body = self.get_json_body() or {}
        directory = body.get("directory", "") if isinstance(body, dict) else None
        if not isinstance(directory, str):
            raise tornado.web.HTTPError(400, 'expected a JSON object {"directory": "<folder>"}')
        try:
            path = await create_workbench_notebook(self.contents_manager, directory)
        except PermissionError as error:  # a hidden folder: refused before writing
            raise tornado.web.HTTPError(400, str(error)) from error
        except FileNotFoundError as error:
            raise tornado.web.HTTPError(404, str(error)) from error
        except HfwError as error:
            raise tornado.web.HTTPError(500, str(error)) from error
        self.set_status(201)
        self.finish(json.dumps({"path": path}))


def setup_handlers(web_app: tornado.web.Application, ports_config: HfwPorts) -> None:
    """Add the routes under the server's base URL."""
    base = web_app.settings["base_url"]
    web_app.settings["hfwidgets_ports"] = ports_config
    web_app.add_handlers(
        ".*$",
        [
            (url_path_join(base, "hfwidgets", "ports"), PortsHandler),
            (url_path_join(base, "hfwidgets", "workbench"), WorkbenchHandler),
        ],
    )
