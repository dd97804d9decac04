"""Three models per run (CNN, MiniRocket baseline, fusion), the baseline stored without pickle,
and the run counting with the best of them on validation."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from hfwidgets.cli import main
from hfwidgets.cli.evaluate_command import evaluate_folder
from hfwidgets.scalogram import ScalogramSettings, compute_scalograms
from hfwidgets.store import Project, export_generic
from hfwidgets.store.run_metrics import ModelFigure, ModelName
from hfwidgets.training.baseline import fit_minirocket, load_baseline, save_baseline
from hfwidgets.training.config import TrainConfig
from hfwidgets.training.fusion import (
    choose_model,
    cnn_probabilities,
    fuse,
    fusion_figure,
    fusion_weight,
)
from hfwidgets.training.predictor import load_predictor
from hfwidgets.training.runner import train_project
from hfwidgets.training.trainer import Trainer

torch.set_num_threads(1)
RATE = 50.0


def _motion(kind: str, rng: np.random.Generator, n: int = 60) -> np.ndarray:
    t = np.arange(n) / RATE
    xyz = rng.normal(0.0, 0.05, (n, 3))
    xyz[:, 2] += 1.0
    if kind == "swing":
        xyz[:, 0] += 2.0 * np.exp(-((t - 0.6) ** 2) / 0.01) * np.sin(2 * np.pi * 5 * t)
    else:
        xyz[:, 1] += 0.5 * np.sin(2 * np.pi * 1.0 * t + rng.uniform(0, 6))
    return xyz.astype(np.float32)


def _probs(labels: np.ndarray, right: np.ndarray, confidence: float) -> np.ndarray:
    """Two-class probabilities that put ``confidence`` on the true class where ``right``."""
    out = np.empty((len(labels), 2))
    winner = np.where(right, labels, 1 - labels)
    out[np.arange(len(labels)), winner] = confidence
    out[np.arange(len(labels)), 1 - winner] = 1 - confidence
    return out


def test_the_fusion_weight_follows_the_better_model_on_the_validation_windows() -> None:
    rng = np.random.default_rng(0)
    y = np.arange(40) % 2
    cnn = _probs(y, rng.uniform(size=40) < 0.5, 0.9)  # a confident coin
    base = _probs(y, np.arange(40) >= 3, 0.7)  # 37 of 40 right
    weight = fusion_weight(cnn, base, y)
    assert weight <= 0.3  # the baseline carries the fusion
    figure = fusion_figure(cnn, base, y)
    assert figure.cnn_weight == weight
    assert figure.n == 40
    assert figure.accuracy is not None
    assert figure.accuracy >= 37 / 40 - 0.05  # leave-one-out over the validation windows
    models: dict[ModelName, ModelFigure] = {
        "cnn": ModelFigure(0.5, 40, 1.0),
        "baseline": ModelFigure(37 / 40, 40, 0.0),
        "fusion": figure,
    }
    assert choose_model(models) == max(models, key=lambda m: (models[m].accuracy, m == "fusion"))
    assert choose_model(models) != "cnn"
    # The mirror image: a better CNN takes the weight, and ties go to the CNN.
    assert fusion_weight(base, cnn, y) >= 0.7
    assert choose_model({"cnn": ModelFigure(0.9), "baseline": ModelFigure(0.9)}) == "cnn"
    np.testing.assert_allclose(fuse(cnn, base, 0.25), 0.25 * cnn + 0.75 * base)


def test_the_baseline_file_reloads_to_identical_predictions_and_refuses_a_tampered_one(
    tmp_path: Path,
) -> None:
    rng = np.random.default_rng(0)
    windows = [_motion("swing" if i % 2 else "wave", rng) for i in range(24)]
    labels = np.arange(24) % 2
    model = fit_minirocket(windows, labels, n_classes=2, num_kernels=84 * 3)
    path = save_baseline(tmp_path / "run-1.baseline.npz", model)
    with np.load(path, allow_pickle=False) as data:  # plain arrays: nothing to unpickle
        assert all(data[key].dtype != object for key in data.files)
    again = load_baseline(path)
    np.testing.assert_array_equal(again.predict_proba(windows), model.predict_proba(windows))
    assert (again.predict(windows) == labels).mean() >= 0.9

    def tampered(**changes: object) -> Path:
        with np.load(path, allow_pickle=False) as data:
            arrays = {key: data[key] for key in data.files}
        arrays.update(changes)
        out = tmp_path / "tampered.npz"
        np.savez(out, **arrays)
        return out

    short = tampered(biases=np.zeros(10, np.float32))
    with pytest.raises(ValueError, match=r"not a usable MiniRocket baseline.*a bias per feature"):
        load_baseline(short)
    with pytest.raises(ValueError, match=r"version 99"):
        load_baseline(tampered(version=np.int64(99)))
    with pytest.raises(ValueError, match="not a usable MiniRocket baseline"):
        load_baseline(tampered(coef=np.array([{"x": 1}], dtype=object)))  # a pickled object
    garbage = tmp_path / "garbage.npz"
    garbage.write_bytes(b"not a zip file")
    with pytest.raises(ValueError, match="train the run again"):
        load_baseline(garbage)


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    """A run whose CNN cannot learn (a learning rate of 1e-12) beside a baseline that can."""
    rng = np.random.default_rng(1)
    path = tmp_path_factory.mktemp("fusion") / "proj"
    with Project.create(path, classes=("swing", "wave"), rate_hz=RATE) as project:
        for i in range(40):
            label = "swing" if i % 2 else "wave"
            project.windows.add(_motion(label, rng), rate_hz=RATE, label=label)
        project.settings.set("scalogram", {"size": [32, 32]})
        config = TrainConfig(model="mobilenet_v3_small", weights="none", frozen=(), epochs=1,
                             batch_size=8, lr=1e-12, num_threads=1, augment=False,
                             baseline=True, recalibrate_bn=False)  # fmt: skip
        run_id = train_project(project, config)
    return path, run_id


def test_a_run_has_three_models_and_counts_with_the_best_on_validation(
    trained: tuple[Path, int], capsys: pytest.CaptureFixture[str]
) -> None:
    path, run_id = trained
    with Project.open(path) as project:
        metrics = project.runs.get(run_id).metrics
        models = metrics.models
        assert set(models) == {"cnn", "baseline", "fusion"}
        assert {f.n for f in models.values()} == {metrics.n}  # the same validation windows
        assert (models["baseline"].accuracy or 0.0) > (models["cnn"].accuracy or 0.0)
        assert metrics.chosen == choose_model(models)
        assert metrics.chosen != "cnn"
        assert project.runs.baseline_path(run_id).is_file()
        predictor = load_predictor(project, run_id)
        assert predictor.counts_with == metrics.chosen
        windows = np.stack([w.data for w in project.windows.all()[:6]])
        images = compute_scalograms(windows, rate_hz=RATE, settings=predictor.settings)
        cnn_only = predictor.predict_images(images)
        base = load_baseline(project.runs.baseline_path(run_id)).predict_proba(list(windows))
        expected = fuse(cnn_only, base, models[metrics.chosen].cnn_weight)
        np.testing.assert_allclose(predictor.predict_proba(windows), expected, atol=1e-5)
        export_generic(project, path.parent / "heldout")
        result = evaluate_folder(project, path.parent / "heldout", run_id=run_id)
    assert result["model"] == metrics.chosen
    assert result["accuracy"] >= 0.9  # the baseline's skill, not the untrained CNN's
    # Every model of the run is scored on the same held-out windows; the chosen one is the figure.
    assert set(result["models"]) == {"cnn", "baseline", "fusion"}
    assert result["models"][metrics.chosen] == pytest.approx(result["accuracy"])
    assert result["models"]["baseline"] > result["models"]["cnn"]
    # The person's choice: the CNN, from the command line; the JSON says so.
    assert main(["runs", "use", str(run_id), "cnn", "--project", str(path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out.strip())["chosen"] == "cnn"
    with Project.open(path) as project:
        assert load_predictor(project, run_id).counts_with == "cnn"
        assert project.runs.get(run_id).metrics.models == models  # the figures stay
        with pytest.raises(ValueError, match="unknown model 'best'"):
            project.runs.choose_model(run_id, "best")
        project.runs.choose_model(run_id, metrics.chosen)


def test_the_fusion_scores_the_cnn_as_it_was_trained_imagenet_scaling_included(
    mobilenet_v2_weights: Path,
) -> None:
    """The weight is chosen with the CNN's probabilities: those of the network that was measured."""
    rng = np.random.default_rng(3)
    windows = [_motion("swing" if i % 2 else "wave", rng) for i in range(24)]
    labels = np.arange(24) % 2
    images = compute_scalograms(
        np.stack(windows), rate_hz=RATE, settings=ScalogramSettings(size=(64, 64))
    )
    config = TrainConfig(weights=str(mobilenet_v2_weights), epochs=2, num_threads=1,
                         augment=False, recalibrate_bn=False)  # fmt: skip
    result = Trainer(config, classes=["wave", "swing"]).fit(images, labels)
    val = result.val_index
    proba = cnn_probabilities(result.model, config.model, images, val)
    # The trainer's own verdict on each validation window (metrics.predictions, by window id).
    measured = [["wave", "swing"].index(result.metrics.predictions[int(i)]) for i in val]
    assert proba.argmax(1).tolist() == measured
    np.testing.assert_allclose(proba.sum(1), 1.0, atol=1e-9)
    with torch.inference_mode():  # the bare torchvision model would see unscaled images
        bare = torch.softmax(result.model(torch.as_tensor(images[val])), 1).double().numpy()
    assert np.abs(bare - proba).max() > 1e-3
