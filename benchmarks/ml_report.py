"""Markdown tables from the JSON results of pets_end_to_end.py and reid_quality.py.

PYTHONPATH=. python benchmarks/ml_report.py > benchmarks/results/ml_models.md
"""

from __future__ import annotations

import json
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def pets_table(report: dict) -> list[str]:
    lines = [
        "| batch | torch threads | FPS | decode ms | detect ms | embed ms | track ms | HOTA | MOTA "
        "| IDF1 | IDSW | load avg (before/after) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for run in report["runs"]:
        ms, m = run["ms_per_frame"], run["metrics"]
        lines.append(
            f"| {run['batch']} | {run['torch_threads']} | {run['fps']:.2f} | {ms['decode']:.1f} "
            f"| {ms['detect']:.1f} | {ms['embed']:.1f} | {ms['track']:.1f} | {m['HOTA']:.3f} "
            f"| {m['MOTA']:.3f} | {m['IDF1']:.3f} | {m['IDSW']} "
            f"| {run['load_average_1min_before_after'][0]} / "
            f"{run['load_average_1min_before_after'][1]} |"
        )
    return lines


def reid_table(report: dict) -> list[str]:
    lines = [
        "| embedder | dim | rank-1 | expected (PROVENANCE) | cos same ID | cos other IDs "
        "| crops/s (per-frame batches) | crops/s (one batch) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in report["results"]:
        lines.append(
            f"| {r['embedder']} | {r['dim']} | {r['rank1']}/{r['pairs']} "
            f"| {r['expected_rank1_provenance']}/66 | {r['mean_cos_same_id']} "
            f"| {r['mean_cos_other_ids']} | {r['crops_per_second_per_frame_batches']} "
            f"| {r['crops_per_second_one_batch']} |"
        )
    return lines


def main() -> None:
    out = ["# Model-side results", ""]
    pets = RESULTS / "pets_end_to_end.json"
    if pets.is_file():
        report = json.loads(pets.read_text())
        machine = report["machine"]
        out += ["## PETS09-S2L1 end to end (795 frames)", "", report["what"], "",
                f"Command: `{report['command']}` ({report['date']}, "
                f"{machine['cpu_count']} CPUs, torch {machine['torch']}). "
                "ms are per frame; batched stages are split evenly over the batch.",
                ""]  # fmt: skip
        if "tracker_config" in report:
            config = ", ".join(f"{k}={v}" for k, v in report["tracker_config"].items())
            out += [f"Tracker config: `{config}`.", ""]
        out += [*pets_table(report), ""]
        det = report["runs"][0]["detections_vs_reference"]
        out += [
            f"Our YOLOv5n detections vs the shared `det_yolov5n.txt`: {det['our_boxes']} vs "
            f"{det['reference_boxes']} boxes; {det['frames_with_equal_box_count']} of "
            f"{det['frames']} frames have the same number of boxes, and there the largest "
            f"difference is {det['max_abs_box_diff_px_where_counts_equal']:.3f} px / "
            f"{det['max_abs_score_diff_where_counts_equal']:.4f} score.",
            "",
        ]
    reid = RESULTS / "reid_quality.json"
    if reid.is_file():
        report = json.loads(reid.read_text())
        out += ["## Re-ID quality on PETS09-S2L1 ground-truth crops", "", report["what"], "",
                f"Command: `{report['command']}` ({report['date']}).", ""]  # fmt: skip
        out += [*reid_table(report), ""]
    print("\n".join(out))


if __name__ == "__main__":
    main()
