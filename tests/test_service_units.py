"""Service parts without a network: image headers, settings, config checks, session queues."""

from __future__ import annotations

import asyncio

import cv2
import numpy as np
import pytest

from tracker._proto import tracker_pb2 as pb
from tracker.core import DeepSortConfig
from tracker.errors import TrackerError
from tracker.io.codec import FrameError, decode_image, image_size, raw_to_bgr
from tracker.pipeline import Pipeline
from tracker.service.session import END, FrameJob, Session
from tracker.service.settings import ServerSettings
from tracker.service.wire import ConfigError, detections_from_proto, spec_from_config


@pytest.mark.parametrize("ext", [".jpg", ".png"])
def test_image_size_reads_headers_without_decoding(ext: str) -> None:
    image = np.zeros((37, 53, 3), np.uint8)
    data = cv2.imencode(ext, image)[1].tobytes()
    assert image_size(data) == (53, 37)
    assert decode_image(data, max_pixels=53 * 37).shape == (37, 53, 3)


def test_pixel_limit_is_checked_before_decoding() -> None:
    data = cv2.imencode(".jpg", np.zeros((100, 100, 3), np.uint8))[1].tobytes()
    with pytest.raises(FrameError, match="over the server's limit of 9999 pixels"):
        decode_image(data, max_pixels=9999)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"not an image", "neither JPEG nor PNG"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", "corrupt JPEG"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "corrupt PNG"),
    ],
)
def test_undecodable_bytes_raise_frame_error(data: bytes, message: str) -> None:
    with pytest.raises(FrameError, match=message):
        decode_image(data, max_pixels=10**6)


