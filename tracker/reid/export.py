"""``tracker export``: a re-ID embedder as a standalone ONNX file, checked against torch.

The file is the same kind of export the runtimes cache (``tracker.reid.exported``): uint8 BGR
crops in, normalisation in the graph, dynamic batch, plus metadata naming the embedder and
its crop size, so ``--embedder onnx:<file>`` runs it anywhere ONNX Runtime or OpenVINO does.
An export whose output differs from torch's by more than the tolerance is not written: a
silently different embedder would only show up much later as worse tracking.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tracker.reid.exported import export_metadata, export_spec
from tracker.runtime.export import Tolerance, export_checked


@dataclass(frozen=True)
class ExportCheck:
    path: Path
    worst: float
    """The largest difference from torch as a fraction of the tolerance (<= 1)."""
    batch_sizes: tuple[int, ...]


def export_embedder(
    name: str,
    out: Path,
    weights: str | Path | None = None,
    tolerance: float = 1e-4,
    seed: int = 0,
) -> ExportCheck:
    """Export embedder ``name`` to ``out`` if ONNX Runtime matches torch to ``tolerance``
    (absolute, on the raw features) on random crops."""
    spec = export_spec(name, weights, Tolerance(atol=tolerance))
    out.parent.mkdir(parents=True, exist_ok=True)
    _, worst = export_checked(spec, out, "onnx", export_metadata(name, spec), seed=seed)
    return ExportCheck(out, worst, spec.check_batches)
