"""Fixtures shared by every part's tests."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

# The cores are shared by the pytest-xdist workers, their kernels and the browser: each worker
# (and what it starts) trains on its share. Two trainings that each take every core run several
# times slower than the two on one core each (OpenMP threads wait for a core the other holds).
_WORKERS = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
os.environ["OMP_NUM_THREADS"] = str(max(1, (os.cpu_count() or 1) // _WORKERS))

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


@pytest.fixture(scope="session")
def repo_dir() -> Path:
    return REPO


@pytest.fixture(scope="session")
def punch_flex_dir() -> Path:
    """Real Arduino IMU recordings (punch vs flex), ../shared/data/punch-flex."""
    path = SHARED / "data" / "punch-flex"
    if not (path / "punch.csv").is_file():
        pytest.skip(f"real punch/flex data not found at {path}")
    return path


@pytest.fixture(scope="session")
def mobilenet_v2_weights() -> Path:
    """Real ImageNet MobileNetV2 state dict for offline tests (../shared/weights)."""
    from hfwidgets._paths import shared_weights

    path = shared_weights()
    if path is None:
        pytest.skip("offline MobileNetV2 weights not found in ../shared/weights")
    return path


@pytest.fixture
def pty_path() -> Iterator[str]:
    """A real pseudo-terminal's path, standing in for a serial port (the simulated Arduino's)."""
    from tests.jupyter import open_pty

    with open_pty() as path:
        yield path
