"""Tracker-only speed: ``update()`` time per frame, ours and peers in the same process.

Inputs are loaded before timing (no file I/O, no feature computation inside the clock).
The machine is shared, so absolute numbers drift; what we report is the ratio of our speed
to each peer's, measured pairwise inside each repetition: in a repetition all trackers step
through the sequence together, frame by frame, in an order rotated every frame, and the
ratio of a repetition uses that repetition's times only. Appearance peers are
compared with ours using features, motion-only peers with ours motion-only.

Scenes: MOT17-09-FRCNN (deep_sort ``.npy`` boxes and features), the six MOT15 dev sequences
with ``det_frcnn.txt`` (motion-only trackers only; seconds summed over the sequences), a
synthetic crowd of 50 people, and a synthetic crowd of 100 people each hidden half the time
(~50 detections against 100+ live tracks, the issue's "50 detections, 100 live tracks").

Interleaving makes the ratios fair but inflates absolute times: every one of our frames runs
right after a peer's, which has evicted our arrays from the caches. The absolute time per
frame in the crowds is therefore also measured with ours alone (``--alone-reps`` whole runs
each, after a warm-up run; median), the way a stream's tracker runs in the service.

    python -m benchmarks.tracker_speed --reps 5   # writes benchmarks/results/tracker_speed.*
"""

from __future__ import annotations

import argparse
import dataclasses
import shlex
import statistics
import sys
import time
from dataclasses import dataclass

from benchmarks import harness, synthetic
from benchmarks.mot15_motion import load_inputs as load_mot15
from benchmarks.mot17_deepsort_npy import APPEARANCE as ACCURACY_APPEARANCE
from benchmarks.mot17_deepsort_npy import MOTION_ONLY
from benchmarks.peers import available, build

# deep-sort-realtime's default gallery is unbounded (its cost grows with track length); the
# 100-feature variant matches our default gallery budget, so both are timed.
APPEARANCE = (*ACCURACY_APPEARANCE, "deep-sort-realtime-b100")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--trackers", nargs="+", default=[*APPEARANCE, *MOTION_ONLY],
        help="trackers to time; 'ours' and 'ours-motion' are always added",
    )  # fmt: skip
    parser.add_argument("--reps", type=int, default=5, help="timed repetitions on MOT17-09")
    parser.add_argument(
        "--synthetic-reps", type=int, default=3,
        help="timed repetitions on the synthetic crowd (deep-sort-realtime needs ~0.4 s/frame)",
    )  # fmt: skip
    parser.add_argument("--mot15-reps", type=int, default=5, help="timed repetitions on MOT15")
    parser.add_argument(
        "--alone-reps", type=int, default=7,
        help="whole runs of ours alone per synthetic crowd, for its absolute ms/frame",
    )  # fmt: skip
    parser.add_argument("--synthetic-frames", type=int, default=120)
    parser.add_argument("--synthetic-people", type=int, default=50)
    parser.add_argument("--tag", default="", help="suffix of the result files (e.g. norfair)")
    return parser.parse_args(argv)


def time_lockstep(
    names: list[str], seq: harness.SequenceInput, reps: int
) -> dict[str, list[float]]:
    """Seconds of ``update()`` per repetition and tracker.

    All trackers advance through the sequence together, frame by frame, in an order rotated
    every frame, so a burst of load from other processes hits all of them alike; timing
    whole runs one after another gave ratios that varied tenfold between repetitions.
    An untimed 30-frame warm-up comes first.
    """
    trackers = {name: build(name, seq.info) for name in names}
    warm_up = harness.SequenceInput(seq.name, seq.info, seq.frames[:30])
    for tracker in trackers.values():
        harness.run_sequence(tracker, warm_up)
    uses_features = {name: "features" in trackers[name].needs for name in names}
    clock = time.perf_counter
    seconds: dict[str, list[float]] = {name: [] for name in names}
    for _ in range(reps):
        for tracker in trackers.values():
            tracker.reset()
        spent = dict.fromkeys(names, 0.0)
        for index, frame in enumerate(seq.frames):
            shift = index % len(names)
            for name in names[shift:] + names[:shift]:
                features = frame.features if uses_features[name] else None
                start = clock()
                trackers[name].update(frame.boxes_xyxy, frame.scores, frame.classes, features, None)
                spent[name] += clock() - start
        for name in names:
            seconds[name].append(spent[name])
    return seconds


