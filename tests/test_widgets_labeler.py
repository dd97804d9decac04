"""Labeler on the widget models: buttons, keys, undo and review, checked against the project DB."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from hfwidgets.capture import WindowCapture
from hfwidgets.segmenter import Window
from hfwidgets.sensors import SimulatedSource
from hfwidgets.store import Project
from hfwidgets.widgets.keys import KeyMap
from hfwidgets.widgets.labeler import Labeler


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Project]:
    with Project.create(tmp_path / "p") as p:
        yield p


def _window(value: float, t0: float = 0.0) -> Window:
    data = np.full((75, 3), value, dtype=np.float32)
    return Window(data=data, rate_hz=50.0, t0=t0, start_index=0)


def _labeler(project: Project) -> Labeler:
    return Labeler(project, thumbnail=False, autostart=False)


def _key(labeler: Labeler, key: str) -> None:
    """What ipyevents delivers for a key press over the labeler."""
    assert labeler.key_events is not None
    labeler.key_events._dom_handlers({"event": "keydown", "type": "keydown", "key": key})


def test_button_and_key_each_store_a_label_at_once(project: Project) -> None:
    labeler = _labeler(project)
    labeler.add_window(_window(0.1, t0=1.0))
    labeler.add_window(_window(0.2, t0=5.0))
    labeler.flush()
    assert "1 more waiting" in labeler.title.value
    labeler.class_buttons["high-five"].click()  # the newest window (0.2)
    _key(labeler, "o")  # then the older one, by its initial
    assert Project.open(project.path).windows.counts() == {"high-five": 1, "other": 1}
    stored = {r.label: r for r in project.windows.all()}
    assert float(stored["high-five"].data[0, 0]) == pytest.approx(0.2)
    assert stored["high-five"].t0 == 5.0
    assert float(stored["other"].data[0, 0]) == pytest.approx(0.1)
    assert "<b>high-five</b> 1" in labeler.counts_html.value
    assert "Waiting for a motion" in labeler.title.value


def test_discard_stores_nothing_and_undo_reverses_label_and_discard(project: Project) -> None:
    labeler = _labeler(project)
    labeler.add_window(_window(0.1))
    labeler.add_window(_window(0.2))
    labeler.flush()
    labeler.discard_button.click()
    assert project.windows.ids() == []
    labeler.label("other")
    assert project.windows.counts()["other"] == 1
    assert labeler.undo() == "label"
    assert project.windows.counts()["other"] == 0  # undone in the store, not only on screen
    labeler.label("high-five")  # the same window again, relabelled in place
    assert len(project.windows.ids()) == 1
    assert project.windows.counts() == {"high-five": 1, "other": 0}
    labeler.undo()
    labeler.undo()  # undo the discard: the 0.2 window is back on screen
    assert len(labeler.pending) == 2
    assert float(labeler.pending[-1].data[0, 0]) == pytest.approx(0.2)


def test_keys_map_digits_initials_and_leave_ctrl_alone() -> None:
    keymap = KeyMap.for_classes(["high-five", "other", "wave"])
    assert keymap.action_for({"type": "keydown", "key": "1"}) == "label:high-five"
    assert keymap.action_for({"type": "keydown", "key": "W"}) == "label:wave"
    assert keymap.action_for({"type": "keydown", "key": "x"}) == "discard"
    assert keymap.action_for({"type": "keydown", "key": "z", "ctrlKey": True}) is None
    assert keymap.action_for({"type": "keyup", "key": "1"}) is None
    assert "1/h high-five" in keymap.describe()


def test_review_relabels_filters_and_deletes(project: Project) -> None:
    ids = [project.windows.add(_window(v).data, rate_hz=50.0, label=lab)
           for v, lab in [(0.1, "high-five"), (0.2, "other"), (0.3, "other")]]  # fmt: skip
    labeler = _labeler(project)
    labeler.mode_toggle.value = "review"
    assert labeler.review.position_text() == "1 / 3"
    labeler.review_bar.filter.value = "label:other"
    assert [r.id for r in labeler.review.records] == ids[1:]
    labeler.label("high-five")  # relabel window 2, cursor moves on
    assert project.windows.get(ids[1]).label == "high-five"
    assert labeler.review.current_id == ids[2]
    labeler.review_bar.delete_button.click()
    assert ids[2] not in project.windows.ids()
    assert labeler.undo() == "delete"  # restored with the same id and its label
    assert project.windows.get(ids[2]).label == "other"
    assert project.windows.counts() == {"high-five": 2, "other": 1}
    labeler.undo()  # the relabel
    assert project.windows.get(ids[1]).label == "other"


def test_verdicts_filter_misclassified_and_show_windows_opens_a_selection(
    project: Project,
) -> None:
    a = project.windows.add(_window(0.1).data, rate_hz=50.0, label="high-five")
    b = project.windows.add(_window(0.2).data, rate_hz=50.0, label="other")
    labeler = _labeler(project)
    labeler.set_verdicts({a: "high-five", b: "high-five"}, run_id=1)
    labeler.mode = "review"
    labeler.review_bar.filter.value = "misclassified"
    assert [r.id for r in labeler.review.records] == [b]
    assert "model says <b>high-five</b> ✗" in labeler.title.value
    labeler.mode = "capture"
    labeler.show_windows([a], title="high-five → high-five")
    assert labeler.mode == "review"
    assert labeler.review.current_id == a
    assert ("high-five → high-five (1)", "ids") in labeler.review_bar.filter.options


def test_unknown_class_is_a_clear_error(project: Project) -> None:
    labeler = _labeler(project)
    with pytest.raises(ValueError, match="classes are"):
        labeler.label("punch")


def test_live_capture_from_a_simulated_arm_reaches_the_labeler(project: Project) -> None:
    source = SimulatedSource(rate_hz=50.0, realtime=False, duration_s=12.0, script=["high-five"])
    capture = WindowCapture(source)  # remembers the (empty) buffer position before start
    labeler = Labeler(project, capture=capture, thumbnail=False, autostart=False)
    source.start()
    windows = capture.poll()
    labeler.flush()
    assert len(windows) >= 1
    assert len(labeler.pending) == len(windows)
    wid = labeler.label("high-five")
    assert wid is not None
    record = project.windows.get(wid)
    assert record.data.shape == (75, 3)  # 1.5 s at 50 Hz
    assert record.label == "high-five"


def test_thumbnail_is_the_scalogram_png_of_the_shown_window(project: Project) -> None:
    import io

    import PIL.Image

    from hfwidgets.sensors import simulate_windows

    windows, _ = simulate_windows(1, seed=5)
    labeler = Labeler(project, autostart=False)
    labeler.add_window(Window(data=windows[0], rate_hz=50.0, t0=0.0, start_index=0))
    labeler.flush()
    image = PIL.Image.open(io.BytesIO(labeler.view.image.value))
    assert (image.format, image.mode, image.size) == ("PNG", "RGB", (128, 128))
    assert np.asarray(image).std() > 5  # a real picture, not a blank square
    assert labeler.view.image.layout.visibility == "visible"


def test_undo_past_a_delete_walks_back_the_restored_windows_labels(project: Project) -> None:
    first = project.windows.add(_window(0.1).data, rate_hz=50.0, label="high-five")
    labeler = _labeler(project)
    labeler.mode = "review"
    assert labeler.review.current_id == first
    labeler.label("other")  # relabel, then the cursor stays on the only window
    labeler.delete()
    assert project.windows.ids() == []
    assert labeler.undo() == "delete"
    (restored,) = project.windows.ids()
    assert restored == first  # soft delete: the id every metric and split names stays valid
    assert project.windows.get(restored).label == "other"
    assert labeler.undo() == "relabel"  # used to fail: the relabel named the deleted id
    assert project.windows.get(restored).label == "high-five"
    assert "high-five" in labeler.title.value


def test_deleting_a_window_drops_it_from_the_capture_queue(project: Project) -> None:
    labeler = _labeler(project)
    labeler.add_window(_window(0.1))
    labeler.flush()
    wid = labeler.label("high-five")
    labeler.undo()  # back in the queue, still stored (unlabelled)
    assert [item.id for item in labeler.pending] == [wid]
    labeler.mode = "review"
    labeler.delete()
    labeler.mode = "capture"
    assert labeler.label("other") is None  # nothing left to label; no stale id in the store
    assert project.windows.ids() == []


def _on_screen(labeler: Labeler) -> float:
    """First x sample of the window the view draws."""
    return float(labeler.view.lines.y[0][0])


def test_a_capture_arriving_just_before_the_click_does_not_take_the_label(
    project: Project,
) -> None:
    labeler = _labeler(project)
    labeler.add_window(_window(0.1))
    labeler.flush()
    labeler.add_window(_window(0.2))  # arrives while 0.1 is on screen, just before the click
    labeler.flush()
    assert _on_screen(labeler) == pytest.approx(0.1)
    assert "1 more waiting" in labeler.title.value
    labeler.class_buttons["high-five"].click()
    (stored,) = project.windows.all(label="high-five")
    assert float(stored.data[0, 0]) == pytest.approx(0.1)
    assert _on_screen(labeler) == pytest.approx(0.2)
    _key(labeler, "o")
    (other,) = project.windows.all(label="other")
    assert float(other.data[0, 0]) == pytest.approx(0.2)


def test_after_undo_the_undone_window_is_shown_and_takes_the_next_label(
    project: Project,
) -> None:
    labeler = _labeler(project)
    labeler.add_window(_window(0.1))
    labeler.flush()
    first = labeler.label("high-five")
    assert first is not None
    labeler.add_window(_window(0.2))
    labeler.flush()
    assert _on_screen(labeler) == pytest.approx(0.2)
    labeler.undo_button.click()
    assert _on_screen(labeler) == pytest.approx(0.1)  # the undone window is back on screen
    assert f"window {first} again" in labeler.title.value
    assert project.windows.get(first).label is None
    _key(labeler, "o")
    assert project.windows.get(first).label == "other"  # labelled, not left unlabelled
    assert len(project.windows.ids()) == 1
    assert _on_screen(labeler) == pytest.approx(0.2)  # the newer capture still waits


def test_a_window_relabelled_in_review_never_returns_to_the_capture_queue(
    project: Project,
) -> None:
    labeler = _labeler(project)
    labeler.add_window(_window(0.1))
    labeler.flush()
    wid = labeler.label("high-five")
    labeler.undo()  # waits again for a label
    labeler.mode_toggle.value = "review"
    assert labeler.review.current_id == wid
    labeler.class_buttons["other"].click()  # labelled in review instead
    labeler.mode_toggle.value = "capture"
    assert "Waiting for a motion" in labeler.title.value
    labeler.class_buttons["high-five"].click()  # nothing on screen: nothing stored
    assert project.windows.counts() == {"high-five": 0, "other": 1}
    labeler.add_window(_window(0.3))
    labeler.flush()
    assert _on_screen(labeler) == pytest.approx(0.3)


def test_a_window_from_a_serial_port_stores_the_port_as_its_source() -> None:
    """Windows of two sensors are two sources (and two validation groups), not "SerialSource"."""
    from hfwidgets.sensors import SerialSource, SimulatedSource, source_label

    assert source_label(SerialSource("loop://")) == "loop://"
    assert source_label(SimulatedSource()) == "simulated arm"
    assert source_label(None) == ""
    assert source_label("SimulatedSource") == "simulated arm"  # what an old project stored


def test_a_window_of_the_simulated_arm_stores_a_human_label_not_a_class_name(
    tmp_path: Path,
) -> None:
    """A project shows "simulated arm" as a window's source (it stored "SimulatedSource")."""
    from hfwidgets.sensors import BrowserSerialSource, ReplaySource

    project = Project.create(tmp_path / "p")
    labeler = Labeler(
        project, source=SimulatedSource(), keyboard=False, thumbnail=False, autostart=False
    )
    try:
        labeler.add_window(_window(0.5))
        labeler.flush()
        wid = labeler.label("high-five")
        assert wid is not None
        assert project.windows.get(wid).source == "simulated arm"
    finally:
        labeler.close()
        project.close()
    browser = BrowserSerialSource()
    assert browser.label == "USB sensor on this computer"  # no port picked in the page yet
    browser.start()
    browser.port_opened("Arduino Uno")
    assert browser.label == "Arduino Uno"
    assert ReplaySource(np.arange(2.0), np.zeros((2, 3))).label == "recording"


