"""The service as users run it: stubs in sync with the proto, `tracker serve` draining on
SIGTERM in a subprocess, and the `stream`, `health` and `demo` commands."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import cv2
import grpc
import pytest
from service_support import MovingBoxes, free_port, make_pipeline, make_settings

from tracker.cli import main
from tracker.client import StreamOptions, TrackerClient, check_health
from tracker.detect.public import detections_by_frame
from tracker.io.mot import read_results
from tracker.io.sources import open_source
from tracker.service.background import BackgroundServer

REPO = Path(__file__).resolve().parents[1]


def test_committed_stubs_match_the_proto(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHON": sys.executable}
    subprocess.run(
        ["bash", str(REPO / "scripts/gen_proto.sh"), str(tmp_path)],
        check=True, env=env, capture_output=True, timeout=120,
    )  # fmt: skip
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["__init__.py", "tracker_pb2.py", "tracker_pb2.pyi", "tracker_pb2_grpc.py"]
    for name in names:
        committed = (REPO / "tracker/_proto" / name).read_bytes()
        assert (tmp_path / name).read_bytes() == committed, (
            f"tracker/_proto/{name} is stale: run scripts/gen_proto.sh and commit"
        )


def test_sigterm_drains_in_flight_frames_and_exits_cleanly(shared_data: Path) -> None:
    port = free_port()
    target = f"127.0.0.1:{port}"
    env = {**os.environ, "PYTHONPATH": str(REPO), "TRACKER_PORT": str(port)}
    process = subprocess.Popen(
        [sys.executable, "-m", "tracker", "serve", "--detector", "none", "--embedder", "none",
         "--host", "127.0.0.1", "--metrics-port", "0", "--log-format", "json"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while not check_health(target, timeout=1):
            assert process.poll() is None, process.communicate()[1]
            assert time.monotonic() < deadline, "server did not become SERVING"
            time.sleep(0.2)
        seq = shared_data / "MOT15/train/PETS09-S2L1"
        detections = detections_by_frame(seq / "det/det_yolov5n.txt")
        from tracker.client import ClientFrame

        def frames() -> Iterator[ClientFrame]:
            for f in open_source(str(seq)):
                time.sleep(0.002)  # >= 1.6 s for the sequence: SIGTERM lands mid-stream
                yield ClientFrame(f.frame_id, f.encoded, detections.get(f.frame_id))

        received: list[int] = []
        status: list[grpc.RpcError] = []
        with TrackerClient(target) as client:
            options = StreamOptions(detector="public", embedder="none", policy="all")
            try:
                for result in client.track(frames(), options):
                    received.append(result.frame_id)
                    if len(received) == 50:
                        threading.Thread(target=process.send_signal, args=(signal.SIGTERM,)).start()
            except grpc.RpcError as error:
                status.append(error)
        _, stderr = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, stderr
    assert 50 <= len(received) < 795  # stopped part-way ...
    assert received == list(range(1, len(received) + 1))  # ... with no gap
    assert status and status[0].code() == grpc.StatusCode.UNAVAILABLE
    match = re.search(r"all (\d+) frames it read were answered", status[0].details())
    assert match and int(match.group(1)) == len(received), status[0].details()
    assert '"message": "stopped"' in stderr


def test_health_command_tells_a_loading_server_from_a_missing_one(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Issue 13.11: NOT_SERVING was printed both for a loading server and for a port where
    nothing listens."""
    assert main(["health", "--server", f"127.0.0.1:{free_port()}", "--timeout", "1"]) == 3
    assert capsys.readouterr().out.startswith("UNREACHABLE: ")
    with BackgroundServer(make_pipeline(), make_settings(), ready_timeout=30) as background:
        assert main(["health", "--server", background.target]) == 0
        assert capsys.readouterr().out.startswith("SERVING: ")
        assert main(["health", "--server", background.target, "--service", "nope"]) == 3
        assert capsys.readouterr().out.startswith("SERVICE_UNKNOWN: ")
    # NOT_SERVING (a loading server): test_health_is_not_serving_until_the_models_are_ready


