"""The Workbench's Sensor menu: the simulated arm, the serial ports, the USB sensor of the page.

Picking an entry opens that source and hands it to the Workbench (``switch``), which moves
every tab onto it; a source that cannot be opened leaves the one in use as it was and says
why. "USB sensor on this computer" is read by the page (Web Serial): the menu shows the
:class:`~hfwidgets.widgets.web_serial.WebSerialPort` connect button while that is the source.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ipywidgets as w

from hfwidgets._worker import Pump
from hfwidgets.sensors.base import Source, source_label
from hfwidgets.sensors.browser_serial import BrowserSerialSource
from hfwidgets.sensors.simulated import SimulatedSource
from hfwidgets.sensors.watch import SILENT_AFTER_S, source_name
from hfwidgets.widgets._html import esc
from hfwidgets.widgets.web_serial import WebSerialPort

__all__ = ["BROWSER", "SIMULATED", "SensorMenu", "port_text", "ports_line", "sensor_value"]

SIMULATED = SimulatedSource.LABEL
BROWSER = BrowserSerialSource.DISPLAY_NAME  # the sensor on the person's computer (Web Serial)


class SensorMenu(w.VBox):
    """The Sensor dropdown with its refresh button and note, and the page's connect button.

    Parameters
    ----------
    source
        The source in use now (selected in the menu; another kind of source disables it).
    rate_hz
        The rate a newly opened source starts at (the project's).
    switch
        ``switch(source)``: move everything onto a source that was opened (it is started).
    current
        ``current()``: the source in use (the menu falls back to it when opening fails).
    renamed
        ``renamed(source)``: the browser source now names its port (captured windows store it).
    pump
        The pump of the connect button's event bridge.
    """

    def __init__(
        self,
        source: Source,
        *,
        rate_hz: float,
        switch: Callable[[Any], None],
        current: Callable[[], Any],
        renamed: Callable[[Any], None],
        pump: Pump | None = None,
    ) -> None:
        self.rate_hz = float(rate_hz)
        self._switch = switch
        self._current = current
        self._renamed = renamed
        self.dropdown = w.Dropdown(description="Sensor", options=[SIMULATED], value=SIMULATED)
        self.refresh_button = w.Button(
            icon="refresh", tooltip="Look for serial ports again", layout=w.Layout(width="40px")
        )
        self.note = w.HTML()
        self._quiet = False  # set while the code (not a person) changes the dropdown
        # The browser's half of "USB sensor on this computer": shown while that is the source.
        self.web_serial = WebSerialPort(pump=pump)
        self.web_serial.layout.display = "none"
        self.web_serial.observe(lambda _c: self.refresh_ports(), "supported")
        self.refresh_ports()
        port = getattr(source, "port", None)
        if isinstance(source, BrowserSerialSource):
            self.select(BROWSER)
            self.follow(source)
        elif port is not None:
            self.select(str(port))
        elif sensor_value(source) != SIMULATED:
            self.dropdown.disabled = True
            self.note.value = f"<small>source: {esc(repr(source))}</small>"
        self.refresh_button.on_click(lambda _b: self.refresh_ports())
        self.dropdown.observe(self._on_pick, "value")
        super().__init__([w.HBox([self.dropdown, self.refresh_button, self.note]), self.web_serial])

    def refresh_ports(self) -> list[str]:
        """List the serial ports again (as the status bar does); returns their paths."""
        from hfwidgets.sensors.port_config import collect_ports_from_environ

        try:
            ports, warnings = collect_ports_from_environ()
        except Exception as exc:  # no serial support: the simulated arm still works
            ports, warnings = [], [f"ports unavailable: {exc}"]
        devices = [p.device for p in ports]
        options: list[tuple[str, str]] = [(SIMULATED, SIMULATED)]
        options += [(port_text(p), p.device) for p in ports]
        unavailable = self.web_serial.supported is False
        options.append((f"{BROWSER} (not in this browser)" if unavailable else BROWSER, BROWSER))
        current = self.dropdown.value
        if current not in [v for _t, v in options]:  # the port in use stays listed
            options.append((f"{current} (not seen now)", current))
        self._quiet = True
        try:
            self.dropdown.options = options
            self.dropdown.value = current
        finally:
            self._quiet = False
        seen = ports_line(devices, simulated=_is_simulated(self._current()))
        notes = "".join(f"<br>{esc(text)}" for text in warnings)
        self.note.value = f"<small>{esc(seen)}{notes}</small>"
        return devices

    def choose(self, name: str) -> bool:
        """Read from ``name`` (a port, ``"simulated arm"`` or ``BROWSER``); False if it fails.

        The port is opened before the current source is stopped, so a port that cannot be
        opened leaves everything streaming as before and says why. A port that opens but
        sends nothing shows in the plot's readout after ``SILENT_AFTER_S`` seconds.
        """
        if name == BROWSER:
            return self._choose_browser()
        if name == SIMULATED:
            from hfwidgets.sensors import SimulatedSource

            source: Source = SimulatedSource(rate_hz=self.rate_hz)
        else:
            from hfwidgets.sensors.serial_source import SerialSource

            source = SerialSource(name, rate_hz=self.rate_hz)
        try:
            source.start()
        except Exception as exc:  # a wrong or busy port: keep the current source
            self.select(sensor_value(self._current()))
            self.note.value = (
                f"<small><span style='color:#a00'>cannot read {esc(name)}: {esc(exc)}</span>"
                "</small>"
            )
            return False
        self._switch(source)
        self.select(name)
        if name == SIMULATED:
            self.note.value = "<small>reading the simulated arm</small>"
        else:
            self.note.value = (
                f"<small>reading {esc(source_name(source))}; no data within "
                f"{SILENT_AFTER_S:g} s means a wrong port or baud rate</small>"
            )
        return True

    def _choose_browser(self) -> bool:
        """Read the sensor on the person's computer through the page (Web Serial)."""
        if self.web_serial.supported is False:  # Firefox, Safari, VS Code, plain http
            self.select(sensor_value(self._current()))
            self.web_serial.layout.display = None  # its text says why and what to do
            self.note.value = (
                f"<small><span style='color:#a00'>{esc(BROWSER)} cannot be read here: "
                f"{esc(self.web_serial.unsupported_reason)}</span></small>"
            )
            return False
        source = BrowserSerialSource(rate_hz=self.rate_hz)
        source.start()
        self._switch(source)
        self.select(BROWSER)
        self.note.value = (
            f"<small>reading {esc(BROWSER)} through this browser: click “Connect USB "
            "sensor” below and pick its port</small>"
        )
        return True

    def follow(self, source: Source) -> None:
        """Show the connect button while the browser source is in use; else close its port."""
        browser = source if isinstance(source, BrowserSerialSource) else None
        self.web_serial.attach(browser)
        self.web_serial.layout.display = None if browser is not None else "none"
        if browser is not None:
            # The page names the port only when it opens it: captured windows store that name.
            browser.on_status(lambda _status: self._renamed(browser))

    def select(self, value: str) -> None:
        """Show ``value`` as chosen without opening it (listed if it was not)."""
        values = [v for _t, v in self.dropdown.options]
        self._quiet = True
        try:
            if value not in values:
                self.dropdown.options = [*self.dropdown.options, (value, value)]
            self.dropdown.value = value
        finally:
            self._quiet = False

    def _on_pick(self, change: dict[str, Any]) -> None:
        if not self._quiet and change["new"] is not None:
            self.choose(str(change["new"]))

    def close(self) -> None:
        """Close the connect button (its port in the page) and the menu."""
        self.web_serial.close()
        super().close()


def sensor_value(source: Source) -> str:
    """The menu entry of ``source``: the browser's, else its label (a port's path, the
    simulated arm)."""
    if isinstance(source, BrowserSerialSource):
        return BROWSER
    return source_label(source)


def port_text(port: Any) -> str:
    """``/dev/ttyACM0 (Arduino Uno)`` for the dropdown (option texts are not HTML)."""
    about = port.description or port.manufacturer
    return f"{port.device} ({about})" if about else str(port.device)


def ports_line(devices: list[str], *, simulated: bool) -> str:
    """The menu's line about serial ports (plain text), beside the source in use.

    With no port seen while the simulated arm streams, it says the arm works and how to add
    a board, rather than reading as an error next to a working stream.
    """
    if devices:
        return f"{len(devices)} serial port(s) seen"
    if simulated:
        return "The simulated arm is streaming. To add a board: plug it in and press ↻."
    return "no sensor port seen: plug in the board or run `hfw simulate-arduino`"


def _is_simulated(source: Source) -> bool:
    from hfwidgets.sensors import SimulatedSource

    return isinstance(source, SimulatedSource)
