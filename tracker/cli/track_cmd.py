"""``tracker track``: offline tracking from a detection file, or end to end from frames.

Two modes share the command:

- public detections: ``--seq SEQ [--dets FILE] --out FILE`` tracks the boxes of a MOT det file
  or a deep_sort ``.npy``. Appearance comes from the ``.npy``'s features; for a det file on a
  sequence whose frames are present (``img1/``), the default embedder embeds the detection
  crops (as deep_sort's ``generate_detections`` does for MOT16); ``--motion-only`` or a
  sequence without frames runs the tracker alone (exactly reproducible, no network);
- end to end: ``--source VIDEO|FOLDER|MOT_SEQ|URL`` (or ``--seq`` with ``--detector``) runs
  detector + embedder + tracker on the frames, batched, with per-stage timings.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tracker.cli.options import add_runtime_option, add_tracker_options, tracker_config
from tracker.errors import TrackerError
from tracker.motion import CAMERA_MOTION_MODES, DEFAULT_CAMERA_MOTION

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from tracker.core import DeepSortConfig
    from tracker.io.sources import MotSequenceSource

DETECTOR_CHOICES = ("auto", "yolov5", "yolo", "frcnn", "frcnn-mobilenet")


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "track",
        help="track a MOT sequence, a video, an image folder or a stream",
        description="Public-detection mode: --seq SEQ [--dets FILE] --out FILE tracks the boxes "
        "of a MOT det.txt (with re-ID from the sequence's frames when img1/ holds them all, "
        "else motion-only) or a deep_sort .npy (with its appearance features). End-to-end mode: "
        "--source VIDEO|FOLDER|MOT_SEQ|URL (or --seq with --detector) runs detector, re-ID "
        "embedder and tracker on the frames. Results are frame,id,x,y,w,h,score,-1,-1,-1 rows.",
    )
    parser.add_argument("--seq", type=Path, help="MOT sequence folder with seqinfo.ini")
    parser.add_argument(
        "--dets", type=Path, help="MOT det file or deep_sort .npy (default: SEQ/det/det.txt)"
    )
    parser.add_argument(
        "--out", type=Path, help="MOT result file to write (e.g. out/MOT17-09-FRCNN.txt)"
    )
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
        "--camera-motion",
        choices=CAMERA_MOTION_MODES,
        default=DEFAULT_CAMERA_MOTION,
        help="compensate camera motion measured from the frames: off, or flow (sparse optical "
        "flow on a downscaled frame, ~3 ms/frame; for moving cameras). Needs the frames: with "
        "--seq, the sequence's img1/ (default: %(default)s)",
    )
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
    parser.add_argument(
        "--interpolate",
        type=float,
        metavar="SECONDS",
        help="offline post-processing (off by default, not available to live streams): fill "
        "gaps of up to SECONDS inside each track of the --out file by linear interpolation, "
        "as MOTChallenge submissions of ByteTrack/StrongSORT do; e.g. 0.5",
    )
    parser.add_argument(
        "--smooth",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="with --interpolate: also smooth each track's boxes with a Gaussian of this width",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    add_tracker_options(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    if args.out is not None and args.out.is_dir():
        raise TrackerError(
            f"--out {args.out} is a directory; give a file such as {args.out}/SEQ.txt"
        )
    for flag in ("interpolate", "smooth"):
        value = getattr(args, flag)
        if value is not None and not 0 <= value <= 60:
            raise TrackerError(f"--{flag} must be in [0, 60] seconds, got {value}")
    if args.interpolate is not None and args.out is None:
        raise TrackerError("--interpolate post-processes the --out file: give --out")
    fps = _track(args)
    if args.interpolate is not None:
        _interpolate(args, fps)
    return 0


def _interpolate(args: argparse.Namespace, fps: float | None) -> None:
    """Rewrite the --out file with short gaps filled (seconds -> frames by the fps the
    tracking run used)."""
    from tracker.core.deepsort import DEFAULT_FRAME_RATE
    from tracker.io.mot import read_results, write_results
    from tracker.postprocess import interpolate_gaps

    fps = fps or DEFAULT_FRAME_RATE
    rows = read_results(args.out)
    columns: dict[str, NDArray[Any]] = {
        "frames": rows.frames, "ids": rows.ids, "boxes_xyxy": rows.boxes_xyxy,
        "scores": rows.scores,
    }  # fmt: skip
    filled: dict[str, NDArray[Any]] = interpolate_gaps(
        columns, round(args.interpolate * fps), args.smooth * fps
    )
    write_results(args.out, filled["frames"], filled["ids"], filled["boxes_xyxy"], filled["scores"])
    added = len(filled["frames"]) - len(rows.frames)
    print(f"--interpolate {args.interpolate:g} s: {added} rows added to {args.out}")


def _track(args: argparse.Namespace) -> float | None:
    """Run the mode the flags ask for; returns the source's frame rate (None if unknown)."""
    if args.source is not None or args.detector is not None:
        return _run_frames(args)
    if args.seq is None or args.out is None:
        raise TrackerError("give --seq SEQ --out FILE (public detections) or --source (frames)")
    from tracker.offline import track_sequence

    dets = args.dets or args.seq / "det" / "det.txt"
    config = tracker_config(args.tracker_overrides)
    camera = args.camera_motion != "off"
    if camera and dets.suffix == ".npy":
        raise TrackerError(
            f"--camera-motion {args.camera_motion} reads the frames; it cannot be combined with "
            "a deep_sort .npy (its features are not re-embedded from the frames)"
        )
    embed = not args.motion_only and args.embedder != "none"
    if dets.suffix != ".npy" and (embed or camera):
        frames = _complete_sequence(args.seq)
        if frames is None and camera:
            raise TrackerError(
                f"--camera-motion {args.camera_motion} needs every frame of {args.seq.name} in "
                f"{args.seq / 'img1'}"
            )
        if frames is None:
            print(f"{args.seq.name}: no frames in {args.seq / 'img1'}; tracking motion-only")
        else:
            return _run_public_with_frames(args, dets, config, frames, embed)
    run_info = track_sequence(args.seq, dets, args.out, config, args.motion_only, not args.quiet)
    print(
        f"wrote {args.out}: {run_info.rows} boxes, {run_info.tracks} tracks over "
        f"{run_info.frames} frames from {run_info.detections} detections "
        f"(tracker {run_info.fps:.0f} frames/s)"
    )
    return run_info.frame_rate


