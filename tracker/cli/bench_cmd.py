"""``tracker bench``: our tracker against every installed peer, in one run, one report.

The benchmark code lives in the repository's ``benchmarks`` package, next to ``tracker``,
and is not part of the installed distribution: this command works from a source checkout
(an editable install included) and says so clearly anywhere else.
"""

from __future__ import annotations

import argparse
import importlib
import shlex
import sys
from pathlib import Path
from types import ModuleType

from tracker.errors import TrackerError

CHECKOUT = Path(__file__).resolve().parents[2]


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "bench",
        help="benchmark against peer trackers (accuracy, speed, memory) into one report",
        description="Run our tracker and every installed peer (deep-sort-realtime, boxmot, "
        "ultralytics, roboflow trackers, norfair) on the same inputs in one process run: "
        "TrackEval accuracy on MOT17-09 (deep_sort .npy), 6 MOT15 sequences (motion only) and "
        "PETS09-S2L1 (YOLOv5n + OSNet); tracker-only FPS ratios; end-to-end FPS against boxmot "
        "StrongSORT with the same detector; peak RSS per tracker. Writes OUT_DIR/<date>.json, "
        "<date>.md and PNG plots. Needs a source checkout, the data in ../shared, and the "
        "peers (pip install -e '.[dev,bench]'); peers that are missing are listed, not run. "
        "A full run takes tens of minutes on 2 cores.",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="small subset for a smoke test (TUD-Campus accuracy, 60 frames of tracker-only "
        "speed, one memory probe; no MOT17/PETS09 accuracy, no end-to-end)",
    )
    parser.add_argument(
        "--out-dir",
        type=Path,
        default=CHECKOUT / "benchmarks" / "results",
        help="where the report goes (default: benchmarks/results of this checkout)",
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
    parser.set_defaults(handler=run)


def _benchmarks() -> ModuleType:
    """``benchmarks.bench`` from this checkout, or a TrackerError saying why not."""
    if not (CHECKOUT / "benchmarks" / "bench.py").is_file():
        raise TrackerError(
            f"tracker bench needs a source checkout (no benchmarks/ next to {CHECKOUT / 'tracker'}"
            "); clone the repository and pip install -e '.[dev,bench]' there"
        )
    if str(CHECKOUT) not in sys.path:
        sys.path.insert(0, str(CHECKOUT))
    try:
        return importlib.import_module("benchmarks.bench")
    except ImportError as error:
        raise TrackerError(
            f"cannot import the benchmarks ({error}); install the extras: "
            "pip install -e '.[dev,bench]'"
        ) from error


def run(args: argparse.Namespace) -> int:
    for flag in ("reps", "e2e_frames", "batch", "threads"):
        if getattr(args, flag) < 1:
            raise TrackerError(f"--{flag.replace('_', '-')} must be at least 1")
    bench = _benchmarks()
    from benchmarks import harness  # importable now that _benchmarks() has succeeded

    if not harness.DATA.is_dir():
        raise TrackerError(f"benchmark data not found at {harness.DATA} (see DESIGN.md: data)")
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
        command=("tracker bench " + shlex.join(sys.argv[2:])).strip()
        if sys.argv[1:2] == ["bench"] else "tracker bench",
    )  # fmt: skip
    report = bench.run(options)
    json_path, md_path = bench.write(report)
    if report.missing:
        print(f"not installed, not measured: {', '.join(report.missing)}")
    print(f"wrote {json_path} and {md_path}")
    if report.failed:
        print("failed parts (see the log above): " + "; ".join(report.failed), file=sys.stderr)
        return 1
    return 0
