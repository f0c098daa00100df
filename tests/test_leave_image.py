"""A track whose person has walked out of view is deleted (``min_inside_image``): kept, it
would coast beside the border and take the identity of the next person to leave there."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tracker.core import DeepSort, DeepSortConfig
from tracker.core.affinity import inside_share

WIDTH, HEIGHT = 640.0, 480.0


def _walk_out_to_the_left(tracker: DeepSort) -> int:
    """A 60 x 150 px person walks left 8 px a frame; the detector clips the box at the
    border and misses it once less than 20 px are visible. Returns the person's track id."""
    left, track_id = 200.0, -1
    while left + 60.0 > 20.0:
        box = np.array([[max(left, 0.0), 200.0, left + 60.0, 350.0]])
        tracks = tracker.update(box, np.array([0.9]))
        if len(tracks):
            track_id = int(tracks.ids[0])
        left -= 8.0
    for _ in range(3):  # out of view: nothing detected
        tracker.update(np.zeros((0, 4)), np.zeros(0))
    return track_id


def test_a_track_that_left_the_image_is_deleted() -> None:
    config = DeepSortConfig(min_inside_image=0.8)
    gone = DeepSort(config, frame_rate=30.0, image_size=(WIDTH, HEIGHT))
    person = _walk_out_to_the_left(gone)
    assert person > 0
    assert person not in gone.tracks.ids[: gone.tracks.n]


@pytest.mark.parametrize(
    ("config", "image_size"),
    [
        (DeepSortConfig(min_inside_image=0.8), None),  # the size is unknown
        (DeepSortConfig(min_inside_image=0.0), (WIDTH, HEIGHT)),  # the rule is off
    ],
)
def test_without_the_image_size_or_the_rule_the_track_coasts_on(
    config: DeepSortConfig, image_size: tuple[float, float] | None
) -> None:
    tracker = DeepSort(config, frame_rate=30.0, image_size=image_size)
    person = _walk_out_to_the_left(tracker)
    assert person in tracker.tracks.ids[: tracker.tracks.n]


def test_a_track_missed_inside_the_image_is_kept() -> None:
    tracker = DeepSort(DeepSortConfig(min_inside_image=0.8), image_size=(WIDTH, HEIGHT))
    box = np.array([[300.0, 200.0, 360.0, 350.0]])
    for _ in range(5):
        tracker.update(box, np.array([0.9]))
    tracker.update(np.zeros((0, 4)), np.zeros(0))
    assert tracker.tracks.n == 1


@given(x1=st.integers(-15, 30), y1=st.integers(-15, 20), w=st.integers(0, 30), h=st.integers(0, 30))
def test_inside_share_counts_the_pixels_inside_the_image(examples, x1, y1, w, h) -> None:
    """Against a pixel count on a 20 x 10 image, for integer boxes of any size and place."""
    x2, y2 = x1 + w, y1 + h
    share = inside_share(np.array([[x1, y1, x2, y2]], dtype=float), 20.0, 10.0)[0]
    assert 0.0 <= share <= 1.0
    if x2 > x1 and y2 > y1:
        cells = np.zeros((y2 - y1, x2 - x1), bool)
        xs, ys = np.arange(x1, x2), np.arange(y1, y2)
        cells[np.ix_((ys >= 0) & (ys < 10), (xs >= 0) & (xs < 20))] = True
        assert share == pytest.approx(cells.mean())
        examples.record("inside share", "all" if share == 1 else "none" if share == 0 else "part")
    else:  # no area: inside if its corner is
        assert share == float(0 <= x1 <= 20 and 0 <= y1 <= 10)
        examples.record("inside share", "degenerate box")


@pytest.mark.parametrize("size", [(0, 480), (640, -1), (float("nan"), 480), (1e6, 480), (640,)])
def test_bad_image_sizes_are_rejected(size: tuple[float, ...]) -> None:
    with pytest.raises(ValueError, match="image_size"):
        DeepSort(image_size=size)  # type: ignore[arg-type]
    tracker = DeepSort()
    with pytest.raises(ValueError, match="image_size"):
        tracker.image_size = size  # type: ignore[assignment]
    assert tracker.image_size is None


def test_the_rule_and_the_image_size_travel_over_the_wire() -> None:
    from tracker._proto import tracker_pb2 as pb
    from tracker.service.wire import ConfigError, spec_from_config, tracker_config

    default = DeepSortConfig()
    params = pb.TrackerParams(min_inside_image=0.5)
    assert tracker_config(params, default).min_inside_image == 0.5
    for bad in (-0.1, 1.5):
        with pytest.raises(ValueError, match="min_inside_image"):
            DeepSortConfig(min_inside_image=bad)

    def spec(**fields: int):  # type: ignore[no-untyped-def]
        config = pb.StreamConfig(detector="public", embedder="none", **fields)
        return spec_from_config(config, None, None, default)

    assert spec().image_size is None
    from tracker.client import StreamOptions

    sent = StreamOptions(detector="public", embedder="none", image_size=(1920, 1080)).to_proto()
    assert spec_from_config(sent, None, None, default).image_size == (1920, 1080)
    assert spec(image_width=1920, image_height=1080).image_size == (1920, 1080)
    for bad in ({"image_width": 640}, {"image_height": 480}, {"image_width": -1, "image_height": 5},
                {"image_width": 100_000, "image_height": 480}):  # fmt: skip
        with pytest.raises(ConfigError, match="image_width and image_height"):
            spec(**bad)


def test_the_pipeline_takes_the_image_size_from_the_frames() -> None:
    from tracker.detect.base import FrameDetections
    from tracker.pipeline import Pipeline

    pipeline = Pipeline(None, None, DeepSortConfig())
    stream = pipeline.new_stream(image_size=(100, 100))
    assert stream.tracker.image_size == (100.0, 100.0)
    frame = np.zeros((480, 640, 3), np.uint8)
    dets = FrameDetections(
        np.array([[10, 10, 50, 90]], np.float32), np.array([0.9], np.float32), np.zeros(1, np.int64)
    )
    pipeline.process_detections([(stream, frame, dets)])
    assert stream.tracker.image_size == (640.0, 480.0)


def test_offline_tracking_gives_the_tracker_the_sequence_size(
    shared_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tracker import offline

    sizes = []
    original = offline.DeepSort

    def recording(*args, **kwargs):  # type: ignore[no-untyped-def]
        tracker = original(*args, **kwargs)
        sizes.append(tracker.image_size)
        return tracker

    monkeypatch.setattr(offline, "DeepSort", recording)
    seq = shared_data / "MOT15" / "train" / "TUD-Campus"
    offline.track_sequence(seq, seq / "det" / "det_frcnn.txt", tmp_path / "out.txt",
                           motion_only=True, progress=False)  # fmt: skip
    assert sizes == [(640.0, 480.0)]
