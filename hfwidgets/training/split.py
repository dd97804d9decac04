"""Seeded, stratified train/validation splits and cross-validation folds (scikit-learn).

Windows recorded in one session (one person, one grip, one day) resemble each other far more than
windows of two sessions do. A random split puts windows of the same session on both sides and the
validation accuracy then measures memory, not recognition of the next person's motion. So when the
windows come from several sessions, recordings or import sources, :func:`grouped_split` holds out
whole groups (:func:`window_group` names a window's group), stratified by class as far as the
groups allow; it falls back to a plain stratified split, and says why, when the groups cannot give
every class a place on both sides.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.model_selection import (
    StratifiedGroupKFold,
    StratifiedKFold,
    train_test_split,
)

from hfwidgets.sensors.base import source_label
from hfwidgets.store.run_metrics import EvaluatedOn, ValidationFacts

__all__ = [
    "MIN_PER_CLASS",
    "SplitPlan",
    "check_class_counts",
    "grouped_kfold",
    "grouped_split",
    "kfold_splits",
    "stratified_split",
    "validation_facts",
    "window_group",
]

# SplitPlan.reason when every session/source holds a single class (nothing to warn about).
ONE_CLASS_GROUPS = "each session/source holds one class only"

# Fewer validation windows than this of some class: its recall moves by >= 20 points per window,
# so the figure is flagged as too small to trust.
MIN_PER_CLASS = 5


def _class_names(values: Sequence[Any], class_names: Sequence[str] | None) -> list[str]:
    """Label values as class names (labels are indices into ``class_names`` when given)."""
    if class_names is None:
        return [str(v) for v in values]
    return [str(class_names[int(v)]) for v in values]


def check_class_counts(
    labels: np.ndarray,
    *,
    minimum: int = 2,
    class_names: Sequence[str] | None = None,
    remedy: str = "or set val_fraction=0 (hfw train --val-fraction 0) to hold none out",
) -> None:
    """Check that ``labels`` hold two classes or more, each with ``minimum`` windows or more.

    ``class_names`` names the classes in the message (``labels`` are then indices into it);
    ``remedy`` is the alternative to labelling more.

    Raises
    ------
    ValueError
        Naming the classes with too few windows and what to do about it.
    """
    classes, counts = np.unique(np.asarray(labels), return_counts=True)
    if len(classes) < 2:
        found = ", ".join(_class_names(classes.tolist(), class_names)) or "none"
        raise ValueError(
            f"training needs windows of at least two classes, got {found}: capture or label "
            "windows of another class"
        )
    if counts.min() >= minimum:
        return
    rare = _class_names(classes[counts < minimum].tolist(), class_names)
    one = len(rare) == 1
    if minimum == 2:
        names = ", ".join(rare)
        few = "a single labelled window" + ("" if one else " each")
        need = "a second one is needed: one to train on, one to validate"
    else:
        names = ", ".join(
            f"{name} ({n})" for name, n in zip(rare, counts[counts < minimum].tolist(), strict=True)
        )
        few, need = f"fewer than {minimum} labelled windows", f"{minimum} per class are needed"
    raise ValueError(
        f"class{'' if one else 'es'} {names} ha{'s' if one else 've'} {few} ({need}): "
        f"capture or label more windows of {'that class' if one else 'those classes'}, {remedy}"
    )


def stratified_split(
    labels: np.ndarray,
    *,
    val_fraction: float = 0.2,
    seed: int = 0,
    class_names: Sequence[str] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Indices ``(train, val)`` holding out ``val_fraction`` of every class.

    With ``val_fraction=0`` everything trains and ``val`` is empty. Each class keeps at least one
    training example. ``class_names`` (``labels`` index into it) names classes in errors.

    Raises
    ------
    ValueError
        Fewer than two examples of some class, or too few examples to hold any out.
    """
    labels = np.asarray(labels)
    index = np.arange(len(labels))
    if val_fraction == 0:
        return index, index[:0]
    check_class_counts(labels, minimum=2, class_names=class_names)
    classes = np.unique(labels)
    n_val = max(len(classes), round(val_fraction * len(labels)))
    if len(labels) - n_val < len(classes):
        raise ValueError(
            f"{len(labels)} windows are too few to hold out {val_fraction:.0%} per class; "
            "label more windows or lower val_fraction"
        )
    train, val = train_test_split(index, test_size=n_val, stratify=labels, random_state=seed)
    return np.sort(train), np.sort(val)


