"""LabellingSession: exactly the shown window gets the label; undo in the store; stable ids."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from hfwidgets.labelling import LabellingSession, PendingWindow, Undone
from hfwidgets.store import Project


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Project]:
    with Project.create(tmp_path / "p") as p:
        yield p


def _add(session: LabellingSession, value: float) -> PendingWindow:
    return session.add(np.full((10, 3), value, np.float32), rate_hz=50.0)


def _value(project: Project, wid: int | None) -> float:
    assert wid is not None
    return float(project.windows.get(wid).data[0, 0])


def _undo(session: LabellingSession) -> Undone:
    """Undo, when there is something to undo."""
    undone = session.undo()
    assert undone is not None
    return undone


def _current(session: LabellingSession) -> PendingWindow:
    """The window on screen, when there is one."""
    assert session.current is not None
    return session.current


def test_a_capture_arriving_before_the_click_does_not_take_the_label(project: Project) -> None:
    session = LabellingSession(project)
    shown = _add(session, 0.1)
    assert session.current is shown
    _add(session, 0.2)  # arrives while 0.1 is on screen
    assert session.current is shown
    assert session.waiting == 1
    wid = session.label("high-five", shown)
    assert _value(project, wid) == pytest.approx(0.1)
    assert session.label("high-five", shown) is None  # a second click stores nothing
    nxt = session.label("other")
    assert _value(project, nxt) == pytest.approx(0.2)
    assert project.windows.counts() == {"high-five": 1, "other": 1}


def test_undo_shows_the_undone_window_again_and_it_takes_the_next_label(
    project: Project,
) -> None:
    session = LabellingSession(project)
    first = _add(session, 0.1)
    wid = session.label("high-five", first)
    assert wid is not None
    _add(session, 0.2)  # a new capture arrives before the undo
    undone = _undo(session)
    assert (undone.kind, undone.window_id, undone.label) == ("label", wid, None)
    assert project.windows.get(wid).label is None
    again = _current(session)
    assert again.id == wid
    assert session.label("other", again) == wid  # the same stored window, relabelled
    assert project.windows.get(wid).label == "other"
    assert len(project.windows.ids()) == 1  # the 0.2 capture still waits
    assert _value(project, session.label("high-five")) == pytest.approx(0.2)


def test_a_window_relabelled_in_review_never_comes_back_in_the_queue(project: Project) -> None:
    session = LabellingSession(project)
    wid = session.label("high-five", _add(session, 0.1))
    assert wid is not None
    _add(session, 0.2)
    session.undo()  # 0.1 waits again (stored, unlabelled), shown
    session.relabel(wid, "other")  # reviewed in the meantime
    assert [p.id for p in session.pending] == [None]
    assert _current(session).id is None
    second = session.label("high-five")
    assert _value(project, second) == pytest.approx(0.2)
    assert session.label("high-five") is None
    assert _undo(session).kind == "label"  # the 0.2 window waits again
    undone = _undo(session)  # the review relabel: unlabelled again, still not queued
    assert (undone.kind, undone.window_id, undone.label) == ("relabel", wid, None)
    assert [p.id for p in session.pending] == [second]


def test_undo_of_a_relabel_restores_the_label_without_requeueing(project: Project) -> None:
    session = LabellingSession(project)
    wid = project.windows.add(np.zeros((5, 3)), rate_hz=50.0, label="high-five")
    session.relabel(wid, "other")
    undone = _undo(session)
    assert (undone.kind, undone.window_id, undone.label) == ("relabel", wid, "high-five")
    assert project.windows.get(wid).label == "high-five"
    assert session.pending == ()


def test_delete_and_undo_keep_the_id_and_history(project: Project) -> None:
    session = LabellingSession(project)
    wid = session.label("high-five", _add(session, 0.1))
    assert wid is not None
    session.relabel(wid, "other")
    session.delete(wid)
    assert project.windows.ids() == []
    assert _undo(session).kind == "delete"
    assert project.windows.ids() == [wid]
    assert project.windows.get(wid).label == "other"
    assert _undo(session).kind == "relabel"  # names the same id: nothing to rewrite
    assert project.windows.get(wid).label == "high-five"
    assert _undo(session).kind == "label"
    assert project.windows.get(wid).label is None
    assert _current(session).id == wid
    assert session.undo() is None


def test_discard_stores_nothing_and_undo_brings_it_back_on_screen(project: Project) -> None:
    session = LabellingSession(project)
    a = _add(session, 0.1)
    _add(session, 0.2)
    assert session.discard(a) is a
    assert project.windows.ids() == []
    assert session.current is not a
    assert _undo(session).kind == "discard"
    assert session.current is a


def test_overflow_drops_the_oldest_waiting_window_never_the_shown_one(project: Project) -> None:
    session = LabellingSession(project, max_pending=2)
    shown = _add(session, 0.1)
    assert session.current is shown  # displayed: pinned until acted on
    _add(session, 0.2)
    newest = _add(session, 0.3)
    assert session.pending == (shown, newest)
    assert session.current is shown


def test_unknown_class_is_refused_before_anything_changes(project: Project) -> None:
    session = LabellingSession(project)
    shown = _add(session, 0.1)
    with pytest.raises(ValueError, match="classes are"):
        session.label("punch")
    assert session.current is shown


def test_beyond_max_pending_the_oldest_waiting_is_dropped_and_the_rule_says_so(
    project: Project,
) -> None:
    session = LabellingSession(project, max_pending=3)
    shown = _add(session, 0.1)
    assert session.current is shown  # on screen from now on
    assert "At most 3 wait, beyond that the oldest is dropped." in session.queue_rule()
    for value in (0.2, 0.3, 0.4, 0.5):
        _add(session, value)
    assert session.current is shown  # the window on screen is never the one dropped
    assert [float(p.data[0, 0]) for p in session.pending] == pytest.approx([0.1, 0.4, 0.5])
    assert session.dropped == 2
    assert session.queue_rule().endswith("(2 dropped so far).")
    assert "Newer windows wait; the newest comes next." in session.queue_rule()
    session.label("other", shown)
    assert float(_current(session).data[0, 0]) == pytest.approx(0.5)  # as the rule says


def test_skip_waiting_keeps_the_shown_window_and_undo_brings_the_rest_back(
    project: Project,
) -> None:
    session = LabellingSession(project)
    shown = _add(session, 0.1)
    assert session.current is shown
    for value in (0.2, 0.3, 0.4):
        _add(session, value)
    assert session.skip_waiting() == 3
    assert session.waiting == 0
    assert session.current is shown
    assert project.windows.counts() == {"high-five": 0, "other": 0}  # nothing was stored
    assert session.skip_waiting() == 0  # nothing waits: nothing to undo either
    undone = session.undo()
    assert undone is not None
    assert undone.kind == "skip"
    assert session.waiting == 3
    assert session.current is shown
    wid = session.label("high-five", shown)
    assert _value(project, wid) == pytest.approx(0.1)
    assert [float(p.data[0, 0]) for p in session.pending] == pytest.approx([0.2, 0.3, 0.4])
    assert float(session.current.data[0, 0]) == pytest.approx(0.4)
