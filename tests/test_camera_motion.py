"""Camera motion from the frames (``tracker.motion``): the estimator on images whose motion is
known, on real MOT17 frames of moving and static cameras, and its plumbing (``track
--camera-motion``, the sequential and overlapped paths, the wire's ``camera_motion``)."""

from __future__ import annotations

from pathlib import Path

import cv2
import grpc
import numpy as np
import pytest
from helpers_ml import write_short_pets
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from service_support import ColourBoxDetector, MovingBoxes, jpeg, make_pipeline, make_settings

from benchmarks.camera_motion import (
    MOT17_MINI,
    MOVING,
    PANS,
    STATIC,
    make_synthetic,
    mot17_mini_overlap,
)
from tracker._proto import tracker_pb2 as pb
from tracker.cli import main
from tracker.client import ClientFrame, StreamOptions, TrackerClient
from tracker.client.runner import run_stream
from tracker.core import DeepSortConfig
from tracker.detect.base import FrameDetections
from tracker.detect.public import detections_by_frame
from tracker.io.sources import MotSequenceSource
from tracker.motion import CAMERA_MOTION_MODES, build_camera_motion, check_camera_motion
from tracker.motion.flow import FlowCameraMotion, FlowSettings
from tracker.pipeline import Pipeline
from tracker.service.background import BackgroundServer
from tracker.service.wire import ConfigError, payload_from_frame, spec_from_config
from tracker.source_tracking import track_source

SIZE = (640, 480)  # width, height
CORNERS = np.array([[0, 0], [SIZE[0], 0], [0, SIZE[1]], [SIZE[0], SIZE[1]]], np.float64)


def _texture(seed: int = 0) -> np.ndarray:
    """A smooth random texture (blobs at several scales): corners everywhere, no repeats."""
    rng = np.random.default_rng(seed)
    big = (SIZE[1] + 200, SIZE[0] + 200)
    image = np.zeros(big, np.float32)
    for sigma in (2, 5, 12):
        noise = cv2.GaussianBlur(rng.normal(size=big).astype(np.float32), (0, 0), sigma)
        image += noise / noise.std()
    image = (image - image.min()) / (image.max() - image.min()) * 255
    return cv2.cvtColor(image.astype(np.uint8), cv2.COLOR_GRAY2BGR)


TEXTURE = _texture()


def _view(affine: np.ndarray) -> np.ndarray:
    """The SIZE window of TEXTURE (offset 100 px) seen through ``affine``."""
    square = np.vstack([affine, [0, 0, 1]]) @ np.array([[1, 0, -100], [0, 1, -100], [0, 0, 1]])
    return cv2.warpAffine(TEXTURE, square[:2], SIZE, flags=cv2.INTER_LINEAR)


def _corner_error(estimate: np.ndarray, truth: np.ndarray) -> float:
    """Largest displacement between the two maps over the frame's corners (pixels)."""
    a = CORNERS @ estimate[:, :2].T + estimate[:, 2]
    b = CORNERS @ truth[:, :2].T + truth[:, 2]
    return float(np.abs(a - b).max())


def _motion(first: np.ndarray, second: np.ndarray, boxes: np.ndarray | None = None) -> np.ndarray:
    estimator = FlowCameraMotion()
    assert np.array_equal(estimator.estimate(first, boxes), np.eye(2, 3))  # the first frame
    return estimator.estimate(second, boxes)


IDENTITY = np.eye(2, 3)


def test_identical_frames_give_the_identity() -> None:
    motion = _motion(_view(IDENTITY), _view(IDENTITY))
    assert _corner_error(motion, IDENTITY) < 0.05


@pytest.mark.parametrize(
    "truth",
    [
        np.array([[1.0, 0.0, 7.3], [0.0, 1.0, -4.6]]),  # a pan
        cv2.getRotationMatrix2D((320.0, 240.0), 2.5, 1.0),  # a roll
        cv2.getRotationMatrix2D((300.0, 200.0), 0.0, 1.06),  # a zoom
        cv2.getRotationMatrix2D((350.0, 260.0), -1.5, 0.95) + np.array([[0, 0, -12.0], [0, 0, 5]]),
    ],
    ids=["shift", "rotation", "zoom", "all"],
)
def test_a_known_motion_is_recovered_within_half_a_pixel(truth: np.ndarray) -> None:
    first = _view(IDENTITY)
    second = _view(truth)
    assert _corner_error(_motion(first, second), truth) < 0.5


