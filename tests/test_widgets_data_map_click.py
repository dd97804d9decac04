"""A click on the data map opens the window of the point clicked, even if the map was redrawn.

bqplot's click names the point by its place in the list drawn when the person clicked; when the
map is drawn again before the click arrives (a window deleted in review, a run ended) the same
place holds another window. The click carries the window id, so it opens that window or none.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from hfwidgets.datamap import DataMap, MapPoint
from hfwidgets.store import Project
from hfwidgets.widgets import data_map as data_map_module
from hfwidgets.widgets.data_map import DataMapView


def _map(ids: list[int]) -> DataMap:
    points = tuple(MapPoint(window_id=i, x=float(i), y=0.0, label="other") for i in ids)
    return DataMap(points=points, classes=("high-five", "other"), method="pca", backbone="x")


def _click(view: DataMapView, **data: Any) -> None:
    view.scatter._handle_custom_msgs(None, {"event": "element_click", "data": data})


def test_a_click_in_flight_while_its_window_is_deleted_opens_no_other_window(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Project.create(tmp_path / "p") as project:
        ids = [project.windows.add(np.zeros((75, 3)), rate_hz=50.0) for _ in range(3)]
        maps = iter([_map(ids), _map([ids[0], ids[2]])])
        monkeypatch.setattr(
            data_map_module, "map_windows", lambda *_a, **_k: (next(maps), _NoOutputs())
        )
        view = DataMapView(project, weights="none")
        opened: list[list[int]] = []
        view.on_open(lambda window_ids, _title: opened.append(window_ids))
        try:
            view.refresh(wait=True)
            assert view.scatter.names.tolist() == [str(i) for i in ids]
            clicked = {"index": view.point_index(ids[1]), "name": str(ids[1])}
            project.windows.delete(ids[1])  # in review, while the click is on its way
            view.refresh(wait=True)  # the map without it: ids[2] now sits at that index
            _click(view, **clicked)
            assert opened == []  # not ids[2]
            _click(view, index=0, name=str(ids[2]))  # the name decides, not the place
            assert opened == [[ids[2]]]
        finally:
            view.close()


class _NoOutputs:
    probs = None
