"""LivePlot on the widget models: what the plot shows for a known buffer, pause and scroll-back."""

from __future__ import annotations

import threading
from typing import Any

import numpy as np
import pytest

from hfwidgets._worker import Pump
from hfwidgets.segmenter import Window
from hfwidgets.sensors import SimulatedSource
from hfwidgets.widgets._throttle import use_pump
from hfwidgets.widgets.live_plot import LivePlot


@pytest.fixture
def recorded() -> SimulatedSource:
    """60 s of simulated arm at 50 Hz, already in the buffer (times 0..60 s)."""
    source = SimulatedSource(rate_hz=50.0, realtime=False, duration_s=60.0, seed=1)
    source.start()
    return source


def test_refresh_shows_the_newest_window_of_all_three_axes(recorded: SimulatedSource) -> None:
    plot = LivePlot(recorded, window_s=10.0, autostart=False)
    plot.refresh()
    x, y = np.asarray(plot._lines.x), np.asarray(plot._lines.y)
    assert y.shape == (3, 500)  # 10 s at 50 Hz, x/y/z
    assert x[-1] == pytest.approx(0.0)
    assert x[0] == pytest.approx(-9.98, abs=1e-3)
    _, xyz = recorded.buffer.snapshot(500)
    np.testing.assert_allclose(y, xyz.T)
    assert (plot._xs.min, plot._xs.max) == (-10.0, 0.0)
    assert "good 3,000" in plot.readout.value


def test_pause_freezes_and_scroll_back_moves_through_history(recorded: SimulatedSource) -> None:
    plot = LivePlot(recorded, window_s=5.0, autostart=False)
    plot.pause_button.value = True  # what clicking Pause does
    assert plot.paused
    assert not plot.scroll.disabled
    assert plot.scroll.max == pytest.approx(55.0)
    frozen = np.asarray(plot._lines.y).copy()
    # New samples arrive while paused: the picture must not move.
    recorded.buffer.extend(60.0 + np.arange(100) / 50.0, np.full((100, 3), 3.0, np.float32))
    plot.refresh()
    np.testing.assert_array_equal(np.asarray(plot._lines.y), frozen)
    plot.scroll.value = 20.0
    _, xyz = recorded.buffer.snapshot(None)
    expected = xyz[3000 - 1000 - 250 : 3000 - 1000]
    np.testing.assert_allclose(np.asarray(plot._lines.y), expected.T)
    assert (plot._xs.min, plot._xs.max) == (-25.0, -20.0)
    plot.pause_button.value = False  # resume jumps back to live
    assert plot.scroll.disabled
    assert np.asarray(plot._lines.y)[0, -1] == pytest.approx(3.0)


def test_captured_windows_are_shaded_where_they_happened(recorded: SimulatedSource) -> None:
    plot = LivePlot(recorded, window_s=10.0, autostart=False)
    data = np.zeros((75, 3), np.float32)
    plot.mark_window(Window(data=data, rate_hz=50.0, t0=55.0, start_index=2750))
    plot.mark_window(Window(data=data, rate_hz=50.0, t0=5.0, start_index=250))  # off screen
    plot.refresh()
    assert plot._shade.visible
    xs = np.asarray(plot._shade.x).reshape(-1, 4)  # bqplot squeezes a single line to 1-D
    assert xs.shape == (1, 4)
    # newest sample is at t = 59.98 s, so the window 55.0-56.5 s sits at -4.98..-3.48 s
    np.testing.assert_allclose(xs[0], [-4.98, -4.98, -3.48, -3.48], atol=1e-4)


def test_redraws_at_most_fps_times_a_second_and_only_when_samples_arrive() -> None:
    # A manual pump on a test clock: what the pump thread does, at exact times.
    clock = [0.0]
    pump = Pump(threaded=False, clock=lambda: clock[0])
    source = SimulatedSource(rate_hz=50.0, realtime=False, duration_s=1.0, seed=2)
    source.start()
    plot = LivePlot(source, window_s=4.0, fps=20.0, pump=pump)
    assert plot.running
    assert [t.name for t in pump.tasks] == ["hfw-live-plot"]
    redraws = plot.redraws
    # Two seconds (and a bit: the 40th frame is due at 2.0 s, give or take a float's ulp), one
    # turn of the pump per millisecond; a sample arrives every 20 ms.
    for ms in range(1, 2011):
        clock[0] = ms / 1000
        if ms % 20 == 0:
            source.buffer.extend(np.array([1.0 + ms / 1000]), np.zeros((1, 3), np.float32))
        pump.run_due()
    assert plot.redraws - redraws == 40  # 20 per second, although 50 samples/s arrived
    quiet = plot.redraws
    for ms in range(2011, 3011):  # a second without samples: nothing to draw
        clock[0] = ms / 1000
        pump.run_due()
    assert plot.redraws == quiet
    plot.close()
    assert not plot.running
    assert pump.tasks == []


