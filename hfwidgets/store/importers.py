"""Import recordings into a project: the generic folder layout and Arduino IMU_Capture CSVs.

Every file is read and checked before anything is written, and the windows are then added in
one transaction: a bad file anywhere leaves the project exactly as it was. Windows recorded
faster than the project rate are resampled down to it; slower ones are stored at their own rate
(never up-sampled), so a window's ``rate_hz`` is the rate it really had and the scalogram's band
can follow it. Windows already in the project (same samples and rate) are skipped, so running
an import twice adds nothing the second time.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from hfwidgets.errors import HfwError
from hfwidgets.resampling import resample_samples
from hfwidgets.store.arrays import check_rate_hz, window_digest
from hfwidgets.store.csvfiles import read_samples_csv
from hfwidgets.store.project import Project, check_class_name

__all__ = [
    "IMPORT_FORMATS",
    "ImportReport",
    "import_arduino_imu",
    "import_generic",
    "import_path",
    "read_meta",
]

IMPORT_FORMATS = ("auto", "generic", "arduino-imu")


@dataclass(frozen=True)
class ImportReport:
    """What an import did: ids added, windows per label, duplicates skipped, classes added."""

    window_ids: tuple[int, ...]
    per_label: dict[str, int]
    duplicates: int
    new_classes: tuple[str, ...]
    files: int
    source_rate_hz: float
    rate_hz: float
    # Folders and files left out on purpose ("path: why"), so nothing is skipped silently.
    skipped: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (``window_ids`` as a list)."""
        out = asdict(self)
        out["window_ids"] = list(self.window_ids)
        out["new_classes"] = list(self.new_classes)
        out["skipped"] = list(self.skipped)
        return out


@dataclass(frozen=True, eq=False)
class _Pending:
    label: str
    samples: NDArray[np.float32]
    source: str


def read_meta(src_dir: Path) -> dict[str, Any]:
    """Read ``DIR/meta.json`` if present (``{}`` otherwise), checking ``rate_hz``."""
    meta_path = src_dir / "meta.json"
    if not meta_path.exists():
        return {}
    try:
        text = meta_path.read_text(encoding="utf-8")
        meta = json.loads(text)
    except json.JSONDecodeError as exc:
        raise HfwError(f"{meta_path} line {exc.lineno}: invalid JSON ({exc.msg})") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise HfwError(f"{meta_path}: cannot read ({exc})") from exc
    if not isinstance(meta, dict):
        raise HfwError(f'{meta_path} line 1: expected a JSON object like {{"rate_hz": 50}}')
    rate = meta.get("rate_hz")
    if rate is not None:
        # json accepts Infinity and NaN: check_rate_hz refuses them with the absurd ones.
        line = next((i for i, t in enumerate(text.splitlines(), 1) if '"rate_hz"' in t), 1)
        try:
            check_rate_hz(rate, what=f"{meta_path} line {line}: rate_hz")
        except ValueError as exc:
            raise HfwError(str(exc)) from None
    classes = meta.get("classes", [])
    if not isinstance(classes, list):
        raise HfwError(f'{meta_path}: classes must be a list of names like ["punch", "flex"]')
    for name in classes:
        try:
            check_class_name(name)
        except ValueError as exc:
            raise HfwError(f"{meta_path}: classes: {exc}") from None
    return meta


def _commit(
    project: Project,
    pending: Sequence[_Pending],
    *,
    from_hz: float,
    files: int,
    extra_classes: Sequence[str] = (),
    skipped: Sequence[str] = (),
) -> ImportReport:
    # Down to the project rate, never up: up-sampling would invent a band the sensor never saw.
    to_hz = min(project.rate_hz, from_hz)
    resampled = [(p, resample_samples(p.samples, from_hz=from_hz, to_hz=to_hz)) for p in pending]
    known = set(project.classes)
    new_classes = [c for c in dict.fromkeys([*extra_classes, *(p.label for p in pending)])]
    new_classes = [c for c in new_classes if c not in known]
    ids: list[int] = []
    per_label: Counter[str] = Counter()
    duplicates = 0
    with project.batch():
        seen = set(project.windows.digests())
        for name in new_classes:
            project.add_class(name)
        for item, samples in resampled:
            digest = window_digest(samples, to_hz)
            if digest in seen:
                duplicates += 1
                continue
            seen.add(digest)
            ids.append(
                project.windows.add(samples, rate_hz=to_hz, source=item.source, label=item.label)
            )
            per_label[item.label] += 1
    return ImportReport(
        window_ids=tuple(ids),
        per_label=dict(per_label),
        duplicates=duplicates,
        new_classes=tuple(new_classes),
        files=files,
        source_rate_hz=from_hz,
        rate_hz=to_hz,
        skipped=tuple(skipped),
    )


def import_generic(
    project: Project, src_dir: str | os.PathLike[str], *, rate_hz: float | None = None
) -> ImportReport:
    """Import ``DIR/<label>/*.csv`` (one window per file, header ``ax,ay,az``).

    Parameters
    ----------
    project : Project
        Receives the windows; labels it does not know yet become classes.
    src_dir : path
        The folder; ``DIR/meta.json`` may give ``{"rate_hz": 50}`` (and ``"classes"``).
    rate_hz : float, optional
        Sample rate of the files; overrides ``meta.json``. Without either, the project rate.
    """
    src = Path(src_dir)
    if not src.is_dir():
        raise HfwError(f"{src}: not a folder; the generic layout is DIR/<label>/<name>.csv")
    meta = read_meta(src)
    if rate_hz is not None:
        from_hz = _check_option_rate(rate_hz)
    else:
        from_hz = float(meta.get("rate_hz") or project.rate_hz)
    stray = sorted(p.name for p in src.glob("*.csv"))
    if stray:
        raise HfwError(
            f"{src / stray[0]}: CSV files belong in a label folder (DIR/<label>/{stray[0]}); "
            "for Arduino IMU_Capture recordings use --format arduino-imu"
        )
    folders, skipped = _label_folders(src)
    pending: list[_Pending] = []
    files = 0
    for folder in folders:
        try:
            label = check_class_name(folder.name)
        except ValueError as exc:
            raise HfwError(f"{folder}: {exc}") from None
        for path in _window_files(folder, skipped):
            data = read_samples_csv(path)
            pending.append(_Pending(label, data.samples, f"{src.name}/{label}/{path.name}"))
            files += 1
    extra = list(meta.get("classes", []))  # checked by read_meta
    return _commit(
        project, pending, from_hz=from_hz, files=files, extra_classes=extra, skipped=skipped
    )


