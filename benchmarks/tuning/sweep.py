"""Pick the tracker's default parameters by a small, recorded sweep on the dev sequences.

Superseded by benchmarks/tuning/loso.py (leave one sequence out: the numbers it reports were
scored on sequences the choice never saw), which now sets the defaults. Kept to re-run and
audit tuning-2026-11-24; times are in seconds now (30 frames = 1 s at 30 fps).

Coordinate descent: starting from DeepSORT's published settings, each parameter in turn is
set to each value of its grid with the others held at the best so far; a value is kept when
it raises the objective, the mean over the suites of (HOTA + IDF1) / 2 (TrackEval,
combined over each suite's sequences). Two passes over the parameters. Every evaluated
configuration is written to the JSON, so the choice can be audited and re-run:

    python -m benchmarks.tuning.sweep            # ~10 min on 2 cores

Caveat recorded with the results: the only appearance-feature data are MOT17-09 FRCNN/SDP,
so the appearance parameters are tuned on the sequences they are reported on.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import tempfile
from pathlib import Path

from tqdm import tqdm

from benchmarks.suites import Suite, run_suite, suites
from tracker.core import CHI2_95, DeepSortConfig

#: DeepSORT's published settings (nwojke/deep_sort), where the sweep starts.
START = {
    "max_age": 1.0, "n_init": 3, "max_iou_distance": 0.7, "max_appearance_distance": 0.2,
    "appearance_weight": 1.0, "appearance": "gallery", "cascade": True, "min_score": 0.0,
    "high_score": 0.0, "report_misses": 0.0, "new_track_min_score": 0.0,
    "gating_threshold": CHI2_95[4], "low_score_iou_distance": 0.5, "gallery_budget": 100,
    "ema_momentum": 0.9,
}  # fmt: skip

GRID: dict[str, list[object]] = {
    "min_score": [0.0, 0.3, 0.5, 0.6, 0.7],
    "high_score": [0.0, 0.6, 0.7, 0.8],
    "report_misses": [0.0, 2 / 30, 5 / 30, 8 / 30],
    "n_init": [1, 2, 3],
    "max_age": [0.5, 1.0, 2.0],
    "max_iou_distance": [0.5, 0.7, 0.8],
    "max_appearance_distance": [0.15, 0.2, 0.3],
    "appearance_weight": [0.7, 0.9, 1.0],
    "appearance": ["gallery", "ema"],
    "cascade": [True, False],
    "new_track_min_score": [0.0, 0.6, 0.8],
    "gating_threshold": [CHI2_95[4], 16.0, None],
    "low_score_iou_distance": [0.5, 0.7],
    "gallery_budget": [30, 100],
    "ema_momentum": [0.8, 0.9, 0.95],
}

RESULTS = Path(__file__).resolve().parents[1] / "results"


def objective(scores: dict[str, dict[str, float]]) -> float:
    return sum((s["HOTA"] + s["IDF1"]) / 2 for s in scores.values()) / len(scores)


def evaluate_config(params: dict[str, object], chosen: dict[str, Suite]) -> dict[str, dict]:
    config = DeepSortConfig.from_dict(params)
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, suite in chosen.items():
            result, _, _ = run_suite(suite, config, Path(tmp) / name)
            out[name] = {k: result.combined[k] for k in ("HOTA", "IDF1", "MOTA", "IDSW")}
    return out


def sweep(passes: int, chosen: dict[str, Suite]) -> dict[str, object]:
    best = dict(START)
    history: list[dict[str, object]] = []
    cache: dict[str, dict] = {}

    def score(params: dict[str, object]) -> float:
        key = json.dumps(params, sort_keys=True)
        if key not in cache:
            cache[key] = evaluate_config(params, chosen)
            history.append({"params": dict(params), "scores": cache[key],
                            "objective": objective(cache[key])})  # fmt: skip
        return objective(cache[key])

    best_score = score(best)
    steps = [(p, name) for p in range(passes) for name in GRID]
    for _, name in tqdm(steps, desc="sweep", unit="param"):
        for value in GRID[name]:
            candidate = {**best, name: value}
            if candidate == best:
                continue
            value_score = score(candidate)
            if value_score > best_score + 1e-9:
                best, best_score = candidate, value_score
    return {"start": START, "grid": GRID, "best": best, "best_objective": best_score,
            "best_scores": cache[json.dumps(best, sort_keys=True)], "history": history,
            "suites": {n: s.description for n, s in chosen.items()}}  # fmt: skip


def write_report(report: dict, stem: str) -> tuple[Path, Path]:
    RESULTS.mkdir(parents=True, exist_ok=True)
    json_path, md_path = RESULTS / f"{stem}.json", RESULTS / f"{stem}.md"
    json_path.write_text(json.dumps(report, indent=2, default=str) + "\n")
    start = next(h for h in report["history"] if h["params"] == report["start"])
    lines = [
        f"# Tracker parameter sweep ({stem})", "",
        "Coordinate descent from DeepSORT's published settings; objective = mean over suites "
        "of (HOTA + IDF1) / 2 (TrackEval, combined per suite). Command: "
        "`python -m benchmarks.tuning.sweep`.", "",
        "Suites: " + "; ".join(f"`{k}`: {v}" for k, v in report["suites"].items()), "",
        f"Configurations evaluated: {len(report['history'])}.", "",
        "| | " + " | ".join(f"{s} HOTA / IDF1" for s in report["suites"]) + " | objective |",
        "|---|" + "---|" * (len(report["suites"]) + 1),
    ]  # fmt: skip
    for label, entry in (("start (DeepSORT)", start), ("best (new defaults)", {
            "scores": report["best_scores"], "objective": report["best_objective"]})):  # fmt: skip
        cells = [f"{entry['scores'][s]['HOTA']:.2f} / {entry['scores'][s]['IDF1']:.2f}"
                 for s in report["suites"]]  # fmt: skip
        lines.append(f"| {label} | " + " | ".join(cells) + f" | {entry['objective']:.3f} |")
    changed = {k: v for k, v in report["best"].items() if START.get(k) != v}
    lines += [
        "",
        "Changed from the start: " + ", ".join(f"`{k}={v}`" for k, v in changed.items()),
        "",
        "Caveat: the appearance parameters can only be tuned on MOT17-09 (the only sequences "
        "with appearance features here), where they are also reported.",
        "",
    ]
    md_path.write_text("\n".join(lines))
    return json_path, md_path


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--passes", type=int, default=2)
    parser.add_argument(
        "--suites",
        nargs="+",
        default=["mot17-09-reid", "mot15-frcnn-motion", "pets09-yolov5n-motion"],
    )
    args = parser.parse_args()
    all_suites = suites()
    chosen = {name: all_suites[name] for name in args.suites}
    report = sweep(args.passes, chosen)
    paths = write_report(report, f"tuning-{dt.date.today().isoformat()}")
    print(json.dumps(report["best"], indent=2), report["best_scores"], *paths, sep="\n")


if __name__ == "__main__":
    main()
