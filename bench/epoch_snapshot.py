"""The copy of a model's and optimizer's state a fit takes after every epoch (so Stop can end a
run at its last whole epoch), against the plain alternative: ``copy.deepcopy`` of both state
dicts, which the trainer used before.

The model is torchvision's MobileNetV2 with two classes after one Adam step (so the optimizer
holds its moment tensors), as a run of the Train tab has it. It reports the median seconds of
each over ``--repeat`` copies, their ratio, and a short epoch's time beside them (one batch of
16 scalogram-sized images through the model, forward and backward: a head-only epoch on cached
features is shorter still) to show what share of an epoch the copy is.

    python bench/epoch_snapshot.py [--repeat 20] [--threads 1] [--json]
"""

from __future__ import annotations

import argparse
import copy
import json
import statistics
import time
from collections.abc import Callable
from typing import Any

import torch
import torchvision

from hfwidgets.training.fit_state import FitState, snapshot


def _median_s(step: Callable[[], Any], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        step()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20, help="copies timed per way")
    parser.add_argument("--threads", type=int, default=1, help="torch threads")
    parser.add_argument("--json", action="store_true", help="print one JSON object last")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    model = torchvision.models.mobilenet_v2(num_classes=2)
    optimizer = torch.optim.Adam(model.parameters())
    images = torch.rand(16, 3, 224, 224)

    def batch() -> None:
        optimizer.zero_grad()
        model(images).sum().backward()
        optimizer.step()

    batch()
    # snapshot reads only these two fields of a fit's state.
    state = FitState.__new__(FitState)
    state.model, state.optimizer = model, optimizer

    def deepcopied() -> Any:
        return copy.deepcopy(model.state_dict()), copy.deepcopy(optimizer.state_dict())

    row = {
        "snapshot_s": _median_s(lambda: snapshot(state), args.repeat),
        "deepcopy_s": _median_s(deepcopied, args.repeat),
        "batch_s": _median_s(batch, max(3, args.repeat // 5)),
    }
    row["ratio"] = row["deepcopy_s"] / row["snapshot_s"]
    print(f"MobileNetV2 state after an Adam step, {args.threads} thread(s), median of "
          f"{args.repeat}")  # fmt: skip
    print(f"{'copy':<24} {'seconds':>9}")
    print(f"{'snapshot (clones)':<24} {row['snapshot_s']:>9.4f}")
    print(f"{'copy.deepcopy':<24} {row['deepcopy_s']:>9.4f}")
    print(f"{'one batch of 16 (f+b)':<24} {row['batch_s']:>9.4f}")
    print(f"deepcopy / snapshot: {row['ratio']:.1f}x")
    if args.json:
        print(json.dumps(row))


if __name__ == "__main__":
    main()
