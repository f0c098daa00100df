"""A named embedder run by ONNX Runtime or OpenVINO from an export of its torch weights.

The export (made, checked against torch and cached on first use by ``tracker.runtime``) takes
the resized uint8 BGR crops and normalises them in the graph, with a dynamic batch axis since
the number of crops changes every frame. When a checked export is cached, the torch network
is never built.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from tracker.reid.preprocess import CropPreprocess, l2_normalize_rows
from tracker.runtime.export import ExportSpec, PixelInput, Tolerance, exported_session
from tracker.runtime.sessions import Session

EXPORT_TOLERANCE = Tolerance(atol=1e-3, rtol=1e-3)
"""On the raw (un-normalised) features, which are ReLU outputs of order 1."""


class ExportedEmbedder:
    def __init__(
        self,
        name: str,
        weights: str | Path | None,
        runtime: str,
        device_type: str = "cpu",
        threads: int | None = None,
        max_batch: int = 64,
        warmup: bool = True,
    ) -> None:
        from tracker.reid import SPECS, load_embedder_net
        from tracker.weights import resolve

        spec = SPECS[name]
        path = resolve(weights or spec.weights)
        self.preprocess = CropPreprocess(spec.height, spec.width)
        mean, std = self.preprocess.mean, self.preprocess.std
        export = ExportSpec(
            model=name,
            weights=path,
            build=lambda: PixelInput(load_embedder_net(name, path)[0], mean, std),
            input_shape=(spec.height, spec.width, 3),
            tolerance=EXPORT_TOLERANCE,
        )
        self.session: Session = exported_session(export, runtime, device_type, threads)
        self.runtime = runtime
        self.name = name
        self.match_distance = spec.match_distance
        self.max_batch = max_batch
        self.dim = int(
            self.session.run(np.zeros((1, spec.height, spec.width, 3), np.uint8)).shape[1]
        )
        if warmup:
            self.embed([np.zeros((32, 16, 3), np.uint8)])

    def embed(self, crops: Sequence[NDArray[np.generic]]) -> NDArray[np.float32]:
        if len(crops) == 0:
            return np.zeros((0, self.dim), np.float32)
        batch = self.preprocess.resize_bgr(crops)
        outputs = [
            self.session.run(batch[start : start + self.max_batch])
            for start in range(0, len(batch), self.max_batch)
        ]
        return l2_normalize_rows(np.concatenate(outputs))
