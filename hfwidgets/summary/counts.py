"""Windows per class against a target, and the project in one line of text."""

from __future__ import annotations

from hfwidgets.store.project import Project
from hfwidgets.summary.run_rows import summarize_runs

__all__ = ["TARGET_PER_CLASS", "count_verdict", "project_title", "summary_text"]

#: Windows per class a first model needs (MATLAB's high-five counter used about 100 per class;
#: 20 per class already trains a frozen backbone's head well on clean motions).
TARGET_PER_CLASS = 20


def count_verdict(counts: dict[str, int], *, target: int = TARGET_PER_CLASS) -> str:
    """Whether ``counts`` are enough: ``"8 more high-five, 3 more other to reach 20 each"``.

    Classes more than twice as big as the smallest are called out: an unbalanced set teaches the
    model to prefer the big class.
    """
    missing = [f"{target - n} more {name}" for name, n in counts.items() if n < target]
    text = (
        f"{', '.join(missing)} to reach {target} each"
        if missing
        else f"at least {target} per class: enough for a first model"
    )
    low = min(counts.values(), default=0)
    big = [name for name, n in counts.items() if n > 2 * max(low, 1)]
    if big and low < max(counts.values(), default=0):
        text += f"; unbalanced ({', '.join(big)} more than twice the smallest class)"
    return text


def summary_text(project: Project) -> str:
    """One line: ``project P: high-five 12, other 10 windows (target 20 each); 2 runs, best …``."""
    counts = project.windows.counts()
    windows = ", ".join(f"{k} {v}" for k, v in counts.items())
    runs = summarize_runs(project)
    best = max(
        (r for r in runs if r.accuracy is not None), key=lambda r: r.accuracy or 0.0, default=None
    )
    best_text = f", best run {best.id}: {best.accuracy_text()}" if best else ""
    return (
        f"{project_title(project)}: {windows} windows "
        f"(target {TARGET_PER_CLASS} each); {len(runs)} run(s){best_text}"
    )


def project_title(project: Project) -> str:
    """``High-five workbench · project NAME``."""
    return f"High-five workbench · project {project.path.name}"