def test_fps_is_capped_at_30_and_a_plot_alone_has_its_own_pump_thread() -> None:
    source = SimulatedSource(rate_hz=50.0, realtime=False, duration_s=1.0)
    source.start()
    plot = LivePlot(source, fps=100.0)
    try:
        assert plot.interval_s == pytest.approx(1 / 30)
        assert plot.pump is not None
        assert plot.pump.running
    finally:
        plot.close()
    assert not plot.pump.running
    assert "hfw-live-plot" not in [t.name for t in threading.enumerate()]


def test_plots_made_inside_use_pump_share_its_thread() -> None:
    source = SimulatedSource(rate_hz=50.0, realtime=False, duration_s=1.0)
    source.start()
    pump = Pump(threaded=False)
    with use_pump(pump):
        first, second = LivePlot(source), LivePlot(source)
    assert first.pump is second.pump is pump
    assert pump.step() == 2
    assert first.redraws == second.redraws == 1
    first.close()
    second.close()


def test_rejects_a_non_positive_window() -> None:
    source = SimulatedSource(rate_hz=50.0, realtime=False, duration_s=1.0)
    with pytest.raises(ValueError, match="window_s"):
        LivePlot(source, window_s=0, autostart=False)


def test_each_redraw_is_one_binary_message_for_the_lines(
    recorded: SimulatedSource, monkeypatch: pytest.MonkeyPatch
) -> None:
    import ipywidgets

    plot = LivePlot(recorded, window_s=10.0, autostart=False)
    sent: list[tuple[str, list[str], int]] = []
    original = ipywidgets.Widget._send

    def spy(
        self: ipywidgets.Widget, msg: dict[str, Any], buffers: list[Any] | None = None
    ) -> object:
        sent.append((type(self).__name__, sorted(msg.get("state", {})), len(buffers or [])))
        return original(self, msg, buffers)

    monkeypatch.setattr(ipywidgets.Widget, "_send", spy)
    for _ in range(5):
        recorded.buffer.extend([recorded.buffer.snapshot(1)[0][-1] + 0.02], [[0.0, 0.0, 1.0]])
        plot.refresh()
    lines = [m for m in sent if m[0] == "Lines"]
    assert len(lines) == 5  # one message per redraw
    for _name, keys, buffers in lines:
        assert "y" in keys  # x is resent only when the time axis changed
        assert buffers == len(keys)  # whole arrays, as binary buffers
    assert len([m for m in sent if m[0] == "HTML"]) == 1  # the readout at most twice a second


def test_a_paused_or_silent_plot_sends_no_frames(
    recorded: SimulatedSource, monkeypatch: pytest.MonkeyPatch
) -> None:
    import ipywidgets

    plot = LivePlot(recorded, window_s=10.0, autostart=False)
    plot.refresh()
    sent: list[str] = []
    original = ipywidgets.Widget._send

    def spy(
        self: ipywidgets.Widget, msg: dict[str, Any], buffers: list[Any] | None = None
    ) -> object:
        sent.append(type(self).__name__)
        return original(self, msg, buffers)

    monkeypatch.setattr(ipywidgets.Widget, "_send", spy)
    for _ in range(10):  # a finished recording: nothing new to draw
        plot.refresh()
    assert "Lines" not in sent
    plot.paused = True
    sent.clear()
    for _ in range(10):
        recorded.buffer.extend([recorded.buffer.snapshot(1)[0][-1] + 0.02], [[0.0, 0.0, 1.0]])
        plot.refresh()  # the source records on, the frozen picture is not resent
    assert "Lines" not in sent
    plot.scroll_s = 5.0  # looking back redraws
    assert "Lines" in sent


def test_the_default_vertical_range_is_the_sensors_full_range() -> None:
    # The standalone plot showed +/-4 g while the sketch (and the Workbench) use +/-8 g: a
    # high-five's impact was cut off. One default now: what the sensor is configured for.
    from hfwidgets.sensors import SerialSource
    from hfwidgets.sensors.protocol import format_header, format_line

    simulated = SimulatedSource(rate_hz=50.0, realtime=False, duration_s=2.0, seed=1)
    plot = LivePlot(simulated, autostart=False)
    assert (plot._ys.min, plot._ys.max) == (-8.0, 8.0)
    # A board that announces another range in its header gets that axis, even after the plot
    # was made (the header arrives when the port opens).
    serial = SerialSource("loop://", rate_hz=50)
    plot = LivePlot(serial, autostart=False)
    assert (plot._ys.min, plot._ys.max) == (-8.0, 8.0)
    lines = b"".join(format_line(i * 20, 0.0, 0.0, 12.0) for i in range(10))
    serial._ingest(format_header(50, range="16g") + lines, 1.0)
    plot.refresh()
    assert (plot._ys.min, plot._ys.max) == (-16.0, 16.0)
    assert np.asarray(plot._lines.y)[2, -1] == pytest.approx(12.0)  # inside the axis
    # An explicit range stays as given.
    plot = LivePlot(simulated, y_range=(-2.0, 2.0), autostart=False)
    assert (plot._ys.min, plot._ys.max) == (-2.0, 2.0)