def _label_folders(src: Path) -> tuple[list[Path], list[str]]:
    """The label folders of ``src`` and what was skipped (hidden and private folders), said."""
    folders, skipped = [], []
    for p in sorted(src.iterdir()):
        if p.is_dir() and p.name.startswith((".", "_")):
            # Hidden (.git) and private (__MACOSX, _unused) folders are not classes: say so.
            skipped.append(f"{p}: folder name starts with {p.name[0]!r}, so it is not a label")
        elif p.is_dir():
            folders.append(p)
    if not folders:
        hidden = f" ({len(skipped)} skipped: {skipped[0]})" if skipped else ""
        raise HfwError(f"{src}: no label folders; expected DIR/<label>/<name>.csv{hidden}")
    return folders, skipped


def _window_files(folder: Path, skipped: list[str]) -> list[Path]:
    """The window CSVs of one label folder; hidden files are added to ``skipped``."""
    csvs = []
    for path in sorted(folder.glob("*.csv")):
        if path.name.startswith("."):  # macOS ._name.csv resource forks, editor backups
            skipped.append(f"{path}: hidden file")
        else:
            csvs.append(path)
    if not csvs:
        raise HfwError(f"{folder}: label folder has no .csv files; add windows or remove it")
    return csvs


def _check_option_rate(rate_hz: float) -> float:
    try:
        return check_rate_hz(rate_hz, what="--rate")
    except ValueError as exc:
        raise HfwError(str(exc)) from None


def _split_recordings(path: Path, *, window: int) -> list[NDArray[np.float32]]:
    data = read_samples_csv(path)
    n = data.samples.shape[0]
    if n % window:
        start = (n // window) * window
        raise HfwError(
            f"{path} line {data.lines[start]}: the last recording has {n - start} rows; "
            f"{n} samples is not a whole number of {window}-sample recordings "
            "(pass --window N if the recordings have another length)"
        )
    return [data.samples[i : i + window] for i in range(0, n, window)]


def import_arduino_imu(
    project: Project,
    csv: str | os.PathLike[str],
    *,
    label: str | None = None,
    window: int = 119,
    rate_hz: float = 119.0,
) -> ImportReport:
    """Import Arduino IMU_Capture CSVs: fixed-length recordings back to back in one file.

    Parameters
    ----------
    project : Project
        Receives the windows, resampled to its rate.
    csv : path
        One CSV file (``aX,aY,aZ[,gX,gY,gZ]`` header), or a folder whose ``*.csv`` files are
        each imported.
    label : str, optional
        Label of every recording; by default each file's stem (``punch.csv`` -> ``punch``).
    window : int
        Samples per recording (the sketch's 119).
    rate_hz : float
        Sample rate of the recordings (the sketch's 119 Hz).
    """
    src = Path(csv)
    if window < 1:
        raise ValueError(f"--window must be a positive number of samples, got {window}")
    rate_hz = _check_option_rate(rate_hz)
    if src.is_dir():
        paths = sorted(src.glob("*.csv"))
        if not paths:
            raise HfwError(f"{src}: no .csv files to import")
    elif src.is_file():
        paths = [src]
    else:
        raise HfwError(f"{src}: no such file or folder")
    pending: list[_Pending] = []
    for path in paths:
        try:
            name = check_class_name(label or path.stem)
        except ValueError as exc:
            raise HfwError(f"{path}: {exc}; pass --label NAME") from None
        for k, rec in enumerate(_split_recordings(path, window=window)):
            pending.append(_Pending(name, rec, f"{path.name}#{k}"))
    return _commit(project, pending, from_hz=rate_hz, files=len(paths))


def _looks_generic(src: Path) -> bool:
    return src.is_dir() and any(p.is_dir() and not p.name.startswith(".") for p in src.iterdir())


def import_path(
    project: Project,
    src: str | os.PathLike[str],
    *,
    fmt: str = "auto",
    rate_hz: float | None = None,
    label: str | None = None,
    window: int | None = None,
) -> ImportReport:
    """Import ``src`` in the given format; ``"auto"`` picks generic for a folder of label
    folders and arduino-imu for a CSV file or a folder of CSVs."""
    path = Path(src)
    if fmt not in IMPORT_FORMATS:
        raise ValueError(
            f"unknown import format {fmt!r}; choose one of {', '.join(IMPORT_FORMATS)}"
        )
    if not path.exists():
        raise HfwError(f"{path}: no such file or folder")
    if fmt == "auto":
        fmt = "generic" if _looks_generic(path) else "arduino-imu"
    if fmt == "generic":
        if label is not None or window is not None:
            raise ValueError("--label and --window apply to --format arduino-imu only")
        return import_generic(project, path, rate_hz=rate_hz)
    return import_arduino_imu(
        project,
        path,
        label=label,
        window=119 if window is None else window,
        rate_hz=119.0 if rate_hz is None else rate_hz,
    )