def _serve(*flags: str, timeout: float = 30) -> tuple[int | None, str]:
    """``tracker serve`` (no models) in a subprocess: its exit code (None if it was still
    running after ``timeout`` s and had to be killed) and its stderr."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    process = subprocess.Popen(
        [sys.executable, "-m", "tracker", "serve", "--detector", "none", "--embedder", "none",
         "--host", "127.0.0.1", *flags],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        _, stderr = process.communicate(timeout=timeout)
        return process.returncode, stderr
    except subprocess.TimeoutExpired:
        process.kill()
        return None, process.communicate()[1]


def test_a_taken_grpc_port_is_a_one_line_error_and_exit_2() -> None:
    """Issue 13.9: with its port taken by another gRPC server (SO_REUSEPORT on, grpc's
    default) `tracker serve` started anyway and both listened, splitting the clients."""
    from concurrent.futures import ThreadPoolExecutor

    other = grpc.server(ThreadPoolExecutor(1))
    port = other.add_insecure_port("127.0.0.1:0")
    other.start()
    try:
        code, stderr = _serve("--port", str(port), "--metrics-port", "0", timeout=20)
    finally:
        other.stop(0)
    assert code == 2, stderr
    (line,) = stderr.strip().splitlines()
    assert f"127.0.0.1:{port}: the port is in use" in line and "--port" in line


def test_a_taken_metrics_port_is_a_one_line_error_and_exit_2() -> None:
    """Issue 13.9: with the metrics port taken, `tracker serve` died with two tracebacks."""
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        metrics_port = taken.getsockname()[1]
        code, stderr = _serve("--port", "0", "--metrics-port", str(metrics_port), timeout=20)
    assert code == 2, stderr
    (line,) = stderr.strip().splitlines()
    assert "cannot listen for metrics" in line and "--metrics-port" in line


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--detector", "yolov5", "--embedder", "nope"], "unknown embedder 'nope'"),
        (["--detector", "yolo11", "--embedder", "osnet"], "unknown detector 'yolo11'"),
    ],
)
def test_unknown_model_names_are_reported_before_any_model_loads(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    flags: list[str],
    message: str,
) -> None:
    """Issue 13.11: `--embedder nope` was reported only after the detector had loaded (50 s)."""
    import tracker.detect
    import tracker.reid

    def never(*args: object, **kwargs: object) -> None:
        raise AssertionError("a model was built before the names were checked")

    monkeypatch.setattr(tracker.detect, "build_detector", never)
    monkeypatch.setattr(tracker.reid, "build_embedder", never)
    code = main(["serve", *flags, "--port", "0", "--metrics-port", "0"])
    assert code == 2
    assert message in capsys.readouterr().err


def test_stream_command_writes_results_and_video(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    video = MovingBoxes(n=2)
    folder = tmp_path / "frames"
    folder.mkdir()
    for t in range(1, 31):
        cv2.imwrite(str(folder / f"{t:06d}.png"), video.frame(t))
    out, mp4 = tmp_path / "res.txt", tmp_path / "out.mp4"
    with BackgroundServer(make_pipeline(), make_settings(), ready_timeout=30) as background:
        code = main(["stream", "--server", background.target, "--source", str(folder),
                     "--out", str(out), "--save-video", str(mp4), "--policy", "all",
                     "--quiet", "--set", "max_age=5"])  # fmt: skip
    assert code == 0
    assert "30/30 frames answered" in capsys.readouterr().out
    rows = read_results(out)
    assert set(rows.ids.tolist()) == {1, 2} and rows.frames.max() == 30
    capture = cv2.VideoCapture(str(mp4))
    assert int(capture.get(cv2.CAP_PROP_FRAME_COUNT)) == 30
    capture.release()


def test_stream_command_reports_an_unreachable_server(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "frames"
    folder.mkdir()
    cv2.imwrite(str(folder / "000001.png"), MovingBoxes().frame(0))
    code = main(["stream", "--server", f"127.0.0.1:{free_port()}", "--source", str(folder),
                 "--quiet"])  # fmt: skip
    assert code == 2
    assert "UNAVAILABLE" in capsys.readouterr().err


def test_demo_scores_pets09_through_the_server(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["demo", "--detections", "yolov5n", "--embedder", "none", "--out",
                 str(tmp_path), "--quiet"])  # fmt: skip
    assert code == 0
    printed = capsys.readouterr().out
    assert "795/795 frames answered" in printed
    assert "HOTA" in printed and "PETS09-S2L1" in printed
    assert len(read_results(tmp_path / "results/PETS09-S2L1.txt").ids) > 3000


def test_stream_command_reads_a_video_file(
    shared_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    video = shared_data / "videos/market-street.mp4"
    with BackgroundServer(make_pipeline(), make_settings(), ready_timeout=30) as background:
        code = main(["stream", "--server", background.target, "--source", str(video),
                     "--max-frames", "8", "--policy", "all", "--quiet",
                     "--out", str(tmp_path / "r.txt")])  # fmt: skip
    assert code == 0
    assert "8/8 frames answered" in capsys.readouterr().out
    assert (tmp_path / "r.txt").is_file()