def kfold_splits(
    labels: np.ndarray, *, folds: int = 5, seed: int = 0
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Stratified ``folds``-fold cross-validation: ``(train, test)`` indices, seeded shuffle."""
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    labels = np.asarray(labels)
    yield from splitter.split(np.zeros(len(labels)), labels)


def window_group(
    *, session_id: int | None = None, origin: str = "", source: str = ""
) -> str | None:
    """The group a window belongs to for validation: windows of one group are never split.

    In order of preference: its recording session (``"session:<id>"``); for a window merged from a
    teammate's project, that project (``origin`` is ``"<their project id>:<their window id>"``);
    else its import source: the imported folder for the generic layout (``"<dir>/<label>/<file>"``
    -> ``"<dir>"``), the file for an Arduino CSV (``"punch.csv#3"`` -> ``"punch.csv"``), or the
    source name itself (a serial port, the simulated arm). ``None`` when nothing is known. A
    source stored before sources had labels (``"SimulatedSource"``) is in its label's group.
    """
    if session_id is not None:
        return f"session:{int(session_id)}"
    if origin and ":" in origin:
        return f"project:{origin.rsplit(':', 1)[0]}"
    if not source:
        return None
    if "#" in source:
        return f"source:{source.rsplit('#', 1)[0]}"
    if source.count("/") == 2 and not source.startswith("/"):
        return f"source:{source.split('/', 1)[0]}"
    return f"source:{source_label(source)}"


@dataclass(frozen=True)
class SplitPlan:
    """A train/validation split and what its validation figure is measured on.

    ``grouped`` is ``True`` when no group has windows on both sides; ``reason`` says why the split
    is not grouped otherwise (one group only, or classes each confined to too few groups).
    """

    train: np.ndarray
    val: np.ndarray
    grouped: bool
    n_groups: int
    reason: str


def _codes(groups: Sequence[str | None]) -> np.ndarray:
    """Integer group codes; windows without a group each form their own group."""
    names: dict[str, int] = {}
    out = np.empty(len(groups), dtype=np.int64)
    for i, g in enumerate(groups):
        key = g if g is not None else f"\0window:{i}"
        out[i] = names.setdefault(key, len(names))
    return out


def _distinct_named(groups: Sequence[str | None]) -> int:
    return len({g for g in groups if g is not None})


def grouped_split(
    labels: np.ndarray,
    groups: Sequence[str | None],
    *,
    val_fraction: float = 0.2,
    seed: int = 0,
    class_names: Sequence[str] | None = None,
) -> SplitPlan:
    """Hold out whole groups (sessions, sources), stratified by class as far as groups allow.

    Tries the ``round(1 / val_fraction)`` folds of scikit-learn's ``StratifiedGroupKFold`` and
    keeps the first whose validation and training sides both hold every class (the one closest to
    ``val_fraction`` among those). When there is at most one named group, or no fold gives every
    class a place on both sides (each class recorded in its own session, say), it falls back to
    :func:`stratified_split` and ``reason`` says why. ``class_names`` names classes in errors.
    """
    labels = np.asarray(labels)
    if len(groups) != len(labels):
        raise ValueError(f"{len(labels)} labels but {len(groups)} groups")
    named = _distinct_named(groups)
    if val_fraction == 0:
        index = np.arange(len(labels))
        return SplitPlan(index, index[:0], False, named, "nothing held out (val_fraction=0)")
    if named < 2:
        train, val = stratified_split(
            labels, val_fraction=val_fraction, seed=seed, class_names=class_names
        )
        why = "the windows come from one session/source" if named else "no session/source known"
        return SplitPlan(train, val, False, named, why)
    codes = _codes(groups)
    classes = np.unique(labels)
    n_splits = max(2, min(round(1 / val_fraction), len(np.unique(codes))))
    best: tuple[float, np.ndarray, np.ndarray] | None = None
    splitter = StratifiedGroupKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    for train, val in splitter.split(np.zeros(len(labels)), labels, codes):
        if len(np.unique(labels[val])) < len(classes):
            continue
        if len(np.unique(labels[train])) < len(classes):
            continue
        gap = abs(len(val) / len(labels) - val_fraction)
        if best is None or gap < best[0]:
            best = (gap, np.sort(train), np.sort(val))
    one_class = all(len(np.unique(labels[codes == c])) == 1 for c in np.unique(codes))
    if best is None and one_class:
        # Imported one file or folder per class: the source names the class, not a session.
        train, val = stratified_split(
            labels, val_fraction=val_fraction, seed=seed, class_names=class_names
        )
        return SplitPlan(train, val, False, named, ONE_CLASS_GROUPS)
    if best is None:
        train, val = stratified_split(
            labels, val_fraction=val_fraction, seed=seed, class_names=class_names
        )
        why = (
            f"the {named} sessions/sources do not each hold several classes: holding out whole "
            "ones would leave a class out of training or validation"
        )
        return SplitPlan(train, val, False, named, why)
    return SplitPlan(best[1], best[2], True, named, "")


def grouped_kfold(
    labels: np.ndarray,
    groups: Sequence[str | None] | None = None,
    *,
    folds: int = 5,
    seed: int = 0,
    class_names: Sequence[str] | None = None,
) -> tuple[list[tuple[np.ndarray, np.ndarray]], bool]:
    """``folds``-fold cross-validation folds and whether they are grouped.

    Grouped (``StratifiedGroupKFold``) when there are at least ``folds`` named groups and every
    fold's test side is non-empty; plain stratified k-fold otherwise. ``class_names``
    (``labels`` index into it) names classes in errors.

    Raises
    ------
    ValueError
        ``folds < 2``, or some class has fewer windows than ``folds``.
    """
    labels = np.asarray(labels)
    if folds < 2:
        raise ValueError(f"folds={folds}: cross-validation needs at least 2 folds")
    check_class_counts(
        labels,
        minimum=folds,
        class_names=class_names,
        remedy="or use fewer folds (hfw train --folds)",
    )
    if groups is not None and _distinct_named(groups) >= folds:
        splitter = StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=seed)
        codes = _codes(groups)
        out = [(np.sort(a), np.sort(b)) for a, b in splitter.split(labels, labels, codes)]
        if all(len(b) for _, b in out):
            return out, True
    return [
        (np.sort(a), np.sort(b)) for a, b in kfold_splits(labels, folds=folds, seed=seed)
    ], False


def validation_facts(
    val_labels: np.ndarray,
    *,
    classes: Sequence[str],
    n_groups: int,
    grouped: bool,
    folds: int = 0,
    reason: str = "",
    on: EvaluatedOn = "val",
    loso_fold_epochs: int = 0,
) -> ValidationFacts:
    """What a validation figure is measured on, and a warning when it is too small to trust.

    Returns
    -------
    ValidationFacts
        ``n`` (windows measured), ``per_class`` (windows of each class), ``groups`` (distinct
        sessions/sources in the project), ``grouped`` (validation windows come only from groups
        training did not see), ``folds`` (0: one hold-out split), ``on`` (``"val"``,
        ``"cross-validation"`` or ``"train"``), ``reason`` (why not grouped), ``warnings``
        (sentences for the user), ``summary`` (one line) and ``leave_one_source_out``: with
        ``loso_fold_epochs > 0`` the ``folds`` each held out one session/source, their models
        trained that many epochs without augmentation, and the summary says both.
    """
    val_labels = np.asarray(val_labels, dtype=np.int64)
    per_class = {name: int((val_labels == i).sum()) for i, name in enumerate(classes)}
    warnings: list[str] = []
    if on == "train":
        warnings.append(
            "no windows were held out: the accuracy is measured on the training windows and "
            "says nothing about new motions"
        )
    few = [name for name, n in per_class.items() if n < MIN_PER_CLASS]
    if few and on != "train":
        warnings.append(
            f"too few windows to trust: {', '.join(f'{k} ({per_class[k]})' for k in few)} "
            f"ha{'s' if len(few) == 1 else 've'} fewer than {MIN_PER_CLASS} validation windows; "
            "label more, or use cross-validation (--folds 5)"
        )
    if not grouped and n_groups >= 2 and on != "train" and reason != ONE_CLASS_GROUPS:
        warnings.append(
            f"validation windows share sessions/sources with training ({reason}); the figure "
            "may be optimistic for new sessions"
        )
    how = {"val": "held-out", "cross-validation": f"{folds}-fold cross-validated", "train": "train"}
    sessions = (
        f"{n_groups} session{'s' if n_groups != 1 else ''}/source{'s' if n_groups != 1 else ''}"
    )
    if loso_fold_epochs > 0:
        epochs = f"{loso_fold_epochs} epoch{'s' if loso_fold_epochs != 1 else ''}"
        summary = (
            f"measured on {len(val_labels)} windows by leave-one-source-out over {folds} "
            f"sessions/sources (each held out once), grouped (no session on both sides); "
            f"fold models trained {epochs}, without augmentation"
        )
    else:
        summary = (
            f"measured on {len(val_labels)} {how[on]} windows from {sessions}, "
            f"{'grouped (no session on both sides)' if grouped else 'not grouped'}"
        )
    return ValidationFacts(
        n=len(val_labels),
        per_class=per_class,
        groups=n_groups,
        grouped=grouped,
        folds=folds,
        on=on,
        reason=reason,
        warnings=tuple(warnings),
        summary=summary,
        leave_one_source_out=loso_fold_epochs > 0,
    )
