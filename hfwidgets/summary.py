"""A project at a glance, without a kernel: run rows, a one-line text and a static PNG.

A notebook saved without widget state (JupyterLab's default), opened untrusted, or exported with
``jupyter nbconvert --to html`` offline cannot draw widgets. What it can show is a picture: this
module draws the project's windows per class against a target, its training runs, and the
confusion matrix and curves of one run, with Pillow only (no widget, no plotting library).
The run list and the workbench use :func:`summarize_runs` for the same figures as the picture.
"""

from __future__ import annotations

import base64
import io
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from PIL import Image, ImageDraw, ImageFont

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

#: Windows per class a first model needs (MATLAB's high-five counter used about 100 per class;
#: 20 per class already trains a frozen backbone's head well on clean motions).
TARGET_PER_CLASS = 20
_FINAL_OK = ("finished", "completed")
_TRAIN, _VAL, _GRID, _INK, _MUTED = (31, 119, 180), (255, 127, 14), (225, 225, 225), 20, 110


@dataclass(frozen=True)
class RunSummary:
    """What a person compares between runs.

    Attributes
    ----------
    id, status : int, str
    model : str
        Backbone name.
    frozen : int
        Frozen layer groups.
    epochs, epochs_done : int
        Epochs asked for, and epochs in the run's history.
    val_fraction : float
    accuracy : float or None
        Final accuracy, on ``n`` windows of ``evaluated_on`` ("val" or "train").
    n, n_sessions : int or None
        Windows (and sessions, when the run says) the accuracy was measured on.
    baseline : float or None
        The MiniRocket baseline's accuracy on the same split, when the run has one.
    seconds : float or None
        Training time.
    created_at : float
        Unix time.
    checkpoint_bytes : int or None
        Size of the checkpoint file (None when it is missing, e.g. not shared).
    """

    id: int
    status: str
    model: str
    frozen: int
    epochs: int
    epochs_done: int
    val_fraction: float
    accuracy: float | None
    evaluated_on: str
    n: int | None
    n_sessions: int | None
    baseline: float | None
    seconds: float | None
    created_at: float
    checkpoint_bytes: int | None

    @property
    def usable(self) -> bool:
        """A run that can count live: it finished and its checkpoint is here."""
        return self.status in _FINAL_OK and self.checkpoint_bytes is not None

    def settings_text(self) -> str:
        """``mobilenet_v2 · 18 frozen · 10/10 epochs · val 20 %``."""
        return (
            f"{self.model} · {self.frozen} frozen · {self.epochs_done}/{self.epochs} epochs · "
            f"val {self.val_fraction:.0%}"
        )

    def accuracy_text(self) -> str:
        """``92.0% on 25 validation windows from 3 sessions/sources`` (or ``–``)."""
        if self.accuracy is None:
            return "–"
        on = {"val": "validation", "train": "training"}.get(self.evaluated_on, self.evaluated_on)
        where = f" on {self.n} {on} windows" if self.n is not None else f" ({on})"
        n = self.n_sessions
        plural = "s" if n != 1 else ""
        sessions = f" from {n} session{plural}/source{plural}" if n else ""
        return f"{self.accuracy:.1%}{where}{sessions}"

    def baseline_text(self) -> str:
        """``MiniRocket 88.0 %`` (or ``–``)."""
        return "–" if self.baseline is None else f"MiniRocket {self.baseline:.1%}"

    def time_text(self) -> str:
        """When it ran and how long it took: ``14:02 · 12 s``."""
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(self.created_at))
        return when if self.seconds is None else f"{when} · {self.seconds:.0f} s"

    def size_text(self) -> str:
        """Checkpoint size: ``8.9 MB`` (or ``no checkpoint``)."""
        if self.checkpoint_bytes is None:
            return "no checkpoint"
        return f"{self.checkpoint_bytes / 1e6:.1f} MB"


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return None if math.isnan(float(value)) else float(value)


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _baseline(metrics: dict[str, Any]) -> float | None:
    # Runs with the MiniRocket baseline store it as {"accuracy": ...} (or a bare number).
    for key in ("baseline", "minirocket"):
        value = metrics.get(key)
        if isinstance(value, dict):
            value = value.get("accuracy")
        if _number(value) is not None:
            return _number(value)
    return None


def _sessions(metrics: dict[str, Any]) -> int | None:
    for key in ("n_sessions", "sessions"):
        value = metrics.get(key)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    groups = _dict(metrics.get("validation")).get("groups")  # sessions/import sources
    if isinstance(groups, int) and not isinstance(groups, bool):
        return groups
    return None


