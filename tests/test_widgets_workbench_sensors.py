"""Switching the Sensor menu mid-capture: what was captured is kept and says where it came from.

What a person expects (Edge Impulse keeps every sample with the device it came from; Teachable
Machine never drops a take silently): the windows captured from the sensor used before stay in
the labelling queue, each tells on screen that it came from the earlier sensor, and it is stored
with that sensor as its source (validation groups windows by source), never with the new one's.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from hfwidgets.segmenter import Window
from hfwidgets.sensors import SimulatedSource, simulate_windows
from hfwidgets.widgets.workbench import Workbench


def _still() -> SimulatedSource:
    """An arm at rest: the test hands the labeler its captures itself (as the capture would)."""
    return SimulatedSource(rate_hz=50.0, realtime=False, duration_s=2.0, events_per_minute=0.0)


def _captures(n: int) -> list[Window]:
    windows, _labels = simulate_windows(n, seed=4)
    return [Window(w, rate_hz=50.0, t0=float(i), start_index=50 * i) for i, w in enumerate(windows)]


@pytest.fixture
def bench(tmp_path: Path) -> Iterator[Workbench]:
    wb = Workbench(tmp_path / "proj", source=_still(), weights="none", thumbnail=False)
    yield wb
    wb.close()


def test_windows_of_the_earlier_sensor_stay_queued_named_by_where_they_came_from(
    bench: Workbench, pty_path: str
) -> None:
    captured = _captures(2)  # four motions of the simulated arm, not yet shown
    for window in captured:
        bench.labeler.add_window(window)
    assert bench.choose_sensor(pty_path)  # the person switches sensors before they are shown
    bench.labeler.flush()
    pending = bench.labeler.pending
    assert len(pending) == len(captured)  # nothing captured is dropped
    assert {p.source for p in pending} == {"simulated arm"}  # not the port picked since
    title = bench.labeler.title.value
    assert "from simulated arm, the sensor before" in title
    assert f"{len(captured) - 1} from an earlier sensor" in title
    wid = bench.labeler.label("high-five")
    assert wid is not None
    assert bench.project.windows.get(wid).source == "simulated arm"


def test_windows_of_the_sensor_in_use_carry_no_earlier_sensor_note(bench: Workbench) -> None:
    for window in _captures(1):
        bench.labeler.add_window(window)
    bench.labeler.flush()
    assert bench.labeler.pending
    assert "sensor before" not in bench.labeler.title.value
    assert "earlier sensor" not in bench.labeler.title.value


def test_a_class_added_in_the_notebook_cell_gets_a_button(tmp_path: Path) -> None:
    from hfwidgets.store import Project

    Project.create(tmp_path / "proj").close()  # high-five, other
    wb = Workbench(tmp_path / "proj", classes=("high-five", "other", "wave"), source=_still(),
                   weights="none", thumbnail=False)  # fmt: skip
    try:
        assert list(wb.labeler.class_buttons) == ["high-five", "other", "wave"]
        assert wb.project.classes == ("high-five", "other", "wave")
        assert wb.checklist.num_classes == 3
    finally:
        wb.close()


def test_a_class_left_out_in_the_cell_is_kept_and_the_header_says_so(tmp_path: Path) -> None:
    from hfwidgets.store import Project

    Project.create(tmp_path / "proj").close()
    wb = Workbench(tmp_path / "proj", classes=("high-five", "rest"), source=_still(),
                   weights="none", thumbnail=False)  # fmt: skip
    try:
        assert list(wb.labeler.class_buttons) == ["high-five", "other"]
        header = wb.children[0].value
        assert "leaves out other, which this project has" in header
    finally:
        wb.close()


def test_after_a_switch_the_plot_shows_nothing_of_the_earlier_sensor(
    tmp_path: Path, pty_path: str
) -> None:
    recorded = SimulatedSource(rate_hz=50.0, realtime=False, duration_s=15.0,
                               script=["high-five", "wave", "high-five"])  # fmt: skip
    wb = Workbench(tmp_path / "proj", source=recorded, weights="none", thumbnail=False)
    try:
        t, _xyz = recorded.buffer.snapshot(1)
        wb.plot.mark_window(Window(np.zeros((75, 3), np.float32), rate_hz=50.0,
                                   t0=float(t[-1]) - 2.0, start_index=0))  # fmt: skip
        wb.plot.refresh()
        assert len(wb.plot._lines.x) > 0
        assert wb.plot._shade.visible
        assert wb.choose_sensor(pty_path)  # a port that has sent nothing yet
        wb.plot.refresh()
        assert len(wb.plot._lines.x) == 0  # not the simulated arm's traces, frozen
        assert not wb.plot._shade.visible  # nor its captured window
    finally:
        wb.close()


def test_live_counting_goes_on_with_the_sensor_picked_meanwhile(
    bench: Workbench, pty_path: str
) -> None:
    from tests.fakes import JoltPredictor

    bench.live.set_predictor(JoltPredictor(run_id=1))
    bench.live.start()
    assert bench.choose_sensor(pty_path)
    assert bench.live.running  # not silently stopped by the switch
    assert bench.live.classifier is not None
    assert bench.live.classifier.source is bench.source
    assert bench.live.start_button.description == "Stop"


def test_a_project_that_cannot_be_written_says_so_under_the_window(
    bench: Workbench, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sqlite3

    from hfwidgets.store.database import explain_sqlite_error

    def read_only(*_args: object, **_kwargs: object) -> int:
        error = sqlite3.OperationalError("attempt to write a readonly database")
        raise explain_sqlite_error(error, bench.project.db_path)

    for window in _captures(1):
        bench.labeler.add_window(window)
    bench.labeler.flush()
    monkeypatch.setattr(bench.project.windows, "add", read_only)
    bench.labeler.class_buttons["high-five"].click()  # as a person clicks it
    assert "Not stored" in bench.labeler.message.value
    assert "read-only" in bench.labeler.message.value
    assert len(bench.labeler.pending) == 2  # still waiting, nothing lost
    bench.labeler.handle_key("label:other")  # a key says so too
    assert "Not stored" in bench.labeler.message.value
    monkeypatch.undo()  # permissions fixed: the next click stores it
    bench.labeler.class_buttons["high-five"].click()
    assert bench.project.windows.counts()["high-five"] == 1


def test_the_sensor_line_beside_the_simulated_arm_says_it_streams_and_how_to_add_a_board() -> None:
    from hfwidgets.widgets.sensor_menu import ports_line

    line = ports_line([], simulated=True)
    assert line == "The simulated arm is streaming. To add a board: plug it in and press ↻."
    assert "no sensor port seen" in ports_line([], simulated=False)  # a port in use went away
    assert ports_line(["/dev/ttyACM0"], simulated=True) == "1 serial port(s) seen"


def test_switching_sensors_keeps_capture_as_the_person_left_it(
    bench: Workbench, pty_path: str
) -> None:
    assert not bench.labeler.capturing  # the Workbench waits for Start capturing
    assert bench.choose_sensor(pty_path)
    assert not bench.labeler.capturing  # a switch does not start it unasked
    assert "Capture not started" in bench.labeler.title.value
    bench.labeler.controls.toggle_button.click()  # Start capturing
    assert bench.labeler.capturing
    assert bench.choose_sensor("simulated arm")
    assert bench.labeler.capturing  # the new sensor's capture runs on
    assert bench.labeler.capture is bench.capture
    assert bench.capture.source is bench.source
