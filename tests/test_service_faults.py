"""Bad input and faults: in-band frame errors, refused calls, vanished clients, idle streams,
auth and TLS. Every server listens on 127.0.0.1 and is stopped by its test."""

from __future__ import annotations

import gc
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import cv2
import grpc
import numpy as np
import pytest
from service_support import HeldStream, MovingBoxes, jpeg, make_pipeline, make_settings

from tracker._proto import tracker_pb2 as pb
from tracker._proto import tracker_pb2_grpc as pb_grpc
from tracker.client import StreamOptions, TrackerClient, check_health
from tracker.service.background import BackgroundServer
from tracker.service.session import Session

VIDEO = MovingBoxes(n=2, width=160, height=120, size=24)


@pytest.fixture(scope="module")
def server() -> Iterator[BackgroundServer]:
    settings = make_settings(max_pixels=160 * 120, max_sessions=3)
    with BackgroundServer(make_pipeline(), settings, ready_timeout=30) as background:
        yield background


@pytest.fixture()
def stub(server: BackgroundServer) -> Iterator[pb_grpc.TrackerStub]:
    with grpc.insecure_channel(server.target) as channel:
        yield pb_grpc.TrackerStub(channel)


def _good(frame_id: int) -> pb.Frame:
    return pb.Frame(frame_id=frame_id, timestamp=frame_id / 10, encoded=jpeg(VIDEO.frame(frame_id)))


def _wait_until(condition: Callable[[], bool], timeout: float = 1.0) -> float:
    start = time.perf_counter()
    while not condition():
        if time.perf_counter() - start > timeout:
            raise AssertionError(f"not within {timeout} s")
        time.sleep(0.01)
    return time.perf_counter() - start


def test_bad_frames_get_in_band_errors_and_the_stream_goes_on(stub: pb_grpc.TrackerStub) -> None:
    big = np.zeros((121, 161, 3), np.uint8)
    raw = VIDEO.frame(7)
    bad = {
        6: (pb.Frame(frame_id=6, encoded=b"\xff\xd8\xff\xdb garbage"), "corrupt JPEG"),
        7: (
            pb.Frame(frame_id=7, raw=pb.RawImage(width=160, height=120, data=raw.tobytes()[:-3])),
            "needs 57600 bytes, got 57597",
        ),
        8: (pb.Frame(frame_id=8, encoded=jpeg(big)), "over the server's limit"),
        9: (pb.Frame(frame_id=9), "no image"),
        10: (pb.Frame(frame_id=10, encoded=b"GIF89a...."), "neither JPEG nor PNG"),
    }
    requests = [pb.TrackRequest(config=pb.StreamConfig(drop_policy=pb.DROP_POLICY_ALL))]
    for frame_id in range(1, 21):
        frame = bad[frame_id][0] if frame_id in bad else _good(frame_id)
        requests.append(pb.TrackRequest(frame=frame))
    responses = list(stub.Track(iter(requests), timeout=30))
    assert [r.frame_id for r in responses] == list(range(1, 21))
    for response in responses:
        if response.frame_id in bad:
            assert bad[response.frame_id][1] in response.error, response.error
            assert not response.tracks
        else:
            assert response.error == ""
    assert responses[12].timestamp == pytest.approx(1.3)
    # The bad frames never reached the tracker: the good ones are tracked exactly as if the
    # bad ones had not been sent.
    pipeline = make_pipeline()
    stream = pipeline.new_stream()
    for response in responses:
        if response.frame_id in bad:
            continue
        image = cv2.imdecode(np.frombuffer(_good(response.frame_id).encoded, np.uint8), 1)
        (expected,) = pipeline.process([(stream, image)])
        assert [t.track_id for t in response.tracks] == expected.tracks.ids.tolist()
    assert {t.track_id for t in responses[-1].tracks}  # tracks are still reported at the end


def test_raw_pixels_are_tracked_like_jpeg(stub: pb_grpc.TrackerStub) -> None:
    requests = [pb.TrackRequest(config=pb.StreamConfig(drop_policy=pb.DROP_POLICY_ALL))]
    for t in range(1, 6):
        rgb = VIDEO.frame(t)[:, :, ::-1].copy()
        raw = pb.RawImage(width=160, height=120, format=pb.PIXEL_FORMAT_RGB8, data=rgb.tobytes())
        requests.append(pb.TrackRequest(frame=pb.Frame(frame_id=t, raw=raw)))
    responses = list(stub.Track(iter(requests), timeout=30))
    assert {t.track_id for t in responses[-1].tracks} == {1, 2}


@pytest.mark.parametrize(
    ("requests", "message"),
    [
        ([], "empty stream"),
        ([pb.TrackRequest(frame=pb.Frame(frame_id=1))], "first message must carry a StreamConfig"),
        ([pb.TrackRequest(config=pb.StreamConfig(detector="yolo"))], "unknown detector 'yolo'"),
        (
            [pb.TrackRequest(config=pb.StreamConfig(tracker=pb.TrackerParams(appearance="x")))],
            "appearance must be 'gallery' or 'ema'",
        ),
        ([pb.TrackRequest(config=pb.StreamConfig(min_score=3))], "min_score must be in [0, 1]"),
    ],
)
def test_missing_or_bad_config_ends_the_call_with_invalid_argument(
    stub: pb_grpc.TrackerStub, requests: list, message: str
) -> None:
    with pytest.raises(grpc.RpcError) as error:
        list(stub.Track(iter(requests), timeout=10))
    assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert message in error.value.details()


