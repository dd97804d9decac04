"""Data-parallel training: two gloo processes on this machine, launched by torchrun."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from hfwidgets.training.checkpoint import load_checkpoint


@pytest.fixture
def npz(tmp_path: Path) -> Path:
    rng = np.random.default_rng(0)
    labels = np.arange(24) % 2
    images = (rng.random((24, 3, 32, 32)) * 0.2).astype(np.float32)
    images[labels == 0, 0, 4:12] += 0.7
    path = tmp_path / "data.npz"
    np.savez(path, images=images, labels=labels, classes=np.array(["high-five", "other"]),
             ids=np.arange(500, 524))  # fmt: skip
    return path


@pytest.mark.slow
def test_two_processes_train_identical_replicas(npz: Path, tmp_path: Path, repo_dir: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(repo_dir)}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2",
           "-m", "hfwidgets.training.ddp", "--data", str(npz), "--out", str(out),
           "--model", "mobilenet_v3_small", "--weights", "none", "--freeze", "stem",
           "--epochs", "2", "--batch-size", "4", "--threads", "1", "--json"]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    summary = json.loads(proc.stdout.strip().splitlines()[-1])
    assert summary["world_size"] == 2
    assert summary["replicas_identical"] is True
    assert summary["epochs"] == 2
    assert sum(map(sum, summary["confusion"])) == 5  # 20 % of 24 held out
    assert "epoch 2:" in proc.stderr  # rank 0 reports progress
    saved = load_checkpoint(out / "checkpoint.pt")
    assert saved["epoch"] == 2
    assert saved["classes"] == ["high-five", "other"]
    metrics = json.loads((out / "metrics.json").read_text())
    assert set(metrics["misclassified"]) <= set(range(500, 524))


def test_without_torchrun_it_says_how_to_launch(
    npz: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from hfwidgets.training.ddp import main

    monkeypatch.delenv("RANK", raising=False)
    assert main(["--data", str(npz)]) == 2
    assert "torchrun --nproc-per-node" in capsys.readouterr().err
