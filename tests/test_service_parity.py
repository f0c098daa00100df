"""Streaming through the server changes nothing: a MOT sequence sent with policy ``all`` in
public-detection mode gives the same result file as the same Pipeline run offline."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tracker.client import StreamOptions, TrackerClient
from tracker.client.runner import run_stream
from tracker.detect.base import FrameDetections
from tracker.detect.public import detections_by_frame
from tracker.io.mot import ResultCollector, read_seqinfo
from tracker.io.sources import open_source
from tracker.pipeline import Pipeline
from tracker.service.background import BackgroundServer
from tracker.service.settings import ServerSettings


def test_public_detection_stream_equals_offline_pipeline(shared_data: Path, tmp_path: Path) -> None:
    seq = shared_data / "MOT15/train/PETS09-S2L1"
    detections = detections_by_frame(seq / "det/det_yolov5n.txt")
    length = read_seqinfo(seq).length

    offline_pipeline = Pipeline(None, None)
    stream = offline_pipeline.new_stream()
    collector = ResultCollector()
    for frame in range(1, length + 1):
        dets = detections.get(frame, FrameDetections.empty())
        (result,) = offline_pipeline.process_detections([(stream, None, dets)])
        collector.add(frame, result.tracks.ids, result.tracks.boxes, result.tracks.scores)
    offline = tmp_path / "offline.txt"
    collector.write(offline)

    served = tmp_path / "served.txt"
    settings = ServerSettings(host="127.0.0.1", port=0, metrics_port=0, max_batch=8)
    options = StreamOptions(detector="public", embedder="none", policy="all")
    with (
        BackgroundServer(Pipeline(None, None), settings, ready_timeout=30) as background,
        TrackerClient(background.target) as client,
    ):
        source = open_source(str(seq))
        stats = run_stream(
            client, source, options, out=served, detections=detections, progress=False
        )
    assert stats.answered == stats.sent == length and stats.errors == 0
    assert served.read_bytes() == offline.read_bytes()
    rows = np.loadtxt(offline, delimiter=",")
    assert len(rows) > 3000 and len(np.unique(rows[:, 1])) > 10  # a real tracking result
