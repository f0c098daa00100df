"""The batched pipeline: cross-stream batching and which crops get embedded."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray

from tracker.core import DeepSort, DeepSortConfig
from tracker.detect import FrameDetections
from tracker.io.mot import read_detections
from tracker.pipeline import Pipeline
from tracker.reid import crop_boxes


class GridColourEmbedder:
    """Mean colour of a 4 x 2 grid over the crop: cheap, deterministic, person-dependent."""

    name = "grid-colour"
    dim = 24
    match_distance = 0.05

    def __init__(self) -> None:
        self.crops_seen = 0

    def embed(self, crops: Sequence[NDArray[np.uint8]]) -> NDArray[np.float32]:
        self.crops_seen += len(crops)
        rows = [cv2.resize(c, (2, 4), interpolation=cv2.INTER_AREA).ravel() for c in crops]
        out = np.asarray(rows, np.float32).reshape(len(crops), self.dim)
        return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-6)


def _pets(shared_data: Path, frames: int) -> list[tuple[NDArray[np.uint8], FrameDetections]]:
    seq = shared_data / "MOT15/train/PETS09-S2L1"
    dets = read_detections(seq / "det/det_yolov5n.txt")
    out = []
    for frame, rows in dets.iter_frames(frames):
        image = cv2.imread(str(seq / "img1" / f"{frame:06d}.jpg"))
        xywh = dets.boxes_xywh[rows]
        boxes = np.concatenate([xywh[:, :2], xywh[:, :2] + xywh[:, 2:]], axis=1)
        out.append(
            (
                image,
                FrameDetections(
                    boxes.astype(np.float32), dets.scores[rows], np.zeros(len(xywh), np.int64)
                ),
            )
        )
    return out


def test_only_usable_detections_are_embedded_and_tracks_are_unchanged(shared_data: Path) -> None:
    frames = _pets(shared_data, 40)
    # min_score 0.5, high_score 0.6; every confident detection embedded (no motion skip)
    config = DeepSortConfig(appearance_skip_iou=None)
    embedder = GridColourEmbedder()
    pipeline = Pipeline(None, embedder, config)
    stream = pipeline.new_stream()
    got = [pipeline.process_detections([(stream, image, dets)])[0].tracks for image, dets in frames]

    reference_embedder = GridColourEmbedder()
    reference = DeepSort(pipeline.resolve_config(config))
    for (image, dets), tracks in zip(frames, got, strict=True):
        features = reference_embedder.embed(crop_boxes(image, dets.boxes))  # every detection
        expected = reference.update(dets.boxes, dets.scores, dets.classes, features)
        np.testing.assert_array_equal(tracks.ids, expected.ids)
        np.testing.assert_allclose(tracks.boxes, expected.boxes)
    usable = sum(int((d.scores >= 0.6).sum()) for _, d in frames)
    assert embedder.crops_seen == usable < reference_embedder.crops_seen


def test_unambiguous_detections_are_not_embedded(shared_data: Path) -> None:
    """With the default ``appearance_skip_iou`` the pipeline embeds what the tracker asks for
    (``detections_needing_appearance``), passes zero rows for the rest, and tracks exactly as
    a tracker given the same rows; it embeds far fewer crops than the confident ones."""
    frames = _pets(shared_data, 60)
    embedder = GridColourEmbedder()
    pipeline = Pipeline(None, embedder, DeepSortConfig())
    stream = pipeline.new_stream()
    got = [pipeline.process_detections([(stream, image, dets)])[0].tracks for image, dets in frames]

    reference = DeepSort(pipeline.resolve_config(DeepSortConfig()))
    reference_embedder = GridColourEmbedder()
    for (image, dets), tracks in zip(frames, got, strict=True):
        need = reference.detections_needing_appearance(dets.boxes, dets.scores, dets.classes)
        features = reference_embedder.embed(crop_boxes(image, dets.boxes))
        features[~need] = 0.0
        expected = reference.update(dets.boxes, dets.scores, dets.classes, features)
        np.testing.assert_array_equal(tracks.ids, expected.ids)
        np.testing.assert_allclose(tracks.boxes, expected.boxes)
    confident = sum(int((d.scores >= 0.6).sum()) for _, d in frames)
    print(f"embedded {embedder.crops_seen} of {confident} confident detections")
    assert embedder.crops_seen < 0.8 * confident


def test_one_batch_serves_several_streams_with_their_own_ids(shared_data: Path) -> None:
    frames = _pets(shared_data, 10)
    pipeline = Pipeline(None, GridColourEmbedder())
    first, second = pipeline.new_stream(), pipeline.new_stream()
    for image, dets in frames:
        a, b = pipeline.process_detections([(first, image, dets), (second, image, dets)])
        np.testing.assert_array_equal(a.tracks.ids, b.tracks.ids)  # same input, same ids
    assert first.frames == second.frames == 10
    assert first.tracker is not second.tracker
