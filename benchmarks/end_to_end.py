"""End-to-end FPS with the same detector: our pipeline against boxmot StrongSORT.

Both sides decode the same PETS09-S2L1 JPEGs and get their boxes from the same YOLOv5n
(``tracker.detect``, batches of ``batch`` frames), in the same process and run. Then:

- ours: ``Pipeline`` (OSNet x0.25 MSMT17 on all crops of a batch in one call, then
  ``DeepSort`` per frame), driven by ``tracker.source_tracking.track_source``;
- boxmot: ``StrongSort`` with its own OSNet x0.25 MSMT17 re-ID (the shared weights file,
  boxmot skips downloads when it exists) computing features from the frame inside
  ``update``, one frame at a time as boxmot works. Camera-motion compensation is off, as in
  the accuracy runs (ours has none; ECC would only make boxmot slower).

Per-stage split: decode, detect, embed, associate (boxmot's embed is the time in its
``_resolve_input_embeddings``, the rest of ``update`` is associate). A short untimed warm-up
runs first for both. The machine is shared, so the ratio is the result.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any

import numpy as np

STAGES = ("decode", "detect", "embed", "associate")


@dataclass
class EndToEnd:
    """One pipeline's run over the same frames; ``ms_per_frame`` per stage."""

    name: str
    frames: int
    wall_seconds: float
    fps: float
    ms_per_frame: dict[str, float]
    detections: int
    track_ids: int
    load_average_1min: float = field(default=0.0)


def _per_frame(seconds: dict[str, float], frames: int) -> dict[str, float]:
    return {stage: 1000.0 * seconds.get(stage, 0.0) / max(frames, 1) for stage in STAGES}


def run_ours(
    seq_dir: Path, detector: Any, embedder: Any, frames: int, batch: int, progress: bool
) -> EndToEnd:
    from tracker.io.sources import MotSequenceSource
    from tracker.pipeline import Pipeline
    from tracker.source_tracking import track_source

    pipeline = Pipeline(detector, embedder)
    run = track_source(
        MotSequenceSource(seq_dir), pipeline, batch=batch, max_frames=frames, progress=progress
    )
    stages = dict(run.stage_seconds)
    stages["associate"] = stages.pop("track")
    return EndToEnd(
        "ours",
        run.frames,
        run.wall_seconds,
        run.fps,
        _per_frame(stages, run.frames),
        run.detections,
        len(run.track_ids),
        os.getloadavg()[0],
    )


def _timed_method(owner: object, method: str, spent: list[float]) -> None:
    """Replace ``owner.method`` (on the instance only) by a wrapper adding its time to spent."""
    original: Callable[..., Any] = getattr(owner, method)

    def timed(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            spent[0] += time.perf_counter() - start

    setattr(owner, method, timed)


def boxmot_weights(cache_dir: Path) -> Path:
    """The shared OSNet x0.25 MSMT17 file under a name boxmot accepts.

    boxmot 25 picks its re-ID backend from the file suffix and rejects ``.pth``; a ``.pt``
    symlink to the very same file (in the cache, never in git) loads all 565 tensors, and
    boxmot skips its download because the file exists.
    """
    from benchmarks.peers.boxmot_trackers import OSNET_WEIGHTS

    link = cache_dir / "weights" / OSNET_WEIGHTS.with_suffix(".pt").name
    if not link.exists():
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(OSNET_WEIGHTS)
    return link


def run_boxmot_strongsort(
    seq_dir: Path, detector: Any, frames: int, batch: int, progress: bool, weights: Path
) -> EndToEnd:
    import cv2
    from tqdm import tqdm

    from benchmarks.peers import SequenceInfo
    from benchmarks.peers.boxmot_trackers import BoxmotTracker
    from tracker.io.mot import read_seqinfo

    seq = read_seqinfo(seq_dir)
    info = SequenceInfo(seq.width, seq.height, seq.frame_rate)
    adapter = BoxmotTracker(info, "strongsort", reid_weights=weights)
    embed_spent = [0.0]
    _timed_method(adapter._tracker, "_resolve_input_embeddings", embed_spent)
    paths = sorted((seq_dir / seq.image_dir).glob(f"*{seq.image_ext}"))[:frames]
    seconds = dict.fromkeys(STAGES, 0.0)
    detections, ids = 0, set()
    bar = tqdm(total=len(paths), desc="boxmot-strongsort", unit="frame", disable=not progress)
    start_all = time.perf_counter()
    paths_iter = iter(paths)
    while chunk := list(islice(paths_iter, batch)):
        start = time.perf_counter()
        images = [np.asarray(cv2.imread(str(path)), np.uint8) for path in chunk]
        seconds["decode"] += time.perf_counter() - start
        start = time.perf_counter()
        found = detector.detect(images)
        seconds["detect"] += time.perf_counter() - start
        for image, dets in zip(images, found, strict=True):
            before = embed_spent[0]
            start = time.perf_counter()
            out = adapter.update(
                dets.boxes.astype(np.float64), dets.scores, dets.classes, None, image
            )
            step = time.perf_counter() - start
            embed = embed_spent[0] - before
            seconds["embed"] += embed
            seconds["associate"] += step - embed
            detections += len(dets)
            ids.update(out.ids.tolist())
        bar.update(len(chunk))
    bar.close()
    wall = time.perf_counter() - start_all
    return EndToEnd(
        "boxmot-strongsort",
        len(paths),
        wall,
        len(paths) / wall,
        _per_frame(seconds, len(paths)),
        detections,
        len(ids),
        os.getloadavg()[0],
    )


def compare(
    seq_dir: Path,
    cache_dir: Path,
    frames: int = 150,
    batch: int = 8,
    threads: int = 1,
    progress: bool = True,
) -> dict[str, object]:
    """Ours and boxmot StrongSORT over the first ``frames`` frames; FPS ratio and stages."""
    from tracker.detect import build_detector
    from tracker.device import set_torch_threads
    from tracker.reid import build_embedder

    set_torch_threads(threads)
    detector = build_detector("yolov5", device="cpu", score_threshold=0.1)
    embedder = build_embedder("osnet", device="cpu")
    weights = boxmot_weights(cache_dir)
    warm = 2 * batch
    run_ours(seq_dir, detector, embedder, warm, batch, progress=False)
    run_boxmot_strongsort(seq_dir, detector, warm, batch, progress=False, weights=weights)
    ours = run_ours(seq_dir, detector, embedder, frames, batch, progress)
    boxmot = run_boxmot_strongsort(seq_dir, detector, frames, batch, progress, weights)
    return {
        "sequence": seq_dir.name,
        "frames": frames,
        "batch": batch,
        "torch_threads": threads,
        "detector": "YOLOv5n (tracker.detect 'yolov5', default letterbox size and runtime, "
        "score > 0.1), shared",
        "runs": {run.name: asdict(run) for run in (ours, boxmot)},
        "speedup_of_ours": ours.fps / boxmot.fps if boxmot.fps else float("nan"),
    }