def _complete_sequence(seq: Path) -> MotSequenceSource | None:
    """The sequence's frames if every frame is there (re-ID needs each frame's crops), else
    None (no images, or only a sample of them as in MOT17-mini)."""
    from tracker.io.sources import MotSequenceSource

    try:
        source = MotSequenceSource(seq)
    except TrackerError:  # no image folder, or no frames in it
        return None
    return source if (source.length or 0) >= source.info.length else None


def _run_public_with_frames(
    args: argparse.Namespace,
    dets_path: Path,
    config: DeepSortConfig,
    source: MotSequenceSource,
    embed: bool = True,
) -> float | None:
    """Public detections with the frames: embed each detection's crop (``embed``) and/or
    measure the camera's motion (``--camera-motion``)."""
    from tracker.detect.public import detections_by_frame
    from tracker.device import set_torch_threads
    from tracker.offline import check_detections_fit
    from tracker.pipeline import Pipeline
    from tracker.reid import build_embedder
    from tracker.source_tracking import track_source

    public = detections_by_frame(dets_path)
    check_detections_fit(dets_path, max(public, default=0), source.info)
    set_torch_threads(args.threads)
    name = args.embedder if embed else "none"
    embedder = build_embedder(name, args.embedder_weights, device=args.device, runtime=args.runtime)
    print(
        f"{source.name}: public detections {dets_path.name}, embedder {name} (frames), "
        f"camera motion {args.camera_motion}"
    )
    result = track_source(
        source,
        Pipeline(None, embedder, config),
        results_path=args.out,
        video_path=args.save_video,
        progress=not args.quiet,
        public_detections=public,
        overlap=args.overlap,
        camera_motion=args.camera_motion,
    )
    print(result.summary())
    print(f"wrote results: {args.out}")
    return source.fps


def _run_frames(args: argparse.Namespace) -> float | None:
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
        f"embedder {embedder.name if embedder else 'none (motion only)'}, batch {args.batch}, "
        f"camera motion {args.camera_motion}"
    )
    result = track_source(
        source,
        pipeline,
        batch=args.batch,
        results_path=args.out,
        detections_path=args.save_dets,
        video_path=args.save_video,
        max_frames=args.max_frames,
        progress=not args.quiet,
        overlap=args.overlap,
        camera_motion=args.camera_motion,
    )
    print(result.summary())
    for label, path in (("results", args.out), ("detections", args.save_dets),
                        ("video", args.save_video)):  # fmt: skip
        if path is not None:
            print(f"wrote {label}: {path}")
    return source.fps
