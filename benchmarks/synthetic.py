"""A synthetic crowd for tracker-only timing at a chosen density (~50 detections per frame).

People walk in straight lines (bouncing off the image border) at different speeds and sizes;
their detections get pixel noise, occasional misses and a few low-score false positives;
each person has a fixed random 128-d appearance vector seen through per-frame noise. Seeded,
so every tracker and every run sees the same frames. Only speed is measured on it: there is
no ground truth file, and the scene is not meant to be hard.

``hidden_fraction`` hides each person for that part of every ``cycle``-frame period (at a
random phase), as behind an occluder: with ``people=100, hidden_fraction=0.5`` about 50
detections per frame meet about 100 live tracks, the other half coasting on their motion
(the hidden spell, 1 s by default, is far shorter than ``max_age``).
"""

from __future__ import annotations

import numpy as np

from benchmarks.harness import FrameInput, SequenceInput
from benchmarks.peers import SequenceInfo


def crowd(
    people: int = 50,
    frames: int = 300,
    feature_dim: int = 128,
    width: int = 1920,
    height: int = 1080,
    miss_rate: float = 0.05,
    false_positives: float = 2.0,
    seed: int = 0,
    hidden_fraction: float = 0.0,
    cycle: int = 60,
    name: str = "synthetic-crowd",
) -> SequenceInput:
    rng = np.random.default_rng(seed)
    phase = np.random.default_rng(seed + 1).integers(0, cycle, people)  # keeps rng's stream
    h = rng.uniform(80, 250, people)
    w = 0.4 * h
    pos = np.column_stack([rng.uniform(0, width - w), rng.uniform(0, height - h)])
    vel = rng.normal(0.0, 2.5, (people, 2))
    identity = rng.normal(size=(people, feature_dim))
    identity /= np.linalg.norm(identity, axis=1, keepdims=True)
    limit = np.column_stack([width - w, height - h])
    out = []
    for t in range(frames):
        pos += vel
        bounced = (pos < 0) | (pos > limit)
        vel[bounced] *= -1
        pos = np.clip(pos, 0, limit)
        seen = rng.random(people) >= miss_rate
        seen &= (t + phase) % cycle >= hidden_fraction * cycle
        boxes = np.column_stack([pos, pos + np.column_stack([w, h])])[seen]
        boxes += rng.normal(0.0, 2.0, boxes.shape)
        scores = rng.uniform(0.5, 1.0, len(boxes))
        feats = identity[seen] + rng.normal(0.0, 0.05, (len(boxes), feature_dim))
        n_fp = rng.poisson(false_positives)
        fp_xy = rng.uniform([0, 0], [width - 100, height - 200], (n_fp, 2))
        fp_boxes = np.column_stack([fp_xy, fp_xy + rng.uniform([30, 80], [100, 200], (n_fp, 2))])
        boxes = np.concatenate([boxes, fp_boxes])
        scores = np.concatenate([scores, rng.uniform(0.1, 0.5, n_fp)])
        feats = np.concatenate([feats, rng.normal(size=(n_fp, feature_dim))])
        feats /= np.linalg.norm(feats, axis=1, keepdims=True)
        out.append(
            FrameInput(
                boxes.astype(np.float64),
                scores.astype(np.float32),
                np.zeros(len(boxes), np.int64),
                feats.astype(np.float32),
            )
        )
    return SequenceInput(name, SequenceInfo(width, height, 30.0), out)
