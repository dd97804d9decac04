"""SessionTimeline on the widget models: drawing a view, marking by brush, click and keys,
undo, and a run's counts and candidate mistakes labelled from the timeline."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from hfwidgets.sensors import simulate_session
from hfwidgets.store import Project
from hfwidgets.widgets.timeline import MODES, SessionTimeline
from tests.fakes import JoltPredictor


@pytest.fixture
def timeline(tmp_path: Path) -> SessionTimeline:
    t, xyz, _events = simulate_session(60.0, seed=5)
    project = Project.create(tmp_path / "p")
    project.sessions.add(t, xyz, rate_hz=50.0, source="simulated arm")
    return SessionTimeline(project, columns=200, keyboard=False)


def test_opens_the_newest_session_whole_as_an_envelope(timeline: SessionTimeline) -> None:
    assert timeline.view == pytest.approx((0.0, 59.98))
    env = timeline.envelope
    assert env is not None
    assert not env.full_resolution
    assert timeline.traces.y.shape[0] == 3
    assert timeline.traces.y.shape[1] <= 2 * 200 + 200
    timeline.zoom(0.1)  # 6 s: 300 samples at 200 columns
    assert timeline.view[1] - timeline.view[0] == pytest.approx(6.0, abs=0.01)
    assert timeline.envelope is not None
    assert timeline.envelope.full_resolution


def test_pan_stays_inside_the_session(timeline: SessionTimeline) -> None:
    timeline.set_view(50.0, 70.0)
    assert timeline.view == pytest.approx((39.98, 59.98))
    before = timeline.redraws
    timeline.pan(-0.5)
    assert timeline.view == pytest.approx((29.98, 49.98))
    assert timeline.redraws == before + 1  # one envelope per pan, not one per scale trait
    before = timeline.redraws
    timeline.xs.min, timeline.xs.max = 10.0, 20.0  # what bqplot's PanZoom does in the page
    assert timeline.redraws > before + 1
    assert timeline.envelope is not None
    assert timeline.envelope.t_by_channel.min() <= 10.0


def test_a_brushed_region_and_a_click_are_stored_at_once(timeline: SessionTimeline) -> None:
    timeline.mode_buttons.value = MODES[1]
    assert timeline.figure.interaction is timeline.brush
    timeline.class_buttons.value = "other"
    timeline.brush.brushing = True
    timeline.brush.selected = np.array([20.0, 23.5])
    timeline.brush.brushing = False  # the mouse is released
    timeline.mode_buttons.value = MODES[2]
    timeline.handle_key("label:high-five")
    assert timeline.figure.interaction is None
    # A click 19.2 s into the minute: 55 px margin left, 10 px right of a 655 px wide figure.
    at_px = 55 + 19.2 / 59.98 * 590
    timeline._clicked({"type": "click", "relativeX": at_px, "boundingRectWidth": 655})
    with Project.open(timeline.project.path) as again:  # another reader sees both
        marks = again.marks.all()
        assert [(m.kind, m.label) for m in marks] == [("event", "high-five"), ("region", "other")]
        assert marks[0].start == pytest.approx(19.2)
        assert (marks[1].start, marks[1].end) == (20.0, 23.5)
        assert again.windows.counts() == {"high-five": 1, "other": 2}
    assert timeline.events["high-five"].visible
    assert timeline.regions["other"].visible
    assert timeline.windows["other"].x.shape == (2, 5)  # the region's two windows, in the band
    assert "high-five 1" in timeline.counts.value
    assert timeline.brush.selected is None  # ready for the next drag


def test_undo_key_and_a_bad_mark_said_in_the_widget(timeline: SessionTimeline) -> None:
    timeline.mark_event(5.0)
    timeline.handle_key("undo")
    assert timeline.project.marks.all() == []
    assert timeline.events["high-five"].visible is False
    assert timeline.mark_event(75.0) is None
    assert "lies outside session" in timeline.message.value
    assert timeline.project.windows.ids() == []


def test_a_run_shows_counts_and_a_false_count_becomes_an_other_window(
    timeline: SessionTimeline,
) -> None:
    for at in (19.24, 33.6, 36.74, 41.3, 52.2):  # the simulated arm's high-fives (seed 5)
        timeline.mark_event(at)
    run = timeline.run
    run.set_predictor(JoltPredictor(full_g=0.5), run_id=1)
    assert run.trace is not None
    assert len(run.trace.counts) == 6
    assert run.figure.layout.display == ""
    (false,) = run.candidates  # the swing at 10.7 s
    assert false.kind == "false count"
    assert "1 candidate false count" in run.summary.value
    timeline.handle_key("accept")  # Enter
    labelled = [m for m in timeline.marks if m.label == "other"]
    assert len(labelled) == 1
    (window,) = timeline.project.windows.all(ids=labelled[0].window_ids)
    assert window.label == "other"
    assert run.candidates == []
    assert run.label_button.disabled


def test_a_pan_moves_the_time_axis_and_sends_the_traces_as_fractions_of_the_view(
    timeline: SessionTimeline,
) -> None:
    # The traces sit on a scale of their own that never moves (bqplot redraws a line each time
    # its scale moves), so a pan redraws them once, from points given across the view.
    timeline.run.set_predictor(JoltPredictor(full_g=0.5), run_id=1)
    timeline.set_view(10.0, 20.0)
    timeline.pan(0.5)
    assert timeline.view == pytest.approx((15.0, 25.0))
    for lines, env in (
        (timeline.trace_lines, timeline.envelope),
        (timeline.run.prob_lines, timeline.run.prob_lines.envelope),
    ):
        assert (lines.scale.min, lines.scale.max) == (0.0, 1.0)
        assert env is not None
        x = np.asarray(lines.lines.x).reshape(env.t_by_channel.shape)  # one row: bqplot's 1-D
        np.testing.assert_allclose(15.0 + x * 10.0, env.t_by_channel, atol=1e-9)
        np.testing.assert_allclose(np.asarray(lines.lines.y).reshape(x.shape), env.y.T)
        inside = (x >= 0.0) & (x <= 1.0)
        assert inside.mean() > 0.9  # one sample beyond each edge, the rest in view
    trace = timeline.run.trace
    assert trace is not None
    in_view = trace.prob[(trace.t >= 15.0) & (trace.t <= 25.0)]
    drawn = timeline.run.prob_lines.envelope
    assert drawn is not None
    assert float(drawn.y.max()) == pytest.approx(float(in_view.max()), abs=1e-6)
