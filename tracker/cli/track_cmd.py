"""``tracker track``: offline tracking of a MOTChallenge sequence from a detection file."""

from __future__ import annotations

import argparse
from pathlib import Path

from tracker.cli.options import add_tracker_options, tracker_config
from tracker.errors import TrackerError


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "track",
        help="track a MOT sequence offline and write a MOT result file",
        description="Track a MOTChallenge sequence from precomputed detections: a MOT det.txt "
        "(motion-only) or a deep_sort .npy file with appearance features. Writes "
        "frame,id,x,y,w,h,score,-1,-1,-1 rows.",
    )
    parser.add_argument("--seq", type=Path, required=True, help="sequence folder with seqinfo.ini")
    parser.add_argument(
        "--dets",
        type=Path,
        help="MOT det file or deep_sort .npy (default: SEQ/det/det.txt)",
    )
    parser.add_argument("--out", type=Path, required=True, help="result file to write (<SEQ>.txt)")
    parser.add_argument(
        "--motion-only",
        action="store_true",
        help="ignore appearance features even if the detection file has them",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    add_tracker_options(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from tracker.offline import track_sequence

    dets = args.dets or args.seq / "det" / "det.txt"
    if args.out.is_dir():
        raise TrackerError(f"--out {args.out} is a directory; give a file such as {args.out}/SEQ.txt")
    config = tracker_config(args.tracker_overrides)
    run_info = track_sequence(args.seq, dets, args.out, config, args.motion_only, not args.quiet)
    print(
        f"wrote {args.out}: {run_info.rows} boxes, {run_info.tracks} tracks over "
        f"{run_info.frames} frames from {run_info.detections} detections "
        f"(tracker {run_info.fps:.0f} frames/s)"
    )
    return 0
