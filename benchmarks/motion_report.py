"""The report of a motion-only accuracy sweep (``mot15_motion``, ``mot17_public``): every
tracker at every min-score filter, each shown at the filter with its best combined HOTA, ours
also at its unfiltered default, then per sequence."""

from __future__ import annotations

import shlex
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from benchmarks import harness
from benchmarks.peers import available


def run(
    *,
    module: str,
    title: str,
    intro: str,
    benchmark: str,
    load: Callable[[], tuple[Path, list[harness.SequenceInput]]],
    trackers: Sequence[str],
    argv: list[str] | None,
) -> int:
    """Parse the shared options, sweep, and write ``benchmarks/results/<module>[_tag].*``.

    ``module`` is the script's name (``python -m benchmarks.<module>``), ``title`` the
    report's heading and ``intro`` the paragraph above the tables that says what the input
    is; ``load`` returns the ground-truth folder and the inputs (called after the options
    are parsed, so ``--help`` reads no data)."""
    args = harness.parse_accuracy_args(title, list(trackers), argv)
    gt_dir, inputs = load()
    sequences = [s.name for s in inputs]
    names, missing = available(args.trackers)
    runs = harness.sweep(names, inputs, gt_dir, benchmark, args.score_filters)

    best = {name: harness.best_filter(by_filter) for name, by_filter in runs.items()}
    command = (f"python -m benchmarks.{module} " + shlex.join(argv or sys.argv[1:])).strip()
    env = harness.environment()
    stem = module + (f"_{args.tag}" if args.tag else "")
    payload = {
        "command": command,
        "environment": env,
        "sequences": sequences,
        "score_filters": args.score_filters,
        "best_filter_by_combined_hota": best,
        "skipped_not_installed": missing,
        "runs": harness.sweep_json(runs),
    }
    entries = []
    for name, by_filter in runs.items():
        entries.append((name, best[name], by_filter[best[name]].metrics["COMBINED"]))
        if name.startswith("ours") and best[name] != "0":
            entries.append((name, "0 (default)", by_filter["0"].metrics["COMBINED"]))
    entries.sort(key=lambda entry: -entry[2]["HOTA"])
    combined = [(n, label, *(m[k] for k in harness.TABLE_KEYS)) for n, label, m in entries]
    header = ("tracker", "min score", *harness.TABLE_KEYS)
    parts = [
        f"# {title}",
        f"Command: `{command}`  ",
        harness.environment_markdown(env),
        "",
        intro
        + " Each tracker at the min score (out of "
        + ", ".join(f"{s:g}" for s in args.score_filters)
        + ") with the best combined HOTA; ours also at its default (no filter).",
    ]
    if missing:
        parts.append(f"Not installed here (run in their own venv): {', '.join(missing)}.")
    parts += ["", "## Combined", "", harness.markdown_table(header, combined)]
    per_seq_header = ("tracker (min score)", *(f"{s} HOTA/IDF1" for s in sequences))
    per_seq = []
    for name, by_filter in runs.items():
        shown = [best[name]]
        if name.startswith("ours") and best[name] != "0":
            shown.append("0")  # ours at its default too: that is what a user gets
        for label in shown:
            metrics = by_filter[label].metrics
            per_seq.append(
                (
                    f"{name} ({label}{' default' if label != best[name] else ''})",
                    *(f"{metrics[s]['HOTA']:.3f} / {metrics[s]['IDF1']:.3f}" for s in sequences),
                )
            )
    parts += [
        "",
        "## Per sequence (HOTA / IDF1)",
        "",
        harness.markdown_table(per_seq_header, per_seq),
    ]
    json_path, md_path = harness.save(stem, payload, "\n".join(parts))
    print("\n".join(parts))
    print(f"\nwrote {json_path} and {md_path}")
    return 0
