"""Offline tracking of a MOTChallenge sequence from precomputed detections (public-detection
mode): the tracker alone, no neural network, so results are exactly reproducible."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from tracker.core import DeepSort, DeepSortConfig
from tracker.errors import InputFormatError
from tracker.io.mot import (
    DetectionSet,
    ResultCollector,
    SeqInfo,
    read_detections,
    read_seqinfo,
    write_results,
)


@dataclass(frozen=True)
class OfflineRun:
    frames: int
    detections: int
    rows: int
    tracks: int
    update_seconds: float
    frame_rate: float

    @property
    def fps(self) -> float:
        return self.frames / self.update_seconds if self.update_seconds else float("inf")


def track_detections(
    dets: DetectionSet,
    length: int,
    config: DeepSortConfig,
    use_features: bool = True,
    progress: bool = False,
    description: str = "tracking",
    frame_rate: float | None = None,
    image_size: tuple[float, float] | None = None,
) -> tuple[dict[str, np.ndarray], float]:
    """Run ``DeepSort`` over every frame 1..length; returns result columns and update() time.

    ``frame_rate`` is the sequence's (seqinfo ``frameRate``); the tracker's times are in
    seconds. ``None`` lets the tracker assume its default. ``image_size`` is the frames'
    ``(width, height)`` (seqinfo ``imWidth`` / ``imHeight``), ``None`` if unknown."""
    tracker = DeepSort(config, frame_rate=frame_rate, image_size=image_size)
    boxes_xyxy = dets.boxes_xyxy
    features = dets.features if use_features else None
    collected = ResultCollector()
    elapsed = 0.0
    frames = tqdm(dets.iter_frames(length), total=length, desc=description, unit="frame",
                  disable=not progress)  # fmt: skip
    for frame, rows in frames:
        start = time.perf_counter()
        tracks = tracker.update(
            boxes_xyxy[rows], dets.scores[rows], None, None if features is None else features[rows]
        )
        elapsed += time.perf_counter() - start
        collected.add(frame, tracks.ids, tracks.boxes, tracks.scores)
    frames_out, ids, boxes, scores = collected.columns()
    columns: dict[str, np.ndarray] = {
        "frames": frames_out, "ids": ids, "boxes_xyxy": boxes, "scores": scores,
    }  # fmt: skip
    return columns, elapsed


def track_sequence(
    seq_dir: str | Path,
    dets_path: str | Path,
    out_path: str | Path,
    config: DeepSortConfig | None = None,
    motion_only: bool = False,
    progress: bool = True,
) -> OfflineRun:
    """Track ``seq_dir`` with the detections in ``dets_path`` and write a MOT result file."""
    info = read_seqinfo(seq_dir)
    dets = read_detections(dets_path)
    check_detections_fit(dets_path, dets.last_frame, info)
    length = info.length
    columns, elapsed = track_detections(
        dets, length, config or DeepSortConfig(), use_features=not motion_only,
        progress=progress, description=info.name, frame_rate=info.frame_rate,
        image_size=(info.width, info.height),
    )  # fmt: skip
    write_results(
        out_path, columns["frames"], columns["ids"], columns["boxes_xyxy"], columns["scores"]
    )
    return OfflineRun(
        frames=length,
        detections=len(dets),
        rows=len(columns["ids"]),
        tracks=len(np.unique(columns["ids"])),
        update_seconds=elapsed,
        frame_rate=info.frame_rate,
    )


def check_detections_fit(dets_path: str | Path, last_frame: int, info: SeqInfo) -> None:
    """A det file naming frames past the sequence's end belongs to another sequence."""
    if last_frame > info.length:
        raise InputFormatError(
            f"{dets_path}: has detections for frame {last_frame}, but {info.name} has "
            f"{info.length} frames (seqinfo.ini); is it the det file of another sequence?"
        )
