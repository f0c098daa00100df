"""``tracker bench --quick``: the one-command benchmark runs end to end and writes a report.

Runs ours and whichever peers are importable in this environment (the others must be listed
as not installed, never silently dropped), on the small --quick subset.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tracker.cli import main


@pytest.mark.timeout(60)
def test_bench_quick_writes_json_and_markdown(shared_data: Path, tmp_path: Path) -> None:
    del shared_data  # the fixture fails the test early with a clear message if data is missing
    status = main(["bench", "--quick", "--out-dir", str(tmp_path), "--name", "smoke",
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
    assert metrics["FN"] >= 0 and metrics["IDSW"] >= 0

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
    table_rows = [line for line in markdown.splitlines() if line.startswith("| ours-motion |")]
    assert len(table_rows) >= 3  # accuracy, speed and memory tables


def test_bench_rejects_bad_repetitions(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "--reps", "0"]) == 2
    assert "--reps must be at least 1" in capsys.readouterr().err
