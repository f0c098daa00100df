"""The official MOTChallenge evaluation (TrackEval): HOTA, CLEAR MOT and Identity metrics.

TrackEval wants its own folder layout; we build it from symlinks in a temporary folder so
users can keep results wherever they like. Numbers are reported in TrackEval's units
(percent for ratios, counts for the rest) under the names used in MOTChallenge tables.
"""

from __future__ import annotations

import contextlib
import io
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import trackeval

from tracker.errors import TrackerError
from tracker.eval.layout import EvalSequence

Metrics = dict[str, float]

_TRACKER_NAME = "tracker"
#: (TrackEval metric family, field, our name, scale)
_FIELDS = (
    ("HOTA", "HOTA", "HOTA", 100.0), ("HOTA", "DetA", "DetA", 100.0),
    ("HOTA", "AssA", "AssA", 100.0), ("HOTA", "LocA", "LocA", 100.0),
    ("CLEAR", "MOTA", "MOTA", 100.0), ("CLEAR", "MOTP", "MOTP", 100.0),
    ("Identity", "IDF1", "IDF1", 100.0), ("Identity", "IDP", "IDP", 100.0),
    ("Identity", "IDR", "IDR", 100.0),
    ("CLEAR", "CLR_FP", "FP", 1.0), ("CLEAR", "CLR_FN", "FN", 1.0),
    ("CLEAR", "IDSW", "IDSW", 1.0), ("CLEAR", "Frag", "Frag", 1.0),
    ("CLEAR", "MT", "MT", 1.0), ("CLEAR", "ML", "ML", 1.0),
    ("Count", "Dets", "Dets", 1.0), ("Count", "GT_Dets", "GT_Dets", 1.0),
    ("Count", "IDs", "IDs", 1.0), ("Count", "GT_IDs", "GT_IDs", 1.0),
)  # fmt: skip


def _metrics_of(result: dict) -> Metrics:
    out = {}
    for family, field, name, scale in _FIELDS:
        value = result[family][field]
        value = float(np.mean(value)) if np.ndim(value) else float(value)
        out[name] = value * scale if scale != 1.0 else round(value)
    return out


def run_trackeval(
    sequences: Sequence[EvalSequence], benchmark: str, parallel: int = 1
) -> tuple[dict[str, Metrics], Metrics]:
    """Per-sequence and combined metrics for one set of result files."""
    with tempfile.TemporaryDirectory(prefix="tracker-eval-") as tmp:
        # TrackEval reads GT_FOLDER/<seq>/gt/gt.txt and TRACKERS_FOLDER/<name>/data/<seq>.txt;
        # both are symlinks into the caller's files.
        gt_root = Path(tmp) / "gt"
        tracker_dir = Path(tmp) / "trackers" / _TRACKER_NAME / "data"
        tracker_dir.mkdir(parents=True)
        for seq in sequences:
            (gt_root / seq.name / "gt").mkdir(parents=True)
            os.symlink(seq.gt_file.resolve(), gt_root / seq.name / "gt" / "gt.txt")
            os.symlink(seq.result_file.resolve(), tracker_dir / f"{seq.name}.txt")
        eval_config = trackeval.Evaluator.get_default_eval_config()
        eval_config.update(
            USE_PARALLEL=parallel > 1, NUM_PARALLEL_CORES=max(parallel, 1), PRINT_RESULTS=False,
            PRINT_CONFIG=False, TIME_PROGRESS=False, OUTPUT_SUMMARY=False,
            OUTPUT_DETAILED=False, PLOT_CURVES=False, LOG_ON_ERROR=None,
        )  # fmt: skip
        dataset_config = trackeval.datasets.MotChallenge2DBox.get_default_dataset_config()
        dataset_config.update(
            GT_FOLDER=str(gt_root), TRACKERS_FOLDER=str(Path(tmp) / "trackers"),
            OUTPUT_FOLDER=str(Path(tmp) / "output"), TRACKERS_TO_EVAL=[_TRACKER_NAME],
            BENCHMARK=benchmark, SPLIT_TO_EVAL="train", SKIP_SPLIT_FOL=True, PRINT_CONFIG=False,
            SEQ_INFO={seq.name: seq.info.length for seq in sequences},
        )  # fmt: skip
        quiet = {"PRINT_CONFIG": False}
        # TrackEval adds its Count metric (Dets, GT_Dets, IDs, GT_IDs) by itself.
        metrics = [
            trackeval.metrics.HOTA(quiet),
            trackeval.metrics.CLEAR(quiet),
            trackeval.metrics.Identity(quiet),
        ]
        chatter = io.StringIO()
        try:
            with contextlib.redirect_stdout(chatter):
                evaluator = trackeval.Evaluator(eval_config)
                results, _ = evaluator.evaluate(
                    [trackeval.datasets.MotChallenge2DBox(dataset_config)], metrics
                )
        except trackeval.utils.TrackEvalException as error:
            raise TrackerError(f"TrackEval rejected the input: {error}") from error
    per_seq = results["MotChallenge2DBox"][_TRACKER_NAME]
    sequences_out = {seq.name: _metrics_of(per_seq[seq.name]["pedestrian"]) for seq in sequences}
    return sequences_out, _metrics_of(per_seq["COMBINED_SEQ"]["pedestrian"])
