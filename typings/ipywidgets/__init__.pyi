# The part of ipywidgets 8 that hfwidgets uses, typed (ipywidgets ships no types). Every widget
# of hfwidgets subclasses one of these, so mypy checks them like any other class; a name not
# declared here is an error, to be added here with its type (tests/test_typings.py checks that
# every name declared here exists in ipywidgets). Traits are typed as the values they hold.
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from traitlets import HasTraits

class Widget(HasTraits):
    @property
    def model_id(self) -> str: ...
    comm: Any
    keys: list[str]
    def __init__(self, **kwargs: Any) -> None: ...
    def close(self) -> None: ...
    def send(
        self, content: dict[str, Any], buffers: Sequence[bytes | memoryview] | None = ...
    ) -> None: ...
    def on_msg(self, callback: Callable[..., Any], remove: bool = ...) -> None: ...
    def send_state(self, key: str | list[str] | None = ...) -> None: ...
    def get_state(
        self, key: str | list[str] | None = ..., drop_defaults: bool = ...
    ) -> dict[str, Any]: ...
    @contextmanager
    def hold_sync(self) -> Iterator[None]: ...
    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any] | None: ...
    # Private, used by tests that watch what is sent and play the front end's messages.
    def _send(self, msg: dict[str, Any], buffers: list[Any] | None = ...) -> None: ...
    def _handle_custom_msg(self, content: dict[str, Any], buffers: list[Any]) -> None: ...

class Layout(Widget):
    width: str | None
    height: str | None
    display: str | None
    visibility: str | None
    min_width: str | None
    max_width: str | None
    min_height: str | None
    max_height: str | None
    margin: str | None
    padding: str | None
    border: str | None
    flex: str | None
    overflow: str | None
    align_items: str | None
    justify_content: str | None
    grid_template_columns: str | None

class DOMWidget(Widget):
    layout: Layout
    tabbable: bool | None
    tooltip: str | None
    def add_class(self, className: str) -> DOMWidget: ...
    def remove_class(self, className: str) -> DOMWidget: ...

class _Described(DOMWidget):
    description: str
    description_allow_html: bool
    style: Any

class Box(DOMWidget):
    # The children are widgets of any kind: code that reads a child's own traits knows which.
    children: tuple[Any, ...]
    box_style: str
    def __init__(self, children: Sequence[Widget] = ..., **kwargs: Any) -> None: ...

class VBox(Box): ...
class HBox(Box): ...
class GridBox(Box): ...

class _SelectionContainer(Box):
    selected_index: int | None
    titles: tuple[str, ...]
    def set_title(self, index: int, title: str) -> None: ...
    def get_title(self, index: int) -> str: ...

class Tab(_SelectionContainer): ...
class Accordion(_SelectionContainer): ...

class HTML(_Described):
    value: str
    placeholder: str
    def __init__(self, value: str | None = ..., **kwargs: Any) -> None: ...

class HTMLMath(HTML): ...
class Label(HTML): ...

class Button(DOMWidget):
    description: str
    disabled: bool
    icon: str
    button_style: str
    style: Any
    # Called with the button (often a lambda with default arguments, which mypy cannot match
    # to a one-argument Callable).
    def on_click(self, callback: Callable[..., object], remove: bool = ...) -> None: ...
    def click(self) -> None: ...

class ToggleButton(_Described):
    value: bool
    disabled: bool
    icon: str
    button_style: str

class Checkbox(_Described):
    value: bool
    disabled: bool
    indent: bool

class _Selection(_Described):
    value: Any
    label: str | None
    index: int | None
    options: Any
    disabled: bool

class Dropdown(_Selection): ...

class Select(_Selection):
    rows: int

class ToggleButtons(_Selection):
    button_style: str
    tooltips: list[str]
    icons: list[str]

class _Number(_Described):
    disabled: bool
    continuous_update: bool

class _Float(_Number):
    value: float
    min: float
    max: float
    step: float | None

class _Int(_Number):
    value: int
    min: int
    max: int
    step: int

class FloatSlider(_Float):
    readout_format: str

class BoundedFloatText(_Float): ...
class BoundedIntText(_Int): ...

class IntProgress(_Described):
    value: int
    min: int
    max: int
    bar_style: str

class Image(DOMWidget):
    value: bytes
    format: str
    width: str
    height: str

# Classes at runtime (traitlets'), called like functions.
class link:
    def __init__(
        self,
        source: tuple[HasTraits, str],
        target: tuple[HasTraits, str],
        transform: tuple[Callable[[Any], Any], Callable[[Any], Any]] | None = ...,
    ) -> None: ...
    def unlink(self) -> None: ...

class dlink:
    def __init__(
        self,
        source: tuple[HasTraits, str],
        target: tuple[HasTraits, str],
        transform: Callable[[Any], Any] | None = ...,
    ) -> None: ...
    def unlink(self) -> None: ...
