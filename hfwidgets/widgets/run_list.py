"""RunList: every training run of a project, to compare, count live with, export or delete."""

from __future__ import annotations

import html
from collections.abc import Callable
from pathlib import Path
from typing import Any

import ipywidgets as w
import traitlets

from hfwidgets._callbacks import CallbackList
from hfwidgets.store.project import Project
from hfwidgets.store.run_status import ended_well
from hfwidgets.summary import RunSummary, summarize_runs
from hfwidgets.widgets._close import close_widgets
from hfwidgets.widgets._static import static_bundle

__all__ = ["EXPORT_FORMATS", "RunList"]

EXPORT_FORMATS = (
    ("TorchScript (.pt)", "torchscript"),
    ("ONNX (.onnx)", "onnx"),
    ("Board (Arduino sketch)", "board"),  # hfwidgets.board: a distilled model, its sizes
)
_SUFFIX = {"torchscript": ".pt", "onnx": ".onnx", "board": "-board"}
_COLUMNS = ("run", "settings", "accuracy", "baseline", "time", "checkpoint", "counts with", "")
_KINDS = ("use", "export", "delete")  # the buttons of a row, as in ``RunList.buttons``
# Column widths: the settings and accuracy texts wrap inside their cells instead of running into
# the next column; the action buttons keep a fixed width so they are never cut.
_TEMPLATE = "44px minmax(180px, 2fr) minmax(160px, 2fr) minmax(90px, 1fr) 120px 86px 150px 270px"


