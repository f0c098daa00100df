"""Any ultralytics model (``.pt`` of YOLOv8/11/..., or an exported ``.onnx``) via ``YOLO()``.

Ultralytics does its own letterboxing, batching of mixed frame sizes and NMS; we only convert
frames, pass the class filter down (so NMS never spends time on classes we drop) and map its
class ids to ours.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, cast

import numpy as np
from numpy.typing import NDArray

from tracker.detect.base import FrameDetections
from tracker.detect.frames import class_lookup, map_and_filter, parse_class_map, to_bgr_batch
from tracker.device import resolve_device
from tracker.errors import TrackerError
from tracker.weights import ULTRALYTICS_NAMES, resolve

DEFAULT_WEIGHTS = "yolov8n.pt"


def resolve_ultralytics(weights: str | Path) -> str:
    """Our search order first; official ultralytics names fall through to ultralytics' download."""
    try:
        return str(resolve(weights, download=False))
    except TrackerError:
        if Path(weights).name in ULTRALYTICS_NAMES and Path(weights).parent == Path("."):
            return Path(weights).name  # ultralytics downloads its own official names
        raise


class UltralyticsDetector:
    def __init__(
        self,
        weights: str | Path | None = None,
        device: str = "auto",
        score_threshold: float = 0.25,
        classes: Mapping[int, int] | Sequence[int] | None = None,
        image_size: int = 640,
        iou_threshold: float = 0.7,
        warmup: bool = True,
    ) -> None:
        from ultralytics import YOLO

        source = resolve_ultralytics(weights or DEFAULT_WEIGHTS)
        self.choice = resolve_device(device)
        try:
            self.model = YOLO(source, task="detect")
            names = self.model.names
        except Exception as error:  # ultralytics raises many types for bad/missing files
            raise TrackerError(f"ultralytics cannot load {source}: {error}") from error
        self.class_names = [names[i] for i in sorted(names)]
        self.name = f"yolo:{Path(source).name}"
        self.score_threshold = float(score_threshold)
        self.iou_threshold = float(iou_threshold)
        self.image_size = int(image_size)
        self.class_map = parse_class_map(classes)
        self.lookup = class_lookup(self.class_map, len(self.class_names))
        self._device_arg = "cpu" if self.choice.device.type == "cpu" else self.choice.device.index
        if warmup:
            self.detect([np.zeros((64, 64, 3), np.uint8)])

    def detect(self, frames: Sequence[NDArray[np.generic]]) -> list[FrameDetections]:
        """Frames are predicted in groups of equal size: ultralytics pads a mixed-size batch
        to a square, which would make a frame's boxes depend on its batch neighbours."""
        images = to_bgr_batch(frames)
        groups: dict[tuple[int, ...], list[int]] = defaultdict(list)
        for i, image in enumerate(images):
            groups[image.shape].append(i)
        output: list[FrameDetections | None] = [None] * len(images)
        for members in groups.values():
            for i, result in zip(members, self._predict([images[i] for i in members]), strict=True):
                output[i] = result
        return [dets for dets in output if dets is not None]

    def _predict(self, images: list[NDArray[np.uint8]]) -> list[FrameDetections]:
        options = {"half": True} if self.choice.half else {}
        results = self.model.predict(
            images,
            conf=self.score_threshold,
            iou=self.iou_threshold,
            imgsz=self.image_size,
            classes=sorted(self.class_map),
            device=self._device_arg,
            verbose=False,
            **options,
        )
        return [
            map_and_filter(
                result.boxes.xyxy.cpu().numpy(),
                result.boxes.conf.cpu().numpy(),
                result.boxes.cls.cpu().numpy().astype(np.int64),
                self.lookup,
                self.score_threshold,
            )
            for result in cast(list[Any], results)
        ]
