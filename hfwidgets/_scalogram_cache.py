"""ScalogramCache: scalogram images kept in memory (LRU by bytes) and optionally on disk.

Entries are keyed by a hash of the window's samples, its rate and ``settings.key()``, not by a
store's window id: ids can be reused after a delete, content cannot go stale. Hashing a window
costs microseconds, far less than its scalogram.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import threading
from collections import OrderedDict
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from hfwidgets.scalogram import ScalogramSettings

__all__ = ["ScalogramCache"]

log = logging.getLogger(__name__)


class ScalogramCache:
    """Remember scalograms so training epochs, the labeller and reruns do not recompute them.

    Parameters
    ----------
    max_bytes : int
        Memory budget of the in-memory LRU (default 256 MiB, about 420 images of 224x224).
    directory : path-like, optional
        Folder for a persistent copy (a project passes ``<project>/cache/scalograms``); one
        sub-folder per settings key, one ``.npy`` per image. Created on first write.

    Examples
    --------
    >>> cache = ScalogramCache()
    >>> windows = np.random.default_rng(0).standard_normal((2, 75, 3)).astype(np.float32)
    >>> first = cache.compute_scalograms(windows, rate_hz=50.0)
    >>> again = cache.compute_scalograms(windows, rate_hz=50.0)  # served from memory
    >>> cache.hits, cache.misses, bool(np.array_equal(first, again))
    (2, 2, True)
    """

    def __init__(
        self, *, max_bytes: int = 256 * 2**20, directory: str | os.PathLike[str] | None = None
    ) -> None:
        if max_bytes < 0:
            raise ValueError(f"ScalogramCache(max_bytes={max_bytes}) must be >= 0")
        self.max_bytes = int(max_bytes)
        self.directory = Path(directory) if directory is not None else None
        self.hits = 0
        self.misses = 0
        self._memory: OrderedDict[str, np.ndarray] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._memory)

    @property
    def nbytes(self) -> int:
        """Bytes held in memory."""
        return self._bytes

    def clear(self, *, disk: bool = False) -> None:
        """Forget the in-memory images (and the files on disk too when ``disk=True``)."""
        with self._lock:
            self._memory.clear()
            self._bytes = 0
        if disk and self.directory is not None and self.directory.is_dir():
            for path in self.directory.glob("*/*.npy"):
                path.unlink(missing_ok=True)

    def compute_scalograms(
        self,
        windows: np.ndarray,
        *,
        rate_hz: float,
        settings: ScalogramSettings | None = None,
    ) -> np.ndarray:
        """Same contract as :func:`hfwidgets.scalogram.compute_scalograms`, with caching.

        The misses are computed together in one batch; the result is a fresh array the caller
        may modify.
        """
        from hfwidgets.scalogram import ScalogramSettings, compute_scalograms

        settings = settings or ScalogramSettings()
        array = np.ascontiguousarray(windows, dtype=np.float32)
        if array.ndim != 3:
            # Let compute_scalograms word the error.
            return compute_scalograms(array, rate_hz=rate_hz, settings=settings)
        settings_key = settings.key()
        keys = [_window_key(w, rate_hz, settings_key) for w in array]
        images: list[np.ndarray | None] = [self._get(settings_key, k) for k in keys]
        missing = [i for i, image in enumerate(images) if image is None]
        self.hits += len(keys) - len(missing)
        self.misses += len(missing)
        if missing:
            fresh = compute_scalograms(array[missing], rate_hz=rate_hz, settings=settings)
            for i, image in zip(missing, fresh, strict=True):
                images[i] = self._put(settings_key, keys[i], image, settings)
        height, width = settings.size
        out = np.empty((len(keys), 3, height, width), dtype=np.float32)
        for i, image in enumerate(images):
            out[i] = image
        return out

    # -- storage -------------------------------------------------------------------------------

    def _file(self, settings_key: str, key: str) -> Path | None:
        return None if self.directory is None else self.directory / settings_key / f"{key}.npy"

    def _get(self, settings_key: str, key: str) -> np.ndarray | None:
        memory_key = f"{settings_key}/{key}"
        with self._lock:
            image = self._memory.get(memory_key)
            if image is not None:
                self._memory.move_to_end(memory_key)
                return image
        path = self._file(settings_key, key)
        if path is None or not path.is_file():
            return None
        try:
            image = np.load(path, allow_pickle=False)
        except (OSError, ValueError) as exc:  # a torn or foreign file: recompute it
            log.warning("ignoring unreadable scalogram cache file %s: %s", path, exc)
            return None
        self._remember(memory_key, image)
        return image

    def _put(
        self, settings_key: str, key: str, image: np.ndarray, settings: ScalogramSettings
    ) -> np.ndarray:
        image = image.copy()
        image.setflags(write=False)
        self._remember(f"{settings_key}/{key}", image)
        path = self._file(settings_key, key)
        if path is not None:
            _save_atomically(path, image, settings)
        return image

    def _remember(self, memory_key: str, image: np.ndarray) -> None:
        if image.nbytes > self.max_bytes:
            return
        with self._lock:
            old = self._memory.pop(memory_key, None)
            if old is not None:
                self._bytes -= old.nbytes
            self._memory[memory_key] = image
            self._bytes += image.nbytes
            while self._bytes > self.max_bytes:
                _, evicted = self._memory.popitem(last=False)
                self._bytes -= evicted.nbytes


def _window_key(window: np.ndarray, rate_hz: float, settings_key: str) -> str:
    digest = hashlib.blake2b(digest_size=16)
    digest.update(f"{settings_key}|{float(rate_hz)!r}|{window.shape}|".encode())
    digest.update(window.tobytes())
    return digest.hexdigest()


def _save_atomically(path: Path, image: np.ndarray, settings: ScalogramSettings) -> None:
    """Write via a temporary file and rename, so readers never see half an image."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        readme = path.parent / "settings.json"
        if not readme.exists():  # lets a person tell the settings folders apart
            readme.write_text(json.dumps(settings.to_dict(), indent=1))
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                np.save(handle, image, allow_pickle=False)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as exc:  # a full or read-only disk must not break training
        log.warning("could not write scalogram cache file %s: %s", path, exc)
