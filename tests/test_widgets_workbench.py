"""Workbench composition: tabs in workflow order, wiring, and reopening a project as it was."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import cast

import numpy as np
import pytest

from hfwidgets.segmenter import TriggerSegmenter
from hfwidgets.sensors import PortInfo, SimulatedSource, Source
from hfwidgets.store import Project
from hfwidgets.widgets.workbench import SETTINGS_KEY, TAB_TITLES, Workbench


def _recorded() -> SimulatedSource:
    return SimulatedSource(rate_hz=50.0, realtime=False, duration_s=15.0,
                           script=["high-five", "wave", "high-five"])  # fmt: skip


def _wait_for(condition: Callable[[], object], timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


@pytest.fixture
def bench(tmp_path: Path) -> Iterator[Workbench]:
    wb = Workbench(tmp_path / "proj", source=_recorded(), weights="none", thumbnail=False)
    wb.labeler.start_capture(from_now=False)  # the recording is in the buffer already
    yield wb
    wb.close()


def test_a_tab_gets_its_widgets_when_first_shown(bench: Workbench) -> None:
    # A bqplot figure drawn in a hidden tab has no size (the page logged negative widths).
    train = TAB_TITLES.index("Train")
    assert bench.tabs.selected_index == 0
    capture, fold = bench.tabs.children[0].children
    assert capture is bench.capture_area
    assert all(page.children == () for page in bench.tabs.children[1:])
    # The session timeline's fold, under capture, gets its figures when first opened.
    assert fold.children[0].children == ()
    fold.selected_index = 0
    assert fold.children[0].children == (bench.timeline,)
    bench.tabs.selected_index = train
    assert bench.tabs.children[train].children == (bench.training, bench.data_map, bench.runs)
    assert bench.tabs.children[1].children == ()  # not shown yet
    bench.tabs.selected_index = 0
    bench.tabs.selected_index = train  # shown again: the same widgets, not new ones
    assert bench.tabs.children[train].children == (bench.training, bench.data_map, bench.runs)


def test_tabs_follow_the_work_and_captured_windows_reach_the_labeler(bench: Workbench) -> None:
    assert [bench.tabs.get_title(i) for i in range(len(TAB_TITLES))] == list(TAB_TITLES)
    bench.pump.step()  # one turn of the bench's pump: redraw, capture
    bench.labeler.flush()  # and the labeler applies the arrivals
    t, xyz = bench.source.buffer.snapshot()
    captured = TriggerSegmenter(rate_hz=50.0).feed(t, xyz)
    assert len(captured) >= 3
    assert len(bench.labeler.pending) == len(captured)
    assert bench.plot.redraws == 1  # the recording is all there: one frame shows it
    bench.labeler.class_buttons["high-five"].click()
    assert bench.project.windows.counts()["high-five"] == 1
    assert bench.live.start_button.disabled  # nothing trained yet


def test_choices_flow_between_tabs(bench: Workbench) -> None:
    bench.picker.dropdown.value = "resnet18"
    assert bench.checklist.backbone == "resnet18"
    assert bench.training.model == "resnet18"
    bench.checklist.checkboxes["layer4"].value = False
    assert "layer4" not in bench.training.frozen
    assert bench.training.config().frozen == ("stem", "layer1", "layer2", "layer3")


def test_reopening_the_project_restores_the_choices(tmp_path: Path) -> None:
    first = Workbench(tmp_path / "proj", source=_recorded(), weights="none", thumbnail=False)
    first.picker.value = "squeezenet1_1"
    first.checklist.apply_preset("fine-tune last N", n=2)
    first.training.epochs.value = 3
    first.live.threshold_slider.value = 0.9
    first.close()
    stored = Project.open(tmp_path / "proj").settings.get(SETTINGS_KEY)
    assert stored["model"] == "squeezenet1_1"
    again = Workbench(tmp_path / "proj", source=_recorded(), thumbnail=False)
    try:
        assert again.picker.value == "squeezenet1_1"
        assert again.checklist.frozen == ["stem", "fire1", "fire2", "fire3"]
        assert again.training.epochs.value == 3
        assert again.training.weights == "none"
        assert again.live.threshold == pytest.approx(0.9)
    finally:
        again.close()


@pytest.mark.slow
def test_real_training_from_the_panel_arms_the_live_counter_and_survives_reopening(
    tmp_path: Path,
) -> None:
    from hfwidgets.sensors import simulate_windows

    windows, labels = simulate_windows(5, seed=2)
    with Project.create(tmp_path / "proj") as seeded:
        for data, label in zip(windows, labels, strict=True):
            seeded.windows.add(data, rate_hz=50.0, label=label)
    wb = Workbench(tmp_path / "proj", source=_recorded(), weights="none", thumbnail=False)
    try:
        wb.picker.value = "mobilenet_v3_small"
        wb.training.epochs.value = 2
        wb.training.batch_size.value = 4
        runner = wb.training.start()
        assert runner.join(120)
        wb.training.flush()
        assert wb.training.status == "finished", wb.training.progress_html.value
        assert len(np.asarray(wb.training.curves.loss.x)) == 2
        buttons = wb.training.confusion.buttons
        assert sum(int(b.description) for b in buttons.values()) == 2  # 20 % of 10 windows
        opened = [key for key, b in buttons.items() if not b.disabled]
        assert opened  # every non-empty cell can be opened (validation split is stored)
        wb.tabs.selected_index = 2
        wb.training.confusion.open_cell(*opened[0])
        assert wb.tabs.selected_index == 0  # the labeler's tab comes forward
        assert wb.labeler.mode == "review"
        assert "model says" in wb.labeler.title.value
        assert not wb.live.start_button.disabled  # the trained run now counts live
        run_id = wb.training.run_id
    finally:
        wb.close()
    again = Workbench(tmp_path / "proj", source=_recorded(), thumbnail=False)
    try:
        assert again.training.run_id == run_id
        assert again.training.confusion.buttons  # the matrix is back without retraining
        assert not again.live.start_button.disabled
    finally:
        again.close()


def _hfw_threads(besides: frozenset[threading.Thread] = frozenset()) -> list[str]:
    """Names of running hfwidgets threads, other than ``besides`` (earlier tests' leftovers)."""
    return sorted(
        t.name for t in threading.enumerate() if t.name.startswith("hfw-") and t not in besides
    )


def test_close_ends_every_thread_and_rerunning_the_cell_closes_the_earlier_bench(
    tmp_path: Path,
) -> None:
    before = frozenset(threading.enumerate())
    first = Workbench(tmp_path / "proj", source=_recorded(), weights="none", thumbnail=False)
    first.training._bridge.start()  # what Start training and Measure latency leave running
    first.picker._bridge.start()
    source = first.source
    # Re-running `wb = Workbench("proj")` in a notebook: the earlier bench must not live on.
    again = Workbench(tmp_path / "proj", source=_recorded(), weights="none", thumbnail=False)
    assert not source.running
    assert first.comm is None
    assert first.training.comm is None
    assert not first.pump.running  # its plot, capture and every bridge ran on it
    assert _hfw_threads(before) == ["hfw-workbench"]  # the new bench's pump only
    again.close()
    assert _hfw_threads(before) == []  # close() joins: nothing left to wait for


# -- sensor choice (issue 15 item 1) ------------------------------------------------------------


def test_sensor_dropdown_lists_the_ports_the_server_extension_knows(
    tmp_path: Path, pty_path: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hfwidgets.sensors.port_config import ports_environ

    ports_file = tmp_path / "ports.json"
    # What the server extension exports to its kernels when it loads.
    for key, value in ports_environ(extra_ports_file=ports_file).items():
        monkeypatch.setenv(key, value)
    bench = Workbench(tmp_path / "proj", source=_recorded(), weights="none", thumbnail=False)
    try:
        values = [v for _t, v in bench.sensor_dropdown.options]
        assert values[0] == "simulated arm"
        assert pty_path not in values
        ports_file.write_text(json.dumps([pty_path]))  # `hfw simulate-arduino` started later
        assert pty_path in bench.refresh_ports()
        assert pty_path in [v for _t, v in bench.sensor_dropdown.options]
        assert "1 serial port(s) seen" in bench.sensor_note.value
        assert bench.source is not None
        assert type(bench.source).__name__ == "SimulatedSource"
    finally:
        bench.close()


def test_the_workbench_sees_the_same_ports_as_the_status_bar(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hfwidgets.sensors import port_config as server_ports

    # A machine with only the built-in UART: the status bar (server default) says "no sensor".
    uart = PortInfo(device="/dev/ttyS0", description="ttyS0")
    monkeypatch.setattr(
        server_ports,
        "system_ports",
        lambda *, include_without_hardware_id=False: [uart] if include_without_hardware_id else [],
    )
    for key in (server_ports.ENV_EXTRA_PORTS, server_ports.ENV_EXTRA_PORTS_FILE):
        monkeypatch.delenv(key, raising=False)
    server_view, _ = server_ports.collect_ports(list_system=server_ports.system_ports)
    bench = Workbench(tmp_path / "proj", source=_recorded(), weights="none", thumbnail=False)
    try:
        assert server_view == []
        assert bench.refresh_ports() == []
        # Beside the working simulated arm: it streams, and how to add a board (not an error).
        note = bench.sensor_note.value
        assert "The simulated arm is streaming" in note
        assert "To add a board: plug it in and press ↻" in note
        assert "no sensor port seen" not in note
    finally:
        bench.close()


def test_picking_a_port_that_sends_nothing_says_so_instead_of_connected(
    tmp_path: Path, pty_path: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HFW_EXTRA_PORTS", json.dumps([pty_path]))  # as the server exports it
    bench = Workbench(tmp_path / "proj", source=_recorded(), weights="none", thumbnail=False)
    try:
        bench.sensor_dropdown.value = pty_path  # as a person picks it
        assert getattr(bench.source, "port", None) == pty_path
        assert bench.source.running
        assert bench.plot.source is bench.source
        start = time.monotonic()
        assert bench.check_sensor(now=start).state == "waiting"
        health = bench.check_sensor(now=start + 3.5)
        assert health.state == "silent"
        readout = bench.plot.readout.value
        assert f"no data from {pty_path} for" in readout
        assert "wrong port or baud?" in readout
        assert "— Hz" in readout
        assert "connected" not in readout
    finally:
        bench.close()


def test_a_port_that_cannot_be_opened_keeps_the_current_source(tmp_path: Path) -> None:
    bench = Workbench(tmp_path / "proj", source=_recorded(), weights="none", thumbnail=False)
    try:
        before = bench.source
        assert not bench.choose_sensor(str(tmp_path / "ttyGONE"))
        assert bench.source is before
        assert bench.sensor_dropdown.value == "simulated arm"
        assert "cannot read" in bench.sensor_note.value
        assert "ttyGONE" in bench.sensor_note.value
    finally:
        bench.close()


def test_the_plot_shows_the_sensors_full_range(tmp_path: Path) -> None:
    # The Workbench fixed +/-8 g by hand: a board announcing 16 g was drawn clipped at 8 g.
    source = _recorded()
    source.full_scale_g = 16.0
    bench = Workbench(tmp_path / "proj", source=source, weights="none", thumbnail=False)
    try:
        assert (bench.plot._ys.min, bench.plot._ys.max) == (-16.0, 16.0)
    finally:
        bench.close()


class _Silent:
    """A source whose sample count the test moves by hand."""

    def __init__(self, *, connected: bool = True, rate_hz: float = 50.0) -> None:
        from hfwidgets.sensors.buffer import RingBuffer

        self.buffer = RingBuffer(1000)
        self.rate_hz = 50.0
        self.running = True
        self.port = "/dev/ttyTEST"
        self.connected, self.estimated = connected, rate_hz

    def add(self, n: int) -> None:
        t0 = float(self.buffer.total)
        self.buffer.extend(t0 + np.arange(n) / 50.0, np.zeros((n, 3), np.float32))

    def stats(self) -> object:
        from hfwidgets.sensors.base import SourceStats

        return SourceStats(good=int(self.buffer.total), rate_hz=self.estimated,
                           connected=self.connected)  # fmt: skip


def test_source_watch_tells_streaming_silent_and_lost_apart() -> None:
    from hfwidgets.sensors.watch import SourceWatch

    source = _Silent()
    watch = SourceWatch(cast("Source", source), clock=lambda: 100.0)  # what the watch reads
    assert watch.check(now=101.0).state == "waiting"
    source.add(50)
    streaming = watch.check(now=102.0)
    assert (streaming.state, streaming.rate_text) == ("streaming", "50.0 Hz")
    assert watch.check(now=104.9).state == "streaming"  # 2.9 s without a sample: still fine
    silent = watch.check(now=105.0)
    assert silent.state == "silent"
    assert silent.message == "no data from /dev/ttyTEST for 3 s: wrong port or baud?"
    assert silent.rate_text == "— Hz"  # the last estimate is stale
    source.add(10)
    assert watch.check(now=105.1).state == "streaming"
    source.connected = False
    lost = watch.check(now=105.2)
    assert lost.state == "disconnected"
    assert lost.rate_text == "— Hz"


def test_after_a_disconnect_the_readout_shows_no_rate() -> None:
    from hfwidgets.widgets.live_plot import LivePlot

    source = _Silent(connected=False, rate_hz=50.0)  # the estimate of before the unplug
    source.add(100)
    plot = LivePlot(source, autostart=False)  # type: ignore[arg-type]
    try:
        plot.check_source()
        assert "— Hz" in plot.readout.value
        assert "50.0 Hz" not in plot.readout.value
        assert "disconnected" in plot.readout.value
    finally:
        plot.close()


# -- weights (issue 15 item 2) ------------------------------------------------------------------


@pytest.fixture
def offline_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A built-in offline weights file (only its name and path matter here)."""
    folder = tmp_path / "weights"
    folder.mkdir()
    path = folder / "mobilenet_v2-imagenet-derived.pth"
    path.write_bytes(b"")
    monkeypatch.setenv("HFW_WEIGHTS_DIR", str(folder))
    monkeypatch.delenv("HFW_WEIGHTS", raising=False)
    return path


def test_switching_backbone_and_back_keeps_the_offline_weights(
    tmp_path: Path, offline_file: Path
) -> None:
    bench = Workbench(tmp_path / "proj", source=_recorded(), thumbnail=False)
    try:
        assert bench.training.weights == str(offline_file)
        bench.picker.dropdown.value = "resnet18"  # no offline file for it
        bench.picker.weights_dropdown.value = "none"
        bench.picker.dropdown.value = "mobilenet_v2"
        assert bench.training.weights == str(offline_file)  # not the download
        bench.picker.dropdown.value = "resnet18"
        assert bench.training.weights == "none"  # each backbone keeps its own choice
    finally:
        bench.close()
    again = Workbench(tmp_path / "proj", source=_recorded(), thumbnail=False)
    try:
        assert again.picker.value == "resnet18"
        assert again.training.weights == "none"
        again.picker.dropdown.value = "mobilenet_v2"
        assert again.training.weights == str(offline_file)  # remembered in the project
    finally:
        again.close()


def test_hfw_weights_naming_the_built_in_file_adds_no_second_option(
    tmp_path: Path, offline_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HFW_WEIGHTS", str(offline_file.parent / "." / offline_file.name))
    bench = Workbench(tmp_path / "proj", source=_recorded(), thumbnail=False)
    try:
        texts = [t for t, _v in bench.picker.weights_dropdown.options]
        assert len(texts) == 3, texts
        assert bench.picker.weights == str(offline_file)
        assert all(str(offline_file.parent) not in t for t in texts)  # names, not raw paths
    finally:
        bench.close()


def test_hfw_weights_naming_another_file_shows_its_name(
    tmp_path: Path, offline_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = tmp_path / "my-finetuned.pth"
    other.write_bytes(b"")
    monkeypatch.setenv("HFW_WEIGHTS", str(other))
    bench = Workbench(tmp_path / "proj", source=_recorded(), thumbnail=False)
    try:
        assert bench.picker.weights == str(other)
        chosen = dict((v, t) for t, v in bench.picker.weights_dropdown.options)[str(other)]
        assert chosen == "file my-finetuned.pth (from $HFW_WEIGHTS)"
    finally:
        bench.close()


def test_a_weights_error_names_the_dropdown_option_to_pick(
    tmp_path: Path, offline_file: Path
) -> None:
    from hfwidgets.training.fit_events import FitEnded

    bench = Workbench(tmp_path / "proj", source=_recorded(), thumbnail=False)
    try:
        bench.picker.weights_dropdown.value = "DEFAULT"
        error = (
            "could not get MobileNet_V2_Weights.IMAGENET1K_V2 for mobilenet_v2 (<urlopen error>)"
            "; options: weights='DEFAULT' (torchvision downloads into /root/.cache), "
            "weights=PATH (a local state dict), or weights='none' (random initialisation)"
        )
        bench.follower.after_training(FitEnded("failed", error=error, run_id=1))
        shown = bench.training.progress_html.value
        assert "weights=" not in shown
        assert "PATH" not in shown
        assert "Model &amp; freeze" in shown
        assert f"“ImageNet, offline file ({offline_file.name})”" in shown
        assert "“none (random initialisation)”" in shown
        assert "&lt;urlopen error&gt;" in shown  # the reason, escaped
    finally:
        bench.close()


# -- keys (issue 15 item 3) ---------------------------------------------------------------------


def test_label_keys_are_caught_over_the_whole_capture_area(bench: Workbench) -> None:
    events = bench.key_events
    assert events.source is bench.capture_area  # plot, sensor row and labeler alike
    assert bench.plot in bench.capture_area.children
    assert bench.labeler in bench.capture_area.children
    assert events.prevent_default_action  # and ipyevents stops them before JupyterLab
    assert bench.labeler.key_events is None  # one listener: a key labels once, not twice
    assert _wait_for(lambda: bench.labeler.flush() >= 0 and len(bench.labeler.pending) >= 1)
    events._handle_mouse_msg(None, {"event": "keydown", "type": "keydown", "key": "h"}, [])
    assert bench.project.windows.counts()["high-five"] == 1


# -- messages (issue 15 item 9) -----------------------------------------------------------------


def test_a_discarded_message_does_not_linger_under_the_next_window(tmp_path: Path) -> None:
    from hfwidgets.segmenter import Window
    from hfwidgets.widgets.labeler import Labeler

    def motion(seed: int) -> Window:
        data = np.random.default_rng(seed).normal(size=(75, 3)).astype(np.float32)
        return Window(data, rate_hz=50.0, t0=float(seed), start_index=75 * seed)

    with Project.create(tmp_path / "p") as project:
        labeler = Labeler(project, thumbnail=False, keyboard=False, autostart=False)
        try:
            labeler.add_window(motion(1))
            labeler.flush()
            labeler.discard()
            assert "discarded" in labeler.message.value
            labeler.add_window(motion(2))  # the next motion is shown: the message was not its
            labeler.flush()
            assert labeler.message.value == ""
            labeler.discard()
            labeler.mode = "review"  # any next action clears it too
            assert labeler.message.value == ""
        finally:
            labeler.close()


def test_a_broken_ports_setting_is_named_in_the_sensor_note(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HFW_EXTRA_PORTS", "[not json")
    monkeypatch.setenv("HFW_EXTRA_PORTS_FILE", str(tmp_path / "ports.json"))
    (tmp_path / "ports.json").write_text("{broken")
    bench = Workbench(tmp_path / "proj", source=_recorded(), weights="none", thumbnail=False)
    try:
        note = bench.sensor_note.value
        assert "$HFW_EXTRA_PORTS is not a JSON list" in note
        assert "ports.json is not valid JSON" in note
        assert next(v for _t, v in bench.sensor_dropdown.options) == "simulated arm"
    finally:
        bench.close()
