"""The data map (issue 17): features of every window reduced to 2-D, coloured by label or verdict,
with the windows far from their class first; any number of classes, any backbone; ``hfw map``."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from hfwidgets.cli import main
from hfwidgets.datamap import (
    TSNE_FROM,
    VERDICT_COLOURS,
    build_data_map,
    legend,
    outlier_scores,
    point_colours,
    reduce_to_2d,
    render_data_map_png,
)
from hfwidgets.models import StagedNet, build_model, list_backbones
from hfwidgets.sensors import simulate_windows
from hfwidgets.sensors.motions import simulate_motion
from hfwidgets.store import Project
from hfwidgets.suggestions import suggest
from hfwidgets.training.config import TrainConfig
from hfwidgets.training.outputs import forward_split, window_outputs
from hfwidgets.training.runner import train_project
from tests.projects import labelled_project

torch.set_num_threads(1)
FOUR = ("high-five", "swing", "wave", "raise")


def four_class_windows(
    n_per_class: int, *, seed: int, n: int = 75
) -> tuple[list[np.ndarray], list[str]]:
    """Windows of four simulated motions, cut as the trigger segmenter would (peak at ~0.4 s)."""
    rng = np.random.default_rng(seed)
    windows: list[np.ndarray] = []
    labels: list[str] = []
    for kind in FOUR:
        for _ in range(n_per_class):
            motion, peak = simulate_motion(kind, seed=rng)
            rest, _ = simulate_motion("rest", seed=rng)
            pad = np.resize(rest, (2 * n, 3))
            padded = np.concatenate([pad[:n], motion, pad[n:]])
            start = n + round((peak - 0.4 - rng.uniform(-0.15, 0.15)) * 50.0)
            start = min(max(start, 0), len(padded) - n)
            windows.append(padded[start : start + n].astype(np.float32))
            labels.append(kind)
    return windows, labels


def _train(project: Project, weights: Path) -> int:
    config = TrainConfig(
        model="mobilenet_v2", weights=str(weights), mode="feature-extractor", num_threads=1,
        baseline=False, seed=0,
    )  # fmt: skip
    return train_project(project, config)


def test_a_deliberately_mislabelled_window_is_the_first_outlier(
    tmp_path: Path, mobilenet_v2_weights: Path
) -> None:
    windows, labels = simulate_windows(15, seed=3)
    wrong = labels.index("high-five")
    labels[wrong] = "other"  # a high-five stored as "other"
    with labelled_project(tmp_path / "p", windows, labels) as project:
        wrong_id = project.windows.ids()[wrong]
        data_map = build_data_map(project, weights=str(mobilenet_v2_weights))
    first = data_map.outliers(3)
    assert first[0].outlier is not None
    assert first[1].outlier is not None
    assert first[0].window_id == wrong_id
    assert first[0].outlier > 1.0  # nearer the high-fives than the other "other" windows
    assert first[0].looks_like == "high-five"
    assert first[0].outlier > 1.2 * first[1].outlier  # clearly apart, not a near tie
    assert data_map.run_id is None
    assert data_map.backbone == "mobilenet_v2"


@pytest.mark.parametrize("n_classes", [2, 4])
def test_map_of_a_trained_run_for_two_and_four_classes(
    tmp_path: Path, mobilenet_v2_weights: Path, n_classes: int
) -> None:
    windows: np.ndarray | list[np.ndarray]
    if n_classes == 2:
        windows, labels = simulate_windows(15, seed=2)
        classes: tuple[str, ...] = ("high-five", "other")
    else:
        windows, labels = four_class_windows(8, seed=2)
        classes = FOUR
    with labelled_project(tmp_path / "p", windows, labels, classes=classes) as project:
        run_id = _train(project, mobilenet_v2_weights)
        unlabelled = project.windows.add(windows[0], rate_hz=50.0)  # stored after the run
        data_map = build_data_map(project, run_id=run_id)
        again = build_data_map(project, run_id=run_id)
        split = project.splits.get(run_id)
        suggestions = suggest(project, run_id=run_id, which="all")
    assert len(data_map) == len(windows) + 1
    assert data_map.classes == classes
    assert data_map.method == "pca+tsne"  # TSNE_FROM windows or more
    assert [(p.x, p.y) for p in data_map.points] == [(p.x, p.y) for p in again.points]
    point = data_map.point(unlabelled)
    assert point.verdict == "unlabelled"
    assert point.split is None
    assert point.outlier is None
    assert point.predicted in classes
    labelled = [p for p in data_map.points if p.label is not None]
    assert {p.verdict for p in labelled} <= {"correct", "wrong"}
    assert all(p.verdict == ("correct" if p.predicted == p.label else "wrong") for p in labelled)
    assert {p.window_id: p.split for p in labelled} == split
    assert sum(p.verdict == "correct" for p in labelled) >= 0.8 * len(labelled)
    by_label = point_colours(data_map, by="label")
    assert len(set(by_label)) == n_classes + 1  # one colour per class, grey unlabelled
    assert [name for name, _ in legend(data_map)] == [*classes, "unlabelled"]
    by_verdict = point_colours(data_map, by="verdict")
    assert by_verdict[data_map.points.index(point)] == VERDICT_COLOURS["unlabelled"]
    # Suggestions say what the map's verdicts say, for any number of classes.
    assert len(suggestions) == len(data_map)
    for s in suggestions:
        assert s.window_id is not None
        p = data_map.point(s.window_id)
        assert s.label == p.predicted
        assert s.confidence == pytest.approx(p.confidence, abs=1e-6)
        assert len(s.probs) == n_classes
    png = render_data_map_png(data_map, by="verdict")
    assert png[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("backbone", list_backbones())
def test_features_of_every_backbone_in_the_registry(tmp_path: Path, backbone: str) -> None:
    windows, labels = simulate_windows(3, seed=1)
    with labelled_project(tmp_path / "p", windows, labels) as project:
        outputs = window_outputs(project, model=backbone, weights="none")
        data_map = build_data_map(project, model=backbone, weights="none")
    assert outputs.features.shape[0] == len(windows)
    assert outputs.features.shape[1] >= 256
    assert np.isfinite(outputs.features).all()
    assert outputs.probs is None
    assert len(data_map) == len(windows)
    assert data_map.method == "pca"
    assert {p.verdict for p in data_map.points} == {"no run"}
    # Split at the head, the network computes what it computes whole (suggestions' logits).
    torch.manual_seed(0)
    net = StagedNet(build_model(backbone, num_classes=3, weights="none"), backbone).eval()
    images = torch.rand(2, 3, 64, 64)
    features, logits = forward_split(net, images)
    with torch.inference_mode():
        whole = net(images)
    assert features.shape == (2, outputs.features.shape[1])
    torch.testing.assert_close(logits, whole, atol=1e-4, rtol=1e-4)


def test_reduce_to_2d_switches_to_tsne_for_many_windows_and_is_seeded() -> None:
    rng = np.random.default_rng(0)
    few = rng.normal(size=(TSNE_FROM - 1, 20))
    many = rng.normal(size=(TSNE_FROM + 10, 20))
    assert reduce_to_2d(few)[1] == "pca"
    xy, method = reduce_to_2d(many, seed=4)
    assert method == "pca+tsne"
    assert xy.shape == (TSNE_FROM + 10, 2)
    np.testing.assert_array_equal(xy, reduce_to_2d(many, seed=4)[0])
    assert reduce_to_2d(np.zeros((0, 5)))[0].shape == (0, 2)
    assert reduce_to_2d(np.ones((2, 5)))[0].shape == (2, 2)
    with pytest.raises(ValueError, match="method must be"):
        reduce_to_2d(many, method="umap")  # type: ignore[arg-type]


def test_outlier_scores_relative_to_the_nearest_other_class() -> None:
    rng = np.random.default_rng(1)
    a = rng.normal(0.0, 1.0, size=(20, 8))
    b = rng.normal(10.0, 1.0, size=(20, 8))
    b[3] = rng.normal(0.0, 1.0, size=8)  # sits among class a
    features = np.vstack([a, b, [[5.0] * 8], [[-30.0] * 8]])
    labels = ["a"] * 20 + ["b"] * 20 + [None, "c"]
    scores, looks_like = outlier_scores(features, labels)
    assert int(np.nanargmax(scores)) == 23  # b[3]
    assert scores[23] > 1.0
    assert looks_like[23] == "a"
    assert np.nanmax(np.delete(scores, 23)) < 0.5  # every other member is near its own class
    assert looks_like.count(None) == len(labels) - 1
    assert np.isnan(scores[40])  # unlabelled
    assert np.isnan(scores[41])  # a class of one window has no centre of the others
    one_class, _ = outlier_scores(a, ["a"] * 20)  # nothing to compare with: the class's spread
    assert np.median(one_class) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="3 feature rows but 2 labels"):
        outlier_scores(features[:3], ["a", "b"])


def test_hfw_map_writes_a_png_and_lists_outliers(
    tmp_path: Path, mobilenet_v2_weights: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    windows, labels = simulate_windows(4, seed=1)
    labelled_project(tmp_path / "p", windows, labels).close()
    out = tmp_path / "map.png"
    code = main(["map", "--project", str(tmp_path / "p"), "--weights", str(mobilenet_v2_weights),
                 "--out", str(out), "--json"])  # fmt: skip
    assert code == 0
    facts = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert out.read_bytes()[:4] == b"\x89PNG"
    assert len(facts["points"]) == len(windows)
    assert facts["outliers"][0] == max(facts["points"], key=lambda p: p["outlier"])["window_id"]
    assert main(["map", "--project", str(tmp_path / "p"), "--colour", "verdict", "--json"]) == 1
    assert "needs a run" in capsys.readouterr().err
    assert main(["map", "--project", str(tmp_path / "p"), "--run", "99", "--json"]) == 1
    assert "--run 99: no training run 99" in capsys.readouterr().err
    assert main(["map", "--project", str(tmp_path / "p")]) == 1
    assert "--out map.png" in capsys.readouterr().err
