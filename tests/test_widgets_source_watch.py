"""What the workbench calls a source in a sentence ("reading X; no data within ...")."""

from __future__ import annotations

from hfwidgets.sensors.browser_serial import BrowserSerialSource
from hfwidgets.sensors.simulated import SimulatedSource
from hfwidgets.widgets.source_watch import source_name


def test_a_source_is_named_by_its_port_or_its_label() -> None:
    assert source_name(SimulatedSource()) == "the simulated arm"
    browser = BrowserSerialSource()
    assert source_name(browser) == "the USB sensor on this computer"  # no port picked yet
    browser.start()
    browser.port_opened("Arduino Nano 33 BLE")
    assert source_name(browser) == "Arduino Nano 33 BLE"
    browser.stop()
