"""ModelPicker: choose a backbone by parameters, file size, ImageNet accuracy and latency."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import ipywidgets as w
import traitlets

from hfwidgets._worker import Worker
from hfwidgets.widgets._html import esc, esc_join
from hfwidgets.widgets._throttle import EventBridge
from hfwidgets.widgets.backbone_table import BackboneTable

__all__ = ["ModelPicker", "weights_advice", "weights_options"]

_KEYWORDS = {"none": "none", "default": "DEFAULT"}


def weights_options(backbone: str) -> list[tuple[str, str]]:
    """(text, value) choices of weights for ``backbone``: ImageNet, an offline file, or none.

    The offline MobileNetV2 file (``hfwidgets._paths.shared_weights``) is offered first when it
    exists, because these machines cannot download torchvision's weights.
    """
    from hfwidgets._paths import shared_weights

    options: list[tuple[str, str]] = []
    local = shared_weights() if backbone == "mobilenet_v2" else None
    if local is not None:
        options.append((f"ImageNet, offline file ({local.name})", str(local)))
    options.append(("ImageNet (torchvision download / cache)", "DEFAULT"))
    options.append(("none (random initialisation)", "none"))
    return options


def _same_file(a: str | Path, b: str | Path) -> bool:
    try:
        return Path(a).resolve() == Path(b).resolve()
    except OSError:  # an unreadable path is not the same file as anything
        return False


def weights_advice(error: str, options: list[tuple[str, str]], *, backbone: str) -> str | None:
    """Plain-text advice naming the Weights dropdown's options, for an error about weights.

    ``error`` is the text of a failed run; None when it is not about weights. The code-level
    hint (``weights='DEFAULT'``, ``weights=PATH``) that :mod:`hfwidgets.models` appends is
    replaced by the options a person can pick in the Model & freeze tab.
    """
    markers = ("options: weights=", "weights file", "state dict", "could not get")
    if not any(marker in error for marker in markers):
        return None
    reason = error.split("; options:", maxsplit=1)[0].strip().rstrip(";")
    offline = [text for text, value in options if value != "DEFAULT"]
    picks = " or ".join(f"“{text}”" for text in offline)
    return (
        f"The weights chosen for {backbone} cannot be loaded ({reason}). "
        f"In the Model & freeze tab, set Weights to {picks}, then press Start again."
    )


class ModelPicker(w.VBox):
    """A table of backbones and a choice of backbone and weights.

    Parameters
    ----------
    value
        Initially chosen backbone.
    weights
        Initial weights choice (``"DEFAULT"``, ``"none"`` or a state-dict path); by default the
        first of :func:`weights_options`.
    weights_by_backbone
        Remembered weights choice per backbone (the Workbench stores it in the project):
        switching to a backbone and back restores its choice, e.g. the offline file.
    fallback_weights
        The choice for a backbone with nothing remembered, when it is offered (``"none"``).

    Latency is measured on this machine on demand (a forward pass of one 224×224 image, random
    weights), in a background thread, because it takes seconds per backbone.
    """

    value = traitlets.Unicode("mobilenet_v2", help="The chosen backbone.")
    weights = traitlets.Unicode("", help="'DEFAULT', 'none' or a path to a state dict.")

    def __init__(
        self,
        value: str = "mobilenet_v2",
        *,
        weights: str | None = None,
        weights_by_backbone: Mapping[str, str] | None = None,
        fallback_weights: str | None = None,
    ) -> None:
        from hfwidgets.models import backbone_info, list_backbones

        self.infos = {name: backbone_info(name) for name in list_backbones()}
        if value not in self.infos:
            raise ValueError(f"unknown backbone {value!r}; choose one of {sorted(self.infos)}")
        self.weights_by_backbone: dict[str, str] = dict(weights_by_backbone or {})
        self.fallback_weights = fallback_weights
        self._extra_weights: dict[str, list[tuple[str, str]]] = {}
        self._switching = False  # while the options change with the backbone
        self.latency_ms: dict[str, float] = {}
        self.table = BackboneTable(on_pick=lambda name: setattr(self, "value", name))
        self.dropdown = w.Dropdown(options=list(self.infos), value=value, description="Backbone")
        self.weights_dropdown = w.Dropdown(
            options=self.options_for(value),
            description="Weights",
            style={"description_width": "initial"},
        )
        self.measure_button = w.Button(
            description="Measure latency", icon="clock-o", tooltip="Time one CPU forward pass"
        )
        self.measure_button.on_click(lambda _b: self.measure_async([self.value]))
        self.status = w.HTML()
        self._bridge = EventBridge(self._apply, widgets=[self], name="hfw-model-picker")
        super().__init__(
            [
                w.HBox(
                    [self.dropdown, self.weights_dropdown, self.measure_button],
                    layout=w.Layout(flex_flow="row wrap"),  # nothing cut in a narrow window
                ),
                self.table,
                self.status,
            ]
        )
        self.add_class("hfw-model-picker")
        self.value = value
        w.link((self.dropdown, "value"), (self, "value"))
        w.link((self.weights_dropdown, "value"), (self, "weights"))
        self._render_table()
        self._switch_options(value)
        if weights is not None:
            self.choose_weights(weights)

    # -- weights ----------------------------------------------------------------------------
    def options_for(self, backbone: str) -> list[tuple[str, str]]:
        """(text, value) weights choices of ``backbone``, with files added by
        :meth:`add_weights_file`."""
        return weights_options(backbone) + self._extra_weights.get(backbone, [])

    def add_weights_file(self, path: str | Path, *, backbone: str | None = None,
                         origin: str = "") -> str:  # fmt: skip
        """Offer a state-dict file for ``backbone`` (default: the chosen one); return its value.

        The built-in offline file given again (e.g. through ``$HFW_WEIGHTS``) is not offered a
        second time: its existing option's value is returned.
        """
        backbone = backbone or self.value
        for _text, value in self.options_for(backbone):
            if value not in ("DEFAULT", "none") and _same_file(value, path):
                return value
        value = str(path)
        text = f"file {Path(path).name}" + (f" (from {origin})" if origin else "")
        self._extra_weights.setdefault(backbone, []).append((text, value))
        if backbone == self.value:
            self._switch_options(backbone, keep=self.weights)
        return value

    def choose_weights(self, weights: str, *, origin: str = "") -> str:
        """Select ``weights`` (``"none"``, ``"DEFAULT"`` or a file) for the chosen backbone."""
        keyword = _KEYWORDS.get(weights.strip().lower())
        value = keyword or self.add_weights_file(weights, origin=origin)
        self.weights = value
        return value

    def _switch_options(self, backbone: str, *, keep: str | None = None) -> None:
        """Offer ``backbone``'s weights and select its remembered (or a still-valid) choice."""
        options = self.options_for(backbone)
        values = [v for _t, v in options]
        candidates = (keep, self.weights_by_backbone.get(backbone), self.weights,
                      self.fallback_weights)  # fmt: skip
        choice = next((c for c in candidates if c in values), values[0])
        self._switching = True
        try:  # new options reset the dropdown to the first one: not a choice to remember
            self.weights_dropdown.options = options
        finally:
            self._switching = False
        self.weights = choice
        self.weights_dropdown.value = choice
        self.weights_by_backbone[backbone] = choice

    @traitlets.observe("weights")
    def _on_weights(self, change: dict[str, Any]) -> None:
        if not self._switching and change["new"]:
            self.weights_by_backbone[self.value] = change["new"]

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any] | None:
        from hfwidgets.widgets._static import static_bundle

        weights = dict((v, t) for t, v in self.weights_dropdown.options).get(self.weights, "")
        return static_bundle(
            super()._repr_mimebundle_(**kwargs), f"ModelPicker: {self.value}, weights {weights}"
        )

    def close(self) -> None:
        """Stop the bridge of latency measurements and close the picker."""
        bridge = getattr(self, "_bridge", None)  # absent when __init__ failed (then __del__)
        if bridge is not None:
            bridge.stop()
        super().close()

    def measure(self, names: list[str] | None = None, *, repeats: int = 5) -> dict[str, float]:
        """Measure latency (ms) of ``names`` (default: the chosen one) now, on this thread."""
        from hfwidgets.models import measure_latency

        results = {
            name: measure_latency(name, repeats=repeats, warmup=1) for name in names or [self.value]
        }
        self.latency_ms.update(results)
        self._render_table()
        return results

    def measure_async(self, names: list[str]) -> Worker:
        """Measure latency on a worker thread; the table updates when it is done.

        Returns the worker (``.join(timeout)`` waits for the measurement).
        """
        self.status.value = f"<small>measuring {esc_join(names)}…</small>"
        self.measure_button.disabled = True
        self._bridge.start()

        def work() -> None:
            from hfwidgets.models import measure_latency

            try:
                for name in names:
                    self._bridge.post(("latency", name, measure_latency(name, repeats=5)))
            except Exception as exc:  # shown in the widget, never printed from the thread
                self._bridge.post(("error", str(exc)))
            self._bridge.post(("done",), urgent=True)

        return Worker(lambda _stop: work(), name="hfw-latency").start()

    def _apply(self, events: list[tuple[Any, ...]]) -> None:
        for event in events:
            if event[0] == "latency":
                self.latency_ms[event[1]] = float(event[2])
            elif event[0] == "error":
                self.status.value = (
                    f"<span style='color:#a00'>latency failed: {esc(event[1])}</span>"
                )
            elif event[0] == "done":
                self.measure_button.disabled = False
                if "failed" not in self.status.value:
                    self.status.value = ""
        self._render_table()

    @traitlets.observe("value")
    def _on_value(self, change: dict[str, Any]) -> None:
        if hasattr(self, "weights_dropdown"):  # not during __init__'s first assignment
            self._switch_options(change["new"])
        self._render_table()

    def _render_table(self) -> None:
        # A row per backbone whose name is a button: a click on it chooses that backbone.
        self.table.render(self.infos, self.latency_ms, self.value)
