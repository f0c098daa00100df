"""What every benchmark script shares: load a sequence once, drive any tracker over it with
identical per-frame inputs, time only ``update()``, write MOTChallenge results, score them.

Inputs are fully loaded before any tracker runs, so file I/O is never inside a timing.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import platform
import subprocess
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from benchmarks.peers import PeerTracker, SequenceInfo

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
DATA = SHARED / "data"
PETS09 = DATA / "MOT15" / "train" / "PETS09-S2L1"  # the sequence with frames (img1/)
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


def load_sequence(det_path: Path, seq_dir: Path) -> SequenceInput:
    """Per-frame inputs from a MOT ``det.txt`` or a deep_sort ``.npy`` (features = row[7:])."""
    from tracker.io.mot import read_detections, read_seqinfo

    seq = read_seqinfo(seq_dir)
    dets = read_detections(det_path)
    boxes = dets.boxes_xywh.copy()
    boxes[:, 2:] += boxes[:, :2]
    frames = []
    for _, rows in dets.iter_frames(seq.length):
        frames.append(
            FrameInput(
                boxes[rows],
                dets.scores[rows],
                np.zeros(rows.stop - rows.start, np.int64),
                None if dets.features is None else dets.features[rows],
            )
        )
    info = SequenceInfo(width=seq.width, height=seq.height, fps=seq.frame_rate)
    return SequenceInput(seq_dir.name, info, frames)


@dataclass(frozen=True)
class RunOutput:
    rows: NDArray[np.float64]  # (M, 6): frame, id, x1, y1, x2, y2
    update_seconds: float
    frames: int
    degenerate_boxes: int  # reported boxes with w <= 0 or h <= 0, left out of ``rows``


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
    # A coasting Kalman prediction can shrink below zero size; no MOT file may hold it.
    sized = (rows[:, 4] > rows[:, 2]) & (rows[:, 5] > rows[:, 3])
    return RunOutput(rows[sized], elapsed, len(inputs), int((~sized).sum()))


def write_mot(path: Path, rows: NDArray[np.float64]) -> None:
    """MOTChallenge result rows ``frame,id,x,y,w,h,1,-1,-1,-1`` (score column unused)."""
    from tracker.io.mot import write_results

    write_results(path, rows[:, 0].astype(np.int64), rows[:, 1].astype(np.int64), rows[:, 2:6])


def score(gt_dir: Path, results_dir: Path, seqs: Sequence[str], benchmark: str) -> Metrics:
    """TrackEval metrics per sequence plus ``COMBINED`` (our evaluator, tracker.eval)."""
    from tracker.eval import evaluate

    result = evaluate(
        gt_dir, results_dir, seqs=list(seqs), benchmark=benchmark, with_motmetrics=False
    )
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


def save(stem: str, payload: Mapping[str, object], markdown: str) -> tuple[Path, Path]:
    RESULTS.mkdir(parents=True, exist_ok=True)
    json_path = RESULTS / f"{stem}.json"
    md_path = RESULTS / f"{stem}.md"
    json_path.write_text(json.dumps(payload, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    md_path.write_text(markdown.rstrip() + "\n", encoding="utf-8")
    return json_path, md_path


SCORE_FILTERS = (0.0, 0.3, 0.5, 0.8)

#: metrics kept in tables (TrackEval units: percent for ratios, counts for the rest)
TABLE_KEYS = ("HOTA", "MOTA", "IDF1", "IDSW", "FP", "FN")


Metrics = dict[str, dict[str, float]]  # sequence name or "COMBINED" -> metric -> value


@dataclass(frozen=True)
class FilterRun:
    """One tracker at one min-score filter over all sequences of a benchmark."""

    metrics: Metrics
    update_seconds: float
    frames: int
    degenerate_boxes: int


Sweep = dict[str, dict[str, FilterRun]]  # tracker -> f"{min_score:g}" -> run


def sweep(
    tracker_names: Sequence[str],
    sequences: Sequence[SequenceInput],
    gt_dir: Path,
    benchmark: str,
    score_filters: Sequence[float] = SCORE_FILTERS,
    builders: Mapping[str, Callable[[SequenceInfo], PeerTracker]] | None = None,
) -> Sweep:
    """Run every tracker at every minimum score on every sequence and score each result.

    A fresh tracker per sequence (built for its image size and frame rate), as a user would.
    ``builders`` replaces the named peers' default construction (e.g. ours with the
    appearance gate our pipeline would pick for the embedder that made the features).
    """
    import tempfile

    from tqdm import tqdm

    from benchmarks.peers import build

    out: Sweep = {}
    jobs = [(name, min_score) for name in tracker_names for min_score in score_filters]
    for name, min_score in tqdm(jobs, desc="tracker x min score", unit="run"):
        seconds, frames, degenerate = 0.0, 0, 0
        with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
            for seq in sequences:
                make = (builders or {}).get(name)
                tracker = make(seq.info) if make else build(name, seq.info)
                run = run_sequence(tracker, seq, min_score)
                seconds += run.update_seconds
                frames += run.frames
                degenerate += run.degenerate_boxes
                write_mot(Path(tmp) / f"{seq.name}.txt", run.rows)
            metrics = score(gt_dir, Path(tmp), [s.name for s in sequences], benchmark)
        out.setdefault(name, {})[f"{min_score:g}"] = FilterRun(metrics, seconds, frames, degenerate)
    return out


def sweep_json(runs: Sweep) -> dict[str, dict[str, dict[str, object]]]:
    return {
        name: {f: dataclasses.asdict(run) for f, run in by_filter.items()}
        for name, by_filter in runs.items()
    }


def best_filter(runs: dict[str, FilterRun], seq: str = "COMBINED", key: str = "HOTA") -> str:
    """The min-score filter (key of ``runs``) with the highest ``key`` on ``seq``."""
    return max(runs, key=lambda f: runs[f].metrics[seq][key])


def accuracy_table(runs: Sweep, seq: str, default_filter: str = "0") -> str:
    """Markdown: each tracker at its best min score on ``seq`` (by HOTA), best first, with
    its HOTA / IDF1 at the unfiltered default alongside."""
    rows: list[tuple[object, ...]] = []
    order = sorted(runs, key=lambda n: -runs[n][best_filter(runs[n], seq)].metrics[seq]["HOTA"])
    for name in order:
        by_filter = runs[name]
        best = best_filter(by_filter, seq)
        best_metrics = by_filter[best].metrics[seq]
        default_metrics = by_filter[default_filter].metrics[seq]
        rows.append(
            (
                name,
                best,
                *(best_metrics[k] for k in TABLE_KEYS),
                default_metrics["HOTA"],
                default_metrics["IDF1"],
            )
        )
    header = ("tracker", "best min score", *TABLE_KEYS, "HOTA @0", "IDF1 @0")
    return markdown_table(header, rows)


def environment_markdown(env: dict[str, str]) -> str:
    return "Environment: " + ", ".join(f"{k} {v}" for k, v in env.items()) + "."


def parse_accuracy_args(
    description: str, default_trackers: Sequence[str], argv: list[str] | None
) -> argparse.Namespace:
    """Options shared by the accuracy scripts: which trackers, which score filters, a tag.

    The first filter must be 0, the unfiltered run that reports each tracker at its defaults;
    anything else exits with status 2 and says so.
    """
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument(
        "--trackers", nargs="+", default=list(default_trackers),
        help="trackers to run (peers whose package is not installed are skipped and listed)",
    )  # fmt: skip
    parser.add_argument(
        "--score-filters", nargs="+", type=float, default=list(SCORE_FILTERS),
        help="minimum detection scores to sweep (the first must be 0: the unfiltered default)",
    )  # fmt: skip
    parser.add_argument("--tag", default="", help="suffix of the result files (e.g. norfair)")
    args = parser.parse_args(argv)
    if args.score_filters[0] != 0.0:
        parser.error("--score-filters must start with 0 (the unfiltered default)")
    return args
