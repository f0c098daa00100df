"""Our PETS09-S2L1 detections with their OSNet features, as a deep_sort-style ``.npy``.

Tracking is cheap and the networks are not: with every detection's appearance feature saved
once, tracker parameters can be swept with ``tracker track --seq ... --dets FILE.npy`` (or
benchmarks/tuning) without running YOLOv5n and OSNet again. Rows are the 10 MOT det columns
followed by the 512-d unit-length feature (the layout ``tracker.io.mot.read_deepsort_npy``
reads).

    PYTHONPATH=. python benchmarks/pets_features.py \
        --dets /work/out/pets_e2e/batch1_threads1/det_yolov5n_ours.txt
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np
from tqdm import tqdm

from tracker.device import set_torch_threads
from tracker.io.mot import read_detections
from tracker.reid import build_embedder, crop_boxes

REPO = Path(__file__).resolve().parents[1]
PETS = REPO.parent / "shared" / "data" / "MOT15" / "train" / "PETS09-S2L1"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dets", type=Path, required=True, help="MOT det file of PETS09-S2L1")
    parser.add_argument("--embedder", default="osnet")
    parser.add_argument("--out", type=Path, default=Path("/work/out/PETS09-S2L1-yolov5n-osnet.npy"))
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    set_torch_threads(args.threads)
    embedder = build_embedder(args.embedder, device="cpu")
    if embedder is None:
        raise SystemExit("an embedder is needed")
    dets = read_detections(args.dets)
    boxes_xyxy = np.c_[dets.boxes_xywh[:, :2], dets.boxes_xywh[:, :2] + dets.boxes_xywh[:, 2:]]
    rows = []
    for frame, members in tqdm(dets.iter_frames(), desc="embedding", unit="frame"):
        if members.stop == members.start:
            continue
        image = cv2.imread(str(PETS / "img1" / f"{frame:06d}.jpg"))
        features = embedder.embed(crop_boxes(image, boxes_xyxy[members]))
        count = members.stop - members.start
        mot = np.c_[
            np.full(count, frame), np.full(count, -1), dets.boxes_xywh[members],
            dets.scores[members], np.full((count, 3), -1),
        ]  # fmt: skip
        rows.append(np.c_[mot, features])
    array = np.concatenate(rows)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.save(args.out, array)
    print(f"wrote {args.out}: {array.shape[0]} detections x {array.shape[1] - 10}-d features")


if __name__ == "__main__":
    main()
