"""Overlapped stages (``track_source(overlap=True)``, tracker.staged) against the sequential
path: the same result and detection files byte for byte, failures surface in the caller,
stopping early works."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pytest
from helpers_ml import PETS, one_torch_thread  # noqa: F401

from tracker.detect import build_detector
from tracker.detect.base import FrameDetections
from tracker.io.sources import MotSequenceSource, SourceFrame
from tracker.pipeline import Pipeline
from tracker.reid import build_embedder
from tracker.source_tracking import track_source


@pytest.fixture(scope="module")
def pipeline() -> Pipeline:
    detector = build_detector("yolov5", device="cpu", score_threshold=0.1, runtime="auto")
    return Pipeline(detector, build_embedder("osnet", device="cpu", runtime="auto"))


@pytest.mark.parametrize("batch", [1, 2])
def test_results_are_byte_identical_to_the_sequential_path(
    pipeline: Pipeline, tmp_path: Path, batch: int
) -> None:
    source = MotSequenceSource(PETS)
    frames = 10
    seq = track_source(source, pipeline, batch=batch, results_path=tmp_path / "seq.txt",
                       detections_path=tmp_path / "seq_dets.txt", max_frames=frames,
                       progress=False)  # fmt: skip
    staged = track_source(source, pipeline, batch=batch, results_path=tmp_path / "staged.txt",
                          detections_path=tmp_path / "staged_dets.txt", max_frames=frames,
                          progress=False, overlap=True)  # fmt: skip
    assert (tmp_path / "seq.txt").read_bytes() == (tmp_path / "staged.txt").read_bytes()
    assert (tmp_path / "seq_dets.txt").read_bytes() == (tmp_path / "staged_dets.txt").read_bytes()
    assert staged.frames == seq.frames == frames and staged.rows == seq.rows > 0
    assert staged.track_ids == seq.track_ids and staged.detections == seq.detections


class FailingDetector:
    name = "failing"

    def __init__(self, fail_at: int) -> None:
        self.calls, self.fail_at = 0, fail_at

    def detect(self, frames: Sequence[np.ndarray]) -> list[FrameDetections]:
        self.calls += 1
        if self.calls == self.fail_at:
            raise RuntimeError("detector broke")
        return [FrameDetections.empty() for _ in frames]


class EndlessSource:
    name, fps, length, is_live = "endless", 10.0, None, True

    def __iter__(self) -> Iterator[SourceFrame]:
        index = 0
        while True:
            index += 1
            yield SourceFrame(index, image=np.zeros((48, 64, 3), np.uint8))


def test_a_stage_failure_is_raised_in_the_caller() -> None:
    detector = FailingDetector(fail_at=5)
    with pytest.raises(RuntimeError, match="detector broke"):
        track_source(EndlessSource(), Pipeline(detector, None), progress=False, overlap=True)
    assert detector.calls == 5


def test_max_frames_stops_an_endless_source() -> None:
    run = track_source(EndlessSource(), Pipeline(FailingDetector(0), None), max_frames=7,
                       progress=False, overlap=True)  # fmt: skip
    assert run.frames == 7 and run.rows == 0


def test_a_pipeline_without_detector_is_refused() -> None:
    with pytest.raises(ValueError, match="no detector"):
        track_source(EndlessSource(), Pipeline(None, None), max_frames=1, overlap=True)


def test_track_cli_overlap_writes_the_same_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tracker.cli import main

    common = ["track", "--source", str(PETS), "--detector", "yolov5", "--max-frames", "6",
              "--quiet", "--threads", "1"]  # fmt: skip
    assert main([*common, "--out", str(tmp_path / "a.txt")]) == 0
    assert main([*common, "--overlap", "--out", str(tmp_path / "b.txt")]) == 0
    assert (tmp_path / "a.txt").read_bytes() == (tmp_path / "b.txt").read_bytes()
    video = tmp_path / "v.mp4"
    assert main([*common, "--overlap", "--save-video", str(video)]) == 0
    assert video.stat().st_size > 0
