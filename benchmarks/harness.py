"""What every benchmark script shares: load a sequence once, drive any tracker over it with
identical per-frame inputs, time only ``update()``, write MOTChallenge results, score them.

Inputs are fully loaded before any tracker runs, so file I/O is never inside a timing.
"""

from __future__ import annotations

import configparser
import json
import platform
import subprocess
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from benchmarks.peers import PeerTracker, SequenceInfo

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
DATA = SHARED / "data"
RESULTS = REPO / "benchmarks" / "results"


@dataclass(frozen=True)
class FrameInput:
    boxes_xyxy: NDArray[np.float64]
    scores: NDArray[np.float32]
    classes: NDArray[np.int64]
    features: NDArray[np.float32] | None

    def above(self, min_score: float) -> FrameInput:
        if min_score <= 0.0:
            return self
        keep = self.scores >= min_score
        return FrameInput(
            self.boxes_xyxy[keep],
            self.scores[keep],
            self.classes[keep],
            None if self.features is None else self.features[keep],
        )


@dataclass(frozen=True)
class SequenceInput:
    name: str
    info: SequenceInfo
    frames: list[FrameInput]  # frames[0] is frame 1

    @property
    def detections(self) -> int:
        return sum(len(f.scores) for f in self.frames)


def read_seqinfo(seq_dir: Path) -> tuple[SequenceInfo, int]:
    """Image size, frame rate and length from ``seqinfo.ini``."""
    parser = configparser.ConfigParser()
    if not parser.read(seq_dir / "seqinfo.ini"):
        raise FileNotFoundError(f"{seq_dir / 'seqinfo.ini'} not found")
    section = parser["Sequence"]
    info = SequenceInfo(
        width=int(section["imWidth"]),
        height=int(section["imHeight"]),
        fps=float(section["frameRate"]),
    )
    return info, int(section["seqLength"])


def sequence_from_rows(
    name: str, seq_dir: Path, rows: NDArray[np.float64], features: NDArray[np.float32] | None
) -> SequenceInput:
    """Split MOT detection rows (frame, id, x, y, w, h, score, ...) into per-frame inputs."""
    info, length = read_seqinfo(seq_dir)
    order = np.argsort(rows[:, 0], kind="stable")
    rows = rows[order]
    if features is not None:
        features = features[order].astype(np.float32)
    frame_of = rows[:, 0].astype(np.int64)
    starts = np.searchsorted(frame_of, np.arange(1, length + 2))
    boxes = rows[:, 2:6].astype(np.float64).copy()
    boxes[:, 2:] += boxes[:, :2]
    scores = rows[:, 6].astype(np.float32)
    frames = []
    for f in range(length):
        rows_f = slice(int(starts[f]), int(starts[f + 1]))
        frames.append(
            FrameInput(
                boxes[rows_f],
                scores[rows_f],
                np.zeros(rows_f.stop - rows_f.start, np.int64),
                None if features is None else features[rows_f],
            )
        )
    return SequenceInput(name, info, frames)


def load_deepsort_npy(npy_path: Path, seq_dir: Path) -> SequenceInput:
    """deep_sort detections + features: 7 MOT columns, then the 128-d feature (row[7:])."""
    array = np.load(npy_path, allow_pickle=False).astype(np.float64)
    return sequence_from_rows(seq_dir.name, seq_dir, array[:, :7], array[:, 7:].astype(np.float32))


def load_mot_detections(det_path: Path, seq_dir: Path) -> SequenceInput:
    rows = np.loadtxt(det_path, delimiter=",", ndmin=2)
    return sequence_from_rows(seq_dir.name, seq_dir, rows, None)


@dataclass(frozen=True)
class RunOutput:
    rows: NDArray[np.float64]  # (M, 6): frame, id, x1, y1, x2, y2
    update_seconds: float
    frames: int


def run_sequence(
    tracker: PeerTracker, seq: SequenceInput, min_score: float = 0.0, with_features: bool = True
) -> RunOutput:
    """Drive ``tracker`` over every frame (after ``reset``); time only ``update`` calls."""
    tracker.reset()
    use_features = with_features and "features" in tracker.needs
    inputs = [f.above(min_score) for f in seq.frames]  # filtered before the clock starts
    outputs = []
    elapsed = 0.0
    clock = time.perf_counter
    for frame_no, frame in enumerate(inputs, start=1):
        start = clock()
        out = tracker.update(
            frame.boxes_xyxy,
            frame.scores,
            frame.classes,
            frame.features if use_features else None,
            None,
        )
        elapsed += clock() - start
        if len(out.ids):
            outputs.append(
                np.column_stack([np.full(len(out.ids), frame_no), out.ids, out.boxes_xyxy])
            )
    rows = np.concatenate(outputs) if outputs else np.empty((0, 6))
    return RunOutput(rows, elapsed, len(inputs))


def write_mot(path: Path, rows: NDArray[np.float64]) -> None:
    """MOTChallenge result rows ``frame,id,x,y,w,h,1,-1,-1,-1`` (score column unused)."""
    from tracker.io.mot import write_results

    write_results(path, rows[:, 0], rows[:, 1], rows[:, 2:6], None)


def score(
    gt_dir: Path, results_dir: Path, seqs: Sequence[str], benchmark: str
) -> dict[str, dict[str, float]]:
    """TrackEval metrics per sequence plus ``COMBINED`` (our evaluator, tracker.eval)."""
    from tracker.eval import evaluate

    result = evaluate(gt_dir, results_dir, seqs=list(seqs), benchmark=benchmark, with_motmetrics=False)
    out = {name: dict(values) for name, values in result.sequences.items()}
    out["COMBINED"] = dict(result.combined)
    return out


def environment() -> dict[str, str]:
    """Versions and machine, recorded next to every number."""
    from importlib.metadata import PackageNotFoundError, version

    packages = {}
    for name in (
        "numpy", "scipy", "lap", "trackeval", "torch", "ultralytics", "deep-sort-realtime",
        "boxmot", "trackers", "supervision", "norfair",
    ):  # fmt: skip
        try:
            packages[name] = version(name)
        except PackageNotFoundError:
            continue
    try:
        commit = subprocess.run(
            ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
            capture_output=True, text=True, check=True,
        ).stdout.strip()  # fmt: skip
    except (OSError, subprocess.CalledProcessError):
        commit = "unknown"
    return {
        "python": platform.python_version(),
        "machine": f"{platform.machine()}, {_cpu_count()} CPU(s) visible",
        "commit": commit,
        **packages,
    }


def _cpu_count() -> int:
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 0


def markdown_table(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    def cell(value: object) -> str:
        if isinstance(value, float):
            return f"{value:.3f}"
        return str(value)

    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def save(stem: str, payload: dict[str, object], markdown: str) -> tuple[Path, Path]:
    RESULTS.mkdir(parents=True, exist_ok=True)
    json_path = RESULTS / f"{stem}.json"
    md_path = RESULTS / f"{stem}.md"
    json_path.write_text(json.dumps(payload, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    md_path.write_text(markdown.rstrip() + "\n", encoding="utf-8")
    return json_path, md_path
