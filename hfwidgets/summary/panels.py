"""The panels of the summary picture: counts per class, runs, a confusion matrix, curves."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from hfwidgets.store.run_metrics import RunMetrics
from hfwidgets.store.run_status import ended_well
from hfwidgets.summary.canvas import GRID, MUTED, TRAIN, VAL, Canvas
from hfwidgets.summary.counts import count_verdict
from hfwidgets.summary.run_rows import RunSummary, number

__all__ = ["draw_confusion", "draw_counts", "draw_curves", "draw_runs"]

Box = tuple[int, int, int, int]


def draw_counts(c: Canvas, box: Box, counts: dict[str, int], target: int) -> None:
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
    c.text((tx, top - 6), f"target {target}", font=c.small, anchor="md", fill=(MUTED,) * 3)
    c.text((x0, bottom + 6), count_verdict(counts, target=target), font=c.small, fill=(MUTED,) * 3)


def draw_runs(c: Canvas, box: Box, runs: Sequence[RunSummary], shown: int | None) -> None:
    x0, y0, x1, y1 = box
    c.text((x0, y0), "Training runs", font=c.title)
    if not runs:
        c.text(
            (x0, y0 + 40),
            "no run yet: label windows, then Start in the Train tab",
            fill=(MUTED,) * 3,
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
        c.text((cx, y), name, font=c.small, fill=(MUTED,) * 3)
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
        if not ended_well(run.status):
            cells[2] = run.status
        for text, (_n, width), cx in zip(cells, columns, xs, strict=True):
            c.text((cx, y), c.fit(text, width * scale - 8, c.small), font=c.small)
        y += 22


def draw_confusion(c: Canvas, box: Box, metrics: RunMetrics, run_id: int) -> None:
    x0, y0, x1, y1 = box
    classes = list(metrics.classes)
    matrix = metrics.confusion
    c.text((x0, y0), f"Confusion matrix, run {run_id}", font=c.title)
    on = "validation" if metrics.evaluated_on == "val" else "training"
    c.text(
        (x0, y0 + 24),
        f"rows true, columns predicted · {on} windows",
        font=c.small,
        fill=(MUTED,) * 3,
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


def draw_curves(c: Canvas, box: Box, history: list[dict[str, Any]], key: str) -> None:
    x0, y0, x1, y1 = box
    c.text((x0, y0), key, font=c.title)
    px0, py0, px1, py1 = x0 + 44, y0 + 30, x1 - 10, y1 - 24
    c.draw.rectangle([px0, py0, px1, py1], outline=GRID)
    short = "acc" if key == "accuracy" else key
    series = [
        [(int(h["epoch"]), number(h.get(f"{part}_{short}"))) for h in history if "epoch" in h]
        for part in ("train", "val")
    ]
    values = [v for s in series for _e, v in s if v is not None]
    if not values:
        c.text((px0 + 8, py0 + 8), "no epochs", font=c.small, fill=(MUTED,) * 3)
        return
    low, high = (0.0, 1.0) if key == "accuracy" else (0.0, max(values) * 1.1 or 1.0)
    last = max(e for s in series for e, _v in s)
    for k in range(5):
        v = low + (high - low) * k / 4
        y = py1 - (py1 - py0) * k / 4
        c.draw.line([px0, y, px1, y], fill=GRID)
        text = f"{v:.0%}" if key == "accuracy" else f"{v:.2g}"
        c.text((px0 - 4, y), text, font=c.small, anchor="rm", fill=(MUTED,) * 3)
    c.text(
        ((px0 + px1) / 2, py1 + 4),
        f"epoch (1-{last})",
        font=c.small,
        anchor="ma",
        fill=(MUTED,) * 3,
    )

    def point(epoch: int, value: float) -> tuple[float, float]:
        x = px0 + (px1 - px0) * (epoch - 1) / max(last - 1, 1)
        return x, py1 - (py1 - py0) * (value - low) / (high - low)

    for colour, _name, points in ((TRAIN, "training", series[0]), (VAL, "validation", series[1])):
        xy = [point(e, v) for e, v in points if v is not None]
        if len(xy) > 1:
            c.draw.line(xy, fill=colour, width=2)
        for x, y in xy:
            c.draw.ellipse([x - 3, y - 3, x + 3, y + 3], fill=colour)
    # The legend sits above the plot area, so it never covers a curve.
    lx = px1 - 170
    for k, (colour, name) in enumerate(((TRAIN, "training"), (VAL, "validation"))):
        c.draw.rectangle([lx + k * 85, y0 + 8, lx + k * 85 + 10, y0 + 18], fill=colour)
        c.text((lx + k * 85 + 14, y0 + 13), name, font=c.small, anchor="lm")
