"""PNG plots from the JSON results: HOTA against the min-score filter, one line per tracker.

Reads only ``benchmarks/results/*.json`` (no tracking), so it can be re-run at any time:

    python -m benchmarks.plots
"""

from __future__ import annotations

import json
from pathlib import Path

from benchmarks.harness import RESULTS


def plot_sweep(json_path: Path, seq: str, title: str) -> Path:
    import matplotlib

    matplotlib.use("Agg")  # files only, no display
    import matplotlib.pyplot as plt

    payload = json.loads(json_path.read_text(encoding="utf-8"))
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for name, by_filter in payload["runs"].items():
        filters = sorted(by_filter, key=float)
        hota = [by_filter[f]["metrics"][seq]["HOTA"] for f in filters]
        ours = name.startswith("ours")
        ax.plot(
            [float(f) for f in filters], hota, marker="o", label=name,
            linewidth=2.5 if ours else 1.5, color="black" if ours else None,
        )  # fmt: skip
    ax.set_xlabel("min detection score")
    ax.set_ylabel(f"HOTA ({seq})")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    out = json_path.with_name(f"{json_path.stem}_{seq}_hota.png")
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out


def main() -> int:
    made = []
    mot15 = RESULTS / "mot15_motion.json"
    if mot15.is_file():
        made.append(plot_sweep(mot15, "COMBINED", "MOT15 dev, det_frcnn, motion only"))
    mot17 = RESULTS / "mot17_deepsort_npy.json"
    if mot17.is_file():
        for seq in ("MOT17-09-FRCNN", "MOT17-09-SDP"):
            made.append(plot_sweep(mot17, seq, f"{seq}, deep_sort .npy detections"))
    for path in made:
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
