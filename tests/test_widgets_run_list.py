"""RunList on the widget models: compare runs, pick the one that counts live, export, delete."""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch

from hfwidgets.models import layer_groups
from hfwidgets.sensors import simulate_windows
from hfwidgets.store import Project
from hfwidgets.store.run_metrics import RunMetrics, interval_text
from hfwidgets.store.run_status import RunStatus
from hfwidgets.training.config import TrainConfig
from hfwidgets.training.runner import train_project
from hfwidgets.widgets.run_list import RunList
from tests.front_end import front_end_click


def _fake_run(project: Project, *, status: RunStatus = "finished", accuracy: float = 0.9) -> int:
    run_id = project.runs.add({"config": {"model": "mobilenet_v2", "epochs": 2, "frozen": []}})
    metrics = {"accuracy": accuracy, "n": 10, "evaluated_on": "val"} if status == "finished" else {}
    project.runs.update(run_id, status=status, metrics=RunMetrics.from_dict(metrics))
    if status == "finished":
        path = project.runs.checkpoint_path(run_id)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x" * 1000)
    return run_id


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Project]:
    with Project.create(tmp_path / "p") as p:
        yield p


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Project]:
    torch.set_num_threads(1)
    windows, labels = simulate_windows(6, seed=2)
    with Project.create(tmp_path_factory.mktemp("trained") / "p") as p:
        for data, label in zip(windows, labels, strict=True):
            p.windows.add(data, rate_hz=50.0, source="sim", label=label)
        frozen = tuple(layer_groups("mobilenet_v2")[:-1])
        config = TrainConfig(weights="none", frozen=frozen, epochs=1, batch_size=8, num_threads=1)
        train_project(p, config)
        yield p


def _texts(runs: RunList) -> list[str]:
    return [getattr(c, "value", "") for c in runs.grid.children]


def test_rows_show_each_run_newest_first_with_what_accuracy_means(project: Project) -> None:
    old = _fake_run(project, accuracy=0.8)
    new = _fake_run(project, accuracy=0.95)
    failed = _fake_run(project, status="failed")
    runs = RunList(project)
    assert list(runs.rows) == [failed, new, old]
    texts = " ".join(_texts(runs))
    assert f"95.0%{interval_text(0.95, 10)} on 10 validation windows" in texts
    assert f"80.0%{interval_text(0.8, 10)} on 10" in texts
    assert "failed" in texts
    assert runs.buttons[(failed, "use")].disabled
    assert runs.buttons[(failed, "export")].disabled
    assert not runs.buttons[(new, "use")].disabled


def test_use_for_live_calls_the_owner_and_marks_the_row(project: Project) -> None:
    run_id = _fake_run(project)
    runs = RunList(project)
    used: list[int] = []
    runs.on_use(used.append)
    runs.buttons[(run_id, "use")].click()
    assert used == [run_id]
    assert runs.live_run == run_id
    assert runs.buttons[(run_id, "use")].description == "Live ✓"
    assert "now counts with run" in runs.message.value


def test_a_run_that_cannot_load_says_why_and_stays_unused(project: Project) -> None:
    run_id = _fake_run(project)
    runs = RunList(project)

    def broken(_run_id: int) -> None:
        raise RuntimeError("checkpoint <from> another torchvision")

    runs.on_use(broken)
    runs.buttons[(run_id, "use")].click()  # a click never raises into JupyterLab
    assert runs.live_run == -1
    assert "checkpoint &lt;from&gt; another torchvision" in runs.message.value


def test_delete_needs_two_clicks_and_removes_run_and_checkpoint(project: Project) -> None:
    keep = _fake_run(project)
    gone = _fake_run(project)
    checkpoint = project.runs.checkpoint_path(gone)
    runs = RunList(project)
    runs.live_run = gone
    deleted: list[int] = []
    runs.on_delete(deleted.append)
    runs.buttons[(gone, "delete")].click()
    assert [r.id for r in project.runs.all()] == [keep, gone]  # armed, nothing deleted yet
    assert runs.buttons[(gone, "delete")].description == "Sure?"
    runs.buttons[(gone, "delete")].click()
    assert [r.id for r in project.runs.all()] == [keep]
    assert not checkpoint.exists()
    assert deleted == [gone]
    assert runs.live_run == -1
    assert list(runs.rows) == [keep]


