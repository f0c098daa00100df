"""``python -m benchmarks --quick``: the one-command benchmark runs end to end and writes a report.

Runs ours and whichever peers are importable in this environment (the others must be listed
as not installed, never silently dropped), on the small --quick subset.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks.__main__ import main
from tracker.io.mot import read_results


@pytest.mark.timeout(60)
def test_bench_quick_writes_json_and_markdown(shared_data: Path, tmp_path: Path) -> None:
    gt_file = shared_data / "MOT15/train/TUD-Campus/gt/gt.txt"
    status = main(["--quick", "--out-dir", str(tmp_path), "--name", "smoke",
                   "--no-progress"])  # fmt: skip
    assert status == 0
    payload = json.loads((tmp_path / "smoke.json").read_text(encoding="utf-8"))
    assert payload["failed"] == []

    (suite,) = payload["accuracy"].values()
    assert suite["sequences"] == ["TUD-Campus"]
    ours = suite["runs"]["ours-motion"]
    assert set(ours) == {"0", "0.5"}
    metrics = ours["0"]["metrics"]["TUD-Campus"]
    assert 0.0 < metrics["HOTA"] <= 100.0 and 0.0 < metrics["IDF1"] <= 100.0
    # The report carries TrackEval's numbers, not rounded or re-derived ones: MOTA is
    # exactly 1 - (FN + FP + IDSW) / GT_Dets.
    errors = metrics["FN"] + metrics["FP"] + metrics["IDSW"]
    assert metrics["MOTA"] == pytest.approx(100.0 * (1 - errors / metrics["GT_Dets"]), abs=1e-9)
    assert 0 < metrics["GT_Dets"] == len(read_results(gt_file).frames)

    speed = payload["tracker_speed"]["trackers"]
    assert {"ours", "ours-motion"} <= set(speed)
    assert all(s["fps_median"] > 0 for s in speed.values())
    assert speed["ours"]["speedup_of_ours_median"] == pytest.approx(1.0)

    memory = payload["memory"]["trackers"]["ours-motion"]
    assert memory["peak_rss_mb"] >= memory["rss_before_mb"] > 0

    ran = set(suite["runs"]) | set(speed)
    from benchmarks.peers import PEERS  # importable once the command has run

    assert set(payload["not_installed"]) | ran >= set(PEERS) - {"dsr+mobilenet"}
    assert not set(payload["not_installed"]) & ran

    markdown = (tmp_path / "smoke.md").read_text(encoding="utf-8")
    assert markdown.startswith("# Benchmarks against peers")
    for heading in ("## Accuracy", "## Tracker-only speed", "## Memory"):
        assert heading in markdown
    assert "## Targets" not in markdown  # --quick measures no target: no empty section
    table_rows = [line for line in markdown.splitlines() if line.startswith("| ours-motion |")]
    assert len(table_rows) >= 3  # accuracy, speed and memory tables


def test_bench_rejects_bad_repetitions(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--reps", "0"])
    assert exit_info.value.code == 2
    assert "--reps must be at least 1" in capsys.readouterr().err
