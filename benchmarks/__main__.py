"""``python -m benchmarks`` (``make bench``): our tracker against every installed peer, in one
run, one report.

The benchmarks are part of the source checkout, not of the installed ``tracker``
distribution, so they are run from the checkout as a module rather than as a ``tracker``
subcommand (which could never work from a wheel).
"""

from __future__ import annotations

import argparse
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Run our tracker and every installed peer (deep-sort-realtime, boxmot, "
        "ultralytics, roboflow trackers, norfair) on the same inputs in one process run: "
        "TrackEval accuracy on MOT17-09 (deep_sort .npy), 6 MOT15 sequences (motion only) and "
        "PETS09-S2L1 (YOLOv5n + OSNet); tracker-only FPS ratios; end-to-end FPS against boxmot "
        "StrongSORT with the same detector; peak RSS per tracker. Writes OUT_DIR/<date>.json, "
        "<date>.md and PNG plots. Needs the data in ../shared and the peers "
        "(pip install -e '.[dev,bench]', or `make bench`); peers that are missing are listed, "
        "not run. A full run takes tens of minutes on 2 cores.",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="small subset for a smoke test (TUD-Campus accuracy, 60 frames of tracker-only "
        "speed, one memory probe; no MOT17/PETS09 accuracy, no end-to-end)",
    )
    parser.add_argument(
        "--out-dir", type=Path, default=RESULTS, help=f"where the report goes (default {RESULTS})"
    )
    parser.add_argument("--name", help="file stem of the report (default: the UTC date)")
    parser.add_argument("--reps", type=int, default=5, help="tracker-only speed repetitions")
    parser.add_argument(
        "--e2e-frames", type=int, default=150, help="PETS09-S2L1 frames timed end to end"
    )
    parser.add_argument("--batch", type=int, default=8, help="frames per detector batch (e2e)")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    parser.add_argument(
        "--cache-dir",
        type=Path,
        default=Path.home() / ".cache" / "tracker" / "bench",
        help="where per-detection features are cached between runs",
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    for flag in ("reps", "e2e_frames", "batch", "threads"):
        if getattr(args, flag) < 1:
            parser.error(f"--{flag.replace('_', '-')} must be at least 1")
    from benchmarks import bench, harness

    if not harness.DATA.is_dir():
        parser.error(f"benchmark data not found at {harness.DATA} (see DESIGN.md: data)")
    arguments = sys.argv[1:] if argv is None else list(argv)
    options = bench.BenchOptions(
        quick=args.quick,
        out_dir=args.out_dir,
        stem=args.name,
        reps=args.reps,
        e2e_frames=args.e2e_frames,
        e2e_batch=args.batch,
        threads=args.threads,
        cache_dir=args.cache_dir,
        progress=not args.no_progress,
        command=("python -m benchmarks " + shlex.join(arguments)).strip(),
    )
    report = bench.run(options)
    json_path, md_path = bench.write(report)
    if report.missing:
        print(f"not installed, not measured: {', '.join(report.missing)}")
    print(f"wrote {json_path} and {md_path}")
    if report.failed:
        print("failed parts (see the log above): " + "; ".join(report.failed), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
