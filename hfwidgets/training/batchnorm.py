"""BatchNorm running statistics re-estimated on the training windows."""

from __future__ import annotations

import torch
from torch import nn

from hfwidgets.models import channels_last

__all__ = ["recalibrate_batchnorm"]


def recalibrate_batchnorm(
    net: nn.Module, inputs: torch.Tensor, *, device: torch.device, batch_size: int = 16
) -> None:
    """Re-estimate the running statistics of the trainable BatchNorm layers on ``inputs``.

    Training normalises each batch by its own statistics, while evaluation and live inference
    use running averages that, with a few batches per epoch, still hold much of ImageNet's
    statistics when training ends (on punch/flex, 2 batches per epoch: validation stuck at
    chance after 3 epochs). One pass over the training inputs (``momentum=None``: the exact
    average) gives the final weights statistics that match them (``recalibrate_bn``), or sets
    them before training when ``freeze_bn`` keeps them fixed. Frozen groups keep theirs.
    """
    layers = [
        m
        for m in net.modules()
        if isinstance(m, nn.modules.batchnorm._BatchNorm)
        and any(p.requires_grad for p in m.parameters(recurse=False))
    ]
    if not layers or not len(inputs):
        return
    was_training = net.training
    net.eval()
    saved = [m.momentum for m in layers]
    for m in layers:
        m.reset_running_stats()
        m.momentum = None  # cumulative average over every batch of the pass
        m.train()
    with torch.no_grad():
        for start in range(0, len(inputs), batch_size):
            net(channels_last(inputs[start : start + batch_size].to(device)))
    for m, momentum in zip(layers, saved, strict=True):
        m.momentum = momentum
    net.train(was_training)
