"""The project as one PNG (`render_summary_png`) and as a notebook output (`ProjectSummary`)."""

from __future__ import annotations

import base64
import dataclasses
import io
from typing import Any

from hfwidgets.store.project import Project
from hfwidgets.store.run_status import ended_well
from hfwidgets.summary.canvas import MUTED, Canvas
from hfwidgets.summary.counts import TARGET_PER_CLASS, project_title, summary_text
from hfwidgets.summary.panels import draw_confusion, draw_counts, draw_curves, draw_runs
from hfwidgets.summary.run_rows import summarize_runs

__all__ = ["ProjectSummary", "render_summary_png"]


def render_summary_png(
    project: Project,
    *,
    run_id: int | None = None,
    target: int = TARGET_PER_CLASS,
    width: int = 1000,
) -> bytes:
    """Draw the project's counts, runs, and one run's confusion matrix and curves as a PNG.

    Parameters
    ----------
    project : hfwidgets.store.Project
    run_id : int, optional
        The run whose matrix and curves are drawn; default: the newest finished run.
    target : int
        Windows per class the counts are drawn against.
    width : int
        Image width in pixels (the height follows).

    Returns
    -------
    bytes
        A PNG image.
    """
    if width < 600:
        raise ValueError(f"width must be at least 600 pixels, got {width}")
    runs = summarize_runs(project)
    records = {r.id: r for r in project.runs.all()}
    if run_id is None:
        finished = [r.id for r in runs if ended_well(r.status) and records[r.id].metrics.trained]
        run_id = finished[0] if finished else None
    elif run_id not in records:
        raise ValueError(f"no training run {run_id} in {project.path}")
    counts = project.windows.counts()
    metrics = records[run_id].metrics if run_id is not None else None
    counts_h = 60 + 30 * len(counts)
    runs_h = 70 + 22 * min(max(len(runs), 1), 6)
    lower_h = 300 if metrics is not None and metrics.trained else 0
    c = Canvas(width, 70 + counts_h + runs_h + lower_h)
    c.text((20, 16), c.fit(project_title(project), width - 40), font=c.title)
    c.text(
        (20, 42),
        f"classes: {', '.join(project.classes)} · {project.rate_hz:g} Hz · "
        f"{project.windows.count_unlabelled()} unlabelled",
        font=c.small,
        fill=(MUTED,) * 3,
    )
    y = 70
    draw_counts(c, (20, y, width // 2 + 100, y + counts_h), counts, target)
    y += counts_h
    draw_runs(c, (20, y, width - 20, y + runs_h), runs, run_id)
    y += runs_h
    if metrics is not None and metrics.trained and run_id is not None:
        third = (width - 40) // 3
        draw_confusion(c, (20, y, 20 + third, y + lower_h), metrics, run_id)
        history = [dataclasses.asdict(h) for h in metrics.history]
        draw_curves(c, (20 + third, y, 20 + 2 * third, y + lower_h - 10), history, "loss")
        draw_curves(c, (20 + 2 * third, y, width - 20, y + lower_h - 10), history, "accuracy")
    out = io.BytesIO()
    c.image.save(out, format="PNG", optimize=True)
    return out.getvalue()


class ProjectSummary:
    """The project as a picture in a notebook's output: ``wb.summary()`` or ``display(...)``.

    IPython shows it as a PNG (``image/png``) with :func:`summary_text` as its plain-text form,
    so the output stays readable without a kernel, in an untrusted notebook, on GitHub and in
    ``jupyter nbconvert --to html``. The picture is drawn when the output is made.
    """

    def __init__(self, project: Project, *, run_id: int | None = None) -> None:
        self.project = project
        self.run_id = run_id

    def png(self) -> bytes:
        """The picture (see :func:`render_summary_png`)."""
        return render_summary_png(self.project, run_id=self.run_id)

    def text(self) -> str:
        """The one-line summary (see :func:`summary_text`)."""
        return summary_text(self.project)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        return {
            "image/png": base64.b64encode(self.png()).decode("ascii"),
            "text/plain": self.text(),
        }

    def __repr__(self) -> str:
        return self.text()