@dataclass(frozen=True)
class Speed:
    compared_with: str
    fps_median: float
    ms_per_frame_median: float
    speedup_of_ours_median: float  # peer seconds / our seconds, per repetition
    speedup_of_ours_min: float
    speedup_of_ours_max: float
    seconds_per_rep: list[float]


def time_alone(name: str, seq: harness.SequenceInput, reps: int) -> list[float]:
    """Milliseconds per frame of ``update()`` for ``name`` running alone, one value per whole
    run of the sequence (a fresh tracker each), after one untimed run."""
    tracker = build(name, seq.info)
    harness.run_sequence(tracker, seq)
    runs = []
    for _ in range(reps):
        seconds = harness.run_sequence(tracker, seq).update_seconds
        runs.append(1000.0 * seconds / len(seq.frames))
    return runs


def time_scene(
    names: list[str], sequences: list[harness.SequenceInput], reps: int
) -> dict[str, list[float]]:
    """``time_lockstep`` over several sequences, seconds of each repetition summed."""
    total: dict[str, list[float]] = {name: [0.0] * reps for name in names}
    for seq in sequences:
        for name, runs in time_lockstep(names, seq, reps).items():
            total[name] = [a + b for a, b in zip(total[name], runs, strict=True)]
    return total


def summarise(seconds: dict[str, list[float]], frames: int) -> dict[str, Speed]:
    out = {}
    for name, runs in seconds.items():
        ours = "ours" if name in APPEARANCE else "ours-motion"
        ratios = [peer / mine for peer, mine in zip(runs, seconds[ours], strict=True)]
        median = statistics.median(runs)
        out[name] = Speed(
            compared_with=ours,
            fps_median=frames / median,
            ms_per_frame_median=1000.0 * median / frames,
            speedup_of_ours_median=statistics.median(ratios),
            speedup_of_ours_min=min(ratios),
            speedup_of_ours_max=max(ratios),
            seconds_per_rep=runs,
        )
    return out


def table(summary: dict[str, Speed]) -> str:
    rows = [
        (
            name,
            s.fps_median,
            s.ms_per_frame_median,
            s.compared_with,
            f"{s.speedup_of_ours_median:.2f}x "
            f"({s.speedup_of_ours_min:.2f}-{s.speedup_of_ours_max:.2f})",
        )
        for name, s in sorted(summary.items(), key=lambda kv: -kv[1].fps_median)
    ]
    header = ("tracker", "FPS (median)", "ms/frame", "vs", "ours faster by (min-max)")
    return harness.markdown_table(header, rows)


