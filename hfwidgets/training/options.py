"""The command-line options of a :class:`~hfwidgets.training.config.TrainConfig`.

``hfw train`` and the distributed launcher (:mod:`hfwidgets.training.ddp`) add the same options
(:func:`add_config_arguments`) and build their config from them (:func:`config_from_args`,
through :func:`~hfwidgets.training.config.build_train_config`).
"""

from __future__ import annotations

import argparse

from hfwidgets.training.config import MODES, TrainConfig, build_train_config

__all__ = ["add_config_arguments", "config_from_args"]


def add_config_arguments(
    parser: argparse.ArgumentParser, *, default_threads: int | None = None
) -> None:
    """Add the training options ``hfw train`` and ``hfw.training.ddp`` share to ``parser``."""
    parser.add_argument("--model", default="mobilenet_v2", help="backbone (hfw info lists them)")
    parser.add_argument(
        "--weights",
        default="DEFAULT",
        help="DEFAULT (torchvision download/cache), a state-dict PATH, or none",
    )
    parser.add_argument(
        "--mode",
        choices=MODES,
        default="fine-tune",
        help="fine-tune (gradient descent on the unfrozen groups) or feature-extractor "
        "(frozen network + logistic regression as the head, one step)",
    )
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--freeze", help="comma-separated layer groups to freeze")
    group.add_argument(
        "--freeze-until",
        help="freeze every group up to and including this one ('backbone': all but the head)",
    )
    group.add_argument(
        "--freeze-preset",
        metavar="PRESET",
        help="feature-extractor (all but the head), fine-tune-last (with --last-n N) or "
        "everything (train every layer): the FreezeChecklist's presets",
    )
    parser.add_argument("--last-n", type=int, default=None, help="groups fine-tune-last trains")
    parser.add_argument(
        "--epochs", type=int, default=None,
        help="default: 12, more for fewer than 200 windows (see --min-steps)",
    )  # fmt: skip
    parser.add_argument(
        "--min-steps", type=int, default=None,
        help="without --epochs: train at least this many optimizer steps (300)",
    )  # fmt: skip
    parser.add_argument("--batch-size", type=int, default=None, help="windows per step (8)")
    parser.add_argument("--lr", type=float, default=None, help="peak learning rate (AdamW, 1e-3)")
    parser.add_argument(
        "--val-fraction", type=float, default=0.2, help="held out, stratified (and grouped)"
    )
    parser.add_argument(
        "--head-lr-factor", type=float, default=None, help="learn-rate factor of the head (1)"
    )
    parser.add_argument("--patience", type=int, default=None, help="early stopping (epochs)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--augment",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="randomly shift, stretch and scale (and with --rotation-deg, turn about gravity) "
        "the training windows (default on; windows without gravity are left unchanged)",
    )
    parser.add_argument(
        "--augment-check",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="when augmenting, also train without augmentation on the same split and keep "
        "whichever scores better on validation (default on)",
    )
    parser.add_argument(
        "--refit",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="after the held-out figure, train the stored model on every labelled window "
        "(default on)",
    )
    parser.add_argument(
        "--rotation-deg",
        type=float,
        default=None,
        metavar="DEG",
        help="largest random turn about each window's gravity axis when augmenting (0, the "
        "default: the heading as recorded, so a motion and its mirror image, a stroke left and "
        "a stroke right, stay apart; 180: any heading, for a sensor whose heading varies)",
    )
    parser.add_argument(
        "--folds",
        type=int,
        default=None,
        metavar="K",
        help="measure by K-fold cross-validation, then train on every window (few windows)",
    )
    parser.add_argument(
        "--group-split",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="validate on whole sessions/sources training did not see (default on)",
    )
    parser.add_argument(
        "--loso-max-sources",
        type=int,
        default=None,
        metavar="N",
        help="without --folds, measure by leave-one-source-out when the windows come from 2 to N "
        "sessions/sources (default 6; 0: one hold-out split)",
    )
    parser.add_argument(
        "--baseline",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="train the MiniRocket baseline on the same split (default on)",
    )
    parser.add_argument("--device", default="cpu", help="cpu, cuda or auto")
    parser.add_argument(
        "--threads",
        type=int,
        default=default_threads,
        help="torch CPU threads"
        + ("" if default_threads else " (default: OMP_NUM_THREADS, else at most 4)"),
    )


def config_from_args(args: argparse.Namespace) -> TrainConfig:
    """The :class:`TrainConfig` of options added by :func:`add_config_arguments`."""
    return build_train_config(
        model=args.model,
        weights=args.weights,
        mode=args.mode,
        freeze=args.freeze,
        freeze_until=args.freeze_until,
        freeze_preset=args.freeze_preset,
        last_n=args.last_n,
        epochs=args.epochs,
        min_steps=args.min_steps,
        batch_size=args.batch_size,
        lr=args.lr,
        val_fraction=args.val_fraction,
        head_lr_factor=args.head_lr_factor,
        patience=args.patience,
        seed=args.seed,
        augment=args.augment,
        augment_check=args.augment_check,
        refit=args.refit,
        folds=args.folds,
        rotation_deg=args.rotation_deg,
        group_split=args.group_split,
        loso_max_sources=args.loso_max_sources,
        baseline=args.baseline,
        device=args.device,
        num_threads=args.threads,
    )
