"""MOT17-09 (FRCNN and SDP detections) from deep_sort's detection + feature files.

Every tracker gets the same per-frame boxes, scores and 128-d features (columns 7: of the
``.npy`` rows); appearance trackers use the features, motion-only ones ignore them. Each runs
at every min-score filter in ``--score-filters`` and is reported at its best one (by HOTA per
sequence) next to its unfiltered numbers; ours runs with its defaults.

    python -m benchmarks.mot17_deepsort_npy   # writes benchmarks/results/mot17_deepsort_npy.*
"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

from benchmarks import harness
from benchmarks.peers import available

SEQUENCES = ("MOT17-09-FRCNN", "MOT17-09-SDP")
APPEARANCE = (
    "ours",
    "deep-sort-realtime",
    "boxmot-botsort",
    "boxmot-strongsort",
    "ultralytics-botsort+reid",
)
MOTION_ONLY = (
    "ours-motion",
    "boxmot-bytetrack",
    "boxmot-ocsort",
    "ultralytics-bytetrack",
    "ultralytics-botsort",
    "roboflow-sort",
    "roboflow-bytetrack",
    "norfair",
)


def load_inputs(
    sequences: tuple[str, ...] = SEQUENCES,
) -> tuple[Path, list[harness.SequenceInput]]:
    """The ground-truth folder and every sequence's per-frame inputs (boxes + features)."""
    gt_dir = harness.DATA / "MOT17" / "train"
    npy_dir = harness.DATA / "MOT17" / "deep_sort_npy"
    return gt_dir, [harness.load_sequence(npy_dir / f"{s}.npy", gt_dir / s) for s in sequences]


def main(argv: list[str] | None = None) -> int:
    args = harness.parse_accuracy_args(__doc__.split("\n\n")[0], [*APPEARANCE, *MOTION_ONLY], argv)
    gt_dir, sequences = load_inputs()
    names, missing = available(args.trackers)
    runs = harness.sweep(names, sequences, gt_dir, "MOT17", args.score_filters)

    command = "python -m benchmarks.mot17_deepsort_npy " + shlex.join(argv or sys.argv[1:])
    env = harness.environment()
    stem = "mot17_deepsort_npy" + (f"_{args.tag}" if args.tag else "")
    payload = {
        "command": command.strip(),
        "environment": env,
        "sequences": list(SEQUENCES),
        "score_filters": args.score_filters,
        "skipped_not_installed": missing,
        "runs": harness.sweep_json(runs),
    }
    parts = [
        "# MOT17-09, deep_sort detections + 128-d features (.npy)",
        f"Command: `{command.strip()}`  ",
        harness.environment_markdown(env),
        "",
        "TrackEval (our `tracker.eval`), each tracker at its best min score for that sequence "
        "(by HOTA) out of " + ", ".join(f"{s:g}" for s in args.score_filters) + "; "
        "`HOTA @0` / `IDF1 @0` = unfiltered. Appearance trackers get the .npy features: "
        + ", ".join(n for n in names if n in APPEARANCE)
        + ". Motion only: "
        + ", ".join(n for n in names if n not in APPEARANCE)
        + ".",
    ]
    if missing:
        parts.append(f"Not installed here (run in their own venv): {', '.join(missing)}.")
    for seq in SEQUENCES:
        parts += ["", f"## {seq}", "", harness.accuracy_table(runs, seq)]
    json_path, md_path = harness.save(stem, payload, "\n".join(parts))
    print("\n".join(parts))
    print(f"\nwrote {json_path} and {md_path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