def live_tracks(sequences: list[harness.SequenceInput]) -> float:
    """Mean number of live tracks (tentative and coasting included) our tracker holds per
    frame with its defaults and features where the scene has them, untimed."""
    from tracker.core import DeepSort

    counts = []
    for seq in sequences:
        tracker = DeepSort(frame_rate=seq.info.fps)
        for frame in seq.frames:
            tracker.update(frame.boxes_xyxy, frame.scores, frame.classes, frame.features)
            counts.append(tracker.active_tracks)
    return sum(counts) / max(len(counts), 1)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    requested = list(dict.fromkeys(["ours", "ours-motion", *args.trackers]))
    names, missing = available(requested)
    gt_dir = harness.DATA / "MOT17" / "train"
    npy = harness.DATA / "MOT17" / "deep_sort_npy" / "MOT17-09-FRCNN.npy"
    motion_names = [name for name in names if name not in APPEARANCE]
    _, mot15 = load_mot15()
    frames = args.synthetic_frames
    crowd = synthetic.crowd(people=args.synthetic_people, frames=frames)
    hidden = synthetic.crowd(
        people=2 * args.synthetic_people, frames=frames, hidden_fraction=0.5,
        name=f"synthetic-crowd-{2 * args.synthetic_people}-half-hidden",
    )  # fmt: skip
    mot17 = harness.load_sequence(npy, gt_dir / "MOT17-09-FRCNN")
    scenes: list[tuple[str, list[harness.SequenceInput], int, list[str]]] = [
        ("MOT17-09-FRCNN", [mot17], args.reps, names),
        ("MOT15-dev-det_frcnn", mot15, args.mot15_reps, motion_names),
        ("synthetic-crowd", [crowd], args.synthetic_reps, names),
        (hidden.name, [hidden], args.synthetic_reps, names),
    ]  # fmt: skip
    results: dict[str, dict[str, Speed]] = {}
    sizes: dict[str, tuple[int, float, float]] = {}
    for scene, sequences, reps, scene_names in scenes:
        n_frames = sum(len(seq.frames) for seq in sequences)
        per_frame = sum(seq.detections for seq in sequences) / n_frames
        live = live_tracks(sequences)
        print(f"timing {scene}: {n_frames} frames, {per_frame:.1f} detections/frame, "
              f"{live:.1f} live tracks/frame (ours)", flush=True)  # fmt: skip
        sizes[scene] = (n_frames, per_frame, live)
        results[scene] = summarise(time_scene(scene_names, sequences, reps), n_frames)
    alone = {
        seq.name: {name: time_alone(name, seq, args.alone_reps) for name in ("ours", "ours-motion")}
        for seq in (crowd, hidden)
    }
    command = ("python -m benchmarks.tracker_speed " + shlex.join(argv or sys.argv[1:])).strip()
    env = harness.environment()
    payload = {
        "command": command,
        "environment": env,
        "reps": {scene: reps for scene, _, reps, _ in scenes},
        "skipped_not_installed": missing,
        "scenes": {
            scene: {
                "frames": sizes[scene][0],
                "detections_per_frame": sizes[scene][1],
                "live_tracks_per_frame_ours": sizes[scene][2],
                "trackers": {n: dataclasses.asdict(s) for n, s in results[scene].items()},
            }
            for scene in results
        },
        "alone_ms_per_frame": alone,
    }
    parts = [
        "# Tracker-only speed (update() only, same process, trackers interleaved frame by frame)",
        f"Command: `{command}`  ",
        harness.environment_markdown(env),
        "",
        f"{args.reps} (MOT17-09) / {args.mot15_reps} (MOT15) / {args.synthetic_reps} "
        "(synthetic) timed repetitions per "
        "tracker after a 30-frame warm-up; trackers interleaved frame by frame in a rotating "
        "order; `ours faster by` = "
        "peer time / our time within each repetition (median, min-max); > 1 means ours is "
        "faster. Appearance peers are compared with `ours` (features), motion-only peers "
        "with `ours-motion`. Absolute FPS depend on the load of the shared 2-core machine; "
        "the ratios are the result.",
    ]
    if missing:
        parts.append(f"Not installed here (run in their own venv): {', '.join(missing)}.")
    for scene, (n_frames, per_frame, live) in sizes.items():
        parts += [
            "",
            f"## {scene}: {n_frames} frames, {per_frame:.1f} detections/frame, "
            f"{live:.1f} live tracks/frame (ours, with features)",
            "",
            table(results[scene]),
        ]
    rows = [
        (scene, name, statistics.median(runs), min(runs), max(runs))
        for scene, by_name in alone.items()
        for name, runs in by_name.items()
    ]
    parts += [
        "",
        f"## Ours alone in the crowds ({args.alone_reps} whole runs each after a warm-up run)",
        "",
        "Absolute time per frame without peers interleaved (module docstring).",
        "",
        harness.markdown_table(("scene", "tracker", "ms/frame (median)", "min", "max"), rows),
    ]
    stem = "tracker_speed" + (f"_{args.tag}" if args.tag else "")
    json_path, md_path = harness.save(stem, payload, "\n".join(parts))
    print("\n".join(parts))
    print(f"\nwrote {json_path} and {md_path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
