"""``tracker track``: offline tracking from a detection file, or end to end from frames.

Two modes share the command:

- public detections: ``--seq SEQ [--dets FILE] --out FILE`` runs the tracker alone on a MOT
  det file or a deep_sort ``.npy`` (exactly reproducible, no network);
- end to end: ``--source VIDEO|FOLDER|MOT_SEQ|URL`` (or ``--seq`` with ``--detector``) runs
  detector + embedder + tracker on the frames, batched, with per-stage timings.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from tracker.cli.options import add_runtime_option, add_tracker_options, tracker_config
from tracker.errors import TrackerError

DETECTOR_CHOICES = ("auto", "yolov5", "yolo", "frcnn", "frcnn-mobilenet")


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "track",
        help="track a MOT sequence, a video, an image folder or a stream",
        description="Public-detection mode: --seq SEQ [--dets FILE] --out FILE tracks from a MOT "
        "det.txt (motion-only) or a deep_sort .npy (with appearance features). End-to-end mode: "
        "--source VIDEO|FOLDER|MOT_SEQ|URL (or --seq with --detector) runs detector, re-ID "
        "embedder and tracker on the frames. Results are frame,id,x,y,w,h,score,-1,-1,-1 rows.",
    )
    parser.add_argument("--seq", type=Path, help="MOT sequence folder with seqinfo.ini")
    parser.add_argument(
        "--dets", type=Path, help="MOT det file or deep_sort .npy (default: SEQ/det/det.txt)"
    )
    parser.add_argument("--out", type=Path, help="MOT result file to write (<SEQ>.txt)")
    parser.add_argument(
        "--motion-only",
        action="store_true",
        help="no appearance: ignore features in the detection file / run without an embedder",
    )
    frames = parser.add_argument_group("end-to-end tracking from frames")
    frames.add_argument(
        "--source", help="video file, image folder, MOT sequence folder or rtsp:// / http:// URL"
    )
    frames.add_argument(
        "--detector",
        choices=DETECTOR_CHOICES,
        help="detector (default auto: ultralytics yolov8n if its weights are found, else "
        "YOLOv5n from yolov5n.state_dict.pt)",
    )
    frames.add_argument("--detector-weights", help="detector weight file (name or path)")
    frames.add_argument(
        "--embedder",
        default="osnet",
        help="re-ID embedder: osnet (MSMT17), osnet-market, market-cnn, mobilenetv2, "
        "onnx:PATH or none (default: osnet)",
    )
    frames.add_argument("--embedder-weights", help="embedder weight file (name or path)")
    frames.add_argument(
        "--device", default="auto", help="auto (CUDA with fp16 if available), cpu, cuda, cuda:N"
    )
    frames.add_argument(
        "--threads", type=int, help="torch CPU threads (default: torch's choice, one per core)"
    )
    add_runtime_option(frames)
    frames.add_argument(
        "--overlap",
        action="store_true",
        help="run decode, detect and embed+track as overlapped threads (same results, faster "
        "on 2+ cores; no --save-video, no progress bar)",
    )
    frames.add_argument(
        "--score-threshold", type=float, default=0.1, help="detector score threshold (0.1)"
    )
    frames.add_argument(
        "--image-size",
        type=int,
        help="detector input size (default: 512 for yolov5, measured on PETS09; the model's own "
        "for the others)",
    )
    frames.add_argument(
        "--classes",
        type=int,
        nargs="+",
        help="model class ids to track, each keeping its id (default: COCO person as class 0)",
    )
    frames.add_argument("--batch", type=int, default=1, help="frames per detector call (1)")
    frames.add_argument("--save-video", type=Path, help="write an annotated MP4 here")
    frames.add_argument(
        "--save-dets", type=Path, help="write the detections as a MOT det file here"
    )
    frames.add_argument("--max-frames", type=int, help="stop after this many frames")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    add_tracker_options(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    if args.out is not None and args.out.is_dir():
        raise TrackerError(
            f"--out {args.out} is a directory; give a file such as {args.out}/SEQ.txt"
        )
    if args.source is not None or args.detector is not None:
        return _run_frames(args)
    if args.seq is None or args.out is None:
        raise TrackerError("give --seq SEQ --out FILE (public detections) or --source (frames)")
    from tracker.offline import track_sequence

    dets = args.dets or args.seq / "det" / "det.txt"
    config = tracker_config(args.tracker_overrides)
    run_info = track_sequence(args.seq, dets, args.out, config, args.motion_only, not args.quiet)
    print(
        f"wrote {args.out}: {run_info.rows} boxes, {run_info.tracks} tracks over "
        f"{run_info.frames} frames from {run_info.detections} detections "
        f"(tracker {run_info.fps:.0f} frames/s)"
    )
    return 0


def _run_frames(args: argparse.Namespace) -> int:
    source_spec = args.source if args.source is not None else args.seq
    if source_spec is None:
        raise TrackerError("--detector needs frames: give --source (or --seq)")
    if args.dets is not None:
        raise TrackerError(
            "--dets is for public-detection mode; it cannot be combined with --source"
        )
    if args.out is None and args.save_video is None and args.save_dets is None:
        raise TrackerError("nothing to write: give --out, --save-video and/or --save-dets")
    if args.batch < 1:
        raise TrackerError(f"--batch must be >= 1, got {args.batch}")
    if args.overlap and args.save_video is not None:
        raise TrackerError("--overlap cannot write --save-video; drop one of them")
    config = tracker_config(args.tracker_overrides)

    from tracker.detect import build_detector
    from tracker.device import set_torch_threads
    from tracker.io.sources import open_source
    from tracker.pipeline import Pipeline
    from tracker.reid import build_embedder
    from tracker.source_tracking import track_source

    source = open_source(source_spec)
    set_torch_threads(args.threads)
    detector = build_detector(
        args.detector or "auto",
        weights=args.detector_weights,
        device=args.device,
        score_threshold=args.score_threshold,
        classes=args.classes,
        image_size=args.image_size,
        runtime=args.runtime,
    )
    embedder_name = "none" if args.motion_only else args.embedder
    embedder = build_embedder(
        embedder_name, args.embedder_weights, device=args.device, runtime=args.runtime
    )
    pipeline = Pipeline(detector, embedder, config)
    print(
        f"{source.name}: detector {detector.name}, "
        f"embedder {embedder.name if embedder else 'none (motion only)'}, batch {args.batch}"
    )
    if args.overlap:
        from tracker.staged import track_source_staged

        staged = track_source_staged(
            source, pipeline, batch=args.batch, results_path=args.out,
            detections_path=args.save_dets, max_frames=args.max_frames,
        )  # fmt: skip
        print(staged.summary())
        for label, path in (("results", args.out), ("detections", args.save_dets)):
            if path is not None:
                print(f"wrote {label}: {path}")
        return 0
    result = track_source(
        source,
        pipeline,
        batch=args.batch,
        results_path=args.out,
        detections_path=args.save_dets,
        video_path=args.save_video,
        max_frames=args.max_frames,
        progress=not args.quiet,
    )
    print(result.summary())
    for label, path in (("results", args.out), ("detections", args.save_dets),
                        ("video", args.save_video)):  # fmt: skip
        if path is not None:
            print(f"wrote {label}: {path}")
    return 0
