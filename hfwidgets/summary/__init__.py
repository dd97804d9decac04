"""A project at a glance, without a kernel: run rows, a one-line text and a static PNG.

A notebook saved without widget state (JupyterLab's default), opened untrusted, or exported with
``jupyter nbconvert --to html`` offline cannot draw widgets. What it can show is a picture: this
module draws the project's windows per class against a target, its training runs, and the
confusion matrix and curves of one run, with Pillow only (no widget, no plotting library).
The run list and the workbench use :func:`summarize_runs` for the same figures as the picture.

Modules: `run_rows` (RunSummary, summarize_runs), `counts` (the target per class, the
one-line text), `canvas` and `panels` (drawing), `picture` (render_summary_png,
ProjectSummary). Every public name is importable from ``hfwidgets.summary``.
"""

from __future__ import annotations

from hfwidgets.summary.counts import TARGET_PER_CLASS, count_verdict, summary_text
from hfwidgets.summary.picture import ProjectSummary, render_summary_png
from hfwidgets.summary.run_rows import RunSummary, summarize_run, summarize_runs

__all__ = [
    "TARGET_PER_CLASS",
    "ProjectSummary",
    "RunSummary",
    "count_verdict",
    "render_summary_png",
    "summarize_run",
    "summarize_runs",
    "summary_text",
]
