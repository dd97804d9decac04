"""Fine-tuning engine: trainer, background runner, metrics, checkpoints, predictor and export.

Nothing here imports widgets: the trainer publishes frozen events
(:mod:`~hfwidgets.training.fit_events`) to ``TrainingCallback`` hooks, and widgets apply them
on their own schedule.

This package re-exports nothing: import each name from the module that defines it
(``hfwidgets.training.config.TrainConfig``, ``hfwidgets.training.runner.train_project``,
``hfwidgets.training.predictor.load_predictor``, ...). So ``config`` and ``fit_events`` load
without torch, and a command line's ``--help`` or a widget module stays quick; importing the
trainer, runner or predictor loads torch.
"""
