"""Where the trainer's work runs: one process here, several under ``torchrun`` (see :mod:`.ddp`).

The :class:`~hfwidgets.training.trainer.Trainer` asks its strategy four things (in the spirit
of Lightning's ``Strategy``): which device to use, how to wrap the network it steps, which
batches this process trains on, and how to add up per-process sums. The single-process
strategy answers with the obvious; :class:`~hfwidgets.training.ddp.DistributedStrategy`
shards the batches and all-reduces, so both run the same loop, validation and checkpoints.
"""

from __future__ import annotations

from collections.abc import Iterator

import torch
from torch import nn

from hfwidgets.training.data import batch_indices, resolve_device

__all__ = ["Strategy"]


class Strategy:
    """Train in this process only (the default)."""

    rank = 0
    world_size = 1

    @property
    def is_main(self) -> bool:
        """Whether this process writes checkpoints (rank 0)."""
        return self.rank == 0

    def device(self, requested: str) -> torch.device:
        """The device ``requested`` (``"cpu"``, ``"cuda[:N]"`` or ``"auto"``) names here."""
        return resolve_device(requested)

    def wrap(self, net: nn.Module, device: torch.device) -> nn.Module:
        """The module the optimizer steps through (the network itself here)."""
        return net

    def batches(
        self, n: int, *, batch_size: int, generator: torch.Generator
    ) -> Iterator[torch.Tensor]:
        """Positions ``0..n-1`` of the training windows, shuffled, in batches for this process."""
        return batch_indices(n, batch_size=batch_size, generator=generator)

    def count_batches(self, n: int, *, batch_size: int) -> int:
        """How many batches :meth:`batches` yields for ``n`` windows."""
        return -(-n // batch_size)

    def reduce_sum(self, values: torch.Tensor) -> torch.Tensor:
        """Element-wise sum of ``values`` over all processes (``values`` itself here)."""
        return values

    def end_epoch(self, model: nn.Module) -> None:
        """Bring every process's model to the same state after an epoch (nothing to do here)."""
