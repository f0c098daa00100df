"""Choosing the torch device (and precision) once, with errors a user can act on."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from tracker.errors import TrackerError

if TYPE_CHECKING:
    import torch


@dataclass(frozen=True)
class DeviceChoice:
    device: torch.device
    half: bool
    """fp16 inference: on CUDA only, where it is faster and accurate enough for detection."""


def resolve_device(spec: str = "auto") -> DeviceChoice:
    """``auto`` = first CUDA device with fp16 when available, else CPU (fp32).

    ``cuda`` / ``cuda:N`` without CUDA (or with too few GPUs) raise ``TrackerError``.
    """
    import torch

    text = spec.strip().lower()
    if text == "auto":
        if torch.cuda.is_available():
            return DeviceChoice(torch.device("cuda:0"), half=True)
        return DeviceChoice(torch.device("cpu"), half=False)
    if text == "cpu":
        return DeviceChoice(torch.device("cpu"), half=False)
    if text == "cuda" or text.startswith("cuda:"):
        if not torch.cuda.is_available():
            raise TrackerError(
                f"device {spec!r} asked for, but CUDA is not available here "
                "(no GPU, or a CPU-only torch build); use --device cpu or auto"
            )
        index_text = text.partition(":")[2] or "0"
        if not index_text.isdigit():
            raise TrackerError(f"bad device {spec!r}: expected cuda:N with N a number")
        count = torch.cuda.device_count()
        if int(index_text) >= count:
            raise TrackerError(f"device {spec!r} asked for, but only {count} CUDA device(s)")
        return DeviceChoice(torch.device(f"cuda:{index_text}"), half=True)
    raise TrackerError(f"unknown device {spec!r}: use auto, cpu, cuda or cuda:N")


def set_torch_threads(threads: int | None) -> None:
    """Limit torch's intra-op CPU threads (``None`` keeps torch's default).

    On a machine shared with other busy processes, fewer threads are often faster: idle-spinning
    worker threads compete for the same cores.
    """
    if threads is None:
        return
    if threads < 1:
        raise TrackerError(f"threads must be >= 1, got {threads}")
    import torch

    torch.set_num_threads(threads)
