"""The server's two halves overlap: the front thread decodes and detects the next batch while
the model thread embeds and tracks this one, and every stream still gets exactly the answers
of running its frames one at a time, in order."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence

import cv2
import numpy as np
from numpy.typing import NDArray
from service_support import ColourBoxDetector, MovingBoxes, jpeg, make_settings

from tracker.client import ClientFrame, StreamOptions, TrackerClient
from tracker.core import DeepSortConfig
from tracker.pipeline import Pipeline
from tracker.service.background import BackgroundServer

VIDEO = MovingBoxes(n=3)
FRAMES = [jpeg(VIDEO.frame(t)) for t in range(24)]


class Recorder:
    """Which thread ran each model call, and when."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, float, float]] = []
        self._lock = threading.Lock()

    def record(self, model: str, start: float) -> None:
        with self._lock:
            self.calls.append((model, threading.current_thread().name, start, time.monotonic()))

    def overlapped(self) -> bool:
        detects = [(s, e) for m, _, s, e in self.calls if m == "detect"]
        embeds = [(s, e) for m, _, s, e in self.calls if m == "embed"]
        return any(s1 < e2 and s2 < e1 for s1, e1 in detects for s2, e2 in embeds)


class SlowDetector(ColourBoxDetector):
    def __init__(self, recorder: Recorder) -> None:
        super().__init__()
        self.recorder = recorder

    def detect(self, frames: Sequence[NDArray[np.uint8]]):  # type: ignore[no-untyped-def]
        start = time.monotonic()
        time.sleep(0.03)
        found = super().detect(frames)
        self.recorder.record("detect", start)
        return found


class SlowEmbedder:
    """Mean colour of each crop: deterministic, and slow enough to overlap with detection."""

    name, dim, match_distance = "mean-colour", 3, 0.3

    def __init__(self, recorder: Recorder) -> None:
        self.recorder = recorder

    def embed(self, crops: Sequence[NDArray[np.uint8]]) -> NDArray[np.float32]:
        start = time.monotonic()
        time.sleep(0.03)
        out = np.array([c.reshape(-1, 3).mean(axis=0) + 1.0 for c in crops], np.float32)
        self.recorder.record("embed", start)
        return out.reshape(-1, 3) / np.linalg.norm(out.reshape(-1, 3), axis=1, keepdims=True)


def _reference(config: DeepSortConfig) -> list[list[int]]:
    recorder = Recorder()
    pipeline = Pipeline(SlowDetector(recorder), SlowEmbedder(recorder), config)  # type: ignore[arg-type]
    stream = pipeline.new_stream()
    ids = []
    for data in FRAMES:
        image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
        (result,) = pipeline.process([(stream, image)])
        ids.append(result.tracks.ids.tolist())
    return ids


def test_detect_overlaps_embed_and_streams_keep_their_answers() -> None:
    config = DeepSortConfig(n_init=2)
    recorder = Recorder()
    pipeline = Pipeline(SlowDetector(recorder), SlowEmbedder(recorder), config)  # type: ignore[arg-type]
    answers: dict[int, list[list[int]]] = {}

    def run(index: int, target: str) -> None:
        frames = [ClientFrame(i + 1, data) for i, data in enumerate(FRAMES)]
        with TrackerClient(target) as client:
            results = list(client.track(frames, StreamOptions(stream_id=f"s{index}", policy="all")))
        assert [r.frame_id for r in results] == list(range(1, len(FRAMES) + 1))
        assert not any(r.error for r in results)
        answers[index] = [r.track_ids.tolist() for r in results]

    settings = make_settings(max_batch=2, max_wait_ms=5)
    with BackgroundServer(pipeline, settings, ready_timeout=30) as background:
        threads = [threading.Thread(target=run, args=(i, background.target)) for i in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
    reference = _reference(config)
    assert answers == {0: reference, 1: reference, 2: reference}
    served = [(m, t) for m, t, _, _ in recorder.calls[2:]]  # after the warm-up calls
    assert {t for m, t in served if m == "detect"} == {"tracker-front_0"}
    assert {t for m, t in served if m == "embed"} == {"tracker-model_0"}
    assert recorder.overlapped(), "the front thread never detected while the model thread embedded"
