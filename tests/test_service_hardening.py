"""Regression tests for the service defects of issue 13 (one stream must never hurt another,
nothing is lost silently) and issue 14 item 3 (the model thread owns no loop state). Each test
names the defect it pins down; every server listens on 127.0.0.1 and is stopped by its test."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator, Sequence
from typing import Any

import grpc
import numpy as np
import pytest
from service_support import (
    HeldStream,
    RawStream,
    make_settings,
    public_config,
    public_frame,
    request_bytes,
)

from tracker._proto import tracker_pb2 as pb
from tracker._proto import tracker_pb2_grpc as pb_grpc
from tracker.core import DeepSortConfig
from tracker.detect.base import FrameDetections
from tracker.pipeline import Pipeline
from tracker.service.background import BackgroundServer
from tracker.service.batch import BatchLimits, BatchRunner
from tracker.service.logs import TextFormatter, TracebackLimiter, safe_text
from tracker.service.metrics import ServiceMetrics
from tracker.service.session import FrameJob, Session
from tracker.service.wire import FramePayload, spec_from_config

GOOD_BOX = [10.0, 10.0, 50.0, 90.0]


@pytest.fixture(scope="module")
def server() -> Iterator[BackgroundServer]:
    settings = make_settings(max_wait_ms=30.0, max_detections=50)
    with BackgroundServer(Pipeline(None, None), settings, ready_timeout=30) as background:
        yield background


@pytest.fixture()
def channel(server: BackgroundServer) -> Iterator[grpc.Channel]:
    with grpc.insecure_channel(server.target) as channel:
        yield channel


def _stream(channel: grpc.Channel, config: pb.StreamConfig, frames: Sequence[pb.Frame]) -> list:
    requests = [pb.TrackRequest(config=config)] + [pb.TrackRequest(frame=f) for f in frames]
    return list(pb_grpc.TrackerStub(channel).Track(iter(requests), timeout=60))


# -- 1. isolation ------------------------------------------------------------------------------


def test_a_hostile_stream_never_fails_its_batch_mates(
    server: BackgroundServer, channel: grpc.Channel
) -> None:
    """Issue 13.1: [0, 0, 1e39, 1e39] is finite as a double, inf as float32; it made 40 of 40
    frames of another stream in the same batch fail."""
    n = 40
    attacker = [public_frame(t, [0, 0, 1e39, 1e39], [0.9]) for t in range(1, n + 1)]
    victim = [public_frame(t, [10 + t, 10, 50 + t, 90], [0.9]) for t in range(1, n + 1)]
    results: dict[str, list] = {}

    def run(name: str, frames: list) -> None:
        results[name] = _stream(channel, public_config(stream_id=name), frames)

    threads = [
        threading.Thread(target=run, args=("attacker", attacker)),
        threading.Thread(target=run, args=("victim", victim)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert [r.frame_id for r in results["victim"]] == list(range(1, n + 1))
    assert [r.error for r in results["victim"]] == [""] * n
    assert results["victim"][-1].tracks  # tracked, not merely answered
    errors = [r.error for r in results["attacker"]]
    assert len(errors) == n and all("not finite as float32" in e for e in errors), errors[0]


class _RedCropFails:
    """An embedder that fails on any crop that is mostly red (a 'poisoned' frame)."""

    name = "red-fails"
    dim = 4
    match_distance = 0.3

    def __init__(self) -> None:
        self.calls: list[int] = []

    def embed(self, crops: Sequence[np.ndarray]) -> np.ndarray:
        self.calls.append(len(crops))
        if any(crop[..., 2].mean() > 200 for crop in crops):
            raise RuntimeError("CUDA error: poisoned crop")
        return np.ones((len(crops), self.dim), np.float32)


class _FrozenSession(Session):
    """A Session that records every attribute the model thread touches once frozen."""

    def freeze(self) -> None:
        object.__setattr__(self, "_touched", set())

    def __setattr__(self, name: str, value: Any) -> None:
        if "_touched" in vars(self):
            raise AssertionError(f"the model thread wrote Session.{name}")
        super().__setattr__(name, value)

    def __getattribute__(self, name: str) -> Any:
        touched = object.__getattribute__(self, "__dict__").get("_touched")
        if touched is not None and not name.startswith("__"):
            touched.add(name)
        return super().__getattribute__(name)


def _jobs(
    pipeline: Pipeline, images: Sequence[np.ndarray], boxes: Sequence[list[float]]
) -> list[FrameJob]:
    jobs = []
    for i, (image, box) in enumerate(zip(images, boxes, strict=True)):
        spec = spec_from_config(public_config(embedder=""), None, "red-fails", DeepSortConfig())
        session = _FrozenSession(spec, pipeline.new_stream(), 4, on_ready=lambda: None)
        dets = FrameDetections(np.array([box], np.float32), np.array([0.9], np.float32), None)
        dets = FrameDetections(dets.boxes, dets.scores, np.zeros(1, np.int64))
        payload = FramePayload(None, image, dets)
        jobs.append(FrameJob(session, i + 1, 0.0, time.perf_counter(), payload))
        session.freeze()
    return jobs


def test_a_failing_batched_model_call_is_retried_frame_by_frame() -> None:
    """Issue 13.1: any exception in a batched call failed every stream in the batch."""
    embedder = _RedCropFails()
    pipeline = Pipeline(None, embedder, DeepSortConfig(n_init=1))  # type: ignore[arg-type]
    runner = BatchRunner(pipeline, BatchLimits(10**6), ServiceMetrics(), TracebackLimiter())
    grey, red = np.full((100, 100, 3), 90, np.uint8), np.zeros((100, 100, 3), np.uint8)
    red[..., 2] = 255
    jobs = _jobs(pipeline, [grey, red, grey], [GOOD_BOX] * 3)
    answers = runner.run(jobs)
    errors = [response.error for response, _ in answers]
    assert errors[0] == "" and errors[2] == ""
    assert "poisoned crop" in errors[1]
    assert embedder.calls == [3, 1, 1, 1]  # the batch, then each frame alone
    # A tracker that fails on its own update costs that stream's frame only.
    jobs = _jobs(pipeline, [grey, grey, grey], [GOOD_BOX] * 3)

    def broken(*args: object) -> None:
        raise FloatingPointError("singular matrix")

    jobs[0].state.tracker.update = broken  # type: ignore[method-assign]
    errors = [response.error for response, _ in runner.run(jobs)]
    assert "singular matrix" in errors[0] and errors[1:] == ["", ""]


def test_the_model_thread_never_touches_a_session_but_for_spec_and_state() -> None:
    """Issue 14.3: BatchRunner._respond set session.live_tracks / highest_track_id and read
    closed / dropped from the model thread; the loop owns sessions."""
    pipeline = Pipeline(None, None, DeepSortConfig(n_init=1))
    runner = BatchRunner(pipeline, BatchLimits(10**6), ServiceMetrics(), TracebackLimiter())
    image = np.zeros((100, 100, 3), np.uint8)
    jobs = _jobs(pipeline, [image, image], [GOOD_BOX, GOOD_BOX])
    for _ in range(2):
        answers = runner.run(jobs)
    for job in jobs:
        assert object.__getattribute__(job.session, "_touched") <= {"spec", "state"}
    outcome = answers[0][1]
    assert outcome.live_tracks == 1 and outcome.track_ids is not None
    assert outcome.track_ids.tolist() == [1]


# -- 2. configs and limits ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"gating_threshold": float("nan")}, "gating_threshold"),
        ({"min_score": float("nan")}, "min_score"),
        ({"high_score": float("inf")}, "high_score"),
        ({"new_track_min_score": float("-inf")}, "new_track_min_score"),
        ({"n_init": 0}, "n_init"),  # the tracker's own checks reach the client, named
    ],
)
def test_hostile_tracker_params_end_the_call_with_invalid_argument_naming_the_field(
    channel: grpc.Channel, params: dict[str, Any], field: str
) -> None:
    """Issue 13.3: NaN and infinite thresholds were accepted."""
    config = public_config(tracker=pb.TrackerParams(**params))
    with pytest.raises(grpc.RpcError) as error:
        _stream(channel, config, [public_frame(1, GOOD_BOX, [0.9])])
    assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert field in error.value.details()


class _Embedder512:
    name = "fake-512"
    dim = 512
    match_distance = 0.3

    def embed(self, crops: Sequence[np.ndarray]) -> np.ndarray:
        return np.ones((len(crops), self.dim), np.float32)


def test_a_gallery_budget_beyond_the_memory_limit_is_refused() -> None:
    """Issue 13.2: gallery_budget 2^31-1 with an embedder tried to allocate 128 TiB on every
    frame (and failed its batch-mates); budget 5000 with 30 tracks added 300 MB. Galleries are
    allocated per track up front, so the limit is --max-gallery-mib over --max-tracks tracks:
    256 MiB / (4 B x 512 x 1000) = 131 features per track."""
    image = pb.RawImage(width=64, height=64, data=bytes(64 * 64 * 3))
    frame = public_frame(1, GOOD_BOX, [0.9])
    frame.raw.CopyFrom(image)
    pipeline = Pipeline(None, _Embedder512())  # type: ignore[arg-type]
    with (
        BackgroundServer(pipeline, make_settings(), ready_timeout=30) as background,
        grpc.insecure_channel(background.target) as channel,
    ):
        for budget in (2**31 - 1, 5000, 132):
            config = public_config(embedder="", tracker=pb.TrackerParams(gallery_budget=budget))
            with pytest.raises(grpc.RpcError) as error:
                _stream(channel, config, [frame])
            assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT
            details = error.value.details() or ""
            assert "gallery_budget" in details  # the tracker's own bound, or the server's
            if budget == 132:
                assert "gallery_budget 132 is over this server's limit of 131" in details
        config = public_config(embedder="", tracker=pb.TrackerParams(gallery_budget=131))
        (response,) = _stream(channel, config, [frame])
        assert response.error == ""


def test_too_many_detections_in_a_frame_is_an_in_band_error(channel: grpc.Channel) -> None:
    """Issue 13.5: no cap on detections per frame (2000 a frame grew to 36k tracks)."""
    many = np.tile(GOOD_BOX, 51).tolist()
    frames = [
        public_frame(1, GOOD_BOX, [0.9]),
        public_frame(2, many, [0.9] * 51),
        public_frame(3, GOOD_BOX, [0.9]),
    ]
    responses = _stream(channel, public_config(), frames)
    assert [r.frame_id for r in responses] == [1, 2, 3]
    assert "51 detections in one frame is over the server's limit of 50" in responses[1].error
    assert responses[0].error == responses[2].error == ""


def test_live_tracks_per_stream_stay_within_max_tracks() -> None:
    """Issue 13.5: one stream sending new boxes every frame grew without bound, starving
    every other stream on the one model thread."""
    settings = make_settings(max_tracks=30, max_detections=1000)
    rng = np.random.default_rng(1)
    tracker = pb.TrackerParams(
        n_init=1, max_age=600, min_score=0.0, high_score=0.0, new_track_min_score=0.0
    )
    with BackgroundServer(Pipeline(None, None), settings, ready_timeout=30) as background:
        with grpc.insecure_channel(background.target) as channel:
            held = HeldStream(pb_grpc.TrackerStub(channel), public_config(tracker=tracker))
            peak = 0
            for t in range(1, 11):  # 20 fresh, far-apart boxes a frame: all new tracks
                x = rng.uniform(0, 10**5, 20)
                boxes = np.stack([x, x, x + 10, x + 10], axis=1).ravel().tolist()
                held.send(public_frame(t, boxes, rng.uniform(0.5, 1, 20).tolist()))
                assert held.receive().error == ""
                live = background.on_loop(
                    lambda: max(s.live_tracks for s in background.server.calls)
                )
                peak = max(peak, live)
            held.close()
            list(held.call)
        cut = background.server.metrics.value(
            "tracker_detections_cut_total", {"reason": "max_tracks"}
        )
    assert 20 <= peak <= 30
    assert cut >= 200 - 30


def test_streams_without_a_config_count_against_max_sessions_and_time_out() -> None:
    """Issue 13.5: calls that never sent a config were not counted and never closed (5000
    stayed open)."""
    settings = make_settings(max_sessions=2, idle_timeout_s=0.5)
    with (
        BackgroundServer(Pipeline(None, None), settings, ready_timeout=30) as background,
        grpc.insecure_channel(background.target) as channel,
    ):
        silent = [RawStream(channel) for _ in range(2)]
        time.sleep(0.2)
        with pytest.raises(grpc.RpcError) as error:
            _stream(channel, public_config(), [public_frame(1, GOOD_BOX, [0.9])])
        assert error.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        start = time.perf_counter()
        for stream in silent:
            _, code, details = stream.results()
            assert code == grpc.StatusCode.DEADLINE_EXCEEDED, details
            assert "no StreamConfig within 0.5 s" in details
            stream.close()
        assert time.perf_counter() - start < 3
        assert len(_stream(channel, public_config(), [public_frame(1, GOOD_BOX, [0.9])])) == 1


# -- 3. undecodable messages -------------------------------------------------------------------


def test_an_undecodable_message_ends_the_call_with_invalid_argument(
    channel: grpc.Channel,
) -> None:
    """Issue 13.4: `config, frame1, <garbage>, frame2, frame3` was answered for frame 1 only
    and ended OK."""
    frame = lambda t: request_bytes(frame=public_frame(t, GOOD_BOX, [0.9]))  # noqa: E731
    messages = [request_bytes(config=public_config()), frame(1), b"\xff\xff\xff", frame(2)]
    stream = RawStream(channel, messages)
    stream.close()
    responses, code, details = stream.results()
    assert [r.frame_id for r in responses] == [1]  # what came before it is answered
    assert code == grpc.StatusCode.INVALID_ARGUMENT
    assert "message 3 is not a valid TrackRequest" in details


@pytest.mark.parametrize("first", [b"\x0a\xff\xff garbage", b"\xff"])
def test_a_garbage_first_message_is_invalid_argument_not_unknown(
    channel: grpc.Channel, first: bytes
) -> None:
    """Issue 13.4: a garbage first message ended with UNKNOWN and a Python exception text."""
    stream = RawStream(channel, [first])
    stream.close()
    _, code, details = stream.results()
    assert code == grpc.StatusCode.INVALID_ARGUMENT, details
    assert details == "message 1 is not a valid TrackRequest (protobuf could not parse its bytes)"
    get_info = channel.unary_unary("/tracker.v1.Tracker/GetInfo", request_serializer=bytes)
    with pytest.raises(grpc.RpcError) as error:
        get_info(first, timeout=10)
    assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT


# -- 4. logs -----------------------------------------------------------------------------------


def test_client_text_cannot_forge_log_lines_and_ids_are_truncated(
    channel: grpc.Channel, caplog: pytest.LogCaptureFixture
) -> None:
    """Issue 13.8: a stream_id with a newline forged log lines; a 1 MB id was logged twice."""
    stream_id = "cam\n2026-01-01 00:00:00 INFO tracker: forged\x1b[31m" + "x" * 10**6
    with caplog.at_level(logging.INFO, logger="tracker.service"):
        _stream(channel, public_config(stream_id=stream_id), [public_frame(1, GOOD_BOX, [0.9])])
        time.sleep(0.2)  # the "stream closed" line is logged as the call ends
    records = [r for r in caplog.records if r.getMessage() in ("stream opened", "stream closed")]
    assert len(records) == 2
    formatter = TextFormatter()
    for record in records:
        line = formatter.format(record)
        assert "\n" not in line and "\x1b" not in line
        assert len(line) < 400
        assert "cam\\n2026" in line
    assert safe_text("a\nb\u202ec" + "x" * 100, 8) == "a\\nb\\u202ecxxx...(+97 chars)"


class _AlwaysFails:
    name = "always-fails"
    dim = 4
    match_distance = 0.3

    def embed(self, crops: Sequence[np.ndarray]) -> np.ndarray:
        if crops[0].shape == (32, 16, 3):  # the warm-up
            return np.ones((len(crops), self.dim), np.float32)
        raise RuntimeError("model exploded")


def test_a_repeated_internal_error_logs_one_traceback_a_minute(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Issue 13.8: every internal error logged a full traceback (619 in one probe)."""
    pipeline = Pipeline(None, _AlwaysFails())  # type: ignore[arg-type]
    image = np.zeros((64, 64, 3), np.uint8)
    raw = pb.RawImage(width=64, height=64, data=image.tobytes())
    frames = [public_frame(t, GOOD_BOX, [0.9]) for t in range(1, 31)]
    for frame in frames:
        frame.raw.CopyFrom(raw)
    with (
        BackgroundServer(pipeline, make_settings(), ready_timeout=30) as background,
        grpc.insecure_channel(background.target) as channel,
        caplog.at_level(logging.INFO, logger="tracker.service"),
    ):
        responses = _stream(channel, public_config(embedder=""), frames)
    assert all("model exploded" in r.error for r in responses) and len(responses) == 30
    tracebacks = [r for r in caplog.records if r.exc_info]
    assert len(tracebacks) == 1
    clock = [0.0]
    limiter = TracebackLimiter(60.0, clock=lambda: clock[0])
    log = logging.getLogger("tracker.test")
    error = RuntimeError("same")
    assert limiter.error(log, "x", error)
    assert not any(limiter.error(log, "x", error) for _ in range(99))
    clock[0] = 61.0
    with caplog.at_level(logging.ERROR, logger="tracker.test"):
        assert limiter.error(log, "x", error)
    assert caplog.records[-1].repeats_without_traceback == 99  # type: ignore[attr-defined]


# -- 6. device -----------------------------------------------------------------------------------


def test_get_info_reports_the_device_in_use_not_auto(server: BackgroundServer) -> None:
    """Issue 13.11: GetInfo.device said "auto"."""
    with grpc.insecure_channel(server.target) as channel:
        info = pb_grpc.TrackerStub(channel).GetInfo(pb.GetInfoRequest(), timeout=10)
    assert info.device == "cpu"
    from tracker.service.models import model_device

    class Choice:
        device = "cuda:1"

    class Model:
        choice = Choice()

    assert model_device(Pipeline(Model(), None)) == "cuda:1"  # type: ignore[arg-type]
