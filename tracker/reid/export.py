"""Exporting a torch embedder to ONNX, checked against torch before it is accepted.

The file gets a dynamic batch axis and its preprocessing in the metadata (see
``tracker.reid.onnx``). An export whose ONNX Runtime output differs from torch by more than
``tolerance`` is deleted and reported: a silently different embedder would only show up much
later as worse tracking.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from tracker.errors import TrackerError
from tracker.reid import load_embedder_net
from tracker.reid.onnx import NAME_KEY, PREPROCESS_KEY
from tracker.reid.preprocess import CropPreprocess

OPSET = 17


@dataclass(frozen=True)
class ExportCheck:
    path: Path
    max_abs_diff: float
    batch_sizes: tuple[int, ...]


def export_embedder(
    name: str,
    out: Path,
    weights: str | Path | None = None,
    tolerance: float = 1e-4,
    seed: int = 0,
) -> ExportCheck:
    """Export embedder ``name`` to ``out`` and compare ORT with torch on random crops."""
    import onnx
    import onnxruntime as ort

    net, spec = load_embedder_net(name, weights)
    preprocess = CropPreprocess(spec.height, spec.width)
    example = torch.zeros(2, 3, spec.height, spec.width)
    out.parent.mkdir(parents=True, exist_ok=True)
    torch.onnx.export(
        net,
        (example,),
        str(out),
        input_names=["crops"],
        output_names=["features"],
        dynamic_axes={"crops": {0: "batch"}, "features": {0: "batch"}},
        opset_version=OPSET,
        dynamo=False,
    )
    model = onnx.load(str(out))
    for key, value in ((PREPROCESS_KEY, json.dumps(preprocess.as_dict())), (NAME_KEY, name)):
        entry = model.metadata_props.add()
        entry.key, entry.value = key, value
    onnx.save(model, str(out))

    session = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(seed)
    worst = 0.0
    batch_sizes = (1, 5)
    for batch in batch_sizes:
        crops = [
            rng.integers(
                0, 256, (int(rng.integers(20, 300)), int(rng.integers(10, 150)), 3), np.uint8
            )
            for _ in range(batch)
        ]
        inputs = preprocess.to_array(crops)
        with torch.inference_mode():
            expected = net(torch.from_numpy(inputs)).numpy()
        (actual,) = session.run(None, {"crops": inputs})
        worst = max(worst, float(np.abs(actual - expected).max()))
    if not worst <= tolerance:
        out.unlink(missing_ok=True)
        raise TrackerError(
            f"ONNX export of {name} does not match torch: max |difference| {worst:.2e} > "
            f"{tolerance:.0e}; {out} was removed"
        )
    return ExportCheck(out, worst, batch_sizes)
