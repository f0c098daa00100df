"""Export a torch network to ONNX once, check it against torch, and open it in a runtime.

The exported graph takes what the caller already has, ``uint8`` NHWC BGR pixels, and does the
colour swap, layout change and normalisation itself (``PixelInput``): the runtime fuses them
into its first layer, and Python makes no float copy of the batch. An export whose runtime
output differs from torch's by more than the tolerance is deleted and reported, because a
silently different model would only show up much later as worse tracking.
"""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from numpy.typing import NDArray
from torch import nn

from tracker.errors import TrackerError
from tracker.runtime.cache import CACHE_DIR_ENV, export_path, file_digest
from tracker.runtime.sessions import Session, open_session

log = logging.getLogger(__name__)

OPSET = 17


class PixelInput(nn.Module):
    """``(B, H, W, 3)`` uint8 BGR -> ``net((rgb / 255 - mean) / std)`` in NCHW float32."""

    def __init__(
        self,
        net: nn.Module,
        mean: Sequence[float] = (0.0, 0.0, 0.0),
        std: Sequence[float] = (1.0, 1.0, 1.0),
    ) -> None:
        super().__init__()
        self.net = net
        scale = torch.tensor(std, dtype=torch.float32) * 255.0
        self.register_buffer("scale", scale.view(1, 3, 1, 1))
        self.register_buffer(
            "shift", (torch.tensor(mean, dtype=torch.float32) * 255.0).view(1, 3, 1, 1)
        )

    def forward(self, pixels: torch.Tensor) -> torch.Tensor:
        rgb = pixels[..., [2, 1, 0]].permute(0, 3, 1, 2).float()
        return self.net((rgb - self.shift) / self.scale)  # type: ignore[operator]


@dataclass(frozen=True)
class Tolerance:
    """Accept where ``|runtime - torch| <= atol + rtol * |torch|`` everywhere."""

    atol: float
    rtol: float = 0.0

    def worst(self, actual: NDArray[np.floating], expected: NDArray[np.floating]) -> float:
        """The largest error as a fraction of what is allowed (<= 1 passes)."""
        if actual.shape != expected.shape or not np.isfinite(actual).all():
            return float("inf")
        if expected.size == 0:
            return 0.0
        allowed = self.atol + self.rtol * np.abs(expected)
        error = np.abs(actual.astype(np.float64) - expected)
        return float(np.max(error / np.maximum(allowed, np.finfo(np.float64).tiny)))


@dataclass(frozen=True)
class ExportSpec:
    """What to export: a network taking uint8 pixels (``PixelInput``), and how to check it."""

    model: str
    """Short name in the cache file name, e.g. ``yolov5`` or ``osnet``."""
    weights: Path
    build: Callable[[], nn.Module]
    """Makes the torch network (only called when no checked export is cached)."""
    input_shape: tuple[int, int, int]
    """``(H, W, 3)``: fixed; the batch axis is dynamic."""
    tolerance: Tolerance
    check_batches: tuple[int, ...] = (1, 3)


def exported_session(
    spec: ExportSpec,
    runtime: str,
    device_type: str = "cpu",
    threads: int | None = None,
    seed: int = 0,
) -> Session:
    """The runtime session for ``spec``: from the cache, else exported, checked and cached."""
    height, width, _ = spec.input_shape
    path = export_path(file_digest(spec.weights), spec.model, runtime, f"{height}x{width}")
    if path.is_file():
        try:
            return open_session(path, runtime, device_type, threads)
        except TrackerError as error:
            log.warning("cached export %s is unusable (%s); exporting again", path, error)
            path.unlink(missing_ok=True)
    log.info("exporting %s for %s at %dx%d -> %s", spec.model, runtime, height, width, path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise TrackerError(
            f"cannot write the model export cache {path.parent} ({error}); set "
            f"${CACHE_DIR_ENV} to a writable folder, or use --runtime torch"
        ) from error
    session, worst = export_checked(spec, path, runtime, threads=threads, seed=seed)
    log.info("%s export of %s checked: %.2fx tolerance", runtime, spec.model, worst)
    if device_type != "cpu":
        session = open_session(path, runtime, device_type, threads)
    return session


def export_checked(
    spec: ExportSpec,
    path: Path,
    runtime: str = "onnx",
    metadata: Mapping[str, str] | None = None,
    threads: int | None = None,
    seed: int = 0,
) -> tuple[Session, float]:
    """Export ``spec`` to ``path`` (with ``metadata`` in the file), run it in ``runtime`` on
    the CPU against torch, and keep it only if it matches: the one export routine behind the
    cache and ``tracker export``. Returns the CPU session and the worst error in tolerance
    units. The file appears at ``path`` only once checked (written beside it, then renamed).
    """
    try:
        handle, tmp_name = tempfile.mkstemp(prefix=path.stem, suffix=".tmp.onnx", dir=path.parent)
    except OSError as error:
        raise TrackerError(f"cannot write {path.parent}: {error}") from error
    os.close(handle)
    tmp = Path(tmp_name)
    try:
        net = spec.build().eval()
        _export(net, tmp, spec.input_shape, metadata or {})
        # The check runs the graph on the CPU in fp32: it proves the export is the torch
        # network. On CUDA, TensorRT's fp16 is then a precision choice, like torch's half.
        session = open_session(tmp, runtime, "cpu", threads)
        worst = _check(net, session, spec, seed)
        if not worst <= 1.0:
            raise TrackerError(
                f"{runtime} export of {spec.model} does not match torch: the largest difference "
                f"is {worst:.2f}x the tolerance (atol {spec.tolerance.atol:g}, rtol "
                f"{spec.tolerance.rtol:g}); nothing was written"
            )
        os.replace(tmp, path)
        return session, worst
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def _export(
    net: nn.Module, path: Path, shape: tuple[int, int, int], metadata: Mapping[str, str]
) -> None:
    example = torch.zeros((2, *shape), dtype=torch.uint8)
    with torch.inference_mode(False), torch.no_grad():
        torch.onnx.export(
            net,
            (example,),
            str(path),
            input_names=["pixels"],
            output_names=["output"],
            dynamic_axes={"pixels": {0: "batch"}, "output": {0: "batch"}},
            opset_version=OPSET,
            dynamo=False,
        )
    if metadata:
        import onnx

        model = onnx.load(str(path))
        for key, value in metadata.items():
            entry = model.metadata_props.add()
            entry.key, entry.value = key, value
        onnx.save(model, str(path))


def _check(net: nn.Module, session: Session, spec: ExportSpec, seed: int) -> float:
    """Worst error (in tolerance units) of the runtime against torch on random pixels."""
    rng = np.random.default_rng(seed)
    worst = 0.0
    for batch in spec.check_batches:
        pixels = rng.integers(0, 256, (batch, *spec.input_shape), np.uint8)
        with torch.no_grad():
            expected = net(torch.from_numpy(pixels)).float().numpy()
        worst = max(worst, spec.tolerance.worst(session.run(pixels), expected))
    return worst
