"""Done when (issue 25): with a trained run, the timeline shows its counts, each false count
labelled from the timeline becomes an ``other`` window, and the run retrained on them counts
fewer false counts on that session. The simulated arm gives the known events (its high-fives
are marked as a person would); the runs are real: MobileNetV2 with the offline ImageNet
weights as a frozen feature extractor on small scalograms (a logistic-regression head, one
step, seeded), trained on a few simulated captures plus the session's labelled windows.

Nothing is held out for validation (``val_fraction=0``): the split groups windows by session,
and with the captures and this one session as the only two groups, a held-out split keeps the
whole session aside once it holds both classes, so the windows labelled from its mistakes
would be validation, not training, and the retrained run could not learn from them. Only the
session's own false counts are compared: what the person sees on the timeline after
retraining, not an accuracy claim.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from hfwidgets.sensors import simulate_session, simulate_windows
from hfwidgets.store import Project
from hfwidgets.timeline.model_view import FALSE_COUNT_NOTE, ModelTrace, find_candidates
from hfwidgets.widgets.timeline import SessionTimeline

RATE = 50.0


def _false_counts(trace: ModelTrace, project: Project, session_id: int) -> list[float]:
    """The run's counts on no high-five mark, the timeline's own labels of them set aside."""
    marks = [m for m in project.marks.all(session_id) if m.note != FALSE_COUNT_NOTE]
    return [c.t for c in find_candidates(trace, marks) if c.kind == "false count"]


def test_false_counts_labelled_from_the_timeline_teach_the_next_run(
    tmp_path: Path, mobilenet_v2_weights: Path
) -> None:
    from hfwidgets.training.config import TrainConfig
    from hfwidgets.training.runner import train_project

    torch.set_num_threads(1)
    project = Project.create(tmp_path / "hf", rate_hz=RATE)
    windows, labels = simulate_windows(6, rate_hz=RATE, window_s=1.5, seed=3)
    for window, label in zip(windows, labels, strict=True):
        project.windows.add(window, rate_hz=RATE, source="simulated", label=label)
    project.settings.set("scalogram", {"size": [64, 64]})  # small images keep the test quick
    t, xyz, events = simulate_session(60.0, rate_hz=RATE, seed=5)
    sid = project.sessions.add(t, xyz, rate_hz=RATE, source="simulated arm")
    timeline = SessionTimeline(project, columns=200, keyboard=False)
    fives = [e.t for e in events if e.kind == "high-five"]
    for at in fives:
        assert timeline.mark_event(at) is not None
    config = TrainConfig(
        model="mobilenet_v2", weights=str(mobilenet_v2_weights), mode="feature-extractor",
        val_fraction=0.0, baseline=False, num_threads=1, seed=0,
    )  # fmt: skip

    first = train_project(project, config)
    run = timeline.run
    run.load_run(first)
    assert run.trace is not None
    np.testing.assert_allclose(run.count_marks.x, run.trace.counts)  # drawn under the traces
    before = _false_counts(run.trace, project, sid)
    assert len(before) >= 3  # a weak first run: few captures
    assert f"{len(before)} candidate false count(s)" in run.summary.value

    others = len(project.windows.all(label="other"))
    while any(c.kind == "false count" for c in run.candidates):
        assert run.chosen is not None
        assert run.chosen.kind == "false count"  # the most confident mistake first
        timeline.handle_key("accept")  # Enter labels the window the counter saw
    labelled = [m for m in project.marks.all(sid) if m.note == FALSE_COUNT_NOTE]
    assert len(labelled) == len(before)
    new = project.windows.all(ids=[wid for m in labelled for wid in m.window_ids])
    assert len(new) == len(before) == len(project.windows.all(label="other")) - others
    assert {w.label for w in new} == {"other"}
    assert {w.session_id for w in new} == {sid}

    second = train_project(project, config)
    run.load_run(second)
    assert run.trace is not None
    after = _false_counts(run.trace, project, sid)
    assert len(after) < len(before) / 2, (before, after)
    matched = len(run.trace.counts) - len(after)
    assert matched >= len(fives) - 1  # it still counts the high-fives
