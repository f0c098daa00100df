"""One plain-text table for a human, from an ``EvalResult``."""

from __future__ import annotations

from tracker.eval import EvalResult

_COLUMNS = ("HOTA", "DetA", "AssA", "MOTA", "MOTP", "IDF1", "IDSW", "FP", "FN", "Frag")
_CROSS_CHECK = ("MOTA", "IDF1")


def format_table(result: EvalResult) -> str:
    """Per-sequence rows and COMBINED; the motmetrics columns are the cross-check."""
    cross = bool(result.motmetrics)
    header = ["sequence", *_COLUMNS] + ([f"mm:{c}" for c in _CROSS_CHECK] if cross else [])
    rows = [header]
    entries = [*result.sequences.items(), ("COMBINED", result.combined)]
    mm_rows = {**result.motmetrics, "COMBINED": result.motmetrics_combined}
    for name, metrics in entries:
        row = [name] + [_fmt(metrics[c]) for c in _COLUMNS]
        if cross:
            row += [_fmt(mm_rows[name][c]) for c in _CROSS_CHECK]
        rows.append(row)
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    lines = [
        "  ".join(
            cell.ljust(w) if i == 0 else cell.rjust(w)
            for i, (cell, w) in enumerate(zip(r, widths, strict=True))
        )
        for r in rows
    ]
    lines.insert(1, "-" * len(lines[0]))
    lines.insert(len(lines) - 1, "-" * len(lines[0]))
    title = f"TrackEval ({result.benchmark}, pedestrian)" + (
        "; mm: = py-motmetrics cross-check" if cross else ""
    )
    return "\n".join([title, *lines])


def _fmt(value: float) -> str:
    return f"{value:.3f}" if isinstance(value, float) and not value.is_integer() else f"{value:.0f}"