def test_export_writes_torchscript_with_settings_as_hfw_export(
    trained: Project, tmp_path: Path
) -> None:
    runs = RunList(trained, export_dir=tmp_path / "exports")
    run_id = next(iter(runs.rows))
    runs.buttons[(run_id, "export")].click()
    out = tmp_path / "exports" / f"run-{run_id}.pt"
    meta = json.loads(out.with_name(out.name + ".json").read_text())
    assert meta["classes"] == list(trained.classes)
    assert meta["run"] == run_id
    assert "scalogram" in meta
    assert str(out) in runs.message.value
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # torch.jit.load is deprecated
        net = torch.jit.load(str(out))
    with torch.no_grad():
        probs = net(torch.rand(1, *meta["input"]["shape"][1:]))
    assert probs.shape == (1, 2)
    assert float(probs.sum()) == pytest.approx(1.0, abs=1e-5)


def test_export_to_onnx_by_the_format_choice(trained: Project, tmp_path: Path) -> None:
    pytest.importorskip("onnx")
    runs = RunList(trained, export_dir=tmp_path)
    runs.format.value = "onnx"
    run_id = next(iter(runs.rows))
    path = runs.export(run_id)
    assert path == tmp_path / f"run-{run_id}.onnx"
    assert path.stat().st_size > 10_000


def test_unknown_run_is_a_clear_error(project: Project) -> None:
    with pytest.raises(ValueError, match="no training run 5"):
        RunList(project).export(5)


def test_a_click_that_reaches_a_button_during_a_refresh_still_acts(project: Project) -> None:
    # The list refreshes after every action and when a run ends; a person (or a browser test)
    # clicking at that moment must not lose the click to a button being replaced.
    keep = _fake_run(project)
    gone = _fake_run(project)
    runs = RunList(project)
    before = dict(runs.buttons)
    cells = runs.grid.children
    delete = runs.buttons[(gone, "delete")].model_id  # the button the person points at
    runs.refresh()  # nothing changed: same rows, same buttons, nothing redrawn
    front_end_click(delete)  # the handler was registered before the refresh
    assert runs.buttons[(gone, "delete")].description == "Sure?"
    assert all(runs.buttons[key] is button for key, button in before.items())
    assert runs.grid.children == cells
    runs.refresh()
    front_end_click(delete)
    assert [r.id for r in project.runs.all()] == [keep]
    assert "deleted" in runs.message.value


def test_a_new_run_adds_its_row_and_keeps_the_others(project: Project) -> None:
    first = _fake_run(project)
    runs = RunList(project)
    use = runs.buttons[(first, "use")].model_id
    second = _fake_run(project, accuracy=0.5)
    runs.refresh()  # as when a run ends
    assert list(runs.rows) == [second, first]
    assert "50.0%" in " ".join(_texts(runs))
    front_end_click(use)
    assert runs.live_run == first
    assert runs.buttons[(first, "use")].description == "Live ✓"


def test_deleting_a_run_closes_its_row_only(project: Project) -> None:
    keep = _fake_run(project)
    gone = _fake_run(project)
    runs = RunList(project)
    kept, removed = runs.buttons[(keep, "export")], runs.buttons[(gone, "export")]
    runs.delete(gone)
    assert removed.comm is None  # closed: no model left behind in the front end
    assert runs.buttons[(keep, "export")] is kept
    assert kept.comm is not None
    assert (gone, "export") not in runs.buttons
    assert len(runs.grid.children) == 2 * 8  # the header and one row


def test_board_export_writes_the_sketch_and_says_its_figures(
    trained: Project, tmp_path: Path
) -> None:
    runs = RunList(trained, export_dir=tmp_path)
    runs.format.value = "board"
    run_id = next(iter(runs.rows))
    path = runs.export(run_id)
    assert path == tmp_path / f"run-{run_id}-board"
    report = json.loads((path / "board.json").read_text())
    assert (path / "hfw_imu_board" / "hfw_imu_board.ino").is_file()
    message = runs.message.value
    assert f"flash {report['flash_bytes']} B, RAM {report['ram_bytes']} B" in message
    assert f"accuracy {report['accuracy']:.3f}" in message
    assert report["size_source"] in message
