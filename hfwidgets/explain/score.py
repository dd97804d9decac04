"""The score an explanation follows: a class's log-odds against the other classes.

``z_c - logsumexp(z_j, j != c)`` of the logits ``z``: for two classes the logit difference, in
general the evidence for ``c`` over its rivals. What every class's logit shares (a feature all
classes weigh alike, such as a motion every window has) cancels, so a map of this score shows
what made the model choose ``c``, not what merely excites the network. Unlike the softmax
probability it does not saturate: a 0.99999-confident verdict still has a gradient.
"""

from __future__ import annotations

import torch

__all__ = ["class_log_odds"]


def class_log_odds(logits: torch.Tensor, class_index: int) -> torch.Tensor:
    """``[B, C]`` logits -> ``[B]`` log-odds of class ``class_index`` against the others."""
    if logits.shape[1] < 2:
        return logits[:, class_index]
    others = torch.cat([logits[:, :class_index], logits[:, class_index + 1 :]], dim=1)
    return logits[:, class_index] - torch.logsumexp(others, dim=1)
