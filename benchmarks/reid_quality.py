"""Re-ID quality and speed of each embedder on PETS09-S2L1 ground-truth crops.

Protocol (as in shared/weights/PROVENANCE.md): for t = 50, 110, ..., 710, embed the gt crops
of frames t and t+30; rank-1 counts the crops of t+30 whose nearest crop of t (cosine) has the
same ID (66 pairs). Also the mean cosine similarity of same-ID and other-ID pairs, and crops
per second (each frame's crops in one batch, as the pipeline does).

    PYTHONPATH=. python benchmarks/reid_quality.py
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import cv2
import numpy as np
import torch

from benchmarks.harness import PETS09
from tracker.device import set_torch_threads
from tracker.reid import build_embedder, crop_boxes

REPO = Path(__file__).resolve().parents[1]
EMBEDDERS = ("osnet", "osnet-market", "market-cnn", "mobilenetv2")
EXPECTED = {"osnet": 61, "osnet-market": 56, "market-cnn": 53, "mobilenetv2": 51}


def load_crops(starts: range) -> list[tuple[np.ndarray, list, np.ndarray, list]]:
    gt = np.loadtxt(PETS09 / "gt" / "gt.txt", delimiter=",")

    def frame_crops(frame: int) -> tuple[np.ndarray, list]:
        rows = gt[gt[:, 0] == frame]
        image = cv2.imread(str(PETS09 / "img1" / f"{frame:06d}.jpg"))
        boxes = np.c_[rows[:, 2:4], rows[:, 2:4] + rows[:, 4:6]]
        return rows[:, 1].astype(int), crop_boxes(image, boxes)

    return [(*frame_crops(t), *frame_crops(t + 30)) for t in starts]


def evaluate(name: str, pairs: list, repeats: int) -> dict[str, object]:
    embedder = build_embedder(name, device="cpu")
    assert embedder is not None
    hits = total = 0
    same, other = [], []
    for ids_a, crops_a, ids_b, crops_b in pairs:
        similarity = embedder.embed(crops_b) @ embedder.embed(crops_a).T
        nearest = ids_a[similarity.argmax(axis=1)]
        known = np.isin(ids_b, ids_a)
        hits += int((nearest[known] == ids_b[known]).sum())
        total += int(known.sum())
        match = ids_b[:, None] == ids_a[None, :]
        same += similarity[match].tolist()
        other += similarity[~match].tolist()
    crop_lists = [crops for pair in pairs for crops in (pair[1], pair[3])]
    count = sum(len(c) for c in crop_lists)
    start = time.perf_counter()
    for _ in range(repeats):
        for crops in crop_lists:
            embedder.embed(crops)
    per_frame_batches = repeats * count / (time.perf_counter() - start)
    everything = [c for crops in crop_lists for c in crops]
    start = time.perf_counter()
    for _ in range(repeats):
        embedder.embed(everything)
    one_batch = repeats * count / (time.perf_counter() - start)
    return {
        "embedder": name,
        "dim": embedder.dim,
        "rank1": hits,
        "pairs": total,
        "rank1_rate": round(hits / total, 3),
        "expected_rank1_provenance": EXPECTED[name],
        "mean_cos_same_id": round(float(np.mean(same)), 3),
        "mean_cos_other_ids": round(float(np.mean(other)), 3),
        "crops_per_second_per_frame_batches": round(per_frame_batches, 1),
        "crops_per_second_one_batch": round(one_batch, 1),
        "crops_timed": count * repeats,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--json", type=Path, default=REPO / "benchmarks/results/reid_quality.json")
    args = parser.parse_args()
    set_torch_threads(args.threads)
    pairs = load_crops(range(50, 711, 60))
    results = []
    for name in EMBEDDERS:
        results.append(evaluate(name, pairs, args.repeats))
        print(json.dumps(results[-1]))
    report = {
        "what": "rank-1 of frame t+30 gt crops against frame t, t = 50, 110, ..., 710, PETS09-S2L1",
        "command": f"PYTHONPATH=. python benchmarks/reid_quality.py --threads {args.threads}",
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {"cpu_count": os.cpu_count(), "torch": torch.__version__,
                    "torch_threads": args.threads, "load_average_1min": os.getloadavg()[0]},
        "results": results,
    }  # fmt: skip
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
