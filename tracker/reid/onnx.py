"""ONNX Runtime execution of an embedder exported by ``tracker export``.

The exported file carries its preprocessing (input size, mean/std) in its metadata, so it runs
without knowing which network it came from.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from tracker.errors import TrackerError
from tracker.reid.preprocess import CropPreprocess, l2_normalize_rows

PREPROCESS_KEY = "tracker.preprocess"
NAME_KEY = "tracker.embedder"


class OnnxEmbedder:
    def __init__(self, path: str | Path, device: str = "auto", warmup: bool = True) -> None:
        try:
            import onnxruntime as ort
        except ImportError as error:
            raise TrackerError(
                "ONNX embedders need onnxruntime: pip install 'tracker[onnx]'"
            ) from error
        file = Path(path)
        if not file.is_file():
            raise TrackerError(f"ONNX file not found: {file}")
        providers = ["CPUExecutionProvider"]
        if device != "cpu" and "CUDAExecutionProvider" in ort.get_available_providers():
            providers.insert(0, "CUDAExecutionProvider")
        try:
            self.session = ort.InferenceSession(str(file), providers=providers)
        except Exception as error:  # ORT raises its own exception types for bad files
            raise TrackerError(f"cannot load ONNX model {file}: {error}") from error
        meta = self.session.get_modelmeta().custom_metadata_map
        if PREPROCESS_KEY not in meta:
            raise TrackerError(
                f"{file} has no '{PREPROCESS_KEY}' metadata; export it with `tracker export`"
            )
        spec = json.loads(meta[PREPROCESS_KEY])
        self.preprocess = CropPreprocess(
            int(spec["height"]), int(spec["width"]), tuple(spec["mean"]), tuple(spec["std"])
        )
        self.input_name = self.session.get_inputs()[0].name
        self.dim = int(self.session.get_outputs()[0].shape[1])
        self.name = f"onnx:{meta.get(NAME_KEY, file.stem)}"
        self.match_distance = _match_distance(meta.get(NAME_KEY))
        if warmup:
            self.embed([np.zeros((32, 16, 3), np.uint8)])

    def embed(self, crops: Sequence[NDArray[np.generic]]) -> NDArray[np.float32]:
        if len(crops) == 0:
            return np.zeros((0, self.dim), np.float32)
        batch = self.preprocess.to_array(crops)
        (features,) = self.session.run(None, {self.input_name: batch})
        return l2_normalize_rows(np.asarray(features))


def _match_distance(exported_name: str | None) -> float:
    """The source embedder's calibrated gate, when the file says which embedder it is."""
    from tracker.core.deepsort import DEFAULT_APPEARANCE_GATE
    from tracker.reid import SPECS

    spec = SPECS.get(exported_name or "")
    return spec.match_distance if spec is not None else DEFAULT_APPEARANCE_GATE
