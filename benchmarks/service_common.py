"""Workloads for the service benchmarks: stand-ins that isolate the service's own costs, and
the real models (``models``).

- ``public``: PETS09-S2L1 with its YOLOv5n detections sent by the client (public-detection
  mode), motion-only. The server does the least work possible, so this bounds gRPC overhead
  from above.
- ``jpeg-hist``: the PETS09 JPEG frames decoded by the server, the YOLOv5n detections sent by
  the client, and a colour-histogram embedder (a real, weak appearance descriptor; numpy +
  OpenCV on CPU) cutting crops from every frame: decode + crop + embed + track per frame.
- ``models``: the real thing, YOLOv5n + OSNet x0.25 on the CPU, frames decoded by the server.
- ``simulated``: 64x64 raw (uncompressed) frames that carry their frame number in their
  first pixels, and a stand-in detector that returns the PETS09 detections of that frame
  after sleeping ``15 ms + 3 ms * batch`` (sleep releases the GIL, like a model on a GPU).
  Its only purpose is to show what cross-stream batching does for a model with a fixed cost
  per call.

The server runs in a child process (``ServerProcess``), as in deployment: the client's
protobuf and JPEG work does not share a GIL with the server.
"""

from __future__ import annotations

import json
import platform
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import cv2
import numpy as np
from numpy.typing import NDArray

from benchmarks.harness import PETS09
from tracker.client import ClientFrame
from tracker.detect.base import FrameDetections
from tracker.detect.public import detections_by_frame

RESULTS = Path(__file__).resolve().parent / "results"
N_PETS = 795

T = TypeVar("T")


@dataclass(frozen=True)
class Pets:
    jpegs: list[bytes]  # index 0 = frame 1
    detections: dict[int, FrameDetections]

    @staticmethod
    def load() -> Pets:
        jpegs = [(PETS09 / "img1" / f"{i:06d}.jpg").read_bytes() for i in range(1, N_PETS + 1)]
        return Pets(jpegs, detections_by_frame(PETS09 / "det" / "det_yolov5n.txt"))

    def dets(self, frame_id: int) -> FrameDetections:
        return self.detections.get((frame_id - 1) % N_PETS + 1, FrameDetections.empty())

    def frames(self, workload: str, n: int) -> Iterator[ClientFrame]:
        """``n`` client frames (PETS09 repeated as needed, frame ids keep counting)."""
        for frame_id in range(1, n + 1):
            if workload == "public":
                yield ClientFrame(frame_id, None, self.dets(frame_id))
            elif workload == "jpeg-hist":
                yield ClientFrame(
                    frame_id, self.jpegs[(frame_id - 1) % N_PETS], self.dets(frame_id)
                )
            elif workload == "simulated":
                yield ClientFrame(frame_id, tagged_frame(frame_id))
            elif workload == "models":
                yield ClientFrame(frame_id, self.jpegs[(frame_id - 1) % N_PETS])
            else:
                raise ValueError(f"unknown workload {workload!r}")


class ColourHistogramEmbedder:
    """HSV hue/saturation histogram of each crop (8x6 bins), L2-normalised: a real but weak
    appearance feature that costs about what a tiny CNN costs per crop on CPU."""

    name = "hsv-histogram"
    dim = 48
    match_distance = 0.2  # not calibrated: the tracker's default gate

    def embed(self, crops: Sequence[NDArray[np.uint8]]) -> NDArray[np.float32]:
        out = np.zeros((len(crops), self.dim), np.float32)
        for i, crop in enumerate(crops):
            hsv = cv2.cvtColor(np.ascontiguousarray(crop), cv2.COLOR_BGR2HSV)
            hist = cv2.calcHist([hsv], [0, 1], None, [8, 6], [0, 180, 0, 256]).ravel()
            out[i] = hist
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.maximum(norms, 1e-12)


def tagged_frame(frame_id: int) -> NDArray[np.uint8]:
    """A 64x64 frame whose first pixel row stores ``frame_id`` (raw frames are lossless)."""
    image = np.zeros((64, 64, 3), np.uint8)
    image[0, :4, 0] = np.frombuffer(np.uint32(frame_id).tobytes(), np.uint8)
    return image


