"""An embedder run by ONNX Runtime or OpenVINO from an export of its torch weights.

One format for every export: the graph takes the resized ``uint8`` BGR crops and normalises
them itself, with a dynamic batch axis since the number of crops changes every frame. Two
ways to get one, one class to run it:

- ``ExportedEmbedder.from_weights``: the export ``--runtime onnx|openvino`` makes, checks
  against torch and caches on first use (``tracker.runtime``). When a checked export is
  cached, the torch network is never built.
- ``ExportedEmbedder.from_file``: a file written by ``tracker export`` (``export_embedder``),
  used as ``--embedder onnx:<path>``; its metadata says which embedder it is and its crop
  size, so it runs without knowing where it came from.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from tracker.errors import TrackerError
from tracker.reid.preprocess import CropPreprocess, l2_normalize_rows
from tracker.runtime.export import ExportSpec, PixelInput, Tolerance, exported_session
from tracker.runtime.sessions import Session, open_session

EXPORT_TOLERANCE = Tolerance(atol=1e-3, rtol=1e-3)
"""On the raw (un-normalised) features, which are ReLU outputs of order 1."""
NAME_KEY = "tracker.embedder"
SIZE_KEY = "tracker.crop_size"


def export_spec(name: str, weights: str | Path | None, tolerance: Tolerance) -> ExportSpec:
    """What exporting embedder ``name`` means: its network behind ``PixelInput``, at its crop
    size, checked to ``tolerance``."""
    from tracker.reid import SPECS, load_embedder_net
    from tracker.weights import resolve

    spec = SPECS[name]
    path = resolve(weights or spec.weights)
    preprocess = CropPreprocess(spec.height, spec.width)
    mean, std = preprocess.mean, preprocess.std
    return ExportSpec(
        model=name,
        weights=path,
        build=lambda: PixelInput(load_embedder_net(name, path)[0], mean, std),
        input_shape=(spec.height, spec.width, 3),
        tolerance=tolerance,
    )


def export_metadata(name: str, spec: ExportSpec) -> dict[str, str]:
    height, width, _ = spec.input_shape
    return {NAME_KEY: name, SIZE_KEY: f"{height}x{width}"}


@dataclass
class ExportedEmbedder:
    session: Session
    preprocess: CropPreprocess
    name: str
    match_distance: float
    runtime: str
    max_batch: int = 64

    def __post_init__(self) -> None:
        size = (1, self.preprocess.height, self.preprocess.width, 3)
        self.dim = int(self.session.run(np.zeros(size, np.uint8)).shape[1])

    @classmethod
    def from_weights(
        cls,
        name: str,
        weights: str | Path | None,
        runtime: str,
        device_type: str = "cpu",
        threads: int | None = None,
    ) -> ExportedEmbedder:
        from tracker.reid import SPECS

        spec = export_spec(name, weights, EXPORT_TOLERANCE)
        session = exported_session(spec, runtime, device_type, threads)
        height, width, _ = spec.input_shape
        embedder = cls(
            session, CropPreprocess(height, width), name, SPECS[name].match_distance, runtime
        )
        embedder.embed([np.zeros((32, 16, 3), np.uint8)])  # warm-up
        return embedder

    @classmethod
    def from_file(
        cls, path: str | Path, device_type: str = "cpu", runtime: str = "onnx"
    ) -> ExportedEmbedder:
        """A ``tracker export`` file; the calibrated gate of the embedder it was made from."""
        from tracker.core.deepsort import DEFAULT_APPEARANCE_GATE
        from tracker.reid import SPECS

        file = Path(path)
        if not file.is_file():
            raise TrackerError(f"ONNX file not found: {file}")
        metadata = _read_metadata(file)
        if SIZE_KEY not in metadata:
            raise TrackerError(
                f"{file} has no '{SIZE_KEY}' metadata; export it with `tracker export`"
            )
        height, _, width = metadata[SIZE_KEY].partition("x")
        session = open_session(file, runtime, device_type)
        source = metadata.get(NAME_KEY, "")
        gate = SPECS[source].match_distance if source in SPECS else DEFAULT_APPEARANCE_GATE
        preprocess = CropPreprocess(int(height), int(width))
        return cls(session, preprocess, f"onnx:{source or file.stem}", gate, runtime)

    def embed(self, crops: Sequence[NDArray[np.generic]]) -> NDArray[np.float32]:
        if len(crops) == 0:
            return np.zeros((0, self.dim), np.float32)
        batch = self.preprocess.resize_bgr(crops)
        outputs = [
            self.session.run(batch[start : start + self.max_batch])
            for start in range(0, len(batch), self.max_batch)
        ]
        return l2_normalize_rows(np.concatenate(outputs))


def _read_metadata(file: Path) -> dict[str, str]:
    try:
        import onnx

        model = onnx.load(str(file), load_external_data=False)
    except Exception as error:  # onnx raises its own types (DecodeError, ...) for bad files
        raise TrackerError(f"cannot load ONNX model {file}: {error}") from error
    return {entry.key: entry.value for entry in model.metadata_props}
