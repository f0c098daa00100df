"""py-motmetrics as an independent cross-check of TrackEval's MOTA and IDF1.

motmetrics 1.4.0's own IoU helper calls ``np.asfarray``, which numpy 2 removed, so the
distances come from our (tested) ``iou_matrix``; matching and metrics are motmetrics' own.
Ground truth rows with a zero confidence flag are dropped, as TrackEval does. MOT16/17
distractor classes are not removed here, so on those benchmarks the two differ slightly.
"""

from __future__ import annotations

from collections.abc import Sequence

import motmetrics as mm
import numpy as np

from tracker.core.affinity import iou_matrix
from tracker.eval.layout import EvalSequence
from tracker.io.mot import read_results

Metrics = dict[str, float]
_NAMES = {"mota": "MOTA", "idf1": "IDF1", "num_switches": "IDSW", "num_false_positives": "FP",
          "num_misses": "FN", "num_fragmentations": "Frag"}  # fmt: skip
_PERCENT = {"MOTA", "IDF1"}


def _accumulate(seq: EvalSequence, iou_threshold: float) -> mm.MOTAccumulator:
    gt = read_results(seq.gt_file)
    keep = gt.scores > 0  # the "consider this entry" flag in column 7
    gt_frames, gt_ids, gt_boxes = gt.frames[keep], gt.ids[keep], gt.boxes_xyxy[keep]
    hyp = read_results(seq.result_file)
    hyp_boxes = hyp.boxes_xyxy
    accumulator = mm.MOTAccumulator(auto_id=False)
    gt_order = np.argsort(gt_frames, kind="stable")
    gt_starts = np.searchsorted(gt_frames[gt_order], np.arange(seq.info.length + 2))
    hyp_order = np.argsort(hyp.frames, kind="stable")
    hyp_starts = np.searchsorted(hyp.frames[hyp_order], np.arange(seq.info.length + 2))
    for frame in range(1, seq.info.length + 1):
        g = gt_order[gt_starts[frame] : gt_starts[frame + 1]]
        h = hyp_order[hyp_starts[frame] : hyp_starts[frame + 1]]
        distance = 1.0 - iou_matrix(gt_boxes[g], hyp_boxes[h])
        distance[distance > 1.0 - iou_threshold] = np.nan
        accumulator.update(gt_ids[g], hyp.ids[h], distance, frameid=frame)
    return accumulator


def run_motmetrics(
    sequences: Sequence[EvalSequence], iou_threshold: float = 0.5
) -> tuple[dict[str, Metrics], Metrics]:
    accumulators = [_accumulate(seq, iou_threshold) for seq in sequences]
    names = [seq.name for seq in sequences]
    host = mm.metrics.create()
    summary = host.compute_many(
        accumulators, metrics=list(_NAMES), names=names, generate_overall=True
    )

    def row(name: str) -> Metrics:
        values = summary.loc[name]
        return {
            ours: float(values[theirs]) * (100.0 if ours in _PERCENT else 1.0)
            for theirs, ours in _NAMES.items()
        }

    return {name: row(name) for name in names}, row("OVERALL")