def summarize_run(project: Any, record: Any) -> RunSummary:
    """The :class:`RunSummary` of one :class:`~hfwidgets.store.RunRecord` of ``project``."""
    settings = _dict(record.settings)
    config = _dict(settings.get("config"))
    metrics = _dict(record.metrics)
    history = metrics.get("history")
    history = history if isinstance(history, list) else []
    path = project.checkpoint_path(record.id)
    n = metrics.get("n")
    return RunSummary(
        id=int(record.id),
        status=str(record.status),
        model=str(config.get("model", "?")),
        frozen=len(config.get("frozen") or ()),
        epochs=int(config.get("epochs", 0) or 0),
        epochs_done=len(history),
        val_fraction=float(config.get("val_fraction", 0.0) or 0.0),
        accuracy=_number(metrics.get("accuracy")),
        evaluated_on=str(metrics.get("evaluated_on", "val")),
        n=int(n) if isinstance(n, int) and not isinstance(n, bool) else None,
        n_sessions=_sessions(metrics),
        baseline=_baseline(metrics),
        seconds=_number(metrics.get("seconds")),
        created_at=float(record.created_at or 0.0),
        checkpoint_bytes=path.stat().st_size if path.is_file() else None,
    )


def summarize_runs(project: Any) -> list[RunSummary]:
    """Every run of ``project``, newest first."""
    return [summarize_run(project, r) for r in sorted(project.runs(), key=lambda r: -r.id)]


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


def summary_text(project: Any) -> str:
    """One line: ``project P: high-five 12, other 10 windows (target 20 each); 2 runs, best …``."""
    counts = project.counts()
    windows = ", ".join(f"{k} {v}" for k, v in counts.items())
    runs = summarize_runs(project)
    best = max(
        (r for r in runs if r.accuracy is not None), key=lambda r: r.accuracy or 0.0, default=None
    )
    best_text = f", best run {best.id}: {best.accuracy_text()}" if best else ""
    return (
        f"{_title(project)}: {windows} windows "
        f"(target {TARGET_PER_CLASS} each); {len(runs)} run(s){best_text}"
    )


def _title(project: Any) -> str:
    return f"High-five workbench · project {project.path.name}"


# -- the picture ----------------------------------------------------------------------------------


def _font(size: int) -> Any:
    return ImageFont.load_default(size=size)


_PLAIN = str.maketrans({"–": "-", "—": "-", "…": "..."})


class _Canvas:
    """A white RGB image with a few drawing helpers (text, a panel title)."""

    def __init__(self, width: int, height: int) -> None:
        self.image = Image.new("RGB", (width, height), "white")
        self.draw = ImageDraw.Draw(self.image)
        self.small, self.body, self.title = _font(12), _font(14), _font(18)

    def text(
        self,
        xy: tuple[float, float],
        text: str,
        *,
        font: Any = None,
        fill: Any = (_INK,) * 3,
        anchor: str = "la",
    ) -> None:
        text = text.translate(_PLAIN)  # Pillow's built-in font has no dashes or ellipsis
        self.draw.text(xy, text, font=font or self.body, fill=fill, anchor=anchor)

    def fit(self, text: str, width: float, font: Any = None) -> str:
        """``text`` cut with an ellipsis so that it fits ``width`` pixels."""
        font = font or self.body
        if self.draw.textlength(text, font=font) <= width:
            return text
        while text and self.draw.textlength(text + "...", font=font) > width:
            text = text[:-1]
        return text + "..."


