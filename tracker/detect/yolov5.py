"""The original anchor-based YOLOv5 (COCO) from a plain ``state_dict`` checkpoint.

The official ``yolov5n.pt`` is a pickled model that needs ``weights_only=False``. Its re-saved
form (``yolov5n.state_dict.pt``: tensors + the model's own yaml) loads safely; we rebuild the
layers with ultralytics' ``parse_model`` (YOLOv5's Conv/C3/SPPF share parameter names with
ultralytics'), add YOLOv5's three 1x1 head convolutions and decode the anchors ourselves.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import torch
from numpy.typing import NDArray
from torch import nn

from tracker.detect.base import FrameDetections
from tracker.detect.frames import class_lookup, map_and_filter, parse_class_map, to_bgr_batch
from tracker.detect.letterbox import letterbox_batch
from tracker.device import resolve_device
from tracker.errors import TrackerError
from tracker.runtime import resolve_runtime
from tracker.runtime.export import ExportSpec, PixelInput, Tolerance, exported_session
from tracker.weights import load_state_dict, resolve

if TYPE_CHECKING:
    from tracker.runtime.sessions import Session

log = logging.getLogger(__name__)

DEFAULT_WEIGHTS = "yolov5n.state_dict.pt"
YOLOV5_BN_EPS = 1e-3  # YOLOv5's BatchNorm eps; ultralytics' default 1e-5 gives wrong outputs
REQUIRED_KEYS = ("state_dict", "stride", "anchors", "names", "yaml")
EXPORT_TOLERANCE = Tolerance(atol=2e-3, rtol=1e-4)
"""Raw outputs are letterbox pixels (hundreds) and scores in [0, 1]: the relative part covers
the boxes, the absolute part the scores."""


class YoloV5Head(nn.Module):
    """YOLOv5's Detect layer: one 1x1 conv per level, anchor decode to letterbox pixels."""

    anchors: torch.Tensor
    stride: torch.Tensor

    def __init__(
        self, in_channels: Sequence[int], anchors: torch.Tensor, stride: torch.Tensor, nc: int
    ) -> None:
        super().__init__()
        self.nc = nc
        self.no = nc + 5
        self.na = anchors.shape[1]
        self.register_buffer("anchors", anchors.float().clone())  # (levels, na, 2) grid units
        self.register_buffer("stride", stride.float().clone(), persistent=False)
        self.m = nn.ModuleList(nn.Conv2d(c, self.no * self.na, 1) for c in in_channels)

    def forward(self, features: Sequence[torch.Tensor]) -> torch.Tensor:
        """Returns ``(B, N, 5 + nc)``: cx, cy, w, h (pixels), objectness, class scores."""
        outputs = []
        for level, (conv, x) in enumerate(zip(self.m, features, strict=True)):
            batch, _, ny, nx = x.shape
            y = conv(x).view(batch, self.na, self.no, ny, nx).permute(0, 1, 3, 4, 2).sigmoid()
            gy, gx = torch.meshgrid(
                torch.arange(ny, device=x.device, dtype=y.dtype),
                torch.arange(nx, device=x.device, dtype=y.dtype),
                indexing="ij",
            )
            grid = torch.stack((gx, gy), -1).view(1, 1, ny, nx, 2)
            stride = self.stride[level].to(y.dtype)
            anchor_px = (self.anchors[level] * self.stride[level]).to(y.dtype)
            xy = (y[..., 0:2] * 2 - 0.5 + grid) * stride
            wh = (y[..., 2:4] * 2) ** 2 * anchor_px.view(1, self.na, 1, 1, 2)
            outputs.append(torch.cat((xy, wh, y[..., 4:]), -1).view(batch, -1, self.no))
        return torch.cat(outputs, 1)