class RunList(w.VBox):
    """A table of the runs of ``project``, newest first, with Use for live, Export and Delete.

    Parameters
    ----------
    project : hfwidgets.store.Project
    export_dir : path, optional
        Where Export writes ``run-<id>.pt`` / ``.onnx`` and its ``.json`` settings; default
        ``<project>/exports``.

    Attributes
    ----------
    live_run : int
        The run the live counter uses (-1: none); set by :meth:`use` or by the owner.
    rows : dict of int to RunSummary
        The runs shown.
    """

    live_run = traitlets.Int(-1, help="The run the live counter uses (-1: none).")

    def __init__(self, project: Project, *, export_dir: str | Path | None = None) -> None:
        self.project = project
        self.export_dir = Path(export_dir) if export_dir else Path(project.path) / "exports"
        self.rows: dict[int, RunSummary] = {}
        self.buttons: dict[tuple[int, str], w.Button] = {}
        #: Per run, the model it counts with (CNN, baseline or fusion, with their figures).
        self.model_menus: dict[int, w.Dropdown] = {}
        self._filling = False  # menus written by a refresh are not a person's choice
        self._row_widgets: dict[int, list[w.Widget]] = {}  # a run's cells and buttons, kept
        self._header = [w.HTML(f"<small><b>{name}</b></small>") for name in _COLUMNS]
        self._empty = w.HTML("<small>no run yet: Start one in the Train tab</small>")
        self._use: list[Callable[[int], object]] = []  # their errors are shown, not only logged
        self._deleted = CallbackList("delete")
        self._armed_delete: int | None = None
        self.format = w.Dropdown(
            options=EXPORT_FORMATS,
            value="torchscript",
            description="Export as",
            layout=w.Layout(width="250px"),
        )
        self.refresh_button = w.Button(
            icon="refresh", tooltip="Read the runs again", layout=w.Layout(width="40px")
        )
        self.refresh_button.on_click(lambda _b: self.refresh())
        self.grid = w.GridBox(
            layout=w.Layout(
                grid_template_columns=_TEMPLATE,
                width="100%",
                grid_gap="2px 8px",
                align_items="center",
            )
        )
        self.message = w.HTML()
        super().__init__(
            [
                w.HTML(
                    "<b>Training runs</b> · <small>accuracy says what it was measured on; "
                    "<i>Use for live</i> arms the Live tab with that run</small>"
                ),
                w.HBox([self.format, self.refresh_button]),
                self.grid,
                self.message,
            ]
        )
        self.add_class("hfw-run-list")
        self.refresh()

    # -- public API ---------------------------------------------------------------------------
    def on_use(self, callback: Callable[[int], object], remove: bool = False) -> None:
        """Register ``callback(run_id)`` for *Use for live* (the owner loads the predictor)."""
        if remove:
            if callback in self._use:
                self._use.remove(callback)
        elif callback not in self._use:
            self._use.append(callback)

    def on_delete(self, callback: Callable[[int], object], remove: bool = False) -> None:
        """Register ``callback(run_id)``, called after a run was deleted."""
        self._deleted.register(callback, remove=remove)

    def refresh(self) -> None:
        """Read the project's runs again and bring the table up to date.

        Rows are updated in place: a run's cells and buttons are the same widgets from one
        refresh to the next, so a click that reaches a button while the list refreshes (after
        every action, and when a run ends) still lands. Only a run that is gone loses its row.
        """
        runs = summarize_runs(self.project)
        self.rows = {r.id: r for r in runs}
        gone = [run_id for run_id in self._row_widgets if run_id not in self.rows]
        closing: list[w.Widget] = []
        for run_id in gone:
            closing += self._row_widgets.pop(run_id)
            for kind in _KINDS:
                self.buttons.pop((run_id, kind), None)
            self.model_menus.pop(run_id, None)
        items: list[w.Widget] = list(self._header)
        for run in runs:
            if run.id not in self._row_widgets:
                self._row_widgets[run.id] = self._new_row(run.id)
            self._fill_row(run)
            items += self._row_widgets[run.id]
        if not runs:
            items.append(self._empty)
        # An unchanged table sends nothing: the front end keeps its views as they are.
        if tuple(items) != self.grid.children:
            self.grid.children = tuple(items)
        close_widgets(closing)  # a deleted run's widgets would pile up in the front end

    def choose_model(self, run_id: int, model: str) -> None:
        """Make ``run_id`` count with ``model`` (``cnn``, ``baseline``, ``fusion``); a run
        counting live is loaded again with it (the *Use for live* callbacks)."""
        record = self.project.runs.choose_model(run_id, model)
        self._say(f"run {run_id} counts with its {html.escape(record.metrics.chosen)} model")
        if self.live_run == run_id:
            for callback in list(self._use):
                callback(run_id)

    def use(self, run_id: int) -> None:
        """Count live with ``run_id``: callbacks load it; ``live_run`` follows."""
        run = self._require(run_id)
        if not run.usable:
            raise ValueError(
                f"run {run_id} cannot count live: it is {run.status!r}"
                + ("" if run.checkpoint_bytes is not None else " and has no checkpoint file")
            )
        for callback in list(self._use):
            try:
                callback(run_id)
            except Exception as exc:  # e.g. a checkpoint from another torchvision
                self._say(
                    f"<span style='color:#a00'>run {run_id} could not be loaded: "
                    f"{html.escape(str(exc))}</span>"
                )
                raise
        self.live_run = run_id
        self._say(f"the Live tab now counts with run {run_id}")

    def export(self, run_id: int, *, fmt: str | None = None, out: str | Path | None = None) -> Path:
        """Write run ``run_id`` as ``hfw export`` does (model file + ``.json`` settings)."""
        from hfwidgets.training.export import export_model

        self._require(run_id)
        fmt = fmt or str(self.format.value)
        path = Path(out) if out else self.export_dir / f"run-{run_id}{_SUFFIX.get(fmt, '')}"
        # Tracing the network takes seconds on a busy machine: say at once that the click landed.
        self._say(f"exporting run {run_id} as {html.escape(fmt)} …")
        try:
            if fmt == "board":  # a folder: the sketch, board.json; the figures said here
                return self._export_board(run_id, path)
            export_model(self.project, run_id=run_id, fmt=fmt, out=path)
        except Exception as exc:  # e.g. onnx missing or no checkpoint: say so, stay usable
            self._say(
                f"<span style='color:#a00'>export of run {run_id} failed: "
                f"{html.escape(str(exc))}</span>"
            )
            raise
        self._say(
            f"run {run_id} exported to <code>{html.escape(str(path))}</code> "
            f"(settings in <code>{html.escape(path.name)}.json</code>)"
        )
        return path

    def _export_board(self, run_id: int, path: Path) -> Path:
        from hfwidgets.board.bundle import export_board

        done = export_board(self.project, run_id=run_id, out=path)
        board, run = done.model.board, done.model.run
        self._say(
            f"run {run_id}: board model in <code>{html.escape(str(done.sketch.parent))}</code>"
            f" · accuracy {board.accuracy:.3f} (the run's {run.accuracy:.3f}, {board.n} windows)"
            f" · flash {done.flash_bytes} B, RAM {done.ram_bytes} B ({done.size_source})"
        )
        return path

    def delete(self, run_id: int) -> int:
        """Delete run ``run_id``, its split and checkpoint; returns the bytes freed."""
        self._require(run_id)
        freed = int(self.project.runs.delete(run_id))
        if self.live_run == run_id:
            self.live_run = -1
        self._armed_delete = None
        self.refresh()
        self._deleted.fire(run_id)
        self._say(f"run {run_id} deleted ({freed / 1e6:.1f} MB freed)")
        return freed

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any] | None:
        lines = [
            f"run {r.id}: {r.settings_text()}; {r.accuracy_text()}; {r.baseline_text()}; "
            f"{r.time_text()}; {r.size_text()}"
            for r in self.rows.values()
        ]
        return static_bundle(
            super()._repr_mimebundle_(**kwargs),
            "RunList of " + str(self.project.path.name) + ":\n" + ("\n".join(lines) or "no run"),
        )

    # -- rows ---------------------------------------------------------------------------------
    def _new_row(self, run_id: int) -> list[w.Widget]:
        """The cells and buttons of run ``run_id``, made once and kept while the run exists."""
        cells: list[w.Widget] = [w.HTML() for _ in _COLUMNS[:-2]]
        menu = w.Dropdown(options=[("cnn", "cnn")], value="cnn", layout=w.Layout(width="140px"))
        menu.add_class("hfw-run-model")
        menu.observe(lambda change: self._menu_changed(run_id, change), names="value")
        self.model_menus[run_id] = menu
        cells.append(menu)
        use = w.Button(tooltip="count live with this run", layout=w.Layout(width="96px"))
        export = w.Button(
            description="Export",
            icon="download",
            tooltip="TorchScript/ONNX with the scalogram settings beside it",
            layout=w.Layout(width="84px"),
        )
        delete = w.Button(
            tooltip="delete the run and its checkpoint (click twice)",
            layout=w.Layout(width="72px"),
        )
        use.on_click(lambda _b: self._click(self.use, run_id))
        export.on_click(lambda _b: self._click(self.export, run_id))
        delete.on_click(lambda _b: self._click_delete(run_id))
        for kind, button in zip(_KINDS, (use, export, delete), strict=True):
            button.add_class(f"hfw-run-{kind}")
            self.buttons[(run_id, kind)] = button
        return [*cells, w.HBox([use, export, delete], layout=w.Layout(overflow="visible"))]

    def _fill_row(self, run: RunSummary) -> None:
        """Write ``run``'s figures and button states into its row (a same value sends nothing)."""
        live = run.id == self.live_run
        accuracy = run.accuracy_text() if ended_well(run.status) else run.status
        texts = [
            f"<b>{run.id}</b>{' ●' if live else ''}",
            html.escape(run.settings_text()),
            html.escape(accuracy),
            html.escape(run.baseline_text()),
            html.escape(run.time_text()),
            html.escape(run.size_text()),
        ]
        cells = [c for c in self._row_widgets[run.id] if isinstance(c, w.HTML)]  # the figures
        for cell, text in zip(cells, texts, strict=True):
            cell.value = f"<small>{text}</small>"
        menu = self.model_menus[run.id]
        self._filling = True
        try:
            options = run.model_options()
            if tuple(menu.options) != tuple(options):
                menu.options = options
            menu.value = run.chosen if run.chosen in [v for _, v in options] else options[0][1]
            menu.disabled = len(options) < 2
            menu.tooltip = "the model this run counts with: the best on validation, or your choice"
        finally:
            self._filling = False
        use = self.buttons[(run.id, "use")]
        use.description = "Live ✓" if live else "Use for live"
        use.button_style = "success" if live else ""
        use.disabled = not run.usable or live
        self.buttons[(run.id, "export")].disabled = not run.usable
        armed = self._armed_delete == run.id
        delete = self.buttons[(run.id, "delete")]
        delete.description = "Sure?" if armed else "Delete"
        delete.button_style = "danger" if armed else ""
        delete.disabled = run.status in ("created", "running")

    def _click(self, action: Callable[[int], object], run_id: int) -> None:
        try:
            action(run_id)
        except Exception as exc:  # the message is in the list; a click never raises into Lab
            if "failed" not in self.message.value:
                self._say(f"<span style='color:#a00'>{html.escape(str(exc))}</span>")
        self.refresh()

    def _menu_changed(self, run_id: int, change: dict[str, Any]) -> None:
        if self._filling or change["new"] == change["old"]:
            return
        self._click(lambda rid: self.choose_model(rid, str(change["new"])), run_id)

    def _click_delete(self, run_id: int) -> None:
        # Deleting is final (the checkpoint file goes): the first click arms, the second deletes.
        if self._armed_delete != run_id:
            self._armed_delete = run_id
            self.refresh()
            self._say(f"click <b>Sure?</b> to delete run {run_id} and its checkpoint")
            return
        self._click(self.delete, run_id)

    def _require(self, run_id: int) -> RunSummary:
        if run_id not in self.rows:
            self.refresh()
        if run_id not in self.rows:
            raise ValueError(f"no training run {run_id} in {self.project.path}")
        return self.rows[run_id]

    def _say(self, text: str) -> None:
        self.message.value = f"<small>{text}</small>"

    @traitlets.observe("live_run")
    def _on_live_run(self, _change: dict[str, Any]) -> None:
        self.refresh()
