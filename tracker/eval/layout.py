"""Resolve and validate what to evaluate: sequences with ground truth and one result file each.

Checks happen here, before TrackEval runs, so a mistake is reported as one line naming the
file instead of a TrackEval traceback (or, worse, silently wrong numbers).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tracker.errors import InputFormatError, TrackerError
from tracker.io.mot import SeqInfo, read_results, read_seqinfo

BENCHMARKS = ("MOT15", "MOT16", "MOT17", "MOT20")


@dataclass(frozen=True)
class EvalSequence:
    name: str
    info: SeqInfo
    gt_file: Path
    result_file: Path


def infer_benchmark(gt_dir: Path) -> str:
    """MOT15/16/17/20 from the ground-truth path; MOT15 turns TrackEval's preprocessing off."""
    for part in reversed(gt_dir.resolve().parts):
        for name in BENCHMARKS:
            if part.upper().startswith(name):
                return name
    return "MOT17"


def collect_sequences(
    gt_dir: str | Path, results_dir: str | Path, seqs: Sequence[str] | None = None
) -> list[EvalSequence]:
    """Pair each requested (default: every result file's) sequence with its ground truth."""
    gt_root, results_root = Path(gt_dir), Path(results_dir)
    if not gt_root.is_dir():
        raise TrackerError(f"ground-truth folder {gt_root} does not exist")
    if not results_root.is_dir():
        raise TrackerError(f"results folder {results_root} does not exist")
    if seqs:
        names = list(dict.fromkeys(seqs))
        missing = [s for s in names if not (results_root / f"{s}.txt").is_file()]
        if missing:
            raise TrackerError(
                f"no result file for {missing} in {results_root} (expected <SEQ>.txt)"
            )
    else:
        names = sorted(p.stem for p in results_root.glob("*.txt"))
        if not names:
            raise TrackerError(f"no <SEQ>.txt result files in {results_root}")
    sequences = []
    for name in names:
        gt_file = gt_root / name / "gt" / "gt.txt"
        if not gt_file.is_file():
            raise TrackerError(
                f"{results_root / (name + '.txt')}: the ground truth has no sequence {name!r} "
                f"(looked for {gt_file})"
            )
        sequence = EvalSequence(
            name, read_seqinfo(gt_root / name), gt_file, results_root / f"{name}.txt"
        )
        validate_result_file(sequence)
        sequences.append(sequence)
    return sequences


def validate_result_file(sequence: EvalSequence) -> None:
    """Frames within the sequence and no track id twice in one frame (TrackEval rejects both)."""
    rows = read_results(sequence.result_file)
    if len(rows.frames) == 0:
        return
    beyond = np.flatnonzero(rows.frames > sequence.info.length)
    if len(beyond):
        raise InputFormatError(
            f"{sequence.result_file}: data row {beyond[0] + 1} has frame {rows.frames[beyond[0]]}, "
            f"but {sequence.name} has {sequence.info.length} frames"
        )
    keys = rows.frames * (int(rows.ids.max()) + 1) + rows.ids - int(rows.ids.min())
    unique, counts = np.unique(keys, return_counts=True)
    if np.any(counts > 1):
        first = int(np.flatnonzero(np.isin(keys, unique[counts > 1]))[0])
        raise InputFormatError(
            f"{sequence.result_file}: data row {first + 1}: track id {rows.ids[first]} "
            f"appears more than once in frame {rows.frames[first]}"
        )
