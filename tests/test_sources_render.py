"""Frame sources (video, image folder, MOT sequence), rendering and the MP4 writer."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from helpers_ml import DATA, PETS

from tracker.errors import TrackerError
from tracker.io.codec import FrameError, decode_image
from tracker.io.sources import (
    ImageFolderSource,
    MotSequenceSource,
    VideoSource,
    open_source,
)
from tracker.render import TrackRenderer, VideoSink, color_for_id


def synthetic_frames(count: int, size: tuple[int, int] = (96, 128)) -> list[np.ndarray]:
    """Frames with a bright square moving right, so decoded frames can be told apart."""
    frames = []
    for i in range(count):
        frame = np.full((*size, 3), 40, np.uint8)
        frame[30:60, 10 + 8 * i : 40 + 8 * i] = (0, 200, 255)
        frames.append(frame)
    return frames


@pytest.fixture()
def small_video(tmp_path: Path) -> Path:
    path = tmp_path / "clip.mp4"
    with VideoSink(path, fps=10) as sink:
        for frame in synthetic_frames(6):
            sink.write(frame)
    return path


def test_video_source_reads_frames_from_one(small_video: Path) -> None:
    source = VideoSource(small_video)
    assert source.fps == pytest.approx(10)
    frames = list(source)
    assert [f.frame_id for f in frames] == [1, 2, 3, 4, 5, 6]
    assert not source.is_live
    pixels = [f.pixels() for f in frames]
    assert all(p.shape == (96, 128, 3) and p.dtype == np.uint8 for p in pixels)
    # Frame order survives encoding: the square moves right.
    columns = [int(np.argmax(p[45, :, 2] > 128)) for p in pixels]
    assert columns == sorted(columns) and columns[-1] > columns[0]
    assert isinstance(open_source(small_video), VideoSource)


def test_annotated_video_is_h264_so_browsers_play_it(tmp_path: Path) -> None:
    import av

    path = tmp_path / "odd.mp4"
    with VideoSink(path, fps=7) as sink:  # odd sizes are padded to even (yuv420p)
        for frame in synthetic_frames(4, size=(95, 127)):
            sink.write(frame)
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264"
        assert (stream.width, stream.height) == (128, 96)
        assert stream.average_rate == 7
        assert sum(1 for _ in container.decode(stream)) == 4


def test_unreadable_and_missing_video(tmp_path: Path) -> None:
    fake = tmp_path / "notes.mp4"
    fake.write_text("not a video at all")
    with pytest.raises(TrackerError, match=r"notes\.mp4"):
        list(VideoSource(fake))
    with pytest.raises(TrackerError, match="not found"):
        VideoSource(tmp_path / "missing.mp4")
    with pytest.raises(TrackerError, match="source not found"):
        open_source(tmp_path / "missing.mp4")


def test_sink_resizes_a_frame_of_another_size(tmp_path: Path) -> None:
    path = tmp_path / "mixed.mp4"
    frames = synthetic_frames(3)
    frames.insert(1, cv2.resize(frames[0], (64, 48)))
    with VideoSink(path, fps=5) as sink:
        for frame in frames:
            sink.write(frame)
    decoded = list(VideoSource(path))
    assert len(decoded) == 4
    assert {f.pixels().shape for f in decoded} == {(96, 128, 3)}


def test_image_folder_with_another_size_mid_stream(tmp_path: Path) -> None:
    for i, frame in enumerate(synthetic_frames(3)):
        if i == 1:
            frame = cv2.resize(frame, (200, 150))
        cv2.imwrite(str(tmp_path / f"f{i:03d}.png"), frame)
    (tmp_path / "readme.txt").write_text("ignored")
    source = open_source(tmp_path)
    assert isinstance(source, ImageFolderSource) and source.length == 3
    shapes = [(f.frame_id, f.pixels().shape) for f in source]
    assert shapes == [(1, (96, 128, 3)), (2, (150, 200, 3)), (3, (96, 128, 3))]


def test_image_folder_errors(tmp_path: Path) -> None:
    with pytest.raises(TrackerError, match="no images"):
        ImageFolderSource(tmp_path)
    (tmp_path / "000001.jpg").write_bytes(b"\xff\xd8 truncated")
    (frame,) = list(ImageFolderSource(tmp_path))  # reading is fine; the frame is bad
    with pytest.raises(FrameError, match="corrupt JPEG"):
        frame.pixels()


def test_a_truncated_jpeg_is_an_error_not_a_grey_image(tmp_path: Path) -> None:
    """libjpeg decodes a cut JPEG into a partly grey frame with only a warning; the
    project's decoder refuses it, so `track` and `stream` treat it alike."""
    data = (PETS / "img1" / "000001.jpg").read_bytes()
    assert decode_image(data).shape == (576, 768, 3)
    with pytest.raises(FrameError, match="truncated"):
        decode_image(data[: len(data) // 2])


def test_mot_sequence_uses_file_numbers_not_seqlength() -> None:
    """MOT17-mini ships 4 of MOT17-09's 525 frames; indices come from the file names."""
    source = open_source(DATA / "MOT17-mini" / "train" / "MOT17-09-FRCNN")
    assert isinstance(source, MotSequenceSource)
    assert source.fps == 30 and source.length == 4
    frames = list(source)
    assert [f.frame_id for f in frames] == [1, 2, 3, 4]
    assert frames[0].pixels().shape == (1080, 1920, 3)
    assert frames[0].encoded is not None and frames[0].encoded.startswith(b"\xff\xd8")


def test_mot_sequence_errors(tmp_path: Path) -> None:
    with pytest.raises(TrackerError, match=r"seqinfo\.ini"):
        MotSequenceSource(tmp_path)
    (tmp_path / "seqinfo.ini").write_text("[Sequence]\nname=x\nseqLength=3\nimDir=img1\n")
    with pytest.raises(TrackerError, match="img1"):
        MotSequenceSource(tmp_path)


def test_pets_sequence_length() -> None:
    assert MotSequenceSource(PETS).length == 795


def test_colors_are_stable_and_distinct() -> None:
    assert color_for_id(7) == color_for_id(7)
    colors = {color_for_id(i) for i in range(1, 41)}
    assert len(colors) == 40


def test_renderer_draws_boxes_and_bounded_trails() -> None:
    renderer = TrackRenderer(trail_length=5)
    frame = np.zeros((100, 100, 3), np.uint8)
    out = frame
    for step in range(8):
        out = renderer.draw(frame, np.array([3]), np.array([[10 + step, 20, 40 + step, 80.0]]))
    assert frame.sum() == 0  # the input frame is not drawn on
    assert tuple(out[50, 10 + 7]) == color_for_id(3)  # left edge of the last box
    assert len(renderer._trails[3]) == 5
    for _ in range(7):  # track 3 gone: its trail is forgotten after a trail length
        renderer.draw(frame, np.zeros(0, np.int64), np.zeros((0, 4)))
    assert 3 not in renderer._trails


def test_network_stream_source_over_local_http(small_video: Path) -> None:
    """The stream path (rtsp/http URLs) on a loopback HTTP server serving a small MP4."""
    import functools
    import http.server
    import threading

    handler = functools.partial(
        http.server.SimpleHTTPRequestHandler, directory=str(small_video.parent)
    )
    handler.log_message = lambda *args: None  # type: ignore[attr-defined]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/{small_video.name}"
        source = open_source(url)
        assert isinstance(source, VideoSource) and source.is_stream and source.length is None
        assert source.is_live
        assert [f.frame_id for f in source] == [1, 2, 3, 4, 5, 6]
        with pytest.raises(TrackerError, match="cannot open stream"):
            VideoSource(f"http://127.0.0.1:{server.server_address[1]}/missing.mp4")
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
