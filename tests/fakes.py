"""Stand-ins for a trained run's predictor: no network, the same answer every run.

`JoltPredictor` says "high-five" in proportion to the largest jolt in a window (how far the
acceleration's magnitude strays from 1 g), which is what the simulated arm's high-five impact
gives: enough to count, calibrate and draw without training anything.
"""

from __future__ import annotations

from typing import Any

import numpy as np


class JoltPredictor:
    """P(high-five) = clip((largest jolt - 0.3 g) / ``full_g``, 0, 1); P(other) the rest.

    ``run_id`` and ``operating_point`` make it look like ``load_predictor``'s result for a run
    (None: a model that belongs to no run, never calibrated).
    """

    classes = ("high-five", "other")
    rate_hz = 50.0
    window_s = 1.5

    def __init__(
        self, *, full_g: float = 2.0, run_id: int | None = None, operating_point: Any = None
    ) -> None:
        self.full_g = full_g
        self.run_id = run_id
        self.operating_point = operating_point

    def predict_proba(self, windows: np.ndarray) -> np.ndarray:
        peak = np.abs(np.linalg.norm(windows, axis=2) - 1.0).max(axis=1)
        p = np.clip((peak - 0.3) / self.full_g, 0.0, 1.0)
        return np.stack([p, 1.0 - p], axis=1)
