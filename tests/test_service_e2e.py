"""The service end to end on 127.0.0.1: tracking, batching across streams, policies, health,
reflection, metrics. The detector is ``ColourBoxDetector`` (a real detector on synthetic
frames), so the whole path runs: JPEG decode, batched detect, per-stream trackers, the wire.
"""

from __future__ import annotations

import threading
import time
import urllib.request
from collections.abc import Iterator

import grpc
import numpy as np
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from service_support import (
    ColourBoxDetector,
    HeldStream,
    MovingBoxes,
    free_port,
    jpeg,
    make_pipeline,
    make_settings,
)

from tracker._proto import tracker_pb2 as pb
from tracker._proto import tracker_pb2_grpc as pb_grpc
from tracker.cli import main
from tracker.client import ClientFrame, StreamOptions, TrackerClient, check_health
from tracker.core import DeepSortConfig
from tracker.pipeline import Pipeline
from tracker.service.background import BackgroundServer

VIDEO = MovingBoxes(n=3)
FRAMES = [jpeg(VIDEO.frame(t)) for t in range(40)]


@pytest.fixture(scope="module")
def server() -> Iterator[BackgroundServer]:
    with BackgroundServer(make_pipeline(), make_settings(), ready_timeout=30) as background:
        yield background


def _offline(n_frames: int) -> list[tuple[list[int], np.ndarray]]:
    """The same Pipeline run in-process on the decoded JPEGs: the reference answer."""
    import cv2

    pipeline = Pipeline(ColourBoxDetector(), None, DeepSortConfig(n_init=2))
    stream = pipeline.new_stream()
    out = []
    for data in FRAMES[:n_frames]:
        image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
        (result,) = pipeline.process([(stream, image)])
        out.append((result.tracks.ids.tolist(), result.tracks.boxes))
    return out


def test_stream_tracks_synthetic_boxes_like_the_offline_pipeline(server: BackgroundServer) -> None:
    frames = [ClientFrame(i + 1, data) for i, data in enumerate(FRAMES)]
    with TrackerClient(server.target) as client:
        results = list(client.track(frames, StreamOptions(policy="all")))
    assert [r.frame_id for r in results] == list(range(1, 41))
    assert all(not r.error for r in results)
    assert sorted(results[-1].track_ids.tolist()) == [1, 2, 3]
    reference = _offline(len(FRAMES))
    for result, (ids, boxes) in zip(results, reference, strict=True):
        assert result.track_ids.tolist() == ids
        np.testing.assert_array_equal(result.boxes, boxes)  # doubles on the wire: exact
    assert results[-1].timings["detect"] > 0 and results[-1].timings["total"] > 0


def test_get_info_and_reflection(server: BackgroundServer) -> None:
    from grpc_reflection.v1alpha.proto_reflection_descriptor_database import (
        ProtoReflectionDescriptorDatabase,
    )

    with TrackerClient(server.target) as client:
        info = client.info()
        assert info.ready and [m.name for m in info.models] == ["colour-boxes"]
        assert info.max_batch == 8 and "grpcio" in info.versions
        services = ProtoReflectionDescriptorDatabase(client.channel).get_services()
    assert "tracker.v1.Tracker" in services and "grpc.health.v1.Health" in services


