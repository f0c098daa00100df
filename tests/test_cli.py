"""The command line as users call it: exit codes, files written, errors without tracebacks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tracker.cli import main
from tracker.io.mot import read_results


def test_track_then_eval_writes_results_and_json(shared_data: Path, tmp_path: Path, capsys) -> None:
    seq = shared_data / "MOT17/train/MOT17-09-FRCNN"
    out = tmp_path / "results" / "MOT17-09-FRCNN.txt"
    npy = shared_data / "MOT17/deep_sort_npy/MOT17-09-FRCNN.npy"
    assert main(["track", "--seq", str(seq), "--dets", str(npy), "--out", str(out), "--quiet"]) == 0
    assert out.is_file() and len(out.read_text().splitlines()) > 1000
    report = tmp_path / "m.json"
    code = main(["eval", "--gt", str(shared_data / "MOT17/train"), "--results",
                 str(out.parent), "--json", str(report)])  # fmt: skip
    assert code == 0
    printed = capsys.readouterr().out
    assert "COMBINED" in printed and "mm:IDF1" in printed
    metrics = json.loads(report.read_text())
    combined = metrics["combined"]
    for key in ("HOTA", "MOTA", "MOTP", "IDF1", "IDSW", "FP", "FN", "Frag"):
        assert key in combined and key in metrics["sequences"]["MOT17-09-FRCNN"]
    assert 20 < combined["HOTA"] < 100


def test_motion_only_and_overrides(shared_data: Path, tmp_path: Path) -> None:
    seq = shared_data / "MOT15/train/TUD-Campus"
    out = tmp_path / "TUD-Campus.txt"
    args = ["track", "--seq", str(seq), "--dets", str(seq / "det/det_frcnn.txt"), "--out", str(out),
            "--motion-only", "--quiet", "--set", "max_age=10",
            "--set", "cascade=false"]  # fmt: skip
    assert main(args) == 0
    rows = read_results(out)
    assert len(rows.frames) > 100 and rows.frames.max() <= 71
    assert 3 <= len(set(rows.ids.tolist())) <= 40


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["track", "--seq", "/nonexistent", "--out", "x.txt"], "seqinfo.ini: not found"),
        (["eval", "--gt", "/nonexistent", "--results", "."], "ground-truth folder /nonexistent"),
        (
            ["track", "--seq", "SEQ", "--out", "x.txt", "--set", "n_init=many"],
            "expected an integer",
        ),
        (["track", "--seq", "SEQ", "--out", "x.txt", "--set", "speed=3"], "unknown key 'speed'"),
    ],
)
def test_user_errors_exit_2_with_one_line(
    argv, message, shared_data: Path, tmp_path, capsys
) -> None:
    argv = [a.replace("SEQ", str(shared_data / "MOT15/train/TUD-Campus")) for a in argv]
    argv = [a.replace("x.txt", str(tmp_path / "x.txt")) for a in argv]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_help_lists_commands_without_importing_the_heavy_stack() -> None:
    """``tracker --help`` (and every light command) must not pay for torch or grpc: the
    subcommand modules import them inside their handlers."""
    probe = (
        "import sys, contextlib, io\n"
        "from tracker.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()) as out, contextlib.suppress(SystemExit):\n"
        "    main(['--help'])\n"
        "heavy = sorted(m for m in ('torch', 'grpc', 'ultralytics', 'cv2') if m in sys.modules)\n"
        "print(','.join(heavy)); print(out.getvalue())\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    heavy, _, usage = result.stdout.partition("\n")
    assert heavy == ""
    for command in ("track", "eval", "serve", "stream", "demo", "health", "export"):
        assert command in usage


def test_interpolate_fills_short_gaps_of_the_out_file(shared_data: Path, tmp_path: Path) -> None:
    """--interpolate is offline post-processing of the result file: rows are only added
    (inside tracks, within the gap limit), never moved or removed."""
    seq = shared_data / "MOT17/train/MOT17-09-SDP"
    npy = shared_data / "MOT17/deep_sort_npy/MOT17-09-SDP.npy"
    plain, filled = tmp_path / "plain.txt", tmp_path / "filled.txt"
    base = ["track", "--seq", str(seq), "--dets", str(npy), "--quiet"]
    assert main([*base, "--out", str(plain)]) == 0
    assert main([*base, "--out", str(filled), "--interpolate", "0.5"]) == 0
    before, after = read_results(plain), read_results(filled)
    assert len(after.frames) > len(before.frames)
    kept = {(f, i) for f, i in zip(before.frames.tolist(), before.ids.tolist(), strict=True)}
    added = [(f, i) for f, i in zip(after.frames.tolist(), after.ids.tolist(), strict=True)
             if (f, i) not in kept]  # fmt: skip
    for frame, track in added:  # each added row lies inside its track's span ...
        span = before.frames[before.ids == track]
        assert span.min() < frame < span.max()
        gap = span[span > frame].min() - span[span < frame].max() - 1
        assert 1 <= gap <= 15  # ... in a gap of at most 0.5 s at 30 fps
    assert main([*base, "--out", str(filled), "--interpolate", "-1"]) == 2