class YoloV5Net(nn.Module):
    """Layers 0..23 from the checkpoint's yaml plus ``YoloV5Head`` as layer 24."""

    def __init__(self, checkpoint: Mapping[str, Any]) -> None:
        super().__init__()
        from ultralytics.nn.tasks import parse_model

        yaml = copy.deepcopy(dict(checkpoint["yaml"]))
        head_spec = yaml["head"][-1]
        if head_spec[2] != "Detect":
            raise TrackerError(f"expected a YOLOv5 Detect head last in the yaml, got {head_spec}")
        yaml["head"] = yaml["head"][:-1]
        body, save = parse_model(yaml, ch=int(yaml.get("ch", 3)), verbose=False)
        for module in body.modules():
            if isinstance(module, nn.BatchNorm2d):
                module.eps = float(checkpoint.get("bn_eps", YOLOV5_BN_EPS))
        self.head_inputs: list[int] = list(head_spec[0])
        self.save = set(save) | set(self.head_inputs)
        channels = _output_channels(body, int(yaml.get("ch", 3)))
        head = YoloV5Head(
            [channels[i] for i in self.head_inputs],
            checkpoint["anchors"],
            checkpoint["stride"],
            int(yaml["nc"]),
        )
        self.model = nn.ModuleList([*body, head])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        saved: dict[int, torch.Tensor] = {}
        for index, layer in enumerate(self.model[:-1]):
            x = layer(_layer_inputs(layer, x, saved))
            if index in self.save:
                saved[index] = x
        return self.model[-1]([saved[i] for i in self.head_inputs])


def _layer_inputs(layer: nn.Module, x: torch.Tensor, saved: Mapping[int, torch.Tensor]) -> Any:
    """What a parse_model layer reads: ``f`` is -1 (previous output), an index, or a list."""
    source = cast("int | list[int]", layer.f)
    if source == -1:
        return x
    if isinstance(source, int):
        return saved[source]
    return [x if j == -1 else saved[j] for j in source]


def _output_channels(body: nn.Sequential, in_channels: int) -> list[int]:
    """Output channels of every layer, found with a tiny dry run (robust to any layer type)."""
    channels: list[int] = []
    saved: dict[int, torch.Tensor] = {}
    x = torch.zeros(1, in_channels, 64, 64)
    with torch.no_grad():
        for index, layer in enumerate(body):
            x = layer(_layer_inputs(layer, x, saved))
            saved[index] = x
            channels.append(x.shape[1])
    return channels


def read_checkpoint(path: Path) -> dict[str, Any]:
    """A ``yolov5*.state_dict.pt`` checkpoint, checked for the keys the network needs."""
    checkpoint = load_state_dict(path)
    missing = [key for key in REQUIRED_KEYS if key not in checkpoint]
    if missing:
        raise TrackerError(
            f"{path} is not a YOLOv5 state_dict checkpoint: missing {missing} "
            "(expected a dict with state_dict, stride, anchors, names, yaml)"
        )
    return checkpoint


def class_names(checkpoint: Mapping[str, Any]) -> list[str]:
    names = checkpoint["names"]
    return [names[i] for i in sorted(names)] if isinstance(names, Mapping) else list(names)


def load_yolov5(path: Path) -> tuple[YoloV5Net, list[str]]:
    """Build the network from a ``yolov5*.state_dict.pt`` checkpoint (strict load)."""
    checkpoint = read_checkpoint(path)
    net = YoloV5Net(checkpoint)
    state = {key: value.float() for key, value in checkpoint["state_dict"].items()}
    try:
        net.load_state_dict(state, strict=True)
    except RuntimeError as error:
        raise TrackerError(
            f"{path} does not fit the YOLOv5 layout of its own yaml: {error}"
        ) from error
    return net.eval(), class_names(checkpoint)


