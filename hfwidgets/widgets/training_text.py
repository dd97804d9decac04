"""What the TrainingPanel says, as HTML: the plan of a run, why Start cannot start yet, and what
a finished run's figure is measured on. No widgets: text from counts, settings and metrics.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping
from pathlib import Path

from hfwidgets.store.run_metrics import RunMetrics, interval_text
from hfwidgets.widgets._html import esc, esc_join

__all__ = ["describe_plan", "figure_html", "start_problem", "weights_text"]


def figure_html(metrics: RunMetrics) -> str:
    """What a run's accuracy is measured on, the baseline beside it and any warning, as HTML.

    Reads ``metrics.validation`` and ``metrics.baseline``
    (:func:`hfwidgets.training.runner.train_project`); empty when a run has neither.
    """
    parts = []
    validation = metrics.validation
    if validation is not None and validation.summary:
        parts.append(esc(validation.summary))
    baseline = metrics.baseline
    if baseline is not None and baseline.accuracy is not None:
        interval = interval_text(baseline.accuracy, baseline.n)
        parts.append(f"baseline {esc(baseline.name)} {baseline.accuracy:.1%}{interval}")
    elif baseline is not None and baseline.error:  # skipped (Stop after the last epoch) or failed
        parts.append(f"baseline {esc(baseline.name)}: {esc(baseline.error)}")
    if metrics.models:
        parts.append(
            "counts with "
            + esc(metrics.chosen)
            + " ("
            + ", ".join(
                f"{esc(name)} {'–' if f.accuracy is None else f'{f.accuracy:.1%}'}"
                for name, f in metrics.models.items()
            )
            + ")"
        )
    if metrics.augment_check is not None:
        parts.append(esc(metrics.augment_check.summary))
    text = "".join(f" · {part}" for part in parts)
    for warning in validation.warnings if validation is not None else ():
        text += f"<br><span style='color:#a00'>{esc(warning)}</span>"
    return text


def describe_plan(
    counts: Mapping[str, int],
    *,
    model: str,
    weights: str,
    frozen: Iterable[str],
    epochs: int | None,
    batch_size: int,
    lr: float,
    val_fraction: float,
    augmentation: str = "",
) -> str:
    """What Start will train, as HTML: windows per class (``counts``), backbone and weights,
    frozen groups, epochs (``None``: auto, the number it comes to), batch, learning rate,
    validation share and augmentation (a name of
    :data:`~hfwidgets.training.augment.AUGMENT_PRESETS`)."""
    from hfwidgets.models import layer_groups
    from hfwidgets.training.config import auto_epochs

    n = sum(counts.values())
    per_class = ", ".join(f"{html.escape(k)} {v}" for k, v in counts.items())
    try:
        groups = layer_groups(model)
    except ValueError:
        groups = []
    chosen = set(frozen)
    frozen_groups = [g for g in groups if g in chosen]
    if not frozen_groups:
        frozen_text = "nothing frozen: every layer learns"
    elif len(frozen_groups) == len(groups) - 1 and "head" not in frozen_groups:
        frozen_text = (
            f"{len(frozen_groups)} of {len(groups)} groups frozen: only the new head learns"
        )
    else:
        first, last = frozen_groups[0], frozen_groups[-1]
        span = first if len(frozen_groups) == 1 else f"{first} … {last}"
        frozen_text = f"{len(frozen_groups)} of {len(groups)} groups frozen ({span})"
    held = (
        f"about {round(n * val_fraction)} windows held out"
        if val_fraction > 0
        else "no validation: accuracy on the training windows"
    )
    if epochs is None:  # the stored model's, trained on every window (docs/training.md)
        epochs_text = f"{auto_epochs(n, batch_size=int(batch_size))} epochs (auto)"
    else:
        epochs_text = f"{int(epochs)} epochs"
    warn = ""
    small = [k for k, v in counts.items() if v < 2]
    if small:
        warn = (
            " · <span style='color:#a00'>label at least 2 windows of "
            f"{html.escape(', '.join(small))} first</span>"
        )
    return (
        f"<b>Start will train</b> {html.escape(model)} "
        f"({html.escape(weights_text(weights))}) on <b>{n}</b> windows ({per_class}) · "
        f"{html.escape(frozen_text)} · {epochs_text}, batch "
        f"{int(batch_size)}, learning rate {float(lr):g} · "
        f"validation {val_fraction:.0%}: {html.escape(held)}"
        + (f" · augmentation {html.escape(augmentation)}" if augmentation else "")
        + warn
    )


def start_problem(counts: Mapping[str, int], *, val_fraction: float) -> str:
    """Why Start cannot train on windows counted ``counts`` (HTML; "" when it can)."""
    if sum(1 for n in counts.values() if n > 0) < 2:
        return (
            "<b>Label windows of at least two classes first</b> "
            f"(now: {esc_join(f'{k} {v}' for k, v in counts.items())})."
        )
    single = [k for k, n in counts.items() if n == 1]
    if single and val_fraction > 0:
        return (
            f"<b>Label a second window of {esc_join(single)} first</b>: a class needs one "
            "window to train on and one to validate with (or set Validation share to 0%)."
        )
    return ""


def weights_text(weights: str) -> str:
    """The weights choice in words (the plan's parenthesis)."""
    if weights == "DEFAULT":
        return "ImageNet weights, torchvision download"
    if weights == "none":
        return "random weights"
    return f"weights file {Path(weights).name}"
