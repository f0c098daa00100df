"""Evaluation: TrackEval (the official MOTChallenge numbers) and motmetrics (a cross-check)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tracker.eval.layout import collect_sequences, infer_benchmark
from tracker.eval.motmetrics_runner import run_motmetrics
from tracker.eval.trackeval_runner import Metrics, run_trackeval


@dataclass(frozen=True)
class EvalResult:
    benchmark: str
    sequences: dict[str, Metrics]
    combined: Metrics
    motmetrics: dict[str, Metrics] = field(default_factory=dict)
    motmetrics_combined: Metrics = field(default_factory=dict)

    def as_json(self) -> dict[str, object]:
        return {
            "benchmark": self.benchmark,
            "sequences": self.sequences,
            "combined": self.combined,
            "motmetrics": {"sequences": self.motmetrics, "combined": self.motmetrics_combined},
        }


def evaluate(
    gt_dir: str | Path,
    results_dir: str | Path,
    seqs: Sequence[str] | None = None,
    benchmark: str | None = None,
    with_motmetrics: bool = True,
    parallel: int = 1,
) -> EvalResult:
    """Score ``results_dir/<SEQ>.txt`` against ``gt_dir/<SEQ>/gt/gt.txt``."""
    gt_root = Path(gt_dir)
    sequences = collect_sequences(gt_root, results_dir, seqs)
    bench = benchmark or infer_benchmark(gt_root)
    per_seq, combined = run_trackeval(sequences, bench, parallel)
    if not with_motmetrics:
        return EvalResult(bench, per_seq, combined)
    mm_seq, mm_combined = run_motmetrics(sequences)
    return EvalResult(bench, per_seq, combined, mm_seq, mm_combined)


__all__ = ["EvalResult", "Metrics", "evaluate"]