def test_truncated_jpeg_body_is_a_frame_error() -> None:
    noise = np.random.default_rng(0).integers(0, 255, (64, 64, 3), dtype=np.uint8)
    data = cv2.imencode(".jpg", noise)[1].tobytes()
    assert image_size(data[: len(data) // 3]) == (64, 64)  # the header is intact ...
    with pytest.raises(FrameError, match="truncated"):  # ... the scan is not
        decode_image(data[: len(data) // 3], max_pixels=10**6)


def test_raw_pixels_need_exact_byte_count_and_convert_to_bgr() -> None:
    rgb = np.zeros((2, 3, 3), np.uint8)
    rgb[..., 0] = 255  # red in RGB
    bgr = raw_to_bgr(rgb.tobytes(), 3, 2, "rgb8", 100)
    assert bgr[0, 0].tolist() == [0, 0, 255]
    with pytest.raises(FrameError, match="needs 18 bytes, got 17"):
        raw_to_bgr(rgb.tobytes()[:-1], 3, 2, "rgb8", 100)
    gray = raw_to_bgr(bytes([7] * 6), 3, 2, "gray8", 100)
    assert gray.shape == (2, 3, 3) and gray.max() == 7


def test_settings_flag_beats_env_beats_default() -> None:
    env = {"TRACKER_PORT": "6000", "TRACKER_MAX_WAIT_MS": "2.5", "TRACKER_AUTH_TOKEN": "s"}
    settings = ServerSettings.resolve({"port": 7000, "max_batch": None}, env)
    assert settings.port == 7000
    assert settings.max_wait_ms == 2.5
    assert settings.auth_token == "s"
    assert settings.max_batch == 8
    with pytest.raises(TrackerError, match="TRACKER_MAX_BATCH"):
        ServerSettings.resolve({}, {"TRACKER_MAX_BATCH": "eight"})
    with pytest.raises(TrackerError, match="both a certificate and a key"):
        ServerSettings(tls_cert="cert.pem")
    assert not ServerSettings().reuse_port  # SO_REUSEPORT only when asked for
    assert ServerSettings.resolve({}, {"TRACKER_REUSE_PORT": "true"}).reuse_port
    with pytest.raises(TrackerError, match="TRACKER_REUSE_PORT='maybe' is not a valid boolean"):
        ServerSettings.resolve({}, {"TRACKER_REUSE_PORT": "maybe"})
    with pytest.raises(TrackerError, match="max_tracks must be >= 1"):
        ServerSettings(max_tracks=0)


def _config(**fields: object) -> pb.StreamConfig:
    return pb.StreamConfig(**fields)  # type: ignore[arg-type]


def test_stream_config_checks_name_what_is_wrong() -> None:
    default = DeepSortConfig()
    with pytest.raises(ConfigError, match="unknown detector 'yolo'; this server runs 'boxes'"):
        spec_from_config(_config(detector="yolo"), "boxes", None, default)
    with pytest.raises(ConfigError, match="unknown embedder 'osnet'"):
        spec_from_config(_config(embedder="osnet"), "boxes", None, default)
    with pytest.raises(ConfigError, match="n_init must be >= 1"):
        spec_from_config(_config(tracker=pb.TrackerParams(n_init=0)), "boxes", None, default)
    assert not spec_from_config(
        _config(detector="yolo"), "yolo:y8.pt", None, default
    ).public_detections
    with pytest.raises(ConfigError, match="runs no detector"):
        spec_from_config(_config(), None, None, default)
    spec = spec_from_config(
        _config(
            detector="public",
            tracker=pb.TrackerParams(max_age=5, disable_motion_gating=True),
            drop_policy=pb.DROP_POLICY_ALL,
            classes=[0, 2],
        ),
        None,
        None,
        default,
    )
    assert spec.public_detections and not spec.needs_image
    assert spec.tracker.max_age == 5 and spec.tracker.gating_threshold is None
    assert spec.tracker.n_init == default.n_init  # unset fields keep the server's defaults
    assert spec.policy == "all" and spec.classes is not None and spec.classes.tolist() == [0, 2]


def test_public_detections_are_validated() -> None:
    good = detections_from_proto(pb.Detections(boxes=[0, 0, 10, 10, 5, 5, 5, 9], scores=[1, 1]))
    assert len(good) == 1  # the zero-width box is dropped, as the tracker would
    with pytest.raises(FrameError, match="4 values per box"):
        detections_from_proto(pb.Detections(boxes=[0, 0, 1], scores=[1]))
    with pytest.raises(FrameError, match="negative width"):
        detections_from_proto(pb.Detections(boxes=[10, 0, 0, 10], scores=[1]))
    with pytest.raises(FrameError, match="one value per box"):
        detections_from_proto(pb.Detections(boxes=[0, 0, 1, 1], scores=[1, 1]))


def _session(policy: str, queue_size: int = 2) -> Session:
    spec = spec_from_config(
        _config(detector="public", drop_policy=pb.DROP_POLICY_ALL if policy == "all" else 0),
        None,
        None,
        DeepSortConfig(),
    )
    return Session(spec, Pipeline(None, None).new_stream(), queue_size, on_ready=lambda: None)


def test_policy_latest_drops_oldest_and_counts() -> None:
    async def run() -> Session:
        session = _session("latest")
        for i in range(5):
            await session.put(FrameJob(session, i, 0.0, 0.0, None))
        return session

    session = asyncio.run(run())
    assert [job.frame_id for job in session.queue] == [3, 4]
    assert session.dropped == 3


def test_policy_all_waits_for_room_and_never_drops() -> None:
    async def run() -> tuple[list[int], int]:
        session = _session("all")
        for i in range(2):
            await session.put(FrameJob(session, i, 0.0, 0.0, None))
        blocked = asyncio.create_task(session.put(FrameJob(session, 2, 0.0, 0.0, None)))
        await asyncio.sleep(0.05)
        assert not blocked.done()  # full queue: the reader waits (flow control upstream)
        taken = session.take(1)
        await asyncio.wait_for(blocked, 1)
        return [j.frame_id for j in taken] + [j.frame_id for j in session.queue], session.dropped

    order, dropped = asyncio.run(run())
    assert order == [0, 1, 2] and dropped == 0


def test_session_ends_after_last_answer_and_bounds_backlog() -> None:
    async def run() -> list[object]:
        session = _session("all", queue_size=2)
        for i in range(2):
            await session.put(FrameJob(session, i, 0.0, 0.0, None))
        session.finish_input()
        jobs = session.take(5)
        assert len(jobs) == 2 and session.take(1) == []  # backlog limit reached
        for job in jobs:
            session.deliver(pb.TrackResponse(frame_id=job.frame_id))
        return [session.responses.get_nowait() for _ in range(3)]

    out = asyncio.run(run())
    assert [r.frame_id for r in out[:2]] == [0, 1] and out[2] is END  # type: ignore[union-attr]


def test_tracker_params_mirror_every_deepsort_config_field() -> None:
    from dataclasses import fields

    wire = set(pb.TrackerParams.DESCRIPTOR.fields_by_name)
    core = {f.name for f in fields(DeepSortConfig)}
    assert core - wire == set(), "add the new DeepSortConfig fields to TrackerParams"
    assert wire - core == {  # each sets a field to None
        "disable_motion_gating", "disable_appearance_skip", "learn_report_detection_weight",
    }  # fmt: skip


def test_client_and_server_read_the_none_flags_alike() -> None:
    from tracker.client.client import _NONE_FLAGS
    from tracker.service.wire import NONE_FLAGS

    assert {flag: name for name, flag in _NONE_FLAGS.items()} == NONE_FLAGS


def test_appearance_skip_can_be_turned_off_over_the_wire() -> None:
    from tracker.client.client import StreamOptions
    from tracker.service.wire import tracker_config

    config = StreamOptions(tracker={"appearance_skip_iou": None}).to_proto()
    assert config.tracker.disable_appearance_skip
    tracker = tracker_config(config.tracker, DeepSortConfig())
    assert tracker.appearance_skip_iou is None
    on = tracker_config(
        pb.TrackerParams(appearance_skip_iou=0.7, appearance_refresh=2.0), DeepSortConfig()
    )
    assert (on.appearance_skip_iou, on.appearance_refresh) == (0.7, 2.0)
