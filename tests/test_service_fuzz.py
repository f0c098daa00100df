"""Property-based fuzzing of the service's boundary (issue 13): config decoding, frame decoding
(``tracker.io.codec``), detection decoding, and a live server fed random wire messages.

Each property says what may happen: a pure decoder returns a well-formed value or raises the
project's own error (``ConfigError`` / ``FrameError``), nothing else; a live call ends with OK,
INVALID_ARGUMENT or RESOURCE_EXHAUSTED (never UNKNOWN or INTERNAL), with in-band errors only
on frames that are not well-formed, and afterwards the server is healthy and a well-formed
victim stream is answered in full. Each test prints how many examples it ran.

Example counts come from the hypothesis profile: "ci" (200 per property, the default) or
"long" (5000; ``pytest --hypothesis-profile=long``), both registered in tests/conftest.py. If
conftest has not registered "long" (so "ci" is hypothesis' built-in one, 100 examples), this
module registers both with the same counts, without loading either.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import cv2
import grpc
import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from service_support import make_settings, public_config, public_frame

from tracker._proto import tracker_pb2 as pb
from tracker._proto import tracker_pb2_grpc as pb_grpc
from tracker.client import check_health
from tracker.core import DeepSortConfig
from tracker.io.codec import FrameError, decode_image, image_size, raw_to_bgr
from tracker.pipeline import Pipeline
from tracker.service.background import BackgroundServer
from tracker.service.wire import ConfigError, detections_from_proto, spec_from_config

try:
    settings.get_profile("long")
except InvalidArgument:
    settings.register_profile("ci", max_examples=200, deadline=None, database=None)
    settings.register_profile("long", max_examples=5000, deadline=None, database=None)


def _examples() -> int:
    """Examples per property: the loaded profile's if it is "ci" or "long", else ci's."""
    current = getattr(settings, "_current_profile", None)
    if current in ("ci", "long"):
        return settings.default.max_examples
    return settings.get_profile("ci").max_examples


def _fuzz(**extra: Any) -> settings:
    return settings(
        max_examples=_examples(),
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        **extra,
    )


def _report(capsys: pytest.CaptureFixture[str], name: str, count: int) -> None:
    with capsys.disabled():
        print(f"\n[fuzz] {name}: {count} examples")


# -- strategies --------------------------------------------------------------------------------

any_float = st.floats(allow_nan=True, allow_infinity=True)
int32 = st.integers(-(2**31), 2**31 - 1)
GOOD_IDS = 2**62  # well-formed frames of a fuzzed call are numbered from here
texts = st.text(max_size=80)

_TRACKER_FIELDS: dict[str, st.SearchStrategy[Any]] = {
    name: (
        int32
        if field.type == field.TYPE_INT32
        else st.booleans()
        if field.type == field.TYPE_BOOL
        else st.one_of(texts, st.sampled_from(["gallery", "ema", "lap", "scipy", "xywh_height"]))
        if field.type == field.TYPE_STRING
        else st.one_of(any_float, st.floats(0, 1), st.floats(0, 20))
    )
    for name, field in pb.TrackerParams.DESCRIPTOR.fields_by_name.items()
}


@st.composite
def tracker_params(draw: st.DrawFn) -> pb.TrackerParams:
    names = draw(st.lists(st.sampled_from(sorted(_TRACKER_FIELDS)), unique=True, max_size=6))
    return pb.TrackerParams(**{name: draw(_TRACKER_FIELDS[name]) for name in names})


@st.composite
def stream_configs(draw: st.DrawFn) -> pb.StreamConfig:
    return pb.StreamConfig(
        stream_id=draw(texts),
        detector=draw(st.one_of(st.just("public"), st.just(""), texts)),
        embedder=draw(st.one_of(st.sampled_from(["", "none", "fake"]), texts)),
        classes=draw(st.lists(int32, max_size=5)),
        min_score=draw(st.one_of(any_float, st.floats(0, 1, width=32))),
        tracker=draw(tracker_params()),
        drop_policy=draw(st.integers(0, 4)),
    )


@st.composite
def good_detections(draw: st.DrawFn) -> pb.Detections:
    n = draw(st.integers(0, 6))
    corner = st.floats(0, 500, width=32)
    boxes: list[float] = []
    for _ in range(n):
        x, y = draw(corner), draw(corner)
        boxes += [x, y, x + draw(st.floats(2, 100)), y + draw(st.floats(2, 100))]
    scores = draw(st.lists(st.floats(0, 1, width=32), min_size=n, max_size=n))
    return pb.Detections(boxes=boxes, scores=scores)


def _as_float32(value: float) -> float:
    with np.errstate(over="ignore"):
        return float(np.float32(value))


@st.composite
def hostile_detections(draw: st.DrawFn) -> pb.Detections:
    """Mostly consistent counts (so the values reach the checks), sometimes not."""
    n = draw(st.integers(0, 5))
    values = st.one_of(
        any_float, st.floats(-10, 1e4), st.sampled_from([1e39, -1e39, 1e-200, 1e300, 3.4e38])
    )
    consistent = draw(st.booleans()) or draw(st.booleans())
    box_count = 4 * n if consistent else draw(st.integers(0, 22))
    score_count = n if consistent else draw(st.integers(0, 6))
    boxes = draw(st.lists(values, min_size=box_count, max_size=box_count))
    if consistent and draw(st.booleans()):  # corners in order, so values reach range checks
        for i in range(0, len(boxes), 4):
            x1, y1, x2, y2 = boxes[i : i + 4]
            boxes[i : i + 4] = [min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2)]
    return pb.Detections(
        boxes=boxes,
        scores=draw(st.lists(values.map(_as_float32), min_size=score_count, max_size=score_count)),
        class_ids=draw(st.one_of(st.just([]), st.lists(int32, min_size=n, max_size=n))),
    )


def _encode(image: np.ndarray, ext: str) -> bytes:
    return bytes(cv2.imencode(ext, image)[1].tobytes())


@st.composite
def image_bytes(draw: st.DrawFn) -> bytes:
    """Valid small JPEGs/PNGs, the same damaged (cut, bytes flipped), or plain random bytes."""
    kind = draw(st.sampled_from(["valid", "damaged", "random", "header"]))
    if kind == "random":
        return draw(st.binary(max_size=300))
    if kind == "header":  # a real signature followed by anything
        return draw(st.sampled_from([b"\xff\xd8", b"\x89PNG\r\n\x1a\n"])) + draw(st.binary())
    h, w = draw(st.integers(1, 24)), draw(st.integers(1, 24))
    seed = draw(st.integers(0, 2**16))
    image = np.random.default_rng(seed).integers(0, 255, (h, w, 3), dtype=np.uint8)
    data = _encode(image, draw(st.sampled_from([".jpg", ".png"])))
    if kind == "valid":
        return data
    cut = draw(st.integers(0, len(data)))
    flips = draw(
        st.lists(st.tuples(st.integers(0, len(data) - 1), st.integers(0, 255)), max_size=4)
    )
    damaged = bytearray(data)
    for at, value in flips:
        damaged[at] = value
    return bytes(damaged[:cut] if draw(st.booleans()) else damaged)


@st.composite
def raw_images(draw: st.DrawFn) -> pb.RawImage:
    w, h = draw(st.integers(0, 40)), draw(st.integers(0, 40))
    fmt = draw(st.integers(0, 5))
    channels = {0: 3, 1: 3, 2: 3, 3: 1}.get(fmt, 3)
    size = draw(st.one_of(st.just(w * h * channels), st.integers(0, 5000)))
    return pb.RawImage(width=w, height=h, format=fmt, data=bytes(size))


@st.composite
def hostile_frames(draw: st.DrawFn) -> pb.Frame:
    frame_id = draw(st.integers(-(2**63), GOOD_IDS - 1))  # the good frames' ids stay apart
    frame = pb.Frame(frame_id=frame_id, timestamp=draw(any_float))
    image = draw(st.sampled_from(["none", "encoded", "raw"]))
    if image == "encoded":
        frame.encoded = draw(image_bytes())
    elif image == "raw":
        frame.raw.CopyFrom(draw(raw_images()))
    if draw(st.booleans()):
        frame.detections.CopyFrom(draw(st.one_of(good_detections(), hostile_detections())))
    return frame


@st.composite
def good_frames(draw: st.DrawFn, frame_id: int) -> pb.Frame:
    """Well-formed for any valid config of the fuzz server: public detections within bounds
    and an image of the right size (for streams that embed)."""
    w, h = draw(st.integers(8, 32)), draw(st.integers(8, 32))
    frame = pb.Frame(frame_id=frame_id, detections=draw(good_detections()))
    frame.raw.CopyFrom(pb.RawImage(width=w, height=h, data=bytes(w * h * 3)))
    return frame


# -- pure functions ----------------------------------------------------------------------------


def test_fuzz_config_decoding(capsys: pytest.CaptureFixture[str]) -> None:
    count = 0

    @_fuzz()
    @given(
        stream_configs(),
        st.sampled_from([None, "boxes"]),
        st.sampled_from([None, "fake"]),
        st.one_of(st.none(), st.integers(1, 10**4)),
    )
    def prop(config: pb.StreamConfig, detector: Any, embedder: Any, budget: Any) -> None:
        nonlocal count
        count += 1
        try:
            spec = spec_from_config(config, detector, embedder, DeepSortConfig(), budget)
        except ConfigError as error:
            assert str(error) and "\n" not in str(error)
            return
        assert spec.policy in ("latest", "all")
        assert 0.0 <= spec.min_score <= 1.0
        assert len(spec.stream_id) <= 64 + 30 and spec.stream_id.isprintable()
        for name, value in vars(spec.tracker).items():
            if isinstance(value, float):
                assert math.isfinite(value), name
        if budget is not None and spec.use_embedder:
            assert spec.tracker.gallery_budget <= budget

    prop()
    _report(capsys, "spec_from_config", count)


def test_fuzz_image_decoding(capsys: pytest.CaptureFixture[str]) -> None:
    count = 0

    @_fuzz()
    @given(image_bytes(), st.sampled_from([1, 100, 24 * 24, 10**6]))
    def prop(data: bytes, max_pixels: int) -> None:
        nonlocal count
        count += 1
        try:
            width, height = image_size(data)
        except FrameError:
            width = height = -1
        else:
            assert isinstance(width, int) and isinstance(height, int)
            assert width >= 0 and height >= 0
        try:
            image = decode_image(data, max_pixels)
        except FrameError:
            return
        assert image.dtype == np.uint8 and image.shape == (height, width, 3)
        assert 0 < width * height <= max_pixels

    prop()
    _report(capsys, "decode_image + image_size", count)


def test_fuzz_raw_pixels(capsys: pytest.CaptureFixture[str]) -> None:
    count = 0

    @_fuzz()
    @given(
        st.integers(0, 3000),
        st.integers(-5, 60),
        st.integers(-5, 60),
        st.one_of(st.sampled_from(["bgr8", "rgb8", "gray8"]), texts),
        st.sampled_from([1, 400, 3600]),
    )
    def prop(size: int, width: int, height: int, fmt: str, max_pixels: int) -> None:
        nonlocal count
        count += 1
        try:
            pixels = raw_to_bgr(bytes(size), width, height, fmt, max_pixels)
        except FrameError:
            return
        assert pixels.shape == (height, width, 3) and pixels.dtype == np.uint8
        assert width * height <= max_pixels

    prop()
    _report(capsys, "raw_to_bgr", count)


def test_fuzz_detection_decoding(capsys: pytest.CaptureFixture[str]) -> None:
    count = 0

    @_fuzz()
    @given(st.one_of(good_detections(), hostile_detections()))
    @example(pb.Detections(boxes=[0, 0, 1e39, 1e39], scores=[0.9]))  # issue 13.1's attacker
    @example(pb.Detections(boxes=[0, 0, 1e-200, 1e-200], scores=[0.9]))
    def prop(message: pb.Detections) -> None:
        nonlocal count
        count += 1
        try:
            dets = detections_from_proto(message, max_detections=50)
        except FrameError:
            return
        assert dets.boxes.dtype == np.float32 and np.isfinite(dets.boxes).all()
        assert np.isfinite(dets.scores).all() and len(dets.scores) == len(dets.boxes)
        assert (dets.boxes[:, 2:] >= dets.boxes[:, :2]).all()

    prop()
    _report(capsys, "detections_from_proto", count)


# -- a live server -----------------------------------------------------------------------------


class _MeanColour:
    """A tiny embedder (mean colour of the crop), so fuzzed streams that embed cut crops."""

    name = "fake"
    dim = 3
    match_distance = 0.3

    def embed(self, crops: Any) -> np.ndarray:
        return np.array([c.reshape(-1, 3).mean(axis=0) + 1 for c in crops], np.float32)


@pytest.fixture(scope="module")
def server() -> Iterator[BackgroundServer]:
    settings_ = make_settings(
        max_pixels=64 * 64, max_detections=20, max_sessions=64, queue_size=4, max_wait_ms=1.0
    )
    pipeline = Pipeline(None, _MeanColour())  # type: ignore[arg-type]
    with BackgroundServer(pipeline, settings_, ready_timeout=30) as background:
        yield background


@st.composite
def calls(draw: st.DrawFn) -> tuple[list[bytes], set[int]]:
    """The raw messages of one call, and the ids of its well-formed frames."""
    messages: list[bytes] = []
    good: set[int] = set()
    first = draw(st.sampled_from(["config", "config", "config", "frame", "garbage"]))
    if first == "config":
        config = draw(st.one_of(stream_configs(), st.just(public_config(embedder="none"))))
        messages.append(pb.TrackRequest(config=config).SerializeToString())
    elif first == "frame":
        messages.append(pb.TrackRequest(frame=draw(hostile_frames())).SerializeToString())
    else:
        messages.append(draw(st.binary(min_size=1, max_size=40)))
    for index in range(draw(st.integers(0, 6))):
        kind = draw(st.sampled_from(["good", "good", "hostile", "garbage", "config", "empty"]))
        if kind == "good":
            frame = draw(good_frames(GOOD_IDS + index))
            messages.append(pb.TrackRequest(frame=frame).SerializeToString())
            good.add(frame.frame_id)
        elif kind == "hostile":
            messages.append(pb.TrackRequest(frame=draw(hostile_frames())).SerializeToString())
        elif kind == "config":
            messages.append(pb.TrackRequest(config=draw(stream_configs())).SerializeToString())
        elif kind == "empty":
            messages.append(b"")
        else:
            messages.append(draw(st.binary(min_size=1, max_size=40)))
    return messages, good


_ALLOWED = {
    grpc.StatusCode.OK,
    grpc.StatusCode.INVALID_ARGUMENT,
    grpc.StatusCode.RESOURCE_EXHAUSTED,
}


def test_fuzz_a_live_server_with_random_wire_messages(
    server: BackgroundServer, capsys: pytest.CaptureFixture[str]
) -> None:
    count = 0
    codes: dict[str, int] = {}
    with grpc.insecure_channel(server.target) as channel:
        track = channel.stream_stream(
            "/tracker.v1.Tracker/Track",
            request_serializer=lambda data: data,
            response_deserializer=pb.TrackResponse.FromString,
        )

        @_fuzz()
        @given(calls())
        def prop(call: tuple[list[bytes], set[int]]) -> None:
            nonlocal count
            count += 1
            messages, good = call
            responses: list[pb.TrackResponse] = []
            try:
                for response in track(iter(messages), timeout=30):
                    responses.append(response)
                code, details = grpc.StatusCode.OK, ""
            except grpc.RpcError as error:
                code, details = error.code(), error.details()
            codes[code.name] = codes.get(code.name, 0) + 1
            assert code in _ALLOWED, (code, details)
            assert "Traceback" not in details and "Exception" not in details
            if not responses:
                return
            # Frames are answered in order; a well-formed frame's answer has no error.
            ids = [r.frame_id for r in responses]
            in_order = [i for i in ids if i >= GOOD_IDS]
            assert in_order == sorted(in_order)
            for response in responses:
                if response.frame_id in good:
                    assert response.error == "", response.error

        prop()
        assert check_health(server.target, timeout=5)
        victim = [public_frame(t, [10 + t, 10, 50 + t, 90], [0.9]) for t in range(1, 21)]
        requests = [pb.TrackRequest(config=public_config(embedder="none"))]
        requests += [pb.TrackRequest(frame=f) for f in victim]
        responses = list(pb_grpc.TrackerStub(channel).Track(iter(requests), timeout=30))
    assert [r.frame_id for r in responses] == list(range(1, 21))
    assert all(r.error == "" for r in responses) and responses[-1].tracks
    assert server.on_loop(lambda: server.server.admitted) == 0  # no call left behind
    _report(capsys, f"live server, random wire messages (status codes {codes})", count)
