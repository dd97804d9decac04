"""Guide on the widget models: a reference motion per class and counts against a target."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from hfwidgets.store import Project
from hfwidgets.widgets.guide import Guide, reference_motion_png


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Project]:
    with Project.create(tmp_path / "p", classes=("high-five", "other", "clap")) as p:
        yield p


def _add(project: Project, label: str, n: int) -> None:
    rng = np.random.default_rng(0)
    for _ in range(n):
        project.windows.add(rng.normal(size=(75, 3)).astype(np.float32), rate_hz=50.0, label=label)


def test_each_known_class_shows_a_reference_motion_and_an_unknown_one_says_so(
    project: Project,
) -> None:
    guide = Guide(project, target=4)
    pictures = [c.children[1] for c in guide.children[1].children]
    assert [type(p).__name__ for p in pictures] == ["Image", "Image", "HTML"]
    assert "no reference" in pictures[2].value
    image = Image.open(io.BytesIO(pictures[0].value)).convert("RGB")
    # The high-five's slap spike is drawn inside the picture (the range is not clipped at 4 g).
    blue = np.all(np.asarray(image) == (31, 119, 180), axis=2)
    assert blue.any(axis=1).nonzero()[0].min() > 2


def test_counts_follow_the_project_against_the_target(project: Project) -> None:
    guide = Guide(project, target=4)
    assert "4 more high-five, 4 more other, 4 more clap to reach 4 each" in guide.verdict.value
    _add(project, "high-five", 5)
    _add(project, "other", 4)
    _add(project, "clap", 1)
    assert guide.refresh() == {"high-five": 5, "other": 4, "clap": 1}
    assert guide.bars["high-five"].bar_style == "success"
    assert guide.bars["clap"].value == 1
    assert guide.count_labels["high-five"].value == "<small>5 / 4</small>"
    assert "3 more clap" in guide.verdict.value
    assert "unbalanced" in guide.verdict.value


def test_reference_png_is_a_picture_of_the_requested_size() -> None:
    image = Image.open(io.BytesIO(reference_motion_png("wave", size=(200, 80))))
    assert image.size == (200, 80)
