"""Sample sources: a serial port (on the server, or in the browser), a simulated arm, a recording.

All fill a RingBuffer.

Nothing here imports widgets. Import the names from this package::

    from hfwidgets.sensors import SimulatedSource, SerialSource, ReplaySource, RingBuffer
"""

from __future__ import annotations

from hfwidgets.sensors.base import (
    Source,
    SourceStats,
    SourceStatus,
    estimate_rate,
    source_label,
)
from hfwidgets.sensors.browser_serial import BrowserMessageError, BrowserSerialSource
from hfwidgets.sensors.buffer import RingBuffer
from hfwidgets.sensors.motions import (
    MOTION_KINDS,
    MotionEvent,
    simulate_motion,
    simulate_session,
    simulate_windows,
)
from hfwidgets.sensors.ports import PortInfo, list_ports
from hfwidgets.sensors.protocol import BadLine, LineDecoder, format_line, parse_line
from hfwidgets.sensors.replay import ReplaySource
from hfwidgets.sensors.serial_source import SerialPortError, SerialSource
from hfwidgets.sensors.simulated import SimulatedSource

__all__ = [
    "MOTION_KINDS",
    "BadLine",
    "BrowserMessageError",
    "BrowserSerialSource",
    "LineDecoder",
    "MotionEvent",
    "PortInfo",
    "ReplaySource",
    "RingBuffer",
    "SerialPortError",
    "SerialSource",
    "SimulatedSource",
    "Source",
    "SourceStats",
    "SourceStatus",
    "estimate_rate",
    "format_line",
    "list_ports",
    "parse_line",
    "simulate_motion",
    "simulate_session",
    "simulate_windows",
    "source_label",
]
