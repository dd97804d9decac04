"""A scripted Web Serial port for browser tests: ``navigator.serial`` replaced before the page runs.

Use as ``page.add_init_script(fake_serial_script(samples))`` before opening JupyterLab; the page
then exposes ``window.__fakeSerial`` (``config`` to set before the click, counters to read; see
``fake_serial.js``). ``NO_WEB_SERIAL`` removes ``navigator.serial`` instead, as in Firefox.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

__all__ = ["NO_WEB_SERIAL", "fake_serial_script", "motion_rows"]

_SCRIPT = Path(__file__).with_name("fake_serial.js")

#: An init script that makes the page look like a browser without Web Serial.
NO_WEB_SERIAL = "delete Navigator.prototype.serial;"


def motion_rows(seconds: float, *, rate_hz: float = 50.0, seed: int = 3) -> np.ndarray:
    """Samples (g, rounded as the sketch prints them) of arm motions with high-fives in them."""
    from hfwidgets.sensors import simulate_session

    script = ["high-five", "wave", "high-five", "swing", "high-five", "raise"] * 4
    _t, xyz, _events = simulate_session(seconds, rate_hz=rate_hz, seed=seed, script=script)
    return np.round(xyz.astype(np.float64), 4)


def fake_serial_script(samples: np.ndarray) -> str:
    """The init script; line ``i`` the fake port sends carries ``samples[i % len(samples)]``."""
    rows = json.dumps([[float(v) for v in row] for row in np.asarray(samples)[:, :3]])
    return _SCRIPT.read_text().replace("__HFW_SAMPLES__", rows)