def test_streams_are_batched_together_and_keep_their_own_ids() -> None:
    pipeline = make_pipeline(delay_s=0.03)
    settings = make_settings(max_batch=8, max_wait_ms=20)
    n_streams, n_frames = 4, 15
    results: dict[int, list] = {}

    def run(index: int, target: str) -> None:
        frames = [ClientFrame(i + 1, data) for i, data in enumerate(FRAMES[:n_frames])]
        with TrackerClient(target) as client:
            results[index] = list(
                client.track(frames, StreamOptions(stream_id=f"s{index}", policy="all"))
            )

    with BackgroundServer(pipeline, settings, ready_timeout=30) as background:
        threads = [
            threading.Thread(target=run, args=(i, background.target)) for i in range(n_streams)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    detector = pipeline.detector
    assert isinstance(detector, ColourBoxDetector)
    calls = detector.calls[1:]  # the first call is the warm-up
    assert sum(calls) == n_streams * n_frames
    assert max(calls) >= 2, f"no cross-stream batch formed: {calls}"
    reference = _offline(n_frames)
    for index in range(n_streams):  # same video per stream: same ids from 1, same boxes
        got = results[index]
        assert [r.track_ids.tolist() for r in got] == [ids for ids, _ in reference]
        assert max(r.batch_size for r in got) >= 2


def test_policy_latest_with_a_slow_server_drops_and_reports(tmp_path) -> None:
    settings = make_settings(queue_size=2, max_batch=1)
    with BackgroundServer(make_pipeline(delay_s=0.02), settings, ready_timeout=30) as background:
        frames = [ClientFrame(i + 1, FRAMES[i % len(FRAMES)]) for i in range(150)]
        with TrackerClient(background.target) as client:
            results = list(client.track(frames, StreamOptions(policy="latest")))
        assert background.server.metrics.value("tracker_frames_dropped_total") > 0
    last = results[-1]
    assert last.frame_id == 150  # the newest frame is never the one dropped
    assert last.frames_dropped > 0
    assert len(results) + last.frames_dropped == 150  # every frame answered or counted
    ids = [r.frame_id for r in results]
    assert ids == sorted(ids)


def test_slow_reader_with_policy_latest_keeps_server_memory_bounded() -> None:
    settings = make_settings(queue_size=3)
    with BackgroundServer(make_pipeline(), settings, ready_timeout=30) as background:
        server = background.server
        frames = [ClientFrame(i + 1, FRAMES[i % len(FRAMES)]) for i in range(300)]
        peak_queue = peak_backlog = 0
        with TrackerClient(background.target) as client:
            results = []
            for result in client.track(frames, StreamOptions(policy="latest")):
                results.append(result)
                sizes = background.on_loop(
                    lambda: [(len(s.queue), s.backlog) for s in server.calls]
                )
                for queued, backlog in sizes:
                    peak_queue = max(peak_queue, queued)
                    peak_backlog = max(peak_backlog, backlog)
                time.sleep(0.01)  # a client that reads slower than the server answers
    assert peak_queue <= 3 and peak_backlog <= 3
    assert results[-1].frames_dropped > 0
    assert len(results) + results[-1].frames_dropped == 300


def test_policy_all_never_drops_even_when_the_server_is_slow() -> None:
    settings = make_settings(queue_size=2)
    with BackgroundServer(make_pipeline(delay_s=0.01), settings, ready_timeout=30) as background:
        frames = [ClientFrame(i + 1, FRAMES[i % len(FRAMES)]) for i in range(60)]
        with TrackerClient(background.target) as client:
            results = list(client.track(frames, StreamOptions(policy="all")))
    assert [r.frame_id for r in results] == list(range(1, 61))
    assert results[-1].frames_dropped == 0


def test_health_is_not_serving_until_the_models_are_ready(
    capsys: pytest.CaptureFixture[str],
) -> None:
    release = threading.Event()

    def slow_models() -> Pipeline:
        release.wait(20)
        return make_pipeline()

    background = BackgroundServer(slow_models, make_settings(), wait_ready=False)
    try:
        assert not check_health(background.target, timeout=5)
        assert main(["health", "--server", background.target]) == 1  # up, but NOT_SERVING
        assert capsys.readouterr().out.startswith("NOT_SERVING: ")
        with TrackerClient(background.target) as client:
            assert not client.info().ready
            with pytest.raises(grpc.RpcError) as error:
                list(client.track([FRAMES[0]]))
            assert error.value.code() == grpc.StatusCode.UNAVAILABLE
        release.set()
        background.call(background.server.wait_ready(20))
        assert check_health(background.target, timeout=5)
        assert check_health(background.target, timeout=5, service="tracker.v1.Tracker")
    finally:
        release.set()
        background.stop()


def test_metrics_endpoint_counts_streams_frames_and_tracks() -> None:
    port = free_port()
    with BackgroundServer(make_pipeline(), make_settings(metrics_port=port)) as background:
        with grpc.insecure_channel(background.target) as channel:
            held = HeldStream(pb_grpc.TrackerStub(channel), pb.StreamConfig(stream_id="m"))
            for i in range(5):
                held.send(pb.Frame(frame_id=i + 1, encoded=FRAMES[i]))
                held.receive()
            text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read()
            held.close()
            list(held.call)
        after = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read()
    page = text.decode()
    assert "tracker_active_streams 1.0" in page
    assert 'tracker_frames_total{outcome="tracked"} 5.0' in page
    assert "tracker_tracks_created_total 3.0" in page
    assert 'tracker_stage_seconds_count{stage="detect"} 5.0' in page
    assert "tracker_batch_size_count" in page and "tracker_active_tracks 3.0" in page
    assert "tracker_active_streams 0.0" in after.decode()


def test_health_service_works_over_plain_grpc(server: BackgroundServer) -> None:
    with grpc.insecure_channel(server.target) as channel:
        reply = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest())
    assert reply.status == health_pb2.HealthCheckResponse.SERVING