def test_a_labeler_with_its_own_capture_runs_on_one_thread(tmp_path: Path) -> None:
    """It ran two pumps: one applying arrivals, one polling the source, each a thread."""
    import threading

    project = Project.create(tmp_path / "p")
    source = SimulatedSource(realtime=False, duration_s=1.0)  # no thread of its own
    before = set(threading.enumerate())
    labeler = Labeler(project, source=source, keyboard=False, thumbnail=False)
    try:
        started = [t for t in threading.enumerate() if t not in before and t.is_alive()]
        assert len(started) == 1, [t.name for t in started]
        assert labeler.capture is not None
        assert labeler.capture.running  # polling, on that one thread
    finally:
        labeler.close()
        project.close()
    assert not any(t.is_alive() for t in started)  # closing ends it


def test_nothing_is_queued_before_start_capturing_and_the_queue_rule_is_on_screen(
    project: Project,
) -> None:
    from hfwidgets._worker import Pump
    from hfwidgets.widgets._throttle import use_pump

    early = SimulatedSource(rate_hz=50.0, realtime=False, duration_s=12.0, script=["high-five"])
    capture = WindowCapture(early)
    pump = Pump(threaded=False)
    with use_pump(pump):
        labeler = Labeler(project, capture=capture, thumbnail=False, autostart=False)
    labeler.start(capture=False)  # as the Workbench starts it
    assert "Capture not started" in labeler.title.value
    assert labeler.controls.toggle_button.description == "Start capturing"
    early.start()  # motions made while the person reads the notebook
    pump.step()
    labeler.flush()
    assert labeler.pending == ()
    labeler.controls.toggle_button.click()  # Start capturing: from now on only
    assert labeler.capturing
    assert labeler.controls.toggle_button.description == "Pause capturing"
    pump.step()
    labeler.flush()
    assert labeler.pending == ()  # the motions made before the press never queue
    assert "Waiting for a motion" in labeler.title.value

    # A new source's motions after the press do queue; the rule and Skip show with them.
    later = SimulatedSource(
        rate_hz=50.0, realtime=False, duration_s=15.0, script=["high-five", "wave", "high-five"]
    )
    capture.stop()
    labeler.capture = WindowCapture(later)
    labeler.capture.on_window(labeler.add_window)
    labeler.start_capture()
    later.start()
    pump.step()
    labeler.flush()
    waiting = len(labeler.pending) - 1
    assert waiting >= 1
    assert f"({waiting} more waiting)" in labeler.title.value
    assert "At most 20 wait, beyond that the oldest is dropped" in labeler.controls.rule.value
    assert labeler.controls.skip_button.layout.display != "none"
    labeler.controls.skip_button.click()
    assert len(labeler.pending) == 1
    assert f"skipped {waiting} waiting window(s)" in labeler.message.value
    assert labeler.controls.skip_button.layout.display == "none"
    labeler.undo_button.click()
    assert len(labeler.pending) == waiting + 1
    labeler.controls.toggle_button.click()  # Pause capturing
    assert not labeler.capturing
    assert "capture paused" in labeler.title.value
    assert project.windows.counts() == {"high-five": 0, "other": 0}  # skipping stored nothing
    labeler.close()
