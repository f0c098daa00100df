"""``tracker eval``: TrackEval (HOTA, CLEAR, Identity) plus a motmetrics cross-check."""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "eval",
        help="score MOT result files with TrackEval and motmetrics",
        description="Score RESULTS_DIR/<SEQ>.txt against SPLIT_DIR/<SEQ>/gt/gt.txt with the "
        "official MOTChallenge evaluation (TrackEval: HOTA, CLEAR MOT, IDF1) and cross-check "
        "MOTA/IDF1 with py-motmetrics. Prints one table; --json writes all numbers.",
    )
    parser.add_argument("--gt", type=Path, required=True, help="split folder, e.g. MOT17/train")
    parser.add_argument("--results", type=Path, required=True, help="folder of <SEQ>.txt files")
    parser.add_argument("--seqs", nargs="+", help="sequences to score (default: every result file)")
    parser.add_argument("--json", type=Path, help="write the metrics as JSON here")
    parser.add_argument(
        "--benchmark",
        choices=["MOT15", "MOT16", "MOT17", "MOT20"],
        help="TrackEval benchmark preprocessing (default: from the --gt path, else MOT17)",
    )
    parser.add_argument("--no-motmetrics", action="store_true", help="skip the cross-check")
    parser.add_argument("--parallel", type=int, default=1, help="TrackEval worker processes")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from tracker.eval import evaluate
    from tracker.eval.report import format_table

    result = evaluate(
        args.gt, args.results, args.seqs, args.benchmark, not args.no_motmetrics, args.parallel
    )
    print(format_table(result))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result.as_json(), indent=2) + "\n")
        print(f"wrote {args.json}")
    return 0
