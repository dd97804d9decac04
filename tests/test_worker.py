"""The one worker base and the UI pump: start/stop/join, errors reported, exact schedules."""

from __future__ import annotations

import contextlib
import logging
import threading
from pathlib import Path

import pytest

from hfwidgets._worker import Pump, Worker


def _hfw_threads(besides: frozenset[threading.Thread]) -> list[str]:
    return sorted(
        t.name for t in threading.enumerate() if t.name.startswith("hfw-") and t not in besides
    )


def test_worker_runs_until_stopped_and_can_start_again() -> None:
    runs: list[threading.Event] = []
    began = threading.Semaphore(0)

    def target(stop: threading.Event) -> None:
        runs.append(stop)
        began.release()
        stop.wait()

    worker = Worker(target, name="hfw-test")
    with worker:
        assert began.acquire(timeout=30)
        assert worker.alive
        assert not worker.stopping
        assert worker.start() is worker  # no second thread while one runs
    assert not worker.alive
    assert worker.stop()  # twice is fine
    worker.start()
    assert began.acquire(timeout=30)
    assert worker.stop()
    assert len(runs) == 2
    assert runs[0] is not runs[1]  # each run has its own stop event: none can be revived


def test_worker_interrupt_wakes_a_blocked_target() -> None:
    wake = threading.Event()
    worker = Worker(lambda stop: wake.wait(), name="hfw-test", interrupt=wake.set)
    worker.start()
    assert worker.stop(timeout=30)


def test_an_exception_in_the_target_is_reported_not_raised(
    caplog: pytest.LogCaptureFixture,
) -> None:
    seen: list[BaseException] = []

    def target(stop: threading.Event) -> None:
        raise RuntimeError("sensor on fire")

    worker = Worker(target, name="hfw-test", on_error=seen.append)
    with caplog.at_level(logging.WARNING):
        worker.start()
        assert worker.join(timeout=30)
    assert isinstance(worker.error, RuntimeError)
    assert seen == [worker.error]
    assert "hfw-test failed: sensor on fire" in caplog.text


def test_stop_from_the_worker_thread_itself_does_not_deadlock() -> None:
    holder: list[Worker] = []
    done = threading.Event()

    def target(stop: threading.Event) -> None:
        holder[0].stop()
        done.set()

    holder.append(Worker(target, name="hfw-test"))
    holder[0].start()
    assert done.wait(timeout=30)
    assert holder[0].join(timeout=30)


def test_pump_runs_each_task_on_its_interval_and_woken_ones_at_once() -> None:
    clock = [0.0]
    pump = Pump(threaded=False, clock=lambda: clock[0])
    calls: list[tuple[str, float]] = []
    fast = pump.every(0.25, lambda: calls.append(("fast", clock[0])), name="fast")
    pump.every(1.0, lambda: calls.append(("slow", clock[0])), name="slow")
    for step in range(1, 9):  # turns at 0.125 s steps, up to 1.0 s
        clock[0] = step / 8
        pump.run_due()
    assert calls == [
        ("fast", 0.25), ("fast", 0.5), ("fast", 0.75), ("fast", 1.0), ("slow", 1.0)
    ]  # fmt: skip
    calls.clear()
    clock[0] = 1.0625
    pump.wake(fast)  # an urgent event: no waiting for the interval
    assert pump.run_due() == 1
    assert calls == [("fast", 1.0625)]
    clock[0] = 1.25  # the woken run does not move the grid
    assert pump.run_due() == 1
    assert pump.step() == 2  # every task, now
    pump.cancel(fast)
    assert [t.name for t in pump.tasks] == ["slow"]


def test_a_failing_task_is_reported_and_the_others_go_on(caplog: pytest.LogCaptureFixture) -> None:
    pump = Pump(threaded=False)
    errors: list[BaseException] = []
    ran: list[int] = []

    def broken() -> None:
        raise ValueError("redraw failed")

    pump.every(0.1, broken, name="broken", on_error=errors.append)
    pump.every(0.1, lambda: ran.append(1), name="fine")
    with caplog.at_level(logging.WARNING):
        assert pump.step() == 2
        assert pump.step() == 2
    assert ran == [1, 1]
    assert [str(e) for e in errors] == ["redraw failed", "redraw failed"]


def test_a_threaded_pump_starts_with_its_first_task_and_ends_with_its_last() -> None:
    before = frozenset(threading.enumerate())
    pump = Pump(name="hfw-test-pump")
    assert _hfw_threads(before) == []  # no task, no thread
    ran = threading.Event()
    task = pump.every(3600.0, ran.set, name="hourly")
    assert _hfw_threads(before) == ["hfw-test-pump"]
    pump.wake(task)
    assert ran.wait(timeout=30)  # woken: it did not wait an hour
    pump.cancel(task)
    assert not pump.running
    assert _hfw_threads(before) == []


def test_an_idle_workbench_keeps_one_thread(tmp_path: Path) -> None:
    from hfwidgets.sensors import SimulatedSource
    from hfwidgets.widgets.workbench import Workbench

    before = frozenset(threading.enumerate())
    source = SimulatedSource(rate_hz=50.0, realtime=False, duration_s=5.0)
    bench = Workbench(tmp_path / "p", source=source, weights="none", thumbnail=False)
    try:
        # Plot redraws, window capture and every widget's event batches: one pump thread.
        assert _hfw_threads(before) == ["hfw-workbench"]
        assert "hfw-live-plot" in {t.name for t in bench.pump.tasks}
        bench.labeler.start_capture()  # what Start capturing does: a task, no new thread
        assert {t.name for t in bench.pump.tasks} >= {"hfw-live-plot", "hfw-capture"}
        assert _hfw_threads(before) == ["hfw-workbench"]
        bench.training._bridge.start()  # what Start training leaves running: no new thread
        assert _hfw_threads(before) == ["hfw-workbench"]
    finally:
        bench.close()
    assert _hfw_threads(before) == []


class _Synced:
    """Stands in for a widget: counts the hold_sync blocks (one front-end message each)."""

    def __init__(self) -> None:
        self.messages = 0

    def hold_sync(self) -> contextlib.AbstractContextManager[None]:
        self.messages += 1
        return contextlib.nullcontext()


def test_a_bridge_batches_events_every_interval_and_urgent_ones_at_once() -> None:
    from hfwidgets.widgets._throttle import EventBridge

    clock = [0.0]
    pump = Pump(threaded=False, clock=lambda: clock[0])
    batches: list[list[str]] = []
    widget = _Synced()
    bridge = EventBridge(batches.append, widgets=[widget], interval_s=0.2, pump=pump)
    bridge.start()
    for i in range(30):  # 30 events in 0.15 s, as a training loop sends them
        clock[0] = i * 0.005
        bridge.post(f"batch {i}")
        pump.run_due()
    assert batches == []  # the interval is not over: nothing sent yet
    clock[0] = 0.2
    pump.run_due()
    assert [len(b) for b in batches] == [30]  # one batch ...
    assert widget.messages == 1  # ... one message
    clock[0] = 0.25
    bridge.post("epoch end", urgent=True)
    pump.run_due()
    assert batches[-1] == ["epoch end"]  # not 0.15 s later
    bridge.post("last")
    bridge.stop()  # applies what is queued
    assert batches[-1] == ["last"]
    assert pump.tasks == []
