"""Inference runtimes for the detector and the embedder: torch, ONNX Runtime, OpenVINO.

Small CNNs with many thin depthwise layers (YOLOv5n, OSNet x0.25) run several times faster in
a graph runtime made for CPU than in torch eager mode, while on CUDA torch with fp16 is the
fast path. ``resolve_runtime`` picks one per device; ``exported_session`` turns a torch
network into a session of the chosen runtime, exported once per weights file and cached on
disk (``tracker.runtime.cache``), with a numerical check against torch on first export.
"""

from __future__ import annotations

import importlib.util
import logging
from collections.abc import Mapping

from tracker.errors import TrackerError

log = logging.getLogger(__name__)

RUNTIME_NAMES = ("auto", "torch", "onnx", "openvino")
CPU_PREFERENCE: Mapping[str, tuple[str, ...]] = {
    "detector": ("onnx", "openvino", "torch"),
    "embedder": ("openvino", "onnx", "torch"),
}
"""What ``auto`` picks on CPU per model kind, fastest first, as measured on this project's
2-core CPU at one and two threads (benchmarks/results/runtimes.md): YOLOv5n runs fastest in
ONNX Runtime (1.6x torch; OpenVINO 1.3x), OSNet x0.25 in OpenVINO (3.4x torch; ORT 1.6x)."""
CUDA_PREFERENCE = ("torch",)
"""On CUDA ``auto`` keeps torch with fp16 (``--runtime onnx`` uses ORT's TensorRT or CUDA
provider where installed)."""

_MODULES = {"torch": "torch", "onnx": "onnxruntime", "openvino": "openvino"}
_INSTALL = {
    "onnx": "pip install 'tracker[onnx]' (onnxruntime; onnxruntime-gpu for CUDA/TensorRT)",
    "openvino": "pip install 'tracker[openvino]'",
    "torch": "pip install torch",
}


def runtime_available(name: str) -> bool:
    """Whether the runtime's package (and, for exports, ``onnx``) can be imported."""
    module = _MODULES.get(name)
    if module is None:
        return False
    found = importlib.util.find_spec(module) is not None
    if name != "torch":
        found = found and importlib.util.find_spec("onnx") is not None
    return found


def resolve_runtime(name: str, device_type: str, model: str = "embedder") -> str:
    """``auto`` -> the fastest runtime installed for ``device_type`` ("cpu" or "cuda") and
    ``model`` ("detector" or "embedder"); an explicit name is checked: installed, and usable
    on that device."""
    text = name.strip().lower()
    if text not in RUNTIME_NAMES:
        raise TrackerError(f"unknown runtime {name!r}: use {', '.join(RUNTIME_NAMES)}")
    if text == "auto":
        preference = CUDA_PREFERENCE if device_type == "cuda" else CPU_PREFERENCE[model]
        for candidate in preference:
            if runtime_available(candidate):
                log.info("runtime auto for the %s on %s: %s", model, device_type, candidate)
                return candidate
        return "torch"
    if not runtime_available(text):
        raise TrackerError(f"runtime {text!r} is not installed: {_INSTALL[text]}")
    if text == "openvino" and device_type != "cpu":
        raise TrackerError(
            "runtime 'openvino' runs on the CPU here; use --device cpu, or --runtime torch/onnx "
            f"for {device_type}"
        )
    return text


__all__ = ["CPU_PREFERENCE", "RUNTIME_NAMES", "resolve_runtime", "runtime_available"]