class SimulatedBatchedDetector:
    """Returns PETS09's detections for the frame number tagged in each image, after
    sleeping a fixed cost per call plus a cost per frame."""

    name = "simulated"

    def __init__(self, pets: Pets, per_call_s: float = 0.015, per_frame_s: float = 0.003):
        self.pets = pets
        self.per_call_s = per_call_s
        self.per_frame_s = per_frame_s

    def detect(self, frames: Sequence[NDArray[np.uint8]]) -> list[FrameDetections]:
        time.sleep(self.per_call_s + self.per_frame_s * len(frames))
        ids = [int(np.frombuffer(f[0, :4, 0].tobytes(), np.uint32)[0]) for f in frames]
        return [self.pets.dets(i) if i else FrameDetections.empty() for i in ids]


def environment() -> dict[str, Any]:
    import grpc

    return {
        "python": platform.python_version(),
        "grpcio": grpc.__version__,
        "machine": platform.machine(),
        "cpus": __import__("os").cpu_count(),
        "note": "2 shared CPU cores (other jobs running); numbers are indicative",
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


def save(name: str, payload: dict[str, Any], markdown: str) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(payload, indent=2) + "\n")
    (RESULTS / f"{name}.md").write_text(markdown)
    print(markdown)


def build_pipeline(workload: str) -> Any:
    from tracker.pipeline import Pipeline

    if workload == "public":
        return Pipeline(None, None)
    if workload == "jpeg-hist":
        return Pipeline(None, ColourHistogramEmbedder())
    if workload == "simulated":
        return Pipeline(SimulatedBatchedDetector(Pets.load()), None)
    if workload == "models":  # the real thing: YOLOv5n + OSNet x0.25 on the CPU, one thread
        from tracker.detect import build_detector
        from tracker.device import set_torch_threads
        from tracker.reid import build_embedder

        set_torch_threads(1)
        return Pipeline(
            build_detector("yolov5", device="cpu"), build_embedder("osnet", device="cpu")
        )
    raise ValueError(f"unknown workload {workload!r}")


def _serve(workload: str, settings: Any, conn: Any) -> None:
    from tracker.service.background import BackgroundServer

    with BackgroundServer(lambda: build_pipeline(workload), settings) as background:
        conn.send(background.target)
        conn.recv()  # until the parent says stop


class ServerProcess:
    """A TrackerServer for ``workload`` in a child process; ``pid`` for memory readings."""

    def __init__(self, workload: str, **settings: Any) -> None:
        import multiprocessing

        from tracker.service.settings import ServerSettings

        ctx = multiprocessing.get_context("spawn")
        self._conn, child = ctx.Pipe()
        config = ServerSettings(host="127.0.0.1", port=0, metrics_port=0, **settings)
        self.process = ctx.Process(target=_serve, args=(workload, config, child), daemon=True)
        self.process.start()
        if not self._conn.poll(120):
            self.process.kill()
            raise RuntimeError("benchmark server did not start")
        self.target: str = self._conn.recv()
        self.pid = self.process.pid

    def rss_mib(self) -> float:
        """Resident memory of the server process (Linux /proc)."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        raise RuntimeError("no VmRSS")

    def cpu_seconds(self) -> float:
        """User + system CPU time of the server process so far (Linux /proc), all threads."""
        import os

        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def __enter__(self) -> ServerProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self._conn.send("stop")
        self.process.join(30)
        if self.process.is_alive():
            self.process.kill()


def percentile_ms(values: Sequence[float], q: float) -> float:
    array = np.asarray(values, np.float64)
    array = array[np.isfinite(array)]
    return round(float(np.percentile(array, q)) * 1000, 1) if len(array) else float("nan")


def paced(frames: Iterable[T], fps: float | None) -> Iterator[T]:
    """``frames`` at ``fps`` as a camera would send them (all at once without ``fps``)."""
    start = time.perf_counter()
    for k, frame in enumerate(frames):
        if fps:
            delay = start + k / fps - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
        yield frame


def run_in_threads(work: Callable[[int], None], n: int) -> float:
    """``work(0) ... work(n - 1)`` on ``n`` threads at once (one client stream each); the
    wall time until the last one ends."""
    threads = [threading.Thread(target=work, args=(i,)) for i in range(n)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - start