def test_a_lone_stream_does_not_wait_for_batches_that_cannot_fill() -> None:
    # One stream with one frame in flight can never fill a batch of 8; waiting max_wait for
    # other streams that do not exist would cost 0.5 s per frame here (10 s for 20 frames).
    settings = make_settings(queue_size=1, max_wait_ms=500)
    with BackgroundServer(make_pipeline(), settings, ready_timeout=30) as background:
        frames = [ClientFrame(i + 1, FRAMES[i]) for i in range(20)]
        start = time.perf_counter()
        with TrackerClient(background.target) as client:
            results = list(client.track(frames, StreamOptions(policy="all")))
        assert len(results) == 20
        assert time.perf_counter() - start < 5


def test_tracker_params_reach_the_streams_own_tracker(server: BackgroundServer) -> None:
    blank = jpeg(np.zeros((VIDEO.height, VIDEO.width, 3), np.uint8))
    frames = [ClientFrame(i + 1, data) for i, data in enumerate([*FRAMES[:6], blank])]
    with TrackerClient(server.target) as client:
        coasting = list(
            client.track(
                frames,
                StreamOptions(policy="all", tracker={"report_misses": 2, "coast_report": "all"}),
            )
        )[-1]
        strict = list(
            client.track(frames, StreamOptions(policy="all", tracker={"report_misses": 0}))
        )[-1]
    # The boxes vanish in the last frame: only the stream that allows report_misses still
    # reports its 3 tracks, at their predicted positions, marked as coasting.
    assert sorted(coasting.track_ids.tolist()) == [1, 2, 3]
    assert set(coasting.states.tolist()) == {pb.TRACK_STATE_COASTING}
    assert len(strict.track_ids) == 0


def test_the_streams_fps_turns_the_trackers_seconds_into_frames(server: BackgroundServer) -> None:
    """report_misses is in seconds: 0.2 s is 6 frames of a 30 fps camera but 1 frame of a
    5 fps one, so after two empty frames only the 30 fps stream still reports its tracks."""
    blank = jpeg(np.zeros((VIDEO.height, VIDEO.width, 3), np.uint8))
    frames = [ClientFrame(i + 1, data) for i, data in enumerate([*FRAMES[:6], blank, blank])]
    last = {}
    with TrackerClient(server.target) as client:
        for fps in (5.0, 30.0):
            options = StreamOptions(
                policy="all", fps=fps, tracker={"report_misses": 0.2, "coast_report": "all"}
            )
            last[fps] = list(client.track(frames, options))[-1]
    assert len(last[5.0].track_ids) == 0
    assert sorted(last[30.0].track_ids.tolist()) == [1, 2, 3]


def test_max_in_flight_bounds_the_frames_in_transit() -> None:
    settings = make_settings(queue_size=4)
    with BackgroundServer(make_pipeline(delay_s=0.01), settings, ready_timeout=30) as background:
        calls = background.server.calls
        held = lambda: max((len(s.queue) + s.backlog for s in calls), default=0)  # noqa: E731
        frames = [ClientFrame(i + 1, FRAMES[i % len(FRAMES)]) for i in range(60)]
        peak = 0
        with TrackerClient(background.target) as client:
            results = []
            for result in client.track(frames, StreamOptions(policy="all"), max_in_flight=2):
                results.append(result)
                peak = max(peak, background.on_loop(held))
        assert [r.frame_id for r in results] == list(range(1, 61))
        assert peak <= 2
    # Under policy latest, dropped frames free their place in the window too (no stall).
    latest = make_settings(queue_size=1)
    with BackgroundServer(make_pipeline(delay_s=0.02), latest, ready_timeout=30) as background:
        with TrackerClient(background.target) as client:
            options = StreamOptions(policy="latest")
            results = list(client.track(frames, options, max_in_flight=3, timeout=30))
        assert results[-1].frame_id == 60
        assert results[-1].frames_dropped > 0
        assert len(results) + results[-1].frames_dropped == 60
