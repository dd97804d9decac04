"""Export of a trained run to TorchScript and ONNX, with the scalogram settings beside it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import torch

from hfwidgets.store import Project
from hfwidgets.training.config import TrainConfig
from hfwidgets.training.export import export_model
from hfwidgets.training.predictor import load_predictor
from hfwidgets.training.runner import train_project

torch.set_num_threads(1)


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Project]:
    rng = np.random.default_rng(0)
    folder = tmp_path_factory.mktemp("export") / "proj"
    project = Project.create(folder, classes=("high-five", "other", "wave"), rate_hz=50.0)
    for i in range(12):
        label = project.classes[i % 3]
        data = rng.normal(0, 0.1 + 0.3 * (i % 3), (60, 3)).astype(np.float32)
        project.windows.add(data, rate_hz=50.0, label=label)
    project.settings.set("scalogram", {"size": [48, 48], "f_min_hz": 2.0})
    config = TrainConfig(model="squeezenet1_1", weights="none", epochs=1, batch_size=4,
                         frozen=("stem",), num_threads=1)  # fmt: skip
    train_project(project, config)
    yield project
    project.close()


def _images(project: Project) -> tuple[np.ndarray, np.ndarray]:
    predictor = load_predictor(project)
    windows = np.stack([w.data for w in project.windows.all()[:5]])
    from hfwidgets.scalogram import compute_scalograms

    images = compute_scalograms(windows, rate_hz=50.0, settings=predictor.settings)
    return images, predictor.predict_images(images)


@pytest.mark.filterwarnings("ignore:`torch.jit.load` is deprecated:FutureWarning")
def test_torchscript_export_gives_the_predictor_probabilities(
    trained: Project, tmp_path: Path
) -> None:
    out = export_model(trained, fmt="torchscript", out=tmp_path / "model.pt")
    images, expected = _images(trained)
    loaded = torch.jit.load(str(out))
    with torch.inference_mode():
        got = loaded(torch.as_tensor(images)).numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5)
    meta = json.loads(Path(str(out) + ".json").read_text())
    assert meta["classes"] == ["high-five", "other", "wave"]
    assert meta["scalogram"]["size"] == [48, 48]
    assert meta["scalogram"]["f_min_hz"] == 2.0
    assert meta["rate_hz"] == 50.0
    assert meta["format"] == "torchscript"


def test_onnx_export_runs_in_onnxruntime_with_any_batch(trained: Project, tmp_path: Path) -> None:
    ort = pytest.importorskip("onnxruntime")
    out = export_model(trained, fmt="onnx", out=tmp_path / "sub" / "model.onnx")
    images, expected = _images(trained)
    session = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    got = session.run(None, {"scalograms": images})[0]
    assert got.shape == (5, 3)
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5)
    meta = json.loads((tmp_path / "sub" / "model.onnx.json").read_text())
    assert meta["input"]["name"] == "scalograms"


def test_export_rejects_unknown_format_and_missing_run(trained: Project, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="torchscript, onnx"):
        export_model(trained, fmt="tflite", out=tmp_path / "m")
    with pytest.raises(ValueError, match="no training run 99"):
        export_model(trained, run_id=99, out=tmp_path / "m")


def test_export_of_a_run_that_counts_with_another_model_says_the_file_holds_the_cnn(
    trained: Project, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A run that counts with its baseline or fusion exports its CNN, and says so (the JSON
    beside the file and the command's output), naming how to count with what was exported."""
    from hfwidgets.cli import main

    run_id = trained.runs.all()[-1].id
    other = next(m for m in ("fusion", "baseline") if m in trained.runs.get(run_id).metrics.models)
    trained.runs.choose_model(run_id, other)
    try:
        out = tmp_path / "model.onnx"
        argv = ["export", "--project", str(trained.path), "--format", "onnx", "--out", str(out)]
        assert main(argv) == 0
        meta = json.loads((tmp_path / "model.onnx.json").read_text())
        assert (meta["network"], meta["run_counts_with"]) == ("cnn", other)
        said = capsys.readouterr().out
        assert f"counts with its {other} model" in said
        assert f"hfw runs use {run_id} cnn" in said
    finally:
        trained.runs.choose_model(run_id, "cnn")
    assert main([*argv]) == 0
    assert "note:" not in capsys.readouterr().out
