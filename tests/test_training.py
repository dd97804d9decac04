"""The trainer on small synthetic scalograms: true freezing, stop, resume, caching, events."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from hfwidgets.models import StagedNet, channels_last, layer_groups
from hfwidgets.models.freezing import trainable_param_groups
from hfwidgets.training.checkpoint import CheckpointError, load_checkpoint
from hfwidgets.training.config import TrainConfig
from hfwidgets.training.fit_events import BatchEnded, EpochEnded, EpochStarted, FitEnded, FitStarted
from hfwidgets.training.trainer import Trainer

torch.set_num_threads(1)
MODEL = "mobilenet_v3_small"  # small and fast with random weights
CLASSES = ["high-five", "other"]


@pytest.fixture(scope="module")
def data() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """40 images 3x32x32: class 0 has a bright band in the red channel, class 1 in blue."""
    rng = np.random.default_rng(0)
    labels = np.arange(40) % 2
    images = (rng.random((40, 3, 32, 32)) * 0.2).astype(np.float32)
    images[labels == 0, 0, 4:12] += 0.7
    images[labels == 1, 2, 18:26] += 0.7
    return images, labels, np.arange(100, 140)


def _config(**kwargs: Any) -> TrainConfig:
    # Explicit, so the recipe's defaults (augmentation on) do not change what these tests test.
    defaults = {"model": MODEL, "weights": "none", "epochs": 2, "batch_size": 8, "num_threads": 1,
                "augment": False}  # fmt: skip
    return TrainConfig(**{**defaults, **kwargs})


def _snapshot(module: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in module.state_dict().items()}


@pytest.mark.parametrize("augment", [False, True], ids=["cached-prefix", "full-forward"])
def test_frozen_groups_are_bit_identical_after_training(
    data: tuple[np.ndarray, np.ndarray, np.ndarray], augment: bool
) -> None:
    images, labels, _ = data
    frozen = ("stem", "stage1", "stage2")
    torch.manual_seed(0)
    result = Trainer(_config(frozen=frozen, augment=augment), classes=CLASSES).fit(images, labels)
    assert result.cached_features is not augment
    # The same weights as the run started from: rebuild with the trainer's seed.
    from hfwidgets.models import build_model

    torch.manual_seed(0)
    start = _snapshot(build_model(MODEL, num_classes=2, weights="none"))
    after = _snapshot(result.model)
    frozen_keys = [
        k
        for k in after
        if k.startswith(("features.0.", "features.1.", "features.2.", "features.3."))
    ]
    assert any("running_mean" in k for k in frozen_keys)  # BatchNorm statistics included
    for key in frozen_keys:
        assert torch.equal(after[key], start[key]), key
    changed = [
        k for k in after if k.startswith("features.4.") and not torch.equal(after[k], start[k])
    ]
    assert changed, "the unfrozen groups should have been trained"
    assert not torch.equal(after["classifier.3.weight"], start["classifier.3.weight"])


def test_frozen_parameters_get_no_optimizer_state() -> None:
    from hfwidgets.models import apply_freeze, build_model

    config = _config(frozen=tuple(layer_groups(MODEL)[:-1]), head_lr_factor=10.0, lr=1e-3)
    model = apply_freeze(build_model(MODEL, num_classes=2, weights="none"), MODEL, config.frozen)
    groups = trainable_param_groups(model, MODEL, lr=config.lr, head_lr_factor=10.0)
    assert len(groups) == 1
    assert groups[0]["lr"] == pytest.approx(1e-2)
    assert sum(p.numel() for p in groups[0]["params"]) == 1024 * 2 + 2
    config = _config(frozen=("stem",), head_lr_factor=10.0, lr=1e-3)
    model = apply_freeze(build_model(MODEL, num_classes=2, weights="none"), MODEL, config.frozen)
    lrs = sorted(
        g["lr"] for g in trainable_param_groups(model, MODEL, lr=1e-3, head_lr_factor=10.0)
    )
    assert lrs == pytest.approx([1e-3, 1e-2])  # body, then the head's learn-rate factor


def test_events_arrive_in_order_with_progress_numbers(
    data: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> None:
    images, labels, ids = data
    events: list[object] = []
    result = Trainer(_config(epochs=2), classes=CLASSES, callbacks=[events.append]).fit(
        images, labels, ids=ids
    )
    assert isinstance(events[0], FitStarted)
    assert isinstance(events[-1], FitEnded)
    assert events[0].n_train == 32
    assert events[0].n_val == 8
    assert [e.epoch for e in events if isinstance(e, EpochStarted)] == [1, 2]
    ended = [e for e in events if isinstance(e, EpochEnded)]
    assert [e.epoch for e in ended] == [1, 2]
    assert all(e.val_acc is not None for e in ended)
    batches = [e for e in events if isinstance(e, BatchEnded)]
    assert [e.batch for e in batches] == [1, 2, 3, 4] * 2
    assert batches[0].n_batches == 4
    for end in ended:  # the panel's loss curve: the epoch's loss is its batches' mean (of 8 each)
        losses = [b.loss for b in batches if b.epoch == end.epoch]
        assert end.train_loss == pytest.approx(sum(losses) / len(losses), rel=1e-6)
    assert events[-1].status == "finished"
    assert result.status == "finished"
    metrics = result.metrics
    assert metrics.evaluated_on == "val"
    assert metrics.n == 8
    assert sum(map(sum, metrics.confusion)) == 8
    assert set(metrics.misclassified) <= set(ids[result.val_index].tolist())


def test_a_callback_that_raises_does_not_stop_training(
    data: tuple[np.ndarray, np.ndarray, np.ndarray], caplog: pytest.LogCaptureFixture
) -> None:
    images, labels, _ = data

    def broken(event: object) -> None:
        raise RuntimeError("widget bug")

    result = Trainer(_config(epochs=1), classes=CLASSES, callbacks=[broken]).fit(images, labels)
    assert result.status == "finished"
    assert "widget bug" in caplog.text


def test_stop_takes_effect_within_one_batch(
    data: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> None:
    images, labels, _ = data
    stop = threading.Event()
    batches: list[BatchEnded] = []
    ends: list[FitEnded] = []

    def on_event(event: object) -> None:
        if isinstance(event, BatchEnded):
            batches.append(event)
            if event.batch == 2:
                stop.set()  # as a Stop button would, from another thread
        elif isinstance(event, FitEnded):
            ends.append(event)

    trainer = Trainer(_config(epochs=5), classes=CLASSES, callbacks=[on_event], stop_event=stop)
    result = trainer.fit(images, labels)
    assert len(batches) == 2
    assert result.status == "stopped"
    assert ends[-1].status == "stopped"
    assert result.last_epoch == 0


def test_a_stop_mid_epoch_keeps_the_last_whole_epoch_and_resumes_exactly(
    data: tuple[np.ndarray, np.ndarray, np.ndarray], tmp_path: Path
) -> None:
    images, labels, _ = data
    straight = Trainer(_config(epochs=2), classes=CLASSES).fit(images, labels)

    path, stop = tmp_path / "run.pt", threading.Event()

    def stop_in_epoch_two(event: object) -> None:
        if isinstance(event, BatchEnded) and event.epoch == 2 and event.batch == 2:
            stop.set()

    stopped = Trainer(
        _config(epochs=2), classes=CLASSES, callbacks=[stop_in_epoch_two], stop_event=stop
    ).fit(images, labels, checkpoint_path=path)
    assert (stopped.status, stopped.last_epoch) == ("stopped", 1)
    saved = load_checkpoint(path)
    assert saved["epoch"] == 1
    # The saved and returned weights are those of epoch 1, not of the half-trained epoch 2 ...
    torch.testing.assert_close(
        saved["model_state"]["classifier.3.weight"],
        stopped.model.get_parameter("classifier.3.weight"),
    )
    # ... so resuming replays epoch 2 and ends where an uninterrupted run ends.
    resumed = Trainer(_config(epochs=2), classes=CLASSES).fit(
        images, labels, checkpoint_path=path, resume=True
    )
    for replayed, uninterrupted in zip(resumed.history, straight.history, strict=True):
        assert {**replayed, "seconds": 0} == {**uninterrupted, "seconds": 0}
    torch.testing.assert_close(
        resumed.model.get_parameter("classifier.3.weight"),
        straight.model.get_parameter("classifier.3.weight"),
    )


def test_resume_continues_from_the_checkpoint_epoch(
    data: tuple[np.ndarray, np.ndarray, np.ndarray], tmp_path: Path
) -> None:
    images, labels, _ = data
    path = tmp_path / "run.pt"
    first = Trainer(_config(epochs=2), classes=CLASSES).fit(images, labels, checkpoint_path=path)
    saved = load_checkpoint(path)
    assert saved["epoch"] == 2
    assert len(saved["history"]) == 2
    torch.testing.assert_close(
        saved["model_state"]["classifier.3.weight"],
        first.model.get_parameter("classifier.3.weight"),
    )
    events: list[object] = []
    second = Trainer(_config(epochs=4), classes=CLASSES, callbacks=[events.append]).fit(
        images, labels, checkpoint_path=path, resume=True
    )
    assert isinstance(events[0], FitStarted)
    assert events[0].first_epoch == 3
    assert [e.epoch for e in events if isinstance(e, EpochEnded)] == [3, 4]
    assert [h["epoch"] for h in second.history] == [1, 2, 3, 4]
    assert second.history[:2] == first.history
    assert load_checkpoint(path)["epoch"] == 4


def test_resume_without_checkpoint_names_the_file(
    data: tuple[np.ndarray, np.ndarray, np.ndarray], tmp_path: Path
) -> None:
    images, labels, _ = data
    with pytest.raises(CheckpointError, match=r"missing\.pt does not exist"):
        Trainer(_config(), classes=CLASSES).fit(
            images, labels, checkpoint_path=tmp_path / "missing.pt", resume=True
        )


def test_cached_prefix_trains_the_same_head_as_the_full_network(
    data: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> None:
    images, labels, _ = data
    config = _config(frozen=tuple(layer_groups(MODEL)[:-2]), epochs=2)
    cached = Trainer(config, classes=CLASSES).fit(images, labels)
    plain = Trainer(config, classes=CLASSES, cache_features=False).fit(images, labels)
    assert cached.cached_features
    assert not plain.cached_features
    for a, b in zip(cached.history, plain.history, strict=True):
        assert a["train_loss"] == pytest.approx(b["train_loss"], rel=1e-4, abs=1e-5)
        assert a["val_loss"] == pytest.approx(b["val_loss"], rel=1e-4, abs=1e-5)


def test_early_stopping_ends_before_the_last_epoch(
    data: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> None:
    images, labels, _ = data
    shuffled = np.random.default_rng(1).permutation(labels)  # nothing to learn: val loss rises
    result = Trainer(_config(epochs=40, lr=1e-2, patience=2), classes=CLASSES).fit(images, shuffled)
    assert result.status == "finished"
    assert result.last_epoch < 40


def test_everything_frozen_or_bad_labels_are_clear_errors(
    data: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> None:
    images, labels, _ = data
    with pytest.raises(ValueError, match="unfreeze 'head'"):
        Trainer(_config(frozen=tuple(layer_groups(MODEL))), classes=CLASSES).fit(images, labels)
    with pytest.raises(ValueError, match=r"class indices 0\.\.1"):
        Trainer(_config(), classes=CLASSES).fit(images, labels + 1)
    with pytest.raises(ValueError, match=r"\[N, 3, H, W\]"):
        Trainer(_config(), classes=CLASSES).fit(images[:, 0], labels)


def test_config_rejects_nonsense_naming_the_option() -> None:
    with pytest.raises(ValueError, match=r"TrainConfig\(val_fraction=1\.5\)"):
        TrainConfig(val_fraction=1.5)
    with pytest.raises(ValueError, match="epochs"):
        TrainConfig(epochs=0)
    config = TrainConfig(frozen=["stem"], patience=3)  # type: ignore[arg-type]
    assert TrainConfig.from_dict(config.to_dict()) == config


def test_the_default_threads_follow_omp_num_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    assert TrainConfig().num_threads == 3
    monkeypatch.setenv("OMP_NUM_THREADS", "many")  # not a count: the machine's own default
    monkeypatch.setattr("os.cpu_count", lambda: 16)
    assert TrainConfig().num_threads == 4
    monkeypatch.delenv("OMP_NUM_THREADS")
    monkeypatch.setattr("os.cpu_count", lambda: 2)
    assert TrainConfig().num_threads == 2


def test_a_cache_too_large_for_memory_falls_back_to_running_the_prefix(
    data: tuple[np.ndarray, np.ndarray, np.ndarray], monkeypatch: pytest.MonkeyPatch
) -> None:
    import hfwidgets.training.fit_setup as trainer_module

    images, labels, _ = data
    monkeypatch.setattr(trainer_module, "CACHE_LIMIT_BYTES", 1000)
    result = Trainer(_config(frozen=("stem",), epochs=1), classes=CLASSES).fit(images, labels)
    assert result.status == "finished"
    assert not result.cached_features


def test_callback_hooks_receive_their_own_events(
    data: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> None:
    from hfwidgets.training.fit_events import TrainingCallback

    images, labels, _ = data
    calls: list[tuple[str, object]] = []

    class Recorder(TrainingCallback):
        def on_fit_start(self, event: FitStarted) -> None:
            calls.append(("fit_start", event))

        def on_epoch_start(self, event: EpochStarted) -> None:
            calls.append(("epoch_start", event))

        def on_epoch_end(self, event: EpochEnded) -> None:
            calls.append(("epoch_end", event))

        def on_fit_end(self, event: FitEnded) -> None:
            calls.append(("fit_end", event))

    class Broken(TrainingCallback):
        def on_batch_end(self, event: BatchEnded) -> None:
            raise RuntimeError("hook bug")

    result = Trainer(_config(epochs=2), classes=CLASSES, callbacks=[Broken(), Recorder()]).fit(
        images, labels
    )
    assert result.status == "finished"  # the broken hook neither stopped training ...
    kinds = [kind for kind, _ in calls]  # ... nor the other callback (on_batch_end not overridden)
    assert kinds == ["fit_start", "epoch_start", "epoch_end", "epoch_start", "epoch_end", "fit_end"]
    expected = {"fit_start": FitStarted, "epoch_start": EpochStarted, "epoch_end": EpochEnded,
                "fit_end": FitEnded}  # fmt: skip
    assert all(isinstance(event, expected[kind]) for kind, event in calls)


def test_feature_extractor_mode_fits_a_logistic_regression_into_the_head(
    data: tuple[np.ndarray, np.ndarray, np.ndarray], tmp_path: Path
) -> None:
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    from hfwidgets.models import StagedNet, build_model
    from hfwidgets.training.frozen_features import FrozenPrefix, compute_features

    images, labels, ids = data
    events: list[object] = []
    config = _config(mode="feature-extractor", epochs=7, frozen=("stem",))
    result = Trainer(config, classes=CLASSES, callbacks=[events.append]).fit(
        images, labels, ids=ids, checkpoint_path=tmp_path / "fx.pt"
    )
    assert result.status == "finished"
    assert result.last_epoch == 1  # one step, whatever epochs says
    assert [type(e).__name__ for e in events] == [
        "FitStarted", "EpochStarted", "EpochEnded", "FitEnded"
    ]  # fmt: skip
    assert result.cached_features
    saved = load_checkpoint(tmp_path / "fx.pt")
    assert saved["config"]["mode"] == "feature-extractor"
    assert saved["config"]["frozen"] == layer_groups(MODEL)[:-1]
    # The head now gives scikit-learn's logistic-regression probabilities on the frozen features.
    torch.manual_seed(0)
    reference = build_model(MODEL, num_classes=2, weights="none")
    prefix = FrozenPrefix(reference, MODEL, len(layer_groups(MODEL)) - 1)
    feats = compute_features(prefix, torch.as_tensor(images)).numpy().astype(np.float64)
    train = result.train_index
    scaler = StandardScaler().fit(feats[train])
    clf = LogisticRegression(max_iter=2000, random_state=0).fit(
        scaler.transform(feats[train]), labels[train]
    )
    expected = clf.predict_proba(scaler.transform(feats))
    with torch.inference_mode():
        logits = StagedNet(result.model, MODEL)(torch.as_tensor(images))
    np.testing.assert_allclose(torch.softmax(logits, 1).numpy(), expected, atol=1e-4)
    assert result.metrics.accuracy == pytest.approx(
        float(
            (
                clf.predict(scaler.transform(feats[result.val_index])) == labels[result.val_index]
            ).mean()
        )
    )


def test_feature_extractor_mode_needs_a_linear_head() -> None:
    from hfwidgets.training.config import ConfigError

    with pytest.raises(ConfigError, match=r"one linear layer; squeezenet1_1's is not"):
        Trainer(_config(model="squeezenet1_1", mode="feature-extractor"), classes=CLASSES)


def test_resume_from_another_backbone_is_refused_naming_what_differs(
    data: tuple[np.ndarray, np.ndarray, np.ndarray], tmp_path: Path
) -> None:
    images, labels, _ = data
    path = tmp_path / "run.pt"
    Trainer(_config(epochs=1), classes=CLASSES).fit(images, labels, checkpoint_path=path)
    before = path.read_bytes()
    with pytest.raises(CheckpointError, match=r"model 'mobilenet_v3_small' \(now 'resnet18'\)"):
        Trainer(_config(model="resnet18", epochs=2), classes=CLASSES).fit(
            images, labels, checkpoint_path=path, resume=True
        )
    assert path.read_bytes() == before  # the checkpoint is untouched


def test_one_config_builder_for_every_front_end() -> None:
    from hfwidgets.training.config import ConfigError, build_train_config

    groups = layer_groups(MODEL)
    until = build_train_config(model=MODEL, freeze_until="backbone", epochs=3, num_threads=None)
    assert until.frozen == tuple(groups[:-1])
    assert build_train_config(model=MODEL, freeze_preset="feature-extractor").frozen == until.frozen
    last2 = build_train_config(model=MODEL, freeze_preset="fine-tune last N", last_n=2)
    assert last2.frozen == tuple(groups[:-2])
    assert build_train_config(model=MODEL, freeze="stem, stage1").frozen == ("stem", "stage1")
    assert build_train_config(model=MODEL, patience=None).patience is None  # None: the default
    with pytest.raises(ConfigError, match="unknown training setting threads"):
        build_train_config(model=MODEL, threads=2)
    with pytest.raises(ConfigError, match="one way"):
        build_train_config(model=MODEL, freeze="stem", freeze_until="stage1")
    with pytest.raises(ConfigError, match="stage1, stage2"):  # lists the groups
        build_train_config(model=MODEL, freeze_until="layer9")
    with pytest.raises(ConfigError, match="TrainConfig\\(mode='probe'\\)"):
        build_train_config(model=MODEL, mode="probe")


def test_the_trained_model_comes_back_in_the_default_layout_and_predicts_as_measured(
    data: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> None:
    """Training runs in the channels-last layout; what it returns is an ordinary model."""
    images, labels, _ = data
    result = Trainer(_config(epochs=2), classes=CLASSES).fit(images, labels)
    weights = [p for p in result.model.parameters() if p.dim() == 4]
    assert weights
    assert all(p.is_contiguous() for p in weights)
    with torch.inference_mode():
        net = StagedNet(result.model, MODEL).eval()
        logits = net(torch.as_tensor(images[result.val_index]))
    pred = logits.argmax(1).numpy()
    accuracy = float(np.mean(pred == labels[result.val_index]))
    assert accuracy == pytest.approx(result.metrics.accuracy, abs=1e-9)


def test_channels_last_changes_only_batches_of_feature_maps() -> None:
    maps, features = torch.rand(2, 3, 4, 5), torch.rand(2, 7)
    assert channels_last(maps).is_contiguous(memory_format=torch.channels_last)
    assert torch.equal(channels_last(maps), maps)
    assert channels_last(features) is features
