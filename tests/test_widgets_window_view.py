"""WindowView: a captured window is drawn whole, a slap above 4 g included."""

from __future__ import annotations

import numpy as np

from hfwidgets.sensors import simulate_motion
from hfwidgets.widgets.window_view import WindowView


def test_the_axis_widens_to_show_a_peak_above_its_range_and_narrows_back() -> None:
    view = WindowView(thumbnail=False)
    quiet = np.zeros((75, 3), np.float32)
    quiet[:, 0] = -1.0
    view.show(quiet)
    assert (view._ys.min, view._ys.max) == (-4.0, 4.0)
    slap, _peak = simulate_motion("high-five", seed=0)
    slap = slap.copy()
    slap[30, 2] = 5.3
    view.show(slap)
    assert (view._ys.min, view._ys.max) == (-6.0, 6.0)
    view.show(quiet)
    assert (view._ys.min, view._ys.max) == (-4.0, 4.0)