def _draw_counts(
    c: _Canvas, box: tuple[int, int, int, int], counts: dict[str, int], target: int
) -> None:
    x0, y0, x1, y1 = box
    c.text((x0, y0), "Windows per class", font=c.title)
    top = y0 + 34
    row = min(30, (y1 - top) // max(len(counts), 1))
    biggest = max([target, *counts.values()])
    label_w, bar_x = 110, x0 + 116
    bar_w = x1 - bar_x - 70
    for i, (name, n) in enumerate(counts.items()):
        y = top + i * row
        c.text((x0, y + row / 2), c.fit(name, label_w), anchor="lm")
        fill = (44, 160, 44) if n >= target else (214, 150, 40)
        c.draw.rectangle([bar_x, y + 4, bar_x + bar_w * n / biggest, y + row - 4], fill=fill)
        c.text((bar_x + bar_w * n / biggest + 6, y + row / 2), str(n), anchor="lm")
    tx = bar_x + bar_w * target / biggest
    bottom = top + len(counts) * row
    c.draw.line([tx, top - 4, tx, bottom], fill=(90, 90, 90), width=2)
    c.text((tx, top - 6), f"target {target}", font=c.small, anchor="md", fill=(_MUTED,) * 3)
    c.text((x0, bottom + 6), count_verdict(counts, target=target), font=c.small, fill=(_MUTED,) * 3)


def _draw_runs(
    c: _Canvas, box: tuple[int, int, int, int], runs: Sequence[RunSummary], shown: int | None
) -> None:
    x0, y0, x1, y1 = box
    c.text((x0, y0), "Training runs", font=c.title)
    if not runs:
        c.text(
            (x0, y0 + 40),
            "no run yet: label windows, then Start in the Train tab",
            fill=(_MUTED,) * 3,
        )
        return
    columns = [
        ("run", 46),
        ("settings", 300),
        ("accuracy", 260),
        ("baseline", 120),
        ("time", 150),
        ("size", 90),
    ]
    scale = (x1 - x0) / sum(wd for _n, wd in columns)
    xs, x = [], float(x0)
    for _name, width in columns:
        xs.append(x)
        x += width * scale
    y = y0 + 32
    for (name, _width), cx in zip(columns, xs, strict=True):
        c.text((cx, y), name, font=c.small, fill=(_MUTED,) * 3)
    y += 20
    for run in runs[: max(1, (y1 - y) // 22)]:
        if run.id == shown:
            c.draw.rectangle([x0 - 4, y - 2, x1, y + 18], fill=(232, 244, 255))
        cells = [
            str(run.id),
            run.settings_text(),
            run.accuracy_text(),
            run.baseline_text(),
            run.time_text(),
            run.size_text(),
        ]
        if run.status not in _FINAL_OK:
            cells[2] = run.status
        for text, (_n, width), cx in zip(cells, columns, xs, strict=True):
            c.text((cx, y), c.fit(text, width * scale - 8, c.small), font=c.small)
        y += 22


def _draw_confusion(
    c: _Canvas, box: tuple[int, int, int, int], metrics: dict[str, Any], run_id: int
) -> None:
    x0, y0, x1, y1 = box
    classes = [str(k) for k in metrics.get("classes") or []]
    matrix = metrics.get("confusion") or []
    c.text((x0, y0), f"Confusion matrix, run {run_id}", font=c.title)
    on = "validation" if metrics.get("evaluated_on", "val") == "val" else "training"
    c.text(
        (x0, y0 + 24),
        f"rows true, columns predicted · {on} windows",
        font=c.small,
        fill=(_MUTED,) * 3,
    )
    n = len(classes)
    if not n:
        return
    label_w = 100
    cell = int(min((x1 - x0 - label_w) / n, (y1 - y0 - 80) / n, 90))
    gx, gy = x0 + label_w, y0 + 66
    biggest = max((max(r) for r in matrix if r), default=1) or 1
    for j, name in enumerate(classes):
        c.text(
            (gx + j * cell + cell / 2, gy - 4),
            c.fit(name, cell - 4, c.small),
            font=c.small,
            anchor="md",
        )
    for i, true in enumerate(classes):
        c.text((x0, gy + i * cell + cell / 2), c.fit(true, label_w - 6), anchor="lm")
        for j in range(n):
            count = int(matrix[i][j]) if i < len(matrix) and j < len(matrix[i]) else 0
            level = int(235 - 120 * count / biggest)
            fill = (level, 235, level) if i == j else (245, level, level)
            cell_box = [
                gx + j * cell,
                gy + i * cell,
                gx + (j + 1) * cell - 3,
                gy + (i + 1) * cell - 3,
            ]
            c.draw.rectangle(cell_box, fill=fill)
            c.text(
                (gx + j * cell + cell / 2, gy + i * cell + cell / 2),
                str(count),
                font=c.title,
                anchor="mm",
            )


def _draw_curves(
    c: _Canvas, box: tuple[int, int, int, int], history: list[dict[str, Any]], key: str
) -> None:
    x0, y0, x1, y1 = box
    c.text((x0, y0), key, font=c.title)
    px0, py0, px1, py1 = x0 + 44, y0 + 30, x1 - 10, y1 - 24
    c.draw.rectangle([px0, py0, px1, py1], outline=_GRID)
    short = "acc" if key == "accuracy" else key
    series = [
        [(int(h["epoch"]), _number(h.get(f"{part}_{short}"))) for h in history if "epoch" in h]
        for part in ("train", "val")
    ]
    values = [v for s in series for _e, v in s if v is not None]
    if not values:
        c.text((px0 + 8, py0 + 8), "no epochs", font=c.small, fill=(_MUTED,) * 3)
        return
    low, high = (0.0, 1.0) if key == "accuracy" else (0.0, max(values) * 1.1 or 1.0)
    last = max(e for s in series for e, _v in s)
    for k in range(5):
        v = low + (high - low) * k / 4
        y = py1 - (py1 - py0) * k / 4
        c.draw.line([px0, y, px1, y], fill=_GRID)
        text = f"{v:.0%}" if key == "accuracy" else f"{v:.2g}"
        c.text((px0 - 4, y), text, font=c.small, anchor="rm", fill=(_MUTED,) * 3)
    c.text(
        ((px0 + px1) / 2, py1 + 4),
        f"epoch (1-{last})",
        font=c.small,
        anchor="ma",
        fill=(_MUTED,) * 3,
    )

    def point(epoch: int, value: float) -> tuple[float, float]:
        x = px0 + (px1 - px0) * (epoch - 1) / max(last - 1, 1)
        return x, py1 - (py1 - py0) * (value - low) / (high - low)

    for colour, _name, points in ((_TRAIN, "training", series[0]), (_VAL, "validation", series[1])):
        xy = [point(e, v) for e, v in points if v is not None]
        if len(xy) > 1:
            c.draw.line(xy, fill=colour, width=2)
        for x, y in xy:
            c.draw.ellipse([x - 3, y - 3, x + 3, y + 3], fill=colour)
    # The legend sits above the plot area, so it never covers a curve.
    lx = px1 - 170
    for k, (colour, name) in enumerate(((_TRAIN, "training"), (_VAL, "validation"))):
        c.draw.rectangle([lx + k * 85, y0 + 8, lx + k * 85 + 10, y0 + 18], fill=colour)
        c.text((lx + k * 85 + 14, y0 + 13), name, font=c.small, anchor="lm")


def render_summary_png(
    project: Any, *, run_id: int | None = None, target: int = TARGET_PER_CLASS, width: int = 1000
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
    records = {r.id: r for r in project.runs()}
    if run_id is None:
        finished = [r.id for r in runs if r.status in _FINAL_OK and records[r.id].metrics]
        run_id = finished[0] if finished else None
    elif run_id not in records:
        raise ValueError(f"no training run {run_id} in {project.path}")
    counts = project.counts()
    metrics = dict(records[run_id].metrics) if run_id is not None else {}
    counts_h = 60 + 30 * len(counts)
    runs_h = 70 + 22 * min(max(len(runs), 1), 6)
    lower_h = 300 if metrics else 0
    c = _Canvas(width, 70 + counts_h + runs_h + lower_h)
    c.text((20, 16), c.fit(_title(project), width - 40), font=c.title)
    c.text(
        (20, 42),
        f"classes: {', '.join(project.classes)} · {project.rate_hz:g} Hz · "
        f"{project.count_unlabelled()} unlabelled",
        font=c.small,
        fill=(_MUTED,) * 3,
    )
    y = 70
    _draw_counts(c, (20, y, width // 2 + 100, y + counts_h), counts, target)
    y += counts_h
    _draw_runs(c, (20, y, width - 20, y + runs_h), runs, run_id)
    y += runs_h
    if metrics and run_id is not None:
        third = (width - 40) // 3
        _draw_confusion(c, (20, y, 20 + third, y + lower_h), metrics, run_id)
        history = [h for h in metrics.get("history") or [] if isinstance(h, dict)]
        _draw_curves(c, (20 + third, y, 20 + 2 * third, y + lower_h - 10), history, "loss")
        _draw_curves(c, (20 + 2 * third, y, width - 20, y + lower_h - 10), history, "accuracy")
    out = io.BytesIO()
    c.image.save(out, format="PNG", optimize=True)
    return out.getvalue()


class ProjectSummary:
    """The project as a picture in a notebook's output: ``wb.summary()`` or ``display(...)``.

    IPython shows it as a PNG (``image/png``) with :func:`summary_text` as its plain-text form,
    so the output stays readable without a kernel, in an untrusted notebook, on GitHub and in
    ``jupyter nbconvert --to html``. The picture is drawn when the output is made.
    """

    def __init__(self, project: Any, *, run_id: int | None = None) -> None:
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
