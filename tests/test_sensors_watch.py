"""The watch of a source: what it is called in a sentence, its notices and how long it is gone."""

from __future__ import annotations

from hfwidgets.sensors.base import SourceStatus
from hfwidgets.sensors.browser_serial import BrowserSerialSource
from hfwidgets.sensors.simulated import SimulatedSource
from hfwidgets.sensors.watch import SourceWatch, source_name


def test_a_source_is_named_by_its_port_or_its_label() -> None:
    assert source_name(SimulatedSource()) == "the simulated arm"
    browser = BrowserSerialSource()
    assert source_name(browser) == "the USB sensor on this computer"  # no port picked yet
    browser.start()
    browser.port_opened("Arduino Nano 33 BLE")
    assert source_name(browser) == "Arduino Nano 33 BLE"
    browser.stop()


def test_the_watch_keeps_notices_and_says_how_long_the_source_is_gone() -> None:
    watch = SourceWatch(SimulatedSource(), clock=lambda: 0.0)
    assert watch.notices() == []
    assert watch.gone_for(5.0) == 0.0
    watch.update(SourceStatus(False, "/dev/ttyACM0 disappeared; retrying", 10.0))
    watch.update(SourceStatus(False, "still gone", 11.0))  # the first loss counts
    assert watch.gone_for(14.0) == 4.0
    assert watch.last_loss == "/dev/ttyACM0 disappeared; retrying"
    assert watch.notices() == ["/dev/ttyACM0 disappeared; retrying", "still gone"]
    assert watch.notices() == []  # each notice is handed out once
    watch.update(SourceStatus(True, "/dev/ttyACM0 is back", 15.0))
    assert watch.gone_for(20.0) == 0.0
    assert watch.notices() == ["/dev/ttyACM0 is back"]