def test_more_sessions_than_allowed_is_resource_exhausted(
    server: BackgroundServer, stub: pb_grpc.TrackerStub
) -> None:
    held = [HeldStream(stub, pb.StreamConfig(stream_id=f"h{i}")) for i in range(3)]
    try:
        for h in held:
            h.send(_good(1))
            h.receive()
        with pytest.raises(grpc.RpcError) as error:
            list(stub.Track(iter([pb.TrackRequest(config=pb.StreamConfig())]), timeout=10))
        assert error.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        assert "limit of 3 concurrent streams" in error.value.details()
    finally:
        for h in held:
            h.cancel()
    _wait_until(lambda: server.on_loop(lambda: len(server.server.calls)) == 0, 2.0)
    with TrackerClient(server.target) as client:  # a slot is free again
        assert len(list(client.track([VIDEO.frame(0)]))) == 1


def test_a_vanished_client_frees_its_session_within_a_second(server: BackgroundServer) -> None:
    srv = server.server
    channel = grpc.insecure_channel(server.target)
    held = HeldStream(pb_grpc.TrackerStub(channel), pb.StreamConfig(stream_id="gone"))
    for t in range(1, 6):
        held.send(_good(t))
        held.receive()
    for t in range(6, 9):  # frames still queued or in flight when the client goes
        held.send(_good(t))
    assert server.on_loop(lambda: len(srv.calls)) == 1
    channel.close()  # the connection disappears, no half-close
    held.close()
    seconds = _wait_until(lambda: server.on_loop(lambda: len(srv.calls)) == 0, 1.0)
    assert seconds < 1.0
    assert server.on_loop(lambda: len(srv.scheduler.sessions)) == 0
    assert srv.metrics.value("tracker_active_streams") == 0


def test_no_leak_after_a_hundred_vanished_clients(server: BackgroundServer) -> None:
    srv = server.server
    tasks_before = server.on_loop(_task_count)
    for i in range(100):
        channel = grpc.insecure_channel(server.target)
        held = HeldStream(pb_grpc.TrackerStub(channel), pb.StreamConfig(stream_id=f"v{i}"))
        held.send(_good(1))
        held.receive()
        held.send(_good(2))  # left unanswered or in flight
        channel.close()
        held.close()
    _wait_until(lambda: server.on_loop(lambda: len(srv.calls)) == 0, 3.0)
    assert server.on_loop(lambda: len(srv.scheduler.sessions)) == 0
    assert srv.metrics.value("tracker_active_streams") == 0
    _wait_until(lambda: server.on_loop(_task_count) <= tasks_before, 3.0)
    gc.collect()
    assert server.on_loop(lambda: sum(isinstance(o, Session) for o in gc.get_objects())) == 0


def _task_count() -> int:
    import asyncio

    return len(asyncio.all_tasks())


def test_idle_stream_is_closed_with_deadline_exceeded() -> None:
    settings = make_settings(idle_timeout_s=0.3)
    with BackgroundServer(make_pipeline(), settings, ready_timeout=30) as background:
        with grpc.insecure_channel(background.target) as channel:
            held = HeldStream(pb_grpc.TrackerStub(channel), pb.StreamConfig())
            held.send(_good(1))
            held.receive()
            start = time.perf_counter()
            with pytest.raises(grpc.RpcError) as error:
                held.receive()
            held.close()
        assert error.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
        assert time.perf_counter() - start < 3
        # The server forgets the call right after the client sees the error, not before.
        _wait_until(lambda: background.on_loop(lambda: len(background.server.calls)) == 0, 1.0)


def test_bearer_token_is_required_except_for_health() -> None:
    settings = make_settings(auth_token="s3cret")
    with BackgroundServer(make_pipeline(), settings, ready_timeout=30) as background:
        for token in (None, "wrong"):
            with TrackerClient(background.target, token=token) as client:
                with pytest.raises(grpc.RpcError) as error:
                    client.info()
                assert error.value.code() == grpc.StatusCode.UNAUTHENTICATED
                with pytest.raises(grpc.RpcError) as error:
                    list(client.track([VIDEO.frame(0)]))
                assert error.value.code() == grpc.StatusCode.UNAUTHENTICATED
        with TrackerClient(background.target, token="s3cret") as client:
            assert client.info().ready
            assert len(list(client.track([VIDEO.frame(0)], StreamOptions()))) == 1
        assert check_health(background.target)


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")
def test_tls(tmp_path: Path) -> None:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    settings = make_settings(tls_cert=str(cert), tls_key=str(key))
    with BackgroundServer(make_pipeline(), settings, ready_timeout=30) as background:
        roots = cert.read_bytes()
        with TrackerClient(background.target, tls=True, root_certificates=roots) as client:
            assert len(list(client.track([VIDEO.frame(0)]))) == 1
        assert check_health(background.target, tls=True, root_certificates=roots)
        assert not check_health(background.target, timeout=2)  # plaintext is refused
