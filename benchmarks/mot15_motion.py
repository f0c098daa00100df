"""MOT15 dev (6 sequences) with the SORT paper's Faster R-CNN detections, motion only.

Every tracker gets the same boxes and scores (``det/det_frcnn.txt``), no appearance. Each runs
at every min-score filter and is reported at the one with the best combined HOTA (as the peer
numbers in DESIGN.md were), per sequence and combined; ours (``DeepSort.update(...,
features=None)`` with default parameters) is also reported unfiltered, its default.

    python -m benchmarks.mot15_motion          # writes benchmarks/results/mot15_motion.*
"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

from benchmarks import harness
from benchmarks.peers import available
from benchmarks.suites import MOT15_DEV

SEQUENCES = MOT15_DEV
TRACKERS = (
    "ours-motion",
    "boxmot-bytetrack",
    "boxmot-ocsort",
    "roboflow-sort",
    "roboflow-bytetrack",
    "ultralytics-bytetrack",
    "norfair",
)


def load_inputs(
    sequences: tuple[str, ...] = SEQUENCES,
) -> tuple[Path, list[harness.SequenceInput]]:
    """The ground-truth folder and every sequence's boxes and scores from ``det_frcnn.txt``."""
    gt_dir = harness.DATA / "MOT15" / "train"
    return gt_dir, [
        harness.load_sequence(gt_dir / s / "det" / "det_frcnn.txt", gt_dir / s) for s in sequences
    ]


def main(argv: list[str] | None = None) -> int:
    args = harness.parse_accuracy_args(__doc__.split("\n\n")[0], list(TRACKERS), argv)
    gt_dir, sequences = load_inputs()
    names, missing = available(args.trackers)
    runs = harness.sweep(names, sequences, gt_dir, "MOT15", args.score_filters)

    best = {name: harness.best_filter(by_filter) for name, by_filter in runs.items()}
    command = ("python -m benchmarks.mot15_motion " + shlex.join(argv or sys.argv[1:])).strip()
    env = harness.environment()
    stem = "mot15_motion" + (f"_{args.tag}" if args.tag else "")
    payload = {
        "command": command,
        "environment": env,
        "sequences": list(SEQUENCES),
        "score_filters": args.score_filters,
        "best_filter_by_combined_hota": best,
        "skipped_not_installed": missing,
        "runs": harness.sweep_json(runs),
    }
    entries = []
    for name, by_filter in runs.items():
        entries.append((name, best[name], by_filter[best[name]].metrics["COMBINED"]))
        if name.startswith("ours") and best[name] != "0":
            entries.append((name, "0 (default)", by_filter["0"].metrics["COMBINED"]))
    entries.sort(key=lambda entry: -entry[2]["HOTA"])
    combined = [(n, label, *(m[k] for k in harness.TABLE_KEYS)) for n, label, m in entries]
    header = ("tracker", "min score", *harness.TABLE_KEYS)
    parts = [
        "# MOT15 dev (6 sequences), `det_frcnn.txt`, motion only",
        f"Command: `{command}`  ",
        harness.environment_markdown(env),
        "",
        "TrackEval (our `tracker.eval`, MOT15 settings). Each tracker at the min score (out of "
        + ", ".join(f"{s:g}" for s in args.score_filters)
        + ") with the best combined HOTA; ours also at its default (no filter).",
    ]
    if missing:
        parts.append(f"Not installed here (run in their own venv): {', '.join(missing)}.")
    parts += ["", "## Combined", "", harness.markdown_table(header, combined)]
    per_seq_header = ("tracker (min score)", *(f"{s} HOTA/IDF1" for s in SEQUENCES))
    per_seq = []
    for name, by_filter in runs.items():
        metrics = by_filter[best[name]].metrics
        per_seq.append(
            (
                f"{name} ({best[name]})",
                *(f"{metrics[s]['HOTA']:.3f} / {metrics[s]['IDF1']:.3f}" for s in SEQUENCES),
            )
        )
    parts += [
        "",
        "## Per sequence (HOTA / IDF1)",
        "",
        harness.markdown_table(per_seq_header, per_seq),
    ]
    json_path, md_path = harness.save(stem, payload, "\n".join(parts))
    print("\n".join(parts))
    print(f"\nwrote {json_path} and {md_path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
