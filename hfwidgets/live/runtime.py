"""A faster inference path for live counting: the run's network in ONNX Runtime, one thread.

Inside a running workbench the live classifier shares two cores with the plot, the capture, the
labeller's thumbnails and the kernel. PyTorch's CPU inference then spreads one small batch over
its intra-op threads, which wait on each other while other threads hold the cores; its p95
latency is several times its median. An ONNX Runtime session with its own single intra-op
thread does the same arithmetic without that coordination and without touching the
process-wide torch thread setting (training in the same kernel keeps its threads).
``bench/live_latency.py`` measures both paths, bare and inside a running `Workbench`.

`live_predictor` wraps a `hfwidgets.training.predictor.RunPredictor`: the scalogram is computed as
before, then the network runs in ONNX Runtime. Anything else is returned unchanged, as is a
RunPredictor when ``onnxruntime`` is not installed (it is an optional dependency) or the network
does not export.
"""

from __future__ import annotations

import io
import logging
import warnings
from typing import TYPE_CHECKING, Any, cast

import numpy as np
from numpy.typing import NDArray

from hfwidgets.live.model import Predictor

if TYPE_CHECKING:
    from hfwidgets.training.predictor import RunPredictor

__all__ = ["BACKENDS", "OnnxPredictor", "live_predictor", "onnxruntime_available"]

log = logging.getLogger(__name__)

#: ``auto``: ONNX Runtime when installed, else torch; ``torch``: the predictor as it is.
BACKENDS = ("auto", "onnxruntime", "torch")


def onnxruntime_available() -> bool:
    """Whether ``onnxruntime`` can be imported."""
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        return False
    return True


class OnnxPredictor:
    """A RunPredictor whose network runs in an ONNX Runtime session.

    Attributes other than ``predict_proba`` and ``backend`` (``classes``, ``rate_hz``,
    ``settings``, ``window_s``, ``run_id``, ``operating_point``) are read from the wrapped
    predictor, so the live classifier and calibration see the same run.

    Parameters
    ----------
    predictor : RunPredictor
        Has ``net`` (images in [0, 1] -> logits), ``settings`` (scalogram) and ``rate_hz``.
    threads : int
        Intra-op threads of the session.
    """

    backend = "onnxruntime"

    def __init__(self, predictor: RunPredictor, *, threads: int = 1) -> None:
        import onnxruntime as ort
        import torch

        if threads < 1:
            raise ValueError(f"threads={threads!r} must be >= 1")
        self.wrapped = predictor
        height, width = predictor.settings.size
        example = torch.rand(1, 3, height, width)
        buffer = io.BytesIO()
        net = torch.nn.Sequential(predictor.net, torch.nn.Softmax(dim=1)).eval()
        with torch.inference_mode(False), torch.no_grad(), warnings.catch_warnings():
            # The TorchScript-based exporter warns it is deprecated (it needs no onnxscript).
            warnings.simplefilter("ignore", category=FutureWarning)
            warnings.simplefilter("ignore", category=DeprecationWarning)
            torch.onnx.export(
                net,
                (example,),
                buffer,  # type: ignore[arg-type]  # a file object works, the stub says path
                dynamo=False,
                input_names=["scalograms"],
                output_names=["probabilities"],
                dynamic_axes={"scalograms": {0: "batch"}, "probabilities": {0: "batch"}},
                opset_version=17,
            )
        options = ort.SessionOptions()
        options.intra_op_num_threads = int(threads)
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        # Threads that spin while waiting for work would take a core from the rest of the kernel.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self._session = ort.InferenceSession(
            buffer.getvalue(), options, providers=["CPUExecutionProvider"]
        )
        self.threads = int(threads)

    @property
    def operating_point(self) -> Any:
        """The run's operating point: the wrapped predictor's (set through to it as well)."""
        return getattr(self.wrapped, "operating_point", None)

    @operating_point.setter
    def operating_point(self, point: Any) -> None:
        # Calibrating through the fast path arms the run's own predictor too.
        self.wrapped.operating_point = point

    def __getattr__(self, name: str) -> Any:
        # Only reached for attributes not set here: the run's classes, rate, settings, point.
        if name == "wrapped":
            raise AttributeError(name)
        return getattr(self.wrapped, name)

    def predict_images(self, images: NDArray[Any]) -> NDArray[np.float32]:
        """Probabilities ``[B, C]`` of scalogram images ``[B, 3, H, W]`` in [0, 1]."""
        x = np.ascontiguousarray(images, dtype=np.float32)
        (out,) = self._session.run(None, {"scalograms": x})[:1]
        return np.asarray(out, dtype=np.float32)

    def predict_proba(self, windows: NDArray[Any], *, rate_hz: float | None = None) -> NDArray[Any]:
        """As `RunPredictor.predict_proba`, the network in ONNX Runtime."""
        from hfwidgets.scalogram import compute_scalograms

        array = np.asarray(windows, dtype=np.float32)
        if array.ndim == 2:
            array = array[None]
        rate = rate_hz or self.wrapped.rate_hz
        images = compute_scalograms(array, rate_hz=rate, settings=self.wrapped.settings)
        proba = self.predict_images(images)
        blend = getattr(self.wrapped, "blend", None)  # the run's chosen model: CNN or fusion
        if blend is None:
            return proba
        return np.asarray(blend(self.wrapped.at_model_rate(array, rate_hz=rate), proba))


def live_predictor(predictor: Predictor, *, backend: str = "auto", threads: int = 1) -> Predictor:
    """The predictor to count live with: ``predictor`` on the fastest available path.

    Parameters
    ----------
    predictor : Predictor
        Usually from ``hfwidgets.training.predictor.load_predictor``.
    backend : {"auto", "onnxruntime", "torch"}
        ``auto`` uses ONNX Runtime for a RunPredictor when it is installed and falls back to
        the predictor itself (logged) when export fails; ``onnxruntime`` raises instead.
    threads : int
        Intra-op threads of the ONNX Runtime session.
    """
    if backend not in BACKENDS:
        raise ValueError(f"backend={backend!r} is not one of {', '.join(BACKENDS)}")
    if backend == "torch" or isinstance(predictor, OnnxPredictor):
        return predictor
    runnable = hasattr(predictor, "net") and hasattr(predictor, "settings")
    if backend == "auto" and not (runnable and onnxruntime_available()):
        return predictor
    if not onnxruntime_available():
        raise ValueError(
            "backend='onnxruntime' needs the onnxruntime package: pip install onnxruntime, "
            "or use backend='torch'"
        )
    if not runnable:
        raise ValueError(
            f"{type(predictor).__name__} has no network to run in ONNX Runtime; use backend='torch'"
        )
    try:
        # runnable: it has the run's network and scalogram settings, as a RunPredictor does
        return OnnxPredictor(cast("RunPredictor", predictor), threads=threads)
    except Exception as exc:
        if backend == "onnxruntime":
            raise
        log.warning("ONNX Runtime path unavailable (%s); counting with torch", exc)
        return predictor
