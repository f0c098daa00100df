"""Detectors on real frames: YOLOv5n against the shared reference detections, the
ultralytics path, Faster R-CNN on random weights, frame formats and the factory."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from helpers_ml import PETS, WEIGHTS, one_torch_thread  # noqa: F401

from tracker.detect import DETECTOR_NAMES, build_detector
from tracker.detect.base import FrameDetections
from tracker.detect.frcnn import FasterRCNNDetector
from tracker.detect.yolo import UltralyticsDetector
from tracker.detect.yolov5 import YoloV5Detector
from tracker.errors import TrackerError


def pets_frame(index: int) -> np.ndarray:
    return cv2.imread(str(PETS / "img1" / f"{index:06d}.jpg"))


def reference(path: Path, frame: int) -> tuple[np.ndarray, np.ndarray]:
    """Boxes (xyxy) and scores of one frame of a MOT det file, highest score first."""
    rows = np.loadtxt(path, delimiter=",")
    rows = rows[rows[:, 0] == frame]
    rows = rows[np.argsort(-rows[:, 6], kind="stable")]
    boxes = np.c_[rows[:, 2:4], rows[:, 2:4] + rows[:, 4:6]]
    return boxes, rows[:, 6]


def assert_in_image(dets: FrameDetections, shape: tuple[int, ...]) -> None:
    h, w = shape[:2]
    assert dets.boxes.dtype == np.float32 and dets.boxes.shape == (len(dets), 4)
    assert (dets.boxes[:, [0, 2]] >= 0).all() and (dets.boxes[:, [0, 2]] <= w).all()
    assert (dets.boxes[:, [1, 3]] >= 0).all() and (dets.boxes[:, [1, 3]] <= h).all()
    assert (dets.boxes[:, 2:] >= dets.boxes[:, :2]).all()


@pytest.fixture(scope="module")
def yolov5() -> YoloV5Detector:
    return YoloV5Detector(device="cpu", score_threshold=0.1)


@pytest.mark.parametrize("frame", [1, 400, 795])
def test_yolov5_reproduces_reference_detections(yolov5: YoloV5Detector, frame: int) -> None:
    """det_yolov5n.txt was made with the same recipe (letterbox 640, obj*cls > 0.1, NMS 0.45)."""
    (dets,) = yolov5.detect([pets_frame(frame)])
    ref_boxes, ref_scores = reference(PETS / "det" / "det_yolov5n.txt", frame)
    assert len(dets) == len(ref_boxes)
    np.testing.assert_allclose(dets.boxes, ref_boxes, atol=0.02)  # file has 2 decimals
    np.testing.assert_allclose(dets.scores, ref_scores, atol=1e-3)
    assert (dets.classes == 0).all()


def test_yolov5_batch_equals_single_frames(yolov5: YoloV5Detector) -> None:
    frames = [pets_frame(1), pets_frame(400)]
    batched = yolov5.detect(frames)
    for frame, together in zip(frames, batched, strict=True):
        (alone,) = yolov5.detect([frame])
        np.testing.assert_allclose(together.boxes, alone.boxes, atol=1e-3)
        np.testing.assert_allclose(together.scores, alone.scores, atol=1e-5)


def test_yolov5_frames_of_different_sizes_in_one_batch(yolov5: YoloV5Detector) -> None:
    big = pets_frame(400)
    small = cv2.resize(big, (384, 288))
    tall = np.ascontiguousarray(big[:, :300])
    results = yolov5.detect([big, small, tall])
    assert len(results) == 3
    for frame, dets in zip((big, small, tall), results, strict=True):
        assert_in_image(dets, frame.shape)
    # The half-size frame shows the same three people, at half the coordinates.
    assert len(results[1]) >= 3
    best_small = results[1].boxes[:3] * 2
    ious = _best_iou(best_small, results[0].boxes)
    assert (ious > 0.7).all()


def _best_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    x1 = np.maximum(a[:, None, 0], b[None, :, 0])
    y1 = np.maximum(a[:, None, 1], b[None, :, 1])
    x2 = np.minimum(a[:, None, 2], b[None, :, 2])
    y2 = np.minimum(a[:, None, 3], b[None, :, 3])
    inter = np.clip(x2 - x1, 0, None) * np.clip(y2 - y1, 0, None)
    area = lambda r: (r[:, 2] - r[:, 0]) * (r[:, 3] - r[:, 1])  # noqa: E731
    return (inter / (area(a)[:, None] + area(b)[None, :] - inter)).max(axis=1)


def test_yolov5_grayscale_and_bgra_frames(yolov5: YoloV5Detector) -> None:
    bgr = pets_frame(400)
    (from_bgr,) = yolov5.detect([bgr])
    (from_bgra,) = yolov5.detect([cv2.cvtColor(bgr, cv2.COLOR_BGR2BGRA)])
    np.testing.assert_array_equal(from_bgra.boxes, from_bgr.boxes)
    gray = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
    (from_gray,) = yolov5.detect([gray])
    assert_in_image(from_gray, gray.shape)
    assert len(from_gray) >= 2  # people are still visible without colour


def test_bad_frames_are_rejected(yolov5: YoloV5Detector) -> None:
    with pytest.raises(TrackerError, match="uint8"):
        yolov5.detect([np.zeros((32, 32, 3), np.float32)])
    with pytest.raises(TrackerError, match="H x W"):
        yolov5.detect([np.zeros((32, 32, 2), np.uint8)])
    with pytest.raises(TrackerError, match="empty"):
        yolov5.detect([np.zeros((0, 32, 3), np.uint8)])
    assert yolov5.detect([]) == []


def test_yolov5_class_map() -> None:
    """Frame 400 has parked cars (COCO 2): mapped to our class 5, next to persons as 0."""
    detector = YoloV5Detector(device="cpu", score_threshold=0.1, classes={0: 0, 2: 5})
    (dets,) = detector.detect([pets_frame(400)])
    assert set(dets.classes.tolist()) == {0, 5}
    with pytest.raises(TrackerError, match="80 classes"):
        YoloV5Detector(device="cpu", classes={99: 0}, warmup=False)


def test_yolov5_rejects_checkpoint_without_metadata(tmp_path: Path) -> None:
    path = tmp_path / "plain.pt"
    torch.save({"state_dict": {}}, path)
    with pytest.raises(TrackerError, match="not a YOLOv5 state_dict checkpoint"):
        YoloV5Detector(path, device="cpu", warmup=False)


def test_yolov5_truncated_checkpoint(tmp_path: Path) -> None:
    path = tmp_path / "yolov5n.state_dict.pt"
    data = (WEIGHTS / "yolov5n.state_dict.pt").read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(TrackerError, match="corrupt"):
        YoloV5Detector(path, device="cpu", warmup=False)


def test_ultralytics_detector_matches_reference() -> None:
    """det_yolov8s.txt: ultralytics predict, imgsz 640, conf 0.1, class 0 of the fall model."""
    detector = UltralyticsDetector(
        WEIGHTS / "yolov8s-person-fall.pt", device="cpu", score_threshold=0.1, warmup=False
    )
    frame = pets_frame(400)
    gray_small = cv2.cvtColor(cv2.resize(frame, (192, 144)), cv2.COLOR_BGR2GRAY)
    dets, small = detector.detect([frame, gray_small])
    ref_boxes, ref_scores = reference(PETS / "det" / "det_yolov8s.txt", 400)
    assert len(dets) == len(ref_boxes)
    np.testing.assert_allclose(dets.boxes, ref_boxes, atol=0.5)
    np.testing.assert_allclose(dets.scores, ref_scores, atol=0.01)
    assert (dets.classes == 0).all()
    assert_in_image(small, gray_small.shape)


def test_ultralytics_missing_weights_is_clear() -> None:
    with pytest.raises(TrackerError, match="not found"):
        UltralyticsDetector("no_such_detector.pt", device="cpu")


@pytest.fixture(scope="module")
def frcnn_mobilenet() -> FasterRCNNDetector:
    torch.manual_seed(0)
    return FasterRCNNDetector(
        "mobilenet", weights="random", device="cpu", score_threshold=0.0, image_size=160,
        classes={1: 0, 3: 2},
    )  # fmt: skip


def test_frcnn_random_weights_shapes_batching_and_class_map(
    frcnn_mobilenet: FasterRCNNDetector,
) -> None:
    frames = [pets_frame(1)[:200, :300], np.zeros((90, 160), np.uint8)]
    results = frcnn_mobilenet.detect(frames)
    assert len(results) == 2
    for frame, dets in zip(frames, results, strict=True):
        assert_in_image(dets, frame.shape)
        assert set(dets.classes.tolist()) <= {0, 2}
        assert dets.scores.dtype == np.float32 and dets.classes.dtype == np.int64
        assert (np.diff(dets.scores) <= 0).all()
    assert next(frcnn_mobilenet.net.parameters()).device.type == "cpu"


def test_frcnn_state_dict_round_trip(frcnn_mobilenet: FasterRCNNDetector, tmp_path: Path) -> None:
    path = tmp_path / "frcnn.pth"
    torch.save(frcnn_mobilenet.net.state_dict(), path)
    reloaded = FasterRCNNDetector(
        "mobilenet", weights=path, device="cpu", score_threshold=0.0, image_size=160,
        classes={1: 0, 3: 2},
    )  # fmt: skip
    frame = pets_frame(1)[:200, :300]
    (a,) = frcnn_mobilenet.detect([frame])
    (b,) = reloaded.detect([frame])
    np.testing.assert_allclose(a.boxes, b.boxes, atol=1e-4)
    np.testing.assert_allclose(a.scores, b.scores, atol=1e-6)


def test_frcnn_wrong_state_dict_is_clear(tmp_path: Path) -> None:
    with pytest.raises(TrackerError, match="not a torchvision Faster R-CNN"):
        FasterRCNNDetector("mobilenet", weights=WEIGHTS / "ckpt.t7", device="cpu", warmup=False)


def test_frcnn_resnet50_random_weights() -> None:
    torch.manual_seed(0)
    detector = FasterRCNNDetector(
        "resnet50", weights="random", device="cpu", score_threshold=0.0, image_size=128,
        warmup=False,
    )  # fmt: skip
    (dets,) = detector.detect([pets_frame(1)[:128, :160]])
    assert_in_image(dets, (128, 160))
    assert set(dets.classes.tolist()) <= {0}


def test_build_detector_names() -> None:
    with pytest.raises(TrackerError) as caught:
        build_detector("yolov99")
    for name in DETECTOR_NAMES:
        assert name in str(caught.value)
    auto = build_detector("auto", device="cpu")
    # yolov8n.pt is not available offline here, so auto falls back to YOLOv5n.
    assert auto.name.startswith("yolov5:") or auto.name.startswith("yolo:")
    assert build_detector("yolov5", device="cpu", image_size=320).image_size == 320  # type: ignore[attr-defined]


def _letterbox_reference(image: np.ndarray, size: int, square: bool) -> tuple[np.ndarray, tuple]:
    """YOLOv5's own recipe (resize, then copyMakeBorder), as the code did before it learnt to
    resize straight into the batch."""
    h, w = image.shape[:2]
    gain = min(size / h, size / w)
    new_w, new_h = round(w * gain), round(h * gain)
    dw, dh = size - new_w, size - new_h
    if not square:
        dw, dh = dw % 32, dh % 32
    resized = image if (new_w, new_h) == (w, h) else cv2.resize(image, (new_w, new_h))
    top, bottom = round(dh / 2 - 0.1), round(dh / 2 + 0.1)
    left, right = round(dw / 2 - 0.1), round(dw / 2 + 0.1)
    padded = cv2.copyMakeBorder(resized, top, bottom, left, right, cv2.BORDER_CONSTANT,
                                value=(114, 114, 114))  # fmt: skip
    return padded, (gain, dw / 2, dh / 2)


def test_letterbox_into_the_batch_equals_yolov5s_recipe() -> None:
    from tracker.detect.letterbox import letterbox_batch, stack_padded

    rng = np.random.default_rng(0)
    examples = 150
    for _ in range(examples):
        images = [
            rng.integers(
                0, 256, (int(rng.integers(1, 900)), int(rng.integers(1, 900)), 3), np.uint8
            )
            for _ in range(int(rng.integers(1, 4)))
        ]
        size, square = int(rng.choice([320, 416, 480, 512, 640])), bool(rng.integers(0, 2))
        expected = [_letterbox_reference(image, size, square) for image in images]
        batch, boxes = letterbox_batch(images, size, square=square)
        np.testing.assert_array_equal(batch, stack_padded([padded for padded, _ in expected]))
        for box, (_, (gain, pad_x, pad_y)) in zip(boxes, expected, strict=True):
            assert (box.gain, box.pad_x, box.pad_y) == (gain, pad_x, pad_y)
    print(f"{examples} random batches letterboxed identically")


@pytest.mark.parametrize("size", [640, 416])
def test_boxes_map_back_to_full_frame_pixels(size: int) -> None:
    """A box drawn in the frame comes back at the same place from the letterboxed input, for
    any input size (what lets the detector run smaller than the frame)."""
    from tracker.detect.letterbox import letterbox_batch

    frame = np.zeros((576, 768, 3), np.uint8)
    frame[100:300, 200:260] = 255
    batch, (box,) = letterbox_batch([frame], size, square=False)
    ys, xs = np.nonzero(batch[0, :, :, 0] == 255)
    in_net = np.array([[xs.min(), ys.min(), xs.max() + 1, ys.max() + 1]], np.float32)
    np.testing.assert_allclose(box.to_original(in_net), [[200, 100, 260, 300]], atol=1.5 / box.gain)