def test_people_moving_on_their_own_are_kept_out_by_their_boxes() -> None:
    """A third of the frame moves against the camera; masked by its box, it does not count."""
    truth = np.array([[1.0, 0.0, 6.0], [0.0, 1.0, 0.0]])
    first, second = _view(IDENTITY), _view(truth)
    block = _texture(seed=1)[:300, :220]
    first[100:400, 100:320] = block
    second[100:400, 90:310] = block  # moves -10 px while the camera moves +6
    boxes = np.array([[80.0, 90.0, 330.0, 410.0]])
    assert _corner_error(_motion(first, second, boxes), truth) < 0.5


def test_blank_and_changed_frames_give_the_identity() -> None:
    blank = np.full((SIZE[1], SIZE[0], 3), 128, np.uint8)
    assert np.array_equal(_motion(blank, blank), IDENTITY)
    estimator = FlowCameraMotion()
    estimator.estimate(_view(IDENTITY))
    small = cv2.resize(_view(IDENTITY), (320, 240))
    assert np.array_equal(estimator.estimate(small), IDENTITY)  # the frame size changed
    assert estimator.last_inliers == 0
    # A scene cut: an unrelated texture shares no corners with the previous frame.
    assert np.array_equal(estimator.estimate(cv2.resize(_texture(seed=7), (320, 240))), IDENTITY)


def test_grey_input_and_bad_input() -> None:
    grey = cv2.cvtColor(_view(IDENTITY), cv2.COLOR_BGR2GRAY)
    truth = np.array([[1.0, 0.0, 3.0], [0.0, 1.0, 2.0]])
    moved = cv2.cvtColor(_view(truth), cv2.COLOR_BGR2GRAY)
    assert _corner_error(_motion(grey, moved), truth) < 0.5
    estimator = FlowCameraMotion()
    with pytest.raises(ValueError, match="uint8 image"):
        estimator.estimate(np.zeros((48, 64), np.float32))
    with pytest.raises(ValueError, match=r"\(N, 4\) xyxy"):
        estimator.estimate(grey, np.zeros((2, 3)))
    with pytest.raises(ValueError, match="max_side"):
        FlowSettings(max_side=8)


# The profile's example count (tests/fuzz_support.py: ~200 in "ci"); ~15 ms each.
_EXAMPLES = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_EXAMPLES
@given(
    dx=st.floats(-25, 25),
    dy=st.floats(-25, 25),
    angle=st.floats(-2, 2),
    zoom=st.floats(0.95, 1.05),
)
def test_random_camera_motions_are_recovered(
    examples, dx: float, dy: float, angle: float, zoom: float
) -> None:
    truth = cv2.getRotationMatrix2D((320.0, 240.0), angle, zoom) + np.array(
        [[0, 0, dx], [0, 0, dy]]
    )
    error = _corner_error(_motion(_view(IDENTITY), _view(truth)), truth)
    examples.record("FlowCameraMotion recovers a random pan/roll/zoom", "checked")
    assert error < 0.5, (dx, dy, angle, zoom, error)


# -- real frames: MOT17-mini (4-8 consecutive frames of moving and static cameras) ------------

# Measured (benchmarks/results/camera_motion.md): moving cameras gain 0.03-0.22 mean IoU, the
# static ones move by less than 0.01. Floors are set well inside those numbers.
_GAIN_FLOOR = {"MOT17-05-FRCNN": 0.1, "MOT17-10-FRCNN": 0.08, "MOT17-11-FRCNN": 0.015,
               "MOT17-13-FRCNN": 0.06}  # fmt: skip


@pytest.mark.parametrize("seq", MOVING + STATIC)
def test_mot17_moving_cameras_gain_overlap_and_static_ones_keep_it(seq: str) -> None:
    result = mot17_mini_overlap(MOT17_MINI / seq)
    gain = result["iou_moved"] - result["iou_unmoved"]
    if seq in MOVING:
        assert gain > _GAIN_FLOOR[seq], result
    else:
        assert abs(gain) < 0.02 and result["mean_shift_px"] < 1.5, result


