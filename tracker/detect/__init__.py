"""Detectors: ultralytics YOLO, YOLOv5 checkpoints, torchvision Faster R-CNN.

``build_detector`` is the one entry point the CLI and the service use; model modules are
imported inside it, so importing ``tracker.detect`` stays free of torch.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path

from tracker.detect.base import Detector, FrameDetections
from tracker.errors import TrackerError

log = logging.getLogger(__name__)

DETECTOR_NAMES = ("auto", "yolov5", "yolo", "frcnn", "frcnn-mobilenet")
DEFAULT_SCORE_THRESHOLD = 0.1
"""Low on purpose: the tracker's own score stages decide what starts a track."""
DEFAULT_IMAGE_SIZE = 512
"""YOLOv5's letterbox size (long side) when the caller gives none: the fastest size that keeps
PETS09-S2L1 above the accuracy floors (HOTA 56.753, IDF1 75.497) with the default tracker and
OSNet: 512 gave 57.713 / 77.249 at 1.32x the FPS of 640 (58.031 / 77.098); 480 and 416 fell
below (benchmarks/results/pets_speed_input_size.md). ``YoloV5Detector`` itself keeps YOLOv5's
640, the size the reference detections were made with."""


def build_detector(
    name: str = "auto",
    weights: str | Path | None = None,
    device: str = "auto",
    score_threshold: float = DEFAULT_SCORE_THRESHOLD,
    classes: Mapping[int, int] | Sequence[int] | None = None,
    image_size: int | None = None,
    runtime: str = "auto",
    threads: int | None = None,
) -> Detector:
    """Build a detector by name.

    ``auto`` uses ultralytics' COCO ``yolov8n.pt`` when its weights resolve locally, and the
    YOLOv5n state_dict otherwise (logging which). ``classes`` maps model classes to ours
    (default: COCO person -> 0). ``runtime`` (``auto``, ``torch``, ``onnx``, ``openvino``)
    applies to YOLOv5; the others run in torch (``auto``) or refuse another runtime.
    ``threads`` (exported runtimes): ``None`` follows torch's thread count.
    """
    common = {"device": device, "score_threshold": score_threshold, "classes": classes}
    if name == "auto":
        name, weights = _auto_choice(weights)
    if name == "yolov5":
        from tracker.detect.yolov5 import YoloV5Detector

        return YoloV5Detector(
            weights,
            image_size=image_size or DEFAULT_IMAGE_SIZE,
            runtime=runtime,
            threads=threads,
            **common,  # type: ignore[arg-type]
        )
    if runtime not in ("auto", "torch"):
        raise TrackerError(
            f"runtime {runtime!r} is available for the yolov5 detector only; "
            f"{name!r} runs in torch (--runtime torch or auto)"
        )
    if name == "yolo":
        from tracker.detect.yolo import UltralyticsDetector

        return UltralyticsDetector(weights, image_size=image_size or 640, **common)  # type: ignore[arg-type]
    if name in ("frcnn", "frcnn-mobilenet"):
        from tracker.detect.frcnn import Backbone, FasterRCNNDetector

        backbone: Backbone = "mobilenet" if name == "frcnn-mobilenet" else "resnet50"
        return FasterRCNNDetector(
            backbone,
            weights,
            image_size=image_size or 800,
            **common,  # type: ignore[arg-type]
        )
    raise TrackerError(f"unknown detector {name!r}; valid names: {', '.join(DETECTOR_NAMES)}")


def _auto_choice(weights: str | Path | None) -> tuple[str, str | Path | None]:
    from tracker.weights import resolve

    if weights is not None:
        kind = "yolov5" if "state_dict" in Path(weights).name else "yolo"
        log.info("detector auto: %s with %s", kind, weights)
        return kind, weights
    try:
        path = resolve("yolov8n.pt", download=False)
    except TrackerError:
        log.info("detector auto: yolov8n.pt not found, using YOLOv5n (yolov5n.state_dict.pt)")
        return "yolov5", None
    log.info("detector auto: ultralytics yolov8n (%s)", path)
    return "yolo", path


__all__ = ["DETECTOR_NAMES", "Detector", "FrameDetections", "build_detector"]
