"""ModelPicker: choose a backbone by parameters, file size, ImageNet accuracy and latency."""

from __future__ import annotations

import threading
from typing import Any

import ipywidgets as w
import traitlets

from hfwidgets.widgets._throttle import EventBridge
from hfwidgets.widgets.backbone_table import BackboneTable

__all__ = ["ModelPicker", "weights_options"]


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


class ModelPicker(w.VBox):
    """A table of backbones and a choice of backbone and weights.

    Parameters
    ----------
    value
        Initially chosen backbone.
    weights
        Initial weights choice (``"DEFAULT"``, ``"none"`` or a state-dict path); by default the
        first of :func:`weights_options`.

    Latency is measured on this machine on demand (a forward pass of one 224×224 image, random
    weights), in a background thread, because it takes seconds per backbone.
    """

    value = traitlets.Unicode("mobilenet_v2", help="The chosen backbone.")
    weights = traitlets.Unicode("", help="'DEFAULT', 'none' or a path to a state dict.")

    def __init__(self, value: str = "mobilenet_v2", *, weights: str | None = None) -> None:
        from hfwidgets.models import backbone_info, list_backbones

        self.infos = {name: backbone_info(name) for name in list_backbones()}
        if value not in self.infos:
            raise ValueError(f"unknown backbone {value!r}; choose one of {sorted(self.infos)}")
        self.latency_ms: dict[str, float] = {}
        self.table = BackboneTable(on_pick=lambda name: setattr(self, "value", name))
        self.dropdown = w.Dropdown(options=list(self.infos), value=value, description="Backbone")
        self.weights_dropdown = w.Dropdown(
            options=weights_options(value),
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
        if weights is not None:
            self.weights = weights

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

    def measure_async(self, names: list[str]) -> threading.Thread:
        """Measure latency in a daemon thread; the table updates when it is done."""
        self.status.value = f"<small>measuring {', '.join(names)}…</small>"
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

        thread = threading.Thread(target=work, name="hfw-latency", daemon=True)
        thread.start()
        return thread

    def _apply(self, events: list[tuple[Any, ...]]) -> None:
        for event in events:
            if event[0] == "latency":
                self.latency_ms[event[1]] = float(event[2])
            elif event[0] == "error":
                self.status.value = f"<span style='color:#a00'>latency failed: {event[1]}</span>"
            elif event[0] == "done":
                self.measure_button.disabled = False
                if "failed" not in self.status.value:
                    self.status.value = ""
        self._render_table()

    @traitlets.observe("value")
    def _on_value(self, change: dict[str, Any]) -> None:
        options = weights_options(change["new"])
        current = self.weights
        self.weights_dropdown.options = options
        values = [v for _t, v in options]
        self.weights = current if current in values else values[0]
        self._render_table()

    def _render_table(self) -> None:
        # A row per backbone whose name is a button: a click on it chooses that backbone.
        self.table.render(self.infos, self.latency_ms, self.value)
