"""Sessions: one ONNX file run by ONNX Runtime or OpenVINO behind one ``run`` method.

Both release the GIL while they compute, so a session can run in a worker thread alongside
decoding and tracking. ``threads=None`` follows torch's intra-op thread count, so the
existing ``--threads`` / ``--torch-threads`` settings limit every runtime alike.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from tracker.errors import TrackerError


class Session(Protocol):
    """A compiled network: one input array in, the first output as float32 out."""

    runtime: str

    def run(self, inputs: NDArray[np.generic]) -> NDArray[np.float32]: ...


def default_threads() -> int:
    import torch

    return max(int(torch.get_num_threads()), 1)


def onnx_providers(device_type: str, available: list[str], cache: Path) -> list[object]:
    """TensorRT (fp16, engine cache beside the exports) then CUDA where installed, for a CUDA
    device; the CPU provider always last."""
    providers: list[object] = []
    if device_type == "cuda":
        if "TensorrtExecutionProvider" in available:
            providers.append(
                (
                    "TensorrtExecutionProvider",
                    {
                        "trt_fp16_enable": True,
                        "trt_engine_cache_enable": True,
                        "trt_engine_cache_path": str(cache / "tensorrt"),
                    },
                )
            )
        if "CUDAExecutionProvider" in available:
            providers.append("CUDAExecutionProvider")
        if not providers:
            raise TrackerError(
                "runtime 'onnx' on CUDA needs onnxruntime-gpu (CUDA or TensorRT provider); "
                f"this onnxruntime has {available}. Use --runtime torch on CUDA."
            )
    providers.append("CPUExecutionProvider")
    return providers


class OnnxRuntimeSession:
    runtime = "onnx"

    def __init__(self, path: Path, device_type: str = "cpu", threads: int | None = None) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or default_threads()
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        # Busy-waiting worker threads steal the core from decoding and tracking threads.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        providers = onnx_providers(device_type, ort.get_available_providers(), path.parent)
        try:
            self.session = ort.InferenceSession(
                str(path),
                sess_options=options,
                providers=providers,
            )
        except Exception as error:  # ORT raises its own exception types for bad files
            raise TrackerError(f"ONNX Runtime cannot load {path}: {error}") from error
        self.input_name = self.session.get_inputs()[0].name
        self.providers = self.session.get_providers()

    def run(self, inputs: NDArray[np.generic]) -> NDArray[np.float32]:
        (output,) = self.session.run(None, {self.input_name: inputs})[:1]
        return np.asarray(output, np.float32)


class OpenVinoSession:
    runtime = "openvino"

    def __init__(self, path: Path, threads: int | None = None) -> None:
        import openvino as ov

        core = ov.Core()
        config = {
            "INFERENCE_NUM_THREADS": threads or default_threads(),
            # This CPU has AVX512-BF16, where OpenVINO would default to bf16: keep fp32 so
            # the outputs stay within the export check's tolerance of torch.
            "INFERENCE_PRECISION_HINT": "f32",
            "PERFORMANCE_HINT": "LATENCY",
            "NUM_STREAMS": 1,
        }
        try:
            self.compiled = core.compile_model(core.read_model(str(path)), "CPU", config)
        except Exception as error:  # OpenVINO raises RuntimeError subclasses of its own
            raise TrackerError(f"OpenVINO cannot load {path}: {error}") from error
        self.request = self.compiled.create_infer_request()
        self._lock = threading.Lock()  # one infer request: one call at a time

    def run(self, inputs: NDArray[np.generic]) -> NDArray[np.float32]:
        with self._lock:
            self.request.infer({0: np.ascontiguousarray(inputs)})
            return np.array(self.request.get_output_tensor(0).data, np.float32)  # reused buffer


def open_session(
    path: Path, runtime: str, device_type: str = "cpu", threads: int | None = None
) -> Session:
    if runtime == "onnx":
        return OnnxRuntimeSession(path, device_type, threads)
    if runtime == "openvino":
        return OpenVinoSession(path, threads)
    raise TrackerError(f"no exported session for runtime {runtime!r}")