# -- plumbing -----------------------------------------------------------------------------


def test_modes_are_checked() -> None:
    assert CAMERA_MOTION_MODES == ("off", "flow")
    assert build_camera_motion("off") is None
    assert isinstance(build_camera_motion("flow"), FlowCameraMotion)
    with pytest.raises(ValueError, match="one of off, flow, got 'ecc'"):
        check_camera_motion("ecc")


def test_each_stream_has_its_own_estimator_and_needs_the_frame() -> None:
    pipeline = Pipeline(None, None)
    a, b = (pipeline.new_stream(camera_motion="flow") for _ in range(2))
    assert a.camera is not None and b.camera is not None and a.camera is not b.camera
    assert pipeline.new_stream().camera is None
    dets = FrameDetections(
        np.array([[10, 10, 50, 90]], np.float32), np.array([0.9], np.float32), np.zeros(1, int)
    )
    with pytest.raises(ValueError, match="needs the frame"):
        pipeline.track(a, dets, None)
    assert len(pipeline.process_detections([(a, _view(IDENTITY), dets)])) == 1


@pytest.fixture(scope="module")
def short_sequence(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The first 10 PETS09 frames as a MOT sequence with its YOLOv5n det file."""
    return write_short_pets(tmp_path_factory.mktemp("cm"), 10)


def test_track_cli_camera_motion_sequential_and_overlapped_agree(
    short_sequence: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`--camera-motion flow --motion-only` reads the frames (the public path otherwise runs
    the tracker alone); --overlap writes the same file; on a static camera the result is the
    one without compensation."""
    seq = short_sequence
    argv = ["track", "--seq", str(seq), "--quiet", "--motion-only", "--set", "n_init=1"]
    outs = {name: tmp_path / f"{name}.txt" for name in ("off", "flow", "overlap")}
    assert main([*argv, "--out", str(outs["off"])]) == 0
    assert main([*argv, "--camera-motion", "flow", "--out", str(outs["flow"])]) == 0
    assert "camera motion flow" in capsys.readouterr().out
    assert main([*argv, "--camera-motion", "flow", "--overlap", "--out", str(outs["overlap"])]) == 0
    assert outs["flow"].read_bytes() == outs["overlap"].read_bytes()
    off, flow = (np.loadtxt(outs[k], delimiter=",", ndmin=2) for k in ("off", "flow"))
    assert off.shape == flow.shape and len(off) > 20
    assert np.array_equal(off[:, :2], flow[:, :2])  # same ids in the same frames
    assert np.abs(off[:, 2:6] - flow[:, 2:6]).max() < 2.0  # static camera: < 2 px apart


def test_track_cli_camera_motion_errors(
    short_sequence: Path, tmp_path: Path, shared_data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = str(tmp_path / "x.txt")
    npy = shared_data / "MOT17/train/MOT17-09-FRCNN/x.npy"
    no_frames = shared_data / "MOT15/train/TUD-Campus"
    cases = [
        (["--seq", str(short_sequence), "--camera-motion", "ecc"], "invalid choice: 'ecc'"),
        (["--seq", str(short_sequence), "--dets", str(npy), "--camera-motion", "flow"],
         "cannot be combined with a deep_sort .npy"),
        (["--seq", str(no_frames), "--dets", str(no_frames / "det/det_frcnn.txt"),
          "--camera-motion", "flow", "--motion-only"], "needs every frame of TUD-Campus"),
    ]  # fmt: skip
    for argv, message in cases:
        try:
            code = main(["track", *argv, "--out", out])
        except SystemExit as exit_:  # argparse rejects bad choices itself
            code = int(exit_.code or 0)
        assert code == 2
        assert message in capsys.readouterr().err


def test_wire_camera_motion_is_validated_and_asks_for_images() -> None:
    default = DeepSortConfig()

    def spec(**fields: object):  # type: ignore[no-untyped-def]
        config = pb.StreamConfig(detector="public", embedder="none", **fields)  # type: ignore[arg-type]
        return spec_from_config(config, None, None, default)

    assert spec().camera_motion == "off" and not spec().needs_image
    flow = spec(camera_motion="flow")
    assert flow.camera_motion == "flow" and flow.needs_image
    with pytest.raises(ConfigError, match="unknown camera_motion 'ecc'; expected one of off, flow"):
        spec(camera_motion="ecc")
    frame = pb.Frame(frame_id=1, detections=pb.Detections(boxes=[0, 0, 10, 20], scores=[0.9]))
    with pytest.raises(Exception, match="camera_motion 'flow'"):
        payload_from_frame(frame, flow, max_pixels=10**7)
    assert payload_from_frame(frame, spec(), max_pixels=10**7).detections is not None


def _panning_boxes(t: int) -> np.ndarray:
    """MovingBoxes over a dark texture that pans 6 px per frame (the detector ignores it)."""
    video = MovingBoxes(n=3)
    dark = (_view(np.array([[1.0, 0.0, -6.0 * t], [0.0, 1.0, 0.0]])) // 4)[
        : video.height, : video.width
    ]
    image = np.ascontiguousarray(dark)
    for x1, y1, x2, y2, colour in video.boxes(t):
        image[y1:y2, x1:x2] = colour
    return image


def test_service_streams_compensate_camera_motion_like_the_offline_pipeline() -> None:
    """`StreamConfig.camera_motion` reaches the stream's own estimator: the wire's tracks are
    the offline pipeline's with the same option, not those without; a bad value ends the
    call with INVALID_ARGUMENT."""
    data = [jpeg(_panning_boxes(t)) for t in range(12)]
    reference: dict[str, list[np.ndarray]] = {}
    for mode in ("off", "flow"):
        pipeline = Pipeline(ColourBoxDetector(), None, DeepSortConfig(n_init=2))
        stream = pipeline.new_stream(camera_motion=mode)
        decoded = [cv2.imdecode(np.frombuffer(d, np.uint8), cv2.IMREAD_COLOR) for d in data]
        reference[mode] = [pipeline.process([(stream, image)])[0].tracks.boxes for image in decoded]
    assert not all(np.array_equal(a, b) for a, b in zip(*reference.values(), strict=True))
    frames = [ClientFrame(i + 1, d) for i, d in enumerate(data)]
    with (
        BackgroundServer(make_pipeline(), make_settings(), ready_timeout=30) as server,
        TrackerClient(server.target) as client,
    ):
        results = list(client.track(frames, StreamOptions(policy="all", camera_motion="flow")))
        with pytest.raises(grpc.RpcError) as failed:
            list(client.track(frames[:1], StreamOptions(camera_motion="ecc")))
    assert failed.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "unknown camera_motion 'ecc'" in (failed.value.details() or "")
    assert all(not r.error for r in results)
    for result, boxes in zip(results, reference["flow"], strict=True):
        np.testing.assert_array_equal(result.boxes, boxes)


def test_public_detection_stream_with_camera_motion_equals_offline(tmp_path: Path) -> None:
    """`tracker stream --dets ... --embedder none --camera-motion flow` sends the pixels (it
    sends none without camera motion) and the server's result file is the offline one, on a
    panning camera where compensation changes the result."""
    seq, _ = make_synthetic(PANS["fast"], tmp_path / "MOT15", frames=12)
    detections = detections_by_frame(seq / "det" / "det_yolov5n.txt")
    outs = {}
    for mode in ("off", "flow"):
        outs[mode] = tmp_path / f"offline-{mode}.txt"
        track_source(MotSequenceSource(seq), Pipeline(None, None), results_path=outs[mode],
                     progress=False, public_detections=detections, camera_motion=mode)  # fmt: skip
    assert outs["off"].read_bytes() != outs["flow"].read_bytes()
    served = tmp_path / "served.txt"
    options = StreamOptions(detector="public", embedder="none", policy="all", camera_motion="flow")
    with (
        BackgroundServer(Pipeline(None, None), make_settings(), ready_timeout=30) as server,
        TrackerClient(server.target) as client,
    ):
        stats = run_stream(client, MotSequenceSource(seq), options, out=served,
                           detections=detections, progress=False)  # fmt: skip
    assert stats.answered == stats.sent == 12 and stats.errors == 0
    assert served.read_bytes() == outs["flow"].read_bytes()