class YoloV5Detector:
    """YOLOv5 on letterboxed frames, batched NMS per class, boxes in original pixels.

    ``runtime`` ``torch`` runs the network eagerly (fp16 on CUDA); ``onnx`` / ``openvino`` run
    an export of the same weights, one per letterbox shape (fixed height and width, dynamic
    batch), made and checked against torch on first use and cached (``tracker.runtime``).
    The shapes are few (the long side is ``image_size``, the short one a multiple of 32), so
    their sessions are kept.
    """

    def __init__(
        self,
        weights: str | Path | None = None,
        device: str = "auto",
        score_threshold: float = 0.25,
        classes: Mapping[int, int] | Sequence[int] | None = None,
        image_size: int = 640,
        iou_threshold: float = 0.45,
        max_detections: int = 300,
        square: bool = False,
        warmup: bool = True,
        runtime: str = "torch",
        threads: int | None = None,
    ) -> None:
        if image_size % 32:
            raise TrackerError(f"image size must be a multiple of 32, got {image_size}")
        self.path = resolve(weights or DEFAULT_WEIGHTS)
        self.choice = resolve_device(device)
        self.runtime = resolve_runtime(runtime, self.choice.device.type, "detector")
        self.threads = threads
        self.net: YoloV5Net | None = None
        if self.runtime == "torch":
            self.net, self.class_names = load_yolov5(self.path)
            self.net.to(self.choice.device)
            if self.choice.half:
                self.net.half()
        else:
            self.class_names = class_names(read_checkpoint(self.path))
        self._sessions: dict[tuple[int, int], Session] = {}
        self.name = f"yolov5:{self.path.name}"
        self.score_threshold = float(score_threshold)
        self.iou_threshold = float(iou_threshold)
        self.max_detections = int(max_detections)
        self.image_size = int(image_size)
        self.square = square
        self.class_map = parse_class_map(classes)
        self.lookup = class_lookup(self.class_map, len(self.class_names))
        if warmup and self.net is not None:
            # Exported runtimes compile one session per letterbox shape on its first frame
            # (from the disk cache after the first run): a dummy frame would only build a
            # square session no camera uses.
            self.detect([np.zeros((64, 64, 3), np.uint8)])

    @torch.inference_mode()
    def detect(self, frames: Sequence[NDArray[np.generic]]) -> list[FrameDetections]:
        if not frames:
            return []
        images = to_bgr_batch(frames)
        batch, boxes = letterbox_batch(images, self.image_size, square=self.square)
        raw = self._forward(batch)
        return [
            self._postprocess(prediction, box.to_original)
            for prediction, box in zip(raw, boxes, strict=True)
        ]

    def _forward(self, batch: NDArray[np.uint8]) -> torch.Tensor:
        """``(B, H, W, 3)`` uint8 BGR letterboxed batch -> ``(B, N, 5 + nc)`` float32."""
        if self.net is None:
            session = self._session(batch.shape[1], batch.shape[2])
            return torch.from_numpy(session.run(batch))
        tensor = torch.from_numpy(batch).to(self.choice.device)
        tensor = tensor.flip(-1).permute(0, 3, 1, 2)  # BGR HWC -> RGB CHW
        tensor = tensor.half() if self.choice.half else tensor.float()
        return self.net(tensor / 255.0).float()

    def _session(self, height: int, width: int) -> Session:
        session = self._sessions.get((height, width))
        if session is None:
            path = self.path
            spec = ExportSpec(
                model="yolov5",
                weights=path,
                build=lambda: PixelInput(load_yolov5(path)[0]),
                input_shape=(height, width, 3),
                tolerance=EXPORT_TOLERANCE,
            )
            session = exported_session(spec, self.runtime, self.choice.device.type, self.threads)
            self._sessions[(height, width)] = session
        return session

    def _postprocess(
        self,
        prediction: torch.Tensor,
        to_original: Callable[[NDArray[np.floating]], NDArray[np.float32]],
    ) -> FrameDetections:
        """YOLOv5's NMS: objectness gate, best class, score = obj * cls, per-class NMS."""
        from torchvision.ops import batched_nms

        candidates = prediction[prediction[:, 4] > self.score_threshold]
        class_scores = candidates[:, 5:] * candidates[:, 4:5]
        scores, model_classes = class_scores.max(1)
        mapped = torch.from_numpy(self.lookup).to(prediction.device)[model_classes] >= 0
        keep = (scores > self.score_threshold) & mapped
        candidates, scores, model_classes = candidates[keep], scores[keep], model_classes[keep]
        cx, cy, w, h = candidates[:, :4].unbind(1)
        boxes = torch.stack((cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2), 1)
        kept = batched_nms(boxes, scores, model_classes, self.iou_threshold)[: self.max_detections]
        return map_and_filter(
            to_original(boxes[kept].cpu().numpy()),
            scores[kept].cpu().numpy(),
            model_classes[kept].cpu().numpy(),
            self.lookup,
            self.score_threshold,
        )
