"""torchvision Faster R-CNN (ResNet-50 FPN v2, or MobileNetV3-Large FPN).

COCO weights come from a local file or torchvision's official URL (``tracker.weights``);
``weights="random"`` builds an untrained network, useful only to exercise the code path and
measure speed where the COCO files cannot be downloaded.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Literal

import numpy as np
import torch
from numpy.typing import NDArray

from tracker.detect.base import FrameDetections
from tracker.detect.frames import class_lookup, map_and_filter, to_bgr_batch
from tracker.device import resolve_device
from tracker.errors import TrackerError
from tracker.weights import load_state_dict, resolve

Backbone = Literal["resnet50", "mobilenet"]
COCO_WEIGHTS: Mapping[str, str] = {
    "resnet50": "fasterrcnn_resnet50_fpn_v2_coco-dd69338a.pth",
    "mobilenet": "fasterrcnn_mobilenet_v3_large_fpn-fb6a3cc7.pth",
}
TORCHVISION_COCO_CLASSES = 91  # torchvision's COCO labels keep the gaps; 0 = background
TORCHVISION_PERSON = 1
RANDOM = "random"


def build_frcnn(backbone: Backbone, image_size: int, score_threshold: float) -> torch.nn.Module:
    from torchvision.models import detection

    builders = {
        "resnet50": detection.fasterrcnn_resnet50_fpn_v2,
        "mobilenet": detection.fasterrcnn_mobilenet_v3_large_fpn,
    }
    return builders[backbone](
        weights=None,
        weights_backbone=None,
        num_classes=TORCHVISION_COCO_CLASSES,
        min_size=image_size,
        max_size=round(image_size * 1333 / 800),
        box_score_thresh=score_threshold,
    )


class FasterRCNNDetector:
    def __init__(
        self,
        backbone: Backbone = "resnet50",
        weights: str | Path | None = None,
        device: str = "auto",
        score_threshold: float = 0.5,
        classes: Mapping[int, int] | Sequence[int] | None = None,
        image_size: int = 800,
        warmup: bool = True,
    ) -> None:
        if backbone not in COCO_WEIGHTS:
            raise TrackerError(
                f"unknown Faster R-CNN backbone {backbone!r}: {sorted(COCO_WEIGHTS)}"
            )
        self.choice = resolve_device(device)
        self.net = build_frcnn(backbone, int(image_size), float(score_threshold))
        if weights != RANDOM:
            path = resolve(weights or COCO_WEIGHTS[backbone])
            try:
                self.net.load_state_dict(load_state_dict(path), strict=True)
            except RuntimeError as error:
                raise TrackerError(
                    f"{path} is not a torchvision Faster R-CNN ({backbone}): {error}"
                ) from error
            self.name = f"frcnn-{backbone}:{path.name}"
        else:
            self.name = f"frcnn-{backbone}:random"
        self.net.eval().to(self.choice.device)
        self.score_threshold = float(score_threshold)
        if classes is None:
            self.class_map = {TORCHVISION_PERSON: 0}
        elif isinstance(classes, Mapping):
            self.class_map = {int(k): int(v) for k, v in classes.items()}
        else:
            self.class_map = {int(c): int(c) for c in classes}
        self.lookup = class_lookup(self.class_map, TORCHVISION_COCO_CLASSES)
        if warmup:
            self.detect([np.zeros((64, 64, 3), np.uint8)])

    @torch.inference_mode()
    def detect(self, frames: Sequence[NDArray[np.generic]]) -> list[FrameDetections]:
        """torchvision resizes and batches frames of any size itself; boxes come back in
        original pixels."""
        if not frames:
            return []
        device = self.choice.device
        tensors = [
            torch.from_numpy(image[:, :, ::-1].copy()).to(device).permute(2, 0, 1).float() / 255.0
            for image in to_bgr_batch(frames)
        ]
        with torch.autocast(device.type, enabled=self.choice.half):
            outputs = self.net(tensors)
        return [
            map_and_filter(
                out["boxes"].float().cpu().numpy(),
                out["scores"].float().cpu().numpy(),
                out["labels"].cpu().numpy(),
                self.lookup,
                self.score_threshold,
            )
            for out in outputs
        ]
