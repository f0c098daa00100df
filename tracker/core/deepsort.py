"""DeepSORT-style multi-object tracker: ``DeepSort(config, frame_rate).update(...)`` per frame.

Per frame (each step a method of ``DeepSort``, in this order in ``update``):

1. accept the detections (validated; below ``min_score`` dropped);
2. move the tracks with the camera, if the caller measured its motion;
3. predict every track with the Kalman filter (and, without the camera's motion from the
   caller, move it by the image velocity learnt from the matches: ``camera_velocity_gain``,
   and by the shift the scene made since, if most steady tracks share one with the
   detections: ``camera_alignment``);
4. match confirmed tracks to confident detections on the fused cost
   ``w * cosine + (1 - w) * (1 - IoU)``, ``w`` per pair from how well appearance separates
   the candidates and this stream's people so far (or fixed), gated by the Mahalanobis
   distance, the appearance threshold and the class, either level by level (DeepSORT's
   matching cascade) or in one global assignment;
5. match tentative tracks and tracks missed only in the previous frame to the remaining
   detections on IoU alone;
   (below 30 fps, without features) match the confirmed tracks still unmatched on the IoU
   of boxes grown with the time between frames (C-BIoU's buffer, ``iou_buffer``);
6. (ByteTrack's idea) match the tracks still unmatched to low-score detections on IoU,
   which recovers people behind partial occlusion without starting tracks from noise;
7. correct the learnt image velocity by the shift the steady matches share
   (``tracker.core.scene_motion``); update matched tracks (optionally re-running a gap
   first, OC-SORT's ORU), mark the rest missed, start tracks from unmatched confident
   detections (confirmed at once in the stream's first frame: ``confirm_first_frame``),
   drop deleted ones.

Without features (``features=None``) step 4 uses ``1 - IoU`` with the same gates: the tracker
runs motion-only, SORT-like, with DeepSORT's Kalman gating and lifecycle. Times are seconds,
converted with the source's frame rate.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from tracker.core.affinity import (
    INFEASIBLE,
    buffered_boxes,
    fused_cost,
    gallery_distance,
    iou_cost,
    iou_matrix,
    overlap_area,
    reliability_cost,
)
from tracker.core.assignment import Assignment, matching_cascade, min_cost_assignment
from tracker.core.detections import Detections, InvalidDetectionsError
from tracker.core.jit import kernel
from tracker.core.kalman import (
    CHI2_95,
    KALMAN_STATES,
    BatchKalmanFilter,
    KalmanState,
    NoiseModel,
)
from tracker.core.kalman_kernels import to_xyxy
from tracker.core.scene_motion import MIN_CAMERA_PAIRS, CameraVelocity, steady_residuals
from tracker.core.score_profile import SCORE_FUSIONS, RecentScores, ScoreFusion, score_weights
from tracker.core.track import CONFIRMED, TENTATIVE, TrackTable

IntArray = NDArray[np.int64]


def _flatnonzero(mask: NDArray[np.bool_]) -> IntArray:
    """``np.flatnonzero`` for 1-d masks without its Python-level dispatch (called ~10 times
    per frame)."""
    return mask.nonzero()[0]


#: Appearance gate for features of unknown origin: deep_sort's value for its 128-d network,
#: confirmed by the parameter sweep on MOT17-09 (benchmarks/results/tuning-*.md).
DEFAULT_APPEARANCE_GATE = 0.2


#: Frame rate assumed when the source does not say (MOT16/17's and most cameras').
DEFAULT_FRAME_RATE = 30.0

#: Upper bounds that keep one stream's config from exhausting memory or CPU.
MAX_GALLERY_BUDGET = 1000
MAX_N_INIT = 100
MAX_SECONDS = 600.0
MAX_FRAME_RATE = 1000.0
MAX_IMAGE_SIDE = 65536.0

#: Smallest (and inverse of the largest) zoom a camera_motion may apply between two frames.
MIN_CAMERA_SCALE = 0.5

#: Largest ``iou_buffer``: boxes grown by more than their own size
#: on each side overlap half the frame.
MAX_IOU_BUFFER = 1.0

#: ``coast_report="occluded"``: the share of a missed track's predicted box another track
#: seen in this frame must cover (intersection over the missed box's own area). Chosen in
#: sample, not by LOSO: 0.3 over 0.5 and 0.7 on the mean objective of the LOSO units at the
#: round-2 defaults (59.49 / 59.44 / 59.32 with 0.5 s of coasting; loso_notes.md, round 3).
OCCLUSION_COVER = 0.3

#: ``merge_width``: a matched detection is a merge only if it also overlaps another confirmed
#: track's prediction by at least this IoU (SORT's and norfair's match threshold), and it
#: then corrects its track with the measurement noise's standard deviations times
#: ``MERGE_NOISE``. Probed in sample (loso_notes.md, round 14): IoU 0.25-0.4 alike, 0.2
#: loses TUD-Stadtmitte's gain at width 1.15; deviations x3.2 score like x10, no correction
#: at all a little lower, x2 on any overlapping detection (no width test) loses.
MERGE_IOU = 0.3
MERGE_NOISE = 10.0

#: ``reliability`` fusion: the cosine margin between a pair's best and second-best candidates
#: at which appearance alone decides (below it, IoU takes the rest of the weight).
APPEARANCE_SEPARATION = 0.1

#: ``reliability`` fusion: how many judged separations the prior (``appearance_weight``)
#: counts as, before the stream's own evidence takes over.
RELIABILITY_PRIOR_COUNT = 5.0

#: ``report_detection_weight`` None: how many consecutive residual pairs the learnt weights
#: remember (older pairs fade geometrically), so a long stream follows a change of camera or
#: detector. The scores sequences here give 5,000-30,000 pairs; 300 and 1,000 pairs scored
#: as the whole stream does (loso_notes.md, round 12).
RESIDUAL_MEMORY = 1000.0


@dataclass(frozen=True)
class DeepSortConfig:
    """Tracker parameters.

    Times are in seconds, not frames: the tracker converts them with the source's frame rate
    (``DeepSort(config, frame_rate=...)``), so a lifetime means the same on a 7 fps and a
    30 fps camera.

    Defaults are chosen by leave-one-sequence-out over the six MOT15 development sequences
    and MOT17-09 FRCNN / SDP (benchmarks/tuning/loso.py; results, left-out scores and the
    switches that did not help in benchmarks/results/loso.md): every number there was
    scored on a sequence its configuration was not tuned on. The rest (gates, n_init,
    gallery) are DeepSORT's published settings as refined by the earlier sweep
    (benchmarks/results/tuning-2026-11-24.md).
    """

    max_age: float = 4.0
    """Seconds a confirmed track survives without a detection (120 frames at 30 fps, 28 at
    7 fps). LOSO: 4 s over 1 / 2 s (and 8 s in an earlier round), chosen by every fold but
    those leaving out MOT17-09's footage."""
    n_init: int = 3
    """Consecutive hits before a track is confirmed and reported (a count of detections,
    not a time: it is the evidence needed, whatever the frame rate)."""
    confirm_first_frame: bool = True
    """Confirm the tracks started in a stream's first frame at once (ByteTrack activates
    its first frame's tracks the same way). ``n_init`` guards against a detector's
    one-off false positives by asking a new track to persist; the people in a stream's
    first frame are not new, they were there before the stream began, and making them
    wait ``n_init`` frames only loses them. Later births still need ``n_init`` hits. LOSO
    round 7 (benchmarks/results/loso.md): left-out mean objective 62.27 against 61.78
    off, every fold choosing it; left-out MOT15 combined 45.11 / 61.37 against
    44.94 / 61.30. In sample TUD-Campus 54.19 / 73.92 -> 55.89 / 75.84, ETH-Sunnyday
    55.82 / 76.42 -> 56.11 / 76.64, TUD-Stadtmitte 52.24 / 73.44 -> 52.78 / 73.77."""
    max_iou_distance: float = 0.8
    """IoU stages: pairs with ``1 - IoU`` above this never match."""
    max_appearance_distance: float | None = None
    """Appearance stage: pairs with cosine distance above this never match. The right value
    depends on the embedder (same-person distances are ~0.26 for OSNet x0.25, ~0.2 for
    deep_sort's 128-d network), so ``None`` means the embedder's calibrated
    ``match_distance`` (the pipeline fills it in), or ``DEFAULT_APPEARANCE_GATE`` for
    features that come without an embedder (e.g. deep_sort ``.npy`` files)."""
    appearance_weight: float = 1.0
    """``w`` in ``w * cosine + (1 - w) * (1 - IoU)`` (``appearance_fusion="weighted"``);
    with ``reliability``, the appearance weight the stream starts from (its prior)."""
    appearance_fusion: Literal["weighted", "reliability"] = "reliability"
    """How appearance and IoU combine in the main stage. ``weighted``: DeepSORT's
    ``w * cosine + (1 - w) * (1 - IoU)`` with no IoU gate, so a lost track can be found
    again by appearance anywhere inside the motion gate. ``reliability``: per pair,
    appearance gets the weight its evidence earns, ``min(1, margin /
    APPEARANCE_SEPARATION)``, where the margin is how far the best cosine distance in the
    pair's row and column is ahead of the second best (and how far the pair's own distance
    is from the appearance gate: a cosine at the gate is no verdict); IoU takes the rest
    (``affinity.adaptive_fused_cost``). That weight never falls below the share of decisive
    separations this stream has shown so far (tracks whose best detection beat the second
    best by ``APPEARANCE_SEPARATION``; ``affinity.separation_evidence``; detections the
    embedder skipped are no evidence), starting from ``appearance_weight`` as a prior worth
    ``RELIABILITY_PRIOR_COUNT`` observations. A strong embedder (OSNet on PETS09, ~80 %
    decisive) ends up close to ``weighted``; with a weak one (deep_sort's 128-d network on
    MOT17-09, ~40 %) motion decides where appearance cannot tell people apart
    (benchmarks/results/loso_adapt2_notes.md).
    Default (prior 1): LOSO restricted to each fusion, with the PETS09 + OSNet unit on the
    product path (loso_adapt2_skip.md), left-out mean objective 61.80 against 61.68
    ``weighted``; the final round-4 run (loso.md) 61.40 against 61.37. In sample it keeps
    what ``weighted`` gets where the embedder is strong (``tracker track`` on PETS09-S2L1
    with YOLOv5n boxes and OSNet 59.09 / 80.64, ``weighted`` 59.09 / 80.65; MOT17-09-FRCNN
    51.89 / 65.32 against 51.90 / 65.38) and gains where it is weak (MOT17-09-SDP 56.72 /
    70.63 against 55.36 / 67.66). The prior 0.5 scored 61.84 (a tie; it trades PETS09 58.62
    / 79.89 for FRCNN 52.71 / 67.28). The same cost without the floor and the gate margin
    (``adaptive``, removed) broke the re-ID rule on the product path, where the skip thins
    the galleries and shrinks the margins: 54.80 / 71.54 on that PETS09 run, below
    motion-only (loso_notes.md, round 3)."""
    appearance: Literal["gallery", "ema"] = "gallery"
    """Cosine distance to the nearest of the last ``gallery_budget`` features, or to an
    exponential moving average of them."""
    gallery_budget: int = 100
    ema_momentum: float = 0.9
    gating_threshold: float | None = CHI2_95[4]
    """Squared Mahalanobis distance above which a detection is implausible for a track
    (chi-square 0.95, 4 degrees of freedom). ``None`` disables motion gating."""
    cascade: bool = False
    """Match recently seen tracks first (DeepSORT); ``False`` = one global assignment."""
    min_score: float = 0.5
    """Detections below this score are ignored entirely (LOSO: 0.5 / 0.6 beats 0.6 / 0.8
    for ``min_score`` / ``high_score``)."""
    high_score: float = 0.6
    """Detections at or above this score take part in the main stages and may start tracks;
    those between ``min_score`` and ``high_score`` are used only by the low-score stage."""
    low_score_iou_distance: float = 0.5
    """Low-score stage: IoU distance limit (ByteTrack uses 0.5)."""
    new_track_min_score: float = 0.6
    """Unmatched detections below this score do not start tracks."""
    class_aware: bool = True
    """Tracks only match detections of their own class."""
    report_misses: float = 1.0
    """Seconds a confirmed track missed by the detector is still reported, at its predicted
    position (``detection_index`` -1); 0 reports matched tracks only. Only while an
    occlusion explains the miss (``coast_report``) and only for a track whose predictions
    have fitted its detections (``coast_min_iou``): without that filter a prediction was
    worth reporting for a few frames at most (0.2 s was LOSO's choice up to round 7),
    beyond which a moving camera or a turning person made it a false positive. LOSO round 11
    (benchmarks/results/loso.md), restricted to each value: left-out mean objective 63.81 at
    0.2 s, 64.17 at 0.5 s, 64.30 at 1 s (round 10, results/loso_round10.md: 63.56, 63.93,
    64.06; round 8: 61.73 at 0, 63.15 at 1 s); in sample 2 s lost on every unit it
    changed. The choice is close: over round 8's whole grid (results/loso_round10_full.md)
    0.5 s edged out 1 s, 63.94 against 63.90."""
    observation_reupdate: bool = False
    """OC-SORT's observation-centric re-update: when a track is matched again after a gap,
    re-run its filter through boxes interpolated between the last and the new detection,
    instead of keeping the velocity the coasting drifted to. LOSO: it helps the left-out
    scores (MOT15 combined 43.33 / 57.48 without, 43.56 / 59.35 with), but no configuration
    with it keeps re-ID above motion-only on every sequence with features (SDP with
    ``weighted``, PETS09 + OSNet with the since-removed ``adaptive``), so it is off by
    default."""
    iou_gate_frame_rate_power: float = 1.0
    """``max_iou_distance`` holds at 30 fps; at a lower frame rate people move further
    between frames, so the least IoU a match needs shrinks to
    ``(1 - max_iou_distance) * (fps / 30) ** power`` (never tightened above 30 fps); 0 turns
    the scaling off, 1 makes it proportional. The low-score stage keeps its gate: weak
    detections must overlap more, not less (scaling it too cost PETS09 + YOLOv5n 1.7 HOTA).
    LOSO: left-out MOT15 combined 43.01 / 57.71 at 0, 43.32 / 57.41 at 0.5, 43.73 / 59.73
    at 1."""
    assignment_backend: Literal["lap", "scipy"] = "lap"
    appearance_skip_iou: float | None = 0.6
    """Embed only what helps (``detections_needing_appearance``): a confident detection
    needs no appearance feature when its match is already unambiguous by motion: exactly
    one confirmed track inside its motion gate (same class), that track has no other
    candidate, their IoU is at least this, and the track's appearance was refreshed less
    than ``appearance_refresh`` seconds ago. Such a detection, given with an all-zero
    feature row, is matched to that track on IoU in the main stage. ``None`` embeds every
    confident detection. Measured (benchmarks/results/appearance_skip.md): 0.6 with a
    0.5 s refresh embeds 42% of the crops on PETS09 + OSNet at HOTA / IDF1 59.28 / 80.80
    (every crop: 59.26 / 80.65) and 90% / 93% on MOT17-09 FRCNN / SDP at equal or higher
    scores; a 2 s refresh saves more but fell to 56.02 / 74.82 on PETS09."""
    appearance_refresh: float = 0.5
    """With ``appearance_skip_iou``: a track's appearance is learnt at least this often
    (seconds), so its gallery keeps up with the person."""
    score_fusion: ScoreFusion = "score"
    """How a detection's score weighs its IoU where matching uses IoU (the main stage
    without features, or with IoU in the fusion, and the tentative stage; not the low-score
    stage, whose boxes are all weak): the IoU becomes ``IoU * weight``, so of two boxes that
    overlap a track alike the surer one wins, and a weak box needs more overlap to match at
    all. ``none``: weight 1. ``score``: the score clipped to [0, 1] (ByteTrack's
    ``fuse_score``). ``relative``: the score over the median of the last 1024 scores at
    or above ``min_score`` in this stream, clipped to [0, 1]: detectors score on different
    scales (median 0.98 for MOT15's Faster R-CNN boxes, 0.80 for YOLOv5n on PETS09, 49 for
    MOT15's ``det.txt``), and this weighs a box against its own
    detector's typical confidence without a constant per detector (``score_profile``).
    What it changes (benchmarks/results/loso_crowd_notes.md): from the same tracker state,
    a few matches per sequence (3 on TUD-Stadtmitte, 21 on ADL-Rundle-6): mostly a track
    refused a weak box (score ~0.6-0.8) it barely overlaps, and where two boxes compete, the
    confident one (9 of 9 swaps). LOSO (benchmarks/results/loso_crowd*.md): with the
    frame-rate IoU gate at its default (power 1), ``score`` is preferred: left-out mean
    objective 58.52 against 58.27 off (``relative`` 58.36), MOT15 combined 43.90 / 59.28
    against 43.73 / 59.73. Over the full grid it is not (57.40 against 58.27): the folds that
    leave PETS09 out then pick power 0, by 0.01 on the other units, and 7 fps PETS09 pays.
    Default ``score``: the LOSO round with the power held at 1 (benchmarks/results/loso.md)
    prefers it, left-out mean objective 61.40 against 61.14 off and 61.36 ``relative``."""
    coast_report: Literal["all", "occluded"] = "occluded"
    """Which missed tracks ``report_misses`` reports. ``all``: every confirmed one.
    ``occluded``: only those whose predicted box overlaps a track seen in this frame (at
    least ``OCCLUSION_COVER`` of it covered), i.e. where an occlusion, or the detector's NMS
    between overlapping people, explains the miss. A miss nothing explains is more
    often a person who left, a false track or a moving camera, where the predicted box is a
    false positive; benchmarks whose ground truth keeps occluded people (MOT16/17) reward
    reporting those behind others. LOSO (benchmarks/results/loso.md): left-out mean
    objective 63.03 ``occluded`` against 62.32 ``all`` in round 8 (61.40 against 60.45 in
    round 4); coasting output was under 50 % precise on every MOT15 sequence with ``all``
    (results/loso_crowd_notes.md)."""
    coast_min_iou: float = 0.7
    """Report a missed track (``report_misses``) only if its predictions have deserved
    trust: the IoU between the track's prediction and its detection, averaged over its
    matches (``PREDICTION_FIT_MEMORY``), must reach this. A track whose predictions land
    beside its person (a moving camera, a turning or erratic walker, a low frame rate) would
    report a box beside the person while it coasts: a false positive, and a miss besides.
    0 trusts every prediction. LOSO round 8 (benchmarks/results/loso.md): left-out mean
    objective 63.03 against 62.27 at 0 (0.5: 62.33, 0.6: 62.23, 0.8: 62.30), left-out MOT15
    combined 45.28 / 61.75 against 45.11 / 61.37; with it, coasting for 1 s pays
    (``report_misses``). In sample MOT17-09-FRCNN 52.02 / 65.36 -> 54.52 / 67.71, SDP
    56.83 / 70.70 -> 59.19 / 72.40, TUD-Campus 55.89 / 75.84 -> 58.83 / 78.61,
    ETH-Sunnyday 56.11 / 76.64 -> 56.69 / 77.25."""
    coast_max_scale: float = 1.2
    """Report a missed track (``report_misses``) only while its predicted height is within
    this factor of its last detection's (from ``h / coast_max_scale`` to
    ``h * coast_max_scale``). The filter extrapolates the height's velocity too: a person
    hidden behind another, whose last boxes were growing or shrinking (a merge with the
    occluder, a partial box), coasts as a box that swells past or shrinks away from the
    person, a false positive the prediction fit (``coast_min_iou``) learnt before the gap
    cannot see. 0 reports any height (off); otherwise at least 1. Output only: no track's
    state or match changes. LOSO round 13 (benchmarks/results/loso.md): left-out mean
    objective 64.87 at 1.2 against 64.65 off (1.1: 64.82, 1.35: 64.80; every fold chose
    1.2), left-out MOT15 combined 45.64 / 62.40 against 45.51 / 62.14; held out (MOT17
    public) 50.20 / 57.87 against 50.14 / 57.75."""
    merge_width: float = 1.15
    """A detection the detector drew around two people (its NMS kept one box for a person
    and the one beside or behind them) is a poor measurement of either: the track that takes
    it widens and drifts between the two, and its velocity carries it off with the wrong
    person once they part. A matched detection more than ``merge_width`` times as wide as
    its track's prediction, and overlapping another confirmed track's prediction
    (``MERGE_IOU``), corrects its track with ``MERGE_NOISE`` times the measurement noise:
    the track holds to its prediction through the merge. 0: off. LOSO round 14
    (benchmarks/results/loso.md): left-out mean objective 65.61 at 1.15 against 64.87 off
    (1.2: 65.59, 1.25: 65.11). The gain is TUD-Stadtmitte's (53.41 / 75.07 -> 56.76 / 82.35
    in sample, two people swapping identities through a merged box) and PETS09 with
    YOLOv5n boxes, motion only (57.03 / 76.91 -> 59.43 / 80.82); ADL-Rundle-6 and PETS09
    with the SORT paper's boxes lose a little, and left-out MOT15 combined falls from
    45.64 / 62.40 to 44.35 / 59.47 (the fold without PETS09 also turns on the re-update;
    with the re-update held off 44.97 / 60.91, results/loso_round14_oru_off.md). Held out
    (MOT17 public) 50.22 / 57.82 against 50.20 / 57.87."""
    kalman_state: KalmanState = "xyah"
    """The Kalman filter's state space (``tracker.core.kalman``). ``xyah``: DeepSORT's
    centre, aspect ratio and height. ``xywh_height``: BoT-SORT's centre, width and height.
    Noise proportional to the height in both (BoT-SORT's width-proportional noise lost LOSO
    and was removed). LOSO (benchmarks/results/loso_xywh_notes.md): ``xywh_height`` raises
    the left-out mean objective (61.64 against 61.14) but lowers left-out MOT15 combined
    (42.76 / 58.05 against 44.10 / 59.08), and no configuration with it keeps re-ID at least
    motion-only on every sequence with features (it improves motion-only more), so
    ``xyah``."""
    aspect_noise: float = 1.0
    """``xyah`` only: the Kalman filter's process noise on the aspect ratio, in multiples of
    DeepSORT's (``kalman.NoiseModel.aspect_noise``). At 1 the aspect is nearly fixed, which
    steadies boxes whose width the detector measures noisily; larger lets the box follow a
    shape that really changes (a person clipped at the image border, passing close to the
    camera, turning). Ignored by ``xywh_height``, whose width has its own noise. LOSO round 9
    (benchmarks/results/loso_round9_aspect.md): left-out mean objective 63.03 at 1 against
    62.38 at 3 and 62.75 at 10, so DeepSORT's value stays; on the held-out MOT17 public
    detections 10 would gain (combined 50.27 / 57.80 against 49.31 / 57.53; loso_notes.md)."""
    min_inside_image: float = 0.8
    """A track the detector missed is deleted once less than this share of its predicted box
    lies inside the image: its person has walked out of view. Kept alive, such a track
    coasts beside the border and takes the identity of the next person to leave there, or
    (with appearance) of a newcomer who looks alike. Needs the image size
    (``DeepSort(image_size=...)``; the pipeline takes it from the frames, offline tracking
    from seqinfo); without it, or at 0, nothing is deleted for it. LOSO round 10
    (benchmarks/results/loso_round10.md), restricted to each value: left-out mean objective
    63.03 at 0, 63.97 at 0.5, 64.06 at 0.8, 64.06 at 0.9 (a tie: the lower share is kept); left-out
    MOT15 combined 45.45 / 61.87 against 45.28 / 61.75. In sample ETH-Sunnyday 56.69 / 77.25
    -> 57.00 / 77.65, MOT17-09-SDP 59.19 / 72.40 -> 61.74 / 77.15, PETS09 with YOLOv5n and
    OSNet 59.71 / 81.03 -> 61.57 / 85.59; on the held-out MOT17 public detections MOT17-05
    (a walking camera, people leaving at the border) 40.91 / 51.91 -> 42.94 / 54.59
    (loso_notes.md, round 10)."""
    report_detection_weight: float | None = None
    """The box reported for a track matched in this frame: ``w * detection + (1 - w) *
    filtered``; the filter's estimate alone at 0 (DeepSORT, SORT, ByteTrack), the
    detection's box at 1 (what roboflow's trackers report). The filter's estimate is
    steadier where the detector's boxes jitter, but it lags a box whose motion the
    constant-velocity model did not predict (a camera that walks or turns). Only the output
    changes: the tracks' states and every association are the same at any weight.
    ``None`` learns the weight from the stream, for the centre, width and height apart: the
    lag-1 autocorrelation of the residuals (detection minus filtered box, over its height)
    of tracks matched in consecutive frames, clipped to [0, 1], over the last
    ``RESIDUAL_MEMORY`` pairs (0 before the first). Jitter gives residuals that do not
    persist from one frame to the next (correlation near 0: the filter's box is the better
    estimate); a lag persists (correlation ``lag / (lag + jitter)`` in variance, which is
    the weight that minimises the reported box's error). Measured on the SORT paper's
    Faster R-CNN boxes of MOT15 the centre's correlation is -0.1 to 0.1, on MOTChallenge's
    public MOT17 boxes 0.2 to 0.7, and the width's 0.4 to 0.9 everywhere (the filter holds
    the aspect ratio nearly fixed). LOSO round 12 (benchmarks/results/loso.md),
    restricted to each value: left-out mean objective 64.65 learnt, against 64.06 at 0,
    64.31 at 0.25 and 64.38 at 0.5 (every fold chose it; 1 scored 63.78 in round 11,
    results/loso_round11.md); left-out MOT15 combined 45.51 / 62.14, against 45.45 / 61.91
    at 0 and 45.27 / 61.95 at 0.5. In sample, against 0.5 (round 11's default), it gains on
    every unit or ties (MOT17-09-SDP 61.88 -> 62.34 HOTA, PETS09-S2L1 44.44 -> 44.87,
    MOT17-09-FRCNN 55.59 -> 56.07); held out, MOT17 public combined 49.97 / 57.76 ->
    50.14 / 57.75."""
    iou_buffer: float = 0.05
    """C-BIoU's buffered IoU (Yang et al., WACV 2023) as one more stage at low frame rates:
    after the main and tentative stages, the confirmed tracks still unmatched are matched
    to the confident detections still free on the IoU of both boxes grown on every side by
    ``iou_buffer * max(0, 30 / fps - 1)`` of their width and height (no stage at 30 fps
    and above, 0.01 at 25 fps, 0.16 at 7 fps), under the same IoU, motion and class gates,
    before the low-score stage. How far a person strays from the prediction grows with the
    time between frames; at 30 fps the plain IoU already works. It runs only without
    appearance features: with them, the tracks left are those whose appearance refused
    every detection, and a loose overlap should not overrule that. 0 = no such stage.
    LOSO (benchmarks/results/loso_assoc_notes.md): left-out mean objective 61.67 against
    61.45 without the stage; left out, PETS09 with YOLOv5n boxes (7 fps) 56.24 / 75.97 ->
    58.61 / 81.63 motion-only. Unscaled it cost the 25-30 fps sequences (ADL-Rundle-6
    -0.9 HOTA, TUD-Stadtmitte -1.4: 61.26 left out), with features it cost PETS09 + OSNet
    (59.07 / 80.50 -> 58.72 / 79.97), larger buffers lift motion-only above re-ID on
    PETS09 + OSNet (the re-ID rule), and a buffer or Hybrid-SORT's height-modulated IoU in
    the main stages lost outright (60.36-60.94; removed)."""
    camera_velocity_gain: float = 0.3
    """Follow a moving camera without frames (``tracker.core.scene_motion``): every
    predicted track moves with an image velocity the stream learns from its own matches,
    corrected each frame by this fraction of the shift the steady matches share
    (soft-thresholded, so a static camera keeps it at or near zero). 0 turns it off. Not
    used in a frame that comes with ``camera_motion`` (from the frames), which says the
    same better. LOSO (benchmarks/results/loso.md): left-out mean objective 61.75 at 0.3
    against 61.40 off and 61.70 at 0.5; left-out MOT15 combined 44.93 / 61.26 against
    44.73 / 60.75 off. In sample it moves ETH-Sunnyday 55.39 / 75.73 -> 55.76 / 76.12 and
    KITTI-17 47.80 / 72.67 -> 48.66 / 74.90, and leaves the files of TUD-Stadtmitte and
    MOT17-09 byte-identical. With the whole scene panning and no frames
    (benchmarks/results/camera_pan_dets.md) MOT15 combined goes from 37.30 / 46.54 to
    39.30 / 51.01 on the slow pan (roboflow ByteTrack 39.24 / 51.10) and from 31.85 / 35.94
    to 32.73 / 39.44 on the fast one (35.08 / 40.62). A gain of 1 follows the fast pan
    better but moves tracks on static cameras where a crowd walks alike (PETS09-S2L1
    44.21 -> 41.03 HOTA in sample)."""

    camera_alignment: bool = True
    """Catch a pan the learnt velocity has not caught up with, before the association
    (``tracker.core.scene_motion.aligning_shift``): if most tracks that were matched in the
    previous frame find a detection at the same displacement, and few at none, every
    prediction moves by it and the velocity takes in part of it. Only without
    ``camera_motion``. It fires only on shifts beyond a person's localisation noise (in 4
    of the 4,709 frames of the LOSO units). LOSO round 6 (benchmarks/results/loso.md, the
    gain held at 0.3): left-out mean objective 61.78 against 61.75 off; in sample
    ETH-Sunnyday 55.76 / 76.12 -> 55.82 / 76.42, the other units unchanged. With the
    whole scene panning and no frames (benchmarks/results/camera_pan_dets.md) MOT15
    combined goes from 39.30 / 51.01 to 39.70 / 51.36 on the slow pan and from
    32.73 / 39.44 to 36.95 / 47.73 on the fast one, above roboflow ByteTrack's
    39.24 / 51.10 and 35.08 / 40.62. With the gain free as well, LOSO preferred it off
    (loso_round6_gain.md: one fold then chose gain 0.5, see loso_notes.md round 6)."""

    def __post_init__(self) -> None:
        problems = _check_fields(self)
        if problems:
            raise ValueError("invalid DeepSortConfig: " + "; ".join(problems))
        for name in _INTEGERS:  # 3.0 from a JSON or wire double is the count 3
            object.__setattr__(self, name, int(getattr(self, name)))

    @property
    def appearance_gate(self) -> float:
        """The appearance gate in force: the configured one, else the default."""
        if self.max_appearance_distance is None:
            return DEFAULT_APPEARANCE_GATE
        return self.max_appearance_distance

    @classmethod
    def from_dict(cls, values: dict[str, object]) -> DeepSortConfig:
        """Build from a plain mapping (CLI, wire config), rejecting unknown keys by name."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(
                f"unknown key(s) {unknown} for the tracker parameters; known: {sorted(known)}"
            )
        return cls(**values)  # type: ignore[arg-type]


_RANGES: dict[str, tuple[float, float]] = {
    "max_age": (0.0, MAX_SECONDS),
    "report_misses": (0.0, MAX_SECONDS),
    "max_iou_distance": (0.0, 1.0),
    "iou_gate_frame_rate_power": (0.0, 2.0),
    "low_score_iou_distance": (0.0, 1.0),
    "appearance_weight": (0.0, 1.0),
    "ema_momentum": (0.0, 1.0),
    "min_score": (0.0, 1.0),
    "high_score": (0.0, 1.0),
    "new_track_min_score": (0.0, 1.0),
    "max_appearance_distance": (0.0, 2.0),
    "appearance_skip_iou": (0.0, 1.0),
    "appearance_refresh": (0.0, MAX_SECONDS),
    "iou_buffer": (0.0, MAX_IOU_BUFFER),
    "camera_velocity_gain": (0.0, 1.0),
    "coast_min_iou": (0.0, 1.0),
    "coast_max_scale": (0.0, 100.0),
    "merge_width": (0.0, 100.0),
    "aspect_noise": (0.01, 100.0),
    "min_inside_image": (0.0, 1.0),
    "report_detection_weight": (0.0, 1.0),
    "n_init": (1, MAX_N_INIT),
    "gallery_budget": (1, MAX_GALLERY_BUDGET),
}
_INTEGERS = ("n_init", "gallery_budget")
_OPTIONAL = ("max_appearance_distance", "appearance_skip_iou", "report_detection_weight")
_BOOLEANS = (
    "cascade",
    "class_aware",
    "observation_reupdate",
    "camera_alignment",
    "confirm_first_frame",
)
_CHOICES: dict[str, tuple[str, ...]] = {
    "score_fusion": SCORE_FUSIONS,
    "appearance": ("gallery", "ema"),
    "coast_report": ("all", "occluded"),
    "appearance_fusion": ("weighted", "reliability"),
    "kalman_state": KALMAN_STATES,
    "assignment_backend": ("lap", "scipy"),
}


def _check_fields(config: DeepSortConfig) -> list[str]:
    """Every problem with ``config``, each naming its field (NaN fails every range)."""
    problems = []
    for name in _BOOLEANS:
        if not isinstance(getattr(config, name), bool):
            problems.append(f"{name} must be true or false, got {getattr(config, name)!r}")
    for name, choices in _CHOICES.items():
        if getattr(config, name) not in choices:
            spelled = " or ".join(", ".join(map(repr, choices)).rsplit(", ", 1))
            problems.append(f"{name} must be {spelled}, got {getattr(config, name)!r}")
    for name, (low, high) in _RANGES.items():
        value = getattr(config, name)
        if value is None and name in _OPTIONAL:
            continue
        if isinstance(value, bool) or not isinstance(value, int | float):
            problems.append(f"{name} must be a number, got {value!r}")
        elif name in _INTEGERS and not float(value).is_integer():
            problems.append(f"{name} must be an integer, got {value!r}")
        elif not low <= value <= high:  # also false for NaN
            problems.append(f"{name} must be >= {low:g} and <= {high:g}, got {value!r}")
    for name in ("coast_max_scale", "merge_width"):  # factors: 0 is off, below 1 is no use
        scale = getattr(config, name)
        if isinstance(scale, int | float) and not isinstance(scale, bool) and 0 < scale < 1:
            problems.append(f"{name} must be 0 (off) or >= 1, got {scale!r}")
    gate = config.gating_threshold
    if gate is not None and (
        isinstance(gate, bool) or not isinstance(gate, int | float) or not 0 < gate < math.inf
    ):
        problems.append(f"gating_threshold must be finite and > 0, or None; got {gate!r}")
    return problems


@dataclass(frozen=True)
class Tracks:
    """The tracks reported for one frame; row ``i`` of every array is one track."""

    ids: IntArray
    boxes: NDArray[np.float64]  # (K, 4) xyxy, Kalman-filtered
    scores: NDArray[np.float32]  # score of the matched detection
    classes: IntArray
    ages: NDArray[np.int32]  # frames since the track started
    detection_index: IntArray  # row of the caller's detection each track matched this frame

    def __len__(self) -> int:
        return len(self.ids)


@dataclass
class _FrameMatches:
    """The track/detection pairs the stages of one frame agreed on."""

    rows: list[IntArray] = field(default_factory=list)
    cols: list[IntArray] = field(default_factory=list)
    update_appearance: list[bool] = field(default_factory=list)

    def add(self, rows: IntArray, cols: IntArray, appearance: bool) -> None:
        if len(rows) == 0:  # most stages of most frames match nothing: keep no empty parts
            return
        self.rows.append(rows)
        self.cols.append(cols)
        self.update_appearance.append(appearance)

    def arrays(self) -> tuple[IntArray, IntArray, NDArray[np.bool_]]:
        if not self.rows:
            empty = np.empty(0, np.int64)
            return empty, empty, np.empty(0, bool)
        if len(self.rows) == 1:  # the usual frame: one stage matched, nothing to join
            rows, cols = self.rows[0], self.cols[0]
            return rows, cols, np.full(len(rows), self.update_appearance[0])
        return (
            np.concatenate(self.rows),
            np.concatenate(self.cols),
            np.repeat(self.update_appearance, [len(r) for r in self.rows]),
        )


@dataclass
class _Frame:
    """One frame's detections, their affinities to the predicted tracks, and what is still
    unmatched as the stages go."""

    dets: Detections
    measured: NDArray[np.float64]  # the detections' boxes as Kalman measurements
    iou: NDArray[np.float64]  # (tracks, detections)
    same_class: NDArray[np.bool_]
    plausible: NDArray[np.bool_]  # same class and inside the motion gate
    has_appearance: NDArray[np.bool_] | None  # per detection: a non-zero feature row
    free_high: IntArray  # confident detections no stage has taken yet
    low: IntArray  # detections only the low-score stage may use
    matches: _FrameMatches = field(default_factory=_FrameMatches)
    score_weight: NDArray[np.float64] | None = None  # per detection (``score_fusion``)


class DeepSort:
    """Online tracker; one instance per video stream. IDs start at 1 per instance."""

    def __init__(
        self,
        config: DeepSortConfig | None = None,
        frame_rate: float | None = None,
        image_size: tuple[float, float] | None = None,
    ) -> None:
        """``frame_rate`` (frames per second of the source) converts the config's times into
        frames; ``None`` assumes ``DEFAULT_FRAME_RATE``. ``image_size`` is the frames'
        ``(width, height)`` in pixels, if known (``min_inside_image``; settable later, e.g.
        when the first image arrives)."""
        self.config = config or DeepSortConfig()
        self._image_size: tuple[float, float] | None = None
        self.image_size = image_size
        fps = DEFAULT_FRAME_RATE if frame_rate is None else frame_rate
        if (
            isinstance(fps, bool)
            or not isinstance(fps, int | float)
            or not 0 < fps <= MAX_FRAME_RATE
        ):
            raise ValueError(f"frame_rate must be in (0, {MAX_FRAME_RATE:g}], got {frame_rate!r}")
        self.frame_rate = float(fps)
        # Frames, rounded as ByteTrack rounds its buffer (frame_rate / 30 * track_buffer).
        self._max_age = int(self.config.max_age * self.frame_rate + 1e-6)
        self._report_misses = int(self.config.report_misses * self.frame_rate + 1e-6)
        # The IoU gate holds at 30 fps; slower sources move people further between frames.
        ratio = min(1.0, self.frame_rate / DEFAULT_FRAME_RATE) ** (
            self.config.iou_gate_frame_rate_power
        )
        self._max_iou_distance = 1.0 - (1.0 - self.config.max_iou_distance) * ratio
        # C-BIoU's buffer, grown with the time between frames beyond 30 fps's; 0: no stage.
        slower = max(0.0, DEFAULT_FRAME_RATE / self.frame_rate - 1.0)
        self._iou_buffer = self.config.iou_buffer * slower
        self.kf = BatchKalmanFilter(
            NoiseModel(state=self.config.kalman_state, aspect_noise=self.config.aspect_noise)
        )
        # ``merge_width``: the same filter trusting its measurements MERGE_NOISE times less.
        self._merge_kf = BatchKalmanFilter(
            NoiseModel(
                state=self.config.kalman_state,
                aspect_noise=self.config.aspect_noise,
                measurement_noise=MERGE_NOISE,
            )
        )
        # In EMA mode the gallery is never read, so it is not kept (budget 0).
        uses_gallery = self.config.appearance == "gallery"
        self.tracks = TrackTable(self.config.gallery_budget if uses_gallery else 0)
        self._next_id = 1
        self._refresh_frames = max(1, int(self.config.appearance_refresh * self.frame_rate + 1e-6))
        # The prediction ``detections_needing_appearance`` made for the coming frame, reused
        # by ``update`` (predict is deterministic) as long as nothing changed in between.
        self._frames_seen = 0
        self._prediction: tuple[int, NDArray[np.float64], NDArray[np.float64]] | None = None
        self._recent_scores = RecentScores()  # the ``relative`` score fusion's reference
        self._camera = CameraVelocity(self.config.camera_velocity_gain)
        # ``reliability`` fusion: this stream's separations so far, decisive and judged.
        self._decisive = 0
        self._judged = 0
        # ``report_detection_weight`` None: the residual pairs' sums of products per
        # coordinate (centre x, centre y, width, height): previous x current, previous
        # squared, current squared.
        self._residual_sums = np.zeros((3, 4))

    @property
    def image_size(self) -> tuple[float, float] | None:
        """The frames' ``(width, height)`` in pixels, or ``None`` if unknown."""
        return self._image_size

    @image_size.setter
    def image_size(self, size: tuple[float, float] | None) -> None:
        if size is None:
            self._image_size = None
            return
        try:
            width, height = (float(v) for v in size)
        except (TypeError, ValueError):
            raise ValueError(f"image_size must be (width, height), got {size!r}") from None
        if not (0 < width <= MAX_IMAGE_SIDE and 0 < height <= MAX_IMAGE_SIDE):
            raise ValueError(
                f"image_size must be (width, height) in (0, {MAX_IMAGE_SIDE:g}] pixels, "
                f"got {size!r}"
            )
        self._image_size = (width, height)

    @property
    def active_tracks(self) -> int:
        return self.tracks.n

    @property
    def report_weights(self) -> NDArray[np.float64]:
        """The weight of the detection in a matched track's reported box, for its centre x,
        centre y, width and height: ``report_detection_weight`` when fixed, else what this
        stream has learnt so far."""
        fixed = self.config.report_detection_weight
        return np.full(4, fixed) if fixed is not None else _learnt_weights(self._residual_sums)

    def uses_appearance(self, scores: ArrayLike) -> NDArray[np.bool_]:
        """Which detections (by score) ``update`` will look at the features of: the others
        are ignored or matched on IoU alone, so a caller need not embed them."""
        return np.asarray(scores) >= max(self.config.min_score, self.config.high_score)

    def detections_needing_appearance(
        self, boxes: ArrayLike, scores: ArrayLike, classes: ArrayLike | None = None
    ) -> NDArray[np.bool_]:
        """Which of the coming frame's detections ``update`` needs appearance features for,
        computed from the predicted tracks without changing the tracker.

        Without ``appearance_skip_iou`` that is ``uses_appearance``. With it, a detection
        whose match is unambiguous by motion (see the option) is left out; pass a zero row
        for it. Boxes the tracker drops (under ``MIN_BOX_SIZE``) are left out too. The
        prediction is kept for the following ``update`` (without ``camera_motion``), so
        asking costs about one gating step. Input ``update`` would reject gets
        ``uses_appearance``: the error is ``update``'s to raise."""
        wanted = np.asarray(self.uses_appearance(scores), dtype=bool).reshape(-1)
        cfg, table = self.config, self.tracks
        if cfg.appearance_skip_iou is None or table.feature_dim is None:
            return wanted
        try:
            dets = Detections.from_arrays(boxes, scores, classes, None)
        except InvalidDetectionsError:
            return wanted  # ``update`` reports it, where a caller expects the error
        usable = np.zeros(len(wanted), dtype=bool)
        usable[dets.index] = True
        wanted &= usable
        n = table.n
        confirmed = (table.states[:n] == CONFIRMED).nonzero()[0]
        high = (dets.scores >= max(cfg.min_score, cfg.high_score)).nonzero()[0]
        if len(confirmed) == 0 or len(high) == 0:
            return wanted
        mean, cov = self._predicted_states()
        mean, cov = mean[confirmed], cov[confirmed]
        measured = self.kf.measure(dets.boxes[high])
        candidate = np.ones((len(confirmed), len(high)), dtype=bool)
        if cfg.class_aware:
            candidate &= table.classes[confirmed, None] == dets.classes[high][None, :]
        if cfg.gating_threshold is not None:
            candidate &= self.kf.gate(mean, cov, measured, cfg.gating_threshold)
        iou = iou_matrix(self.kf.boxes(mean[:, :4]), dets.boxes[high])
        track = candidate.argmax(axis=0)
        columns = np.arange(len(high))
        appearance_age = table.appearance_age[confirmed[track]] + 1  # at the coming frame
        knows_appearance = (
            table.gallery_count[confirmed[track]] > 0 if table.gallery_budget else True
        )
        unambiguous = (
            (candidate.sum(axis=0) == 1)
            & (candidate.sum(axis=1)[track] == 1)
            & (iou[track, columns] >= cfg.appearance_skip_iou)
            & (appearance_age < self._refresh_frames)
            & knows_appearance
        )
        wanted[dets.index[high[unambiguous]]] = False
        return wanted

    def update(
        self,
        boxes: ArrayLike,
        scores: ArrayLike,
        classes: ArrayLike | None = None,
        features: ArrayLike | None = None,
        camera_motion: ArrayLike | None = None,
    ) -> Tracks:
        """Advance one frame and return the confirmed tracks matched in it (and those
        missed for at most ``report_misses`` seconds, at their predicted position).

        ``boxes`` are ``(N, 4)`` xyxy pixels, ``scores`` ``(N,)``, ``classes`` ``(N,)``
        integers (all 0 if omitted), ``features`` ``(N, D)`` appearance embeddings or ``None``.
        An empty frame (N = 0) is fine: tracks coast on their motion model.
        ``camera_motion``: optional 2x3 affine from the previous frame's pixels to this
        frame's (estimated from the frames, e.g. sparse optical flow or ECC, outside the
        core); the tracks are moved with the camera before they are predicted.
        """
        dets = self._accept(boxes, scores, classes, features)
        if camera_motion is not None:
            self._prediction = None  # it predicted the tracks where the camera had left them
        self._compensate(camera_motion)
        self._predict(follow_camera=camera_motion is None)
        measured = self.kf.measure(dets.boxes)
        if camera_motion is None and self.config.camera_alignment:
            self._align_with_camera(dets, measured)
        frame = self._affinities(dets, measured)
        left = self._match_confirmed(frame)
        left = self._match_tentative_and_recent(frame, left)
        left = self._match_buffered(frame, left)
        left = self._match_low_score(frame, left)
        matched = frame.matches.arrays()
        if camera_motion is None:
            self._learn_camera_velocity(frame, *matched[:2])
        self._update_matched(frame, *matched)
        self.tracks.mark_missed(left, self._max_age)
        self._drop_departed(left)
        self._start_tracks(frame)
        self.tracks.prune()
        self._frames_seen += 1
        self._prediction = None
        return self._report(frame.dets)

    # -- stages --------------------------------------------------------------------------

    def _accept(
        self,
        boxes: ArrayLike,
        scores: ArrayLike,
        classes: ArrayLike | None,
        features: ArrayLike | None,
    ) -> Detections:
        """Validated detections above ``min_score``; the first features size the galleries."""
        dets = Detections.from_arrays(boxes, scores, classes, features, self.tracks.feature_dim)
        if dets.features is not None and self.tracks.feature_dim is None and len(dets):
            self.tracks.init_appearance(dets.features.shape[1])
        keep = dets.scores >= self.config.min_score
        return dets if keep.all() else dets.subset(keep)

    def _compensate(self, camera_motion: ArrayLike | None) -> None:
        if camera_motion is None:
            return
        affine = np.asarray(camera_motion, dtype=np.float64)
        if affine.shape != (2, 3) or not np.all(np.isfinite(affine)):
            raise ValueError(
                f"camera_motion must be a finite 2x3 affine matrix, got shape {affine.shape}"
            )
        scale = float(np.sqrt(abs(np.linalg.det(affine[:, :2]))))
        if not MIN_CAMERA_SCALE <= scale <= 1.0 / MIN_CAMERA_SCALE:
            raise ValueError(
                f"camera_motion scales the image by {scale:.3g} between frames; expected "
                f"[{MIN_CAMERA_SCALE:g}, {1 / MIN_CAMERA_SCALE:g}] (is it a 2x3 affine?)"
            )
        table = self.tracks
        n = table.n
        if n == 0:
            return
        table.mean[:n], table.cov[:n] = self.kf.warp(table.mean[:n], table.cov[:n], affine)
        table.observed_mean[:n], table.observed_cov[:n] = self.kf.warp(
            table.observed_mean[:n], table.observed_cov[:n], affine
        )
        self.kf.warp_measurements(table.observation[:n], affine)

    def _predict(self, follow_camera: bool) -> None:
        """Predict every track into this frame (moved with the camera's learnt image
        velocity unless ``follow_camera`` is off: the frame came with its own motion)."""
        table = self.tracks
        n = table.n
        if n == 0:
            return
        mean, cov = table.mean[:n], table.cov[:n]
        if self._prediction is not None and self._prediction[0] == self._frames_seen:
            mean[:], cov[:] = self._prediction[1], self._prediction[2]  # already followed
        else:  # nobody asked before: predict in the table, without a copy
            self._predict_states(mean, cov, out=(mean, cov))
            if follow_camera:
                self._camera.move(mean)
        table.advance_frame()

    def _predicted_states(self) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """The live tracks' Kalman prediction for the coming frame (not stored in the
        table), computed once per frame whether ``detections_needing_appearance`` or
        ``update`` asks first; only before ``_predict``, which moves the table there."""
        n = self.tracks.n
        if self._prediction is None or self._prediction[0] != self._frames_seen:
            mean, cov = self._predict_states(self.tracks.mean[:n], self.tracks.cov[:n])
            self._camera.move(mean)  # ``update`` drops this prediction given camera_motion
            self._prediction = (self._frames_seen, mean, cov)
        return self._prediction[1], self._prediction[2]

    def _affinities(self, dets: Detections, measured: NDArray[np.float64]) -> _Frame:
        """This frame's pairwise quantities; ``measured`` is ``dets`` in the filter's
        measurement space."""
        table = self.tracks
        n = table.n
        iou = iou_matrix(self.kf.boxes(table.mean[:n, :4]), dets.boxes)
        same_class = self._class_gate(dets)
        is_high = dets.scores >= self.config.high_score
        if dets.features is None or table.feature_dim is None:
            # Motion-only: the main stage's cost is IoU, so the motion gate matters only
            # where IoU already allows a match (same test as ``iou_cost``); elsewhere the
            # pair is infeasible anyway and its Mahalanobis distance is not computed.
            plausible = same_class & ((1.0 - iou) <= self._max_iou_distance)
            plausible &= self._motion_gate_pairs(measured, plausible)
        else:
            plausible = same_class & self._motion_gate(measured)
        return _Frame(
            dets=dets,
            measured=measured,
            iou=iou,
            same_class=same_class,
            plausible=plausible,
            has_appearance=(
                None if dets.features is None else np.asarray(dets.features.any(axis=1))
            ),
            free_high=_flatnonzero(is_high),
            low=_flatnonzero(~is_high),
            score_weight=self._score_weights(dets),
        )

    def _score_weights(self, dets: Detections) -> NDArray[np.float64] | None:
        """``score_fusion``'s weight of each detection's IoU (``None``: unweighted); the
        ``relative`` reference includes this frame's scores."""
        mode = self.config.score_fusion
        if mode != "relative":
            return score_weights(dets.scores, mode)
        self._recent_scores.add(dets.scores)
        return score_weights(dets.scores, mode, self._recent_scores.median())

    def _match_confirmed(self, frame: _Frame) -> IntArray:
        """Confirmed tracks against confident detections: appearance + IoU, or IoU alone
        without features, gated by motion and class. Returns the confirmed tracks left."""
        confirmed = _flatnonzero(self.tracks.states[: self.tracks.n] == CONFIRMED)
        result = self._assign_confirmed(confirmed, frame)
        self._take(frame, confirmed, result, appearance=True)
        return confirmed[result.unmatched_rows]

    def _match_tentative_and_recent(self, frame: _Frame, left: IntArray) -> IntArray:
        """Tentative tracks and confirmed tracks seen one frame ago, on IoU alone.

        This stage gates by class but not by motion: tentative tracks have an unreliable
        velocity, and IoU is itself a tight spatial gate (as in DeepSORT).
        Returns every track still unmatched."""
        table = self.tracks
        tentative = _flatnonzero(table.states[: table.n] == TENTATIVE)
        recent = left[table.misses[left] == 1]
        if len(frame.free_high) == 0 or len(tentative) + len(recent) == 0:
            # Nothing to match (most frames): every candidate stays unmatched.
            if len(tentative) == 0:
                return left
            unmatched = np.zeros(table.n, dtype=bool)
            unmatched[left] = True
            unmatched[tentative] = True
            return _flatnonzero(unmatched)
        candidates = np.concatenate([tentative, recent])
        result = self._assign_iou(
            candidates, frame.free_high, frame, frame.same_class, self._max_iou_distance,
            score_weighted=True,
        )  # fmt: skip
        self._take(frame, candidates, result, appearance=True)
        # (left - recent) | unmatched candidates, sorted: as a mask, not numpy's set routines.
        unmatched = np.zeros(table.n, dtype=bool)
        unmatched[left] = True
        unmatched[recent] = False
        unmatched[candidates[result.unmatched_rows]] = True
        return _flatnonzero(unmatched)

    def _match_buffered(self, frame: _Frame, unmatched: IntArray) -> IntArray:
        """C-BIoU's stage (``iou_buffer``): confirmed tracks still unmatched against the
        confident detections still free, on the IoU of buffered boxes, with the main stage's
        IoU, motion and class gates; only without features. Returns the tracks left."""
        table = self.tracks
        buffer = self._iou_buffer
        if buffer == 0 or frame.dets.features is not None:
            return unmatched
        if len(frame.free_high) == 0 or len(unmatched) == 0:
            return unmatched
        pool = unmatched[table.states[unmatched] == CONFIRMED]
        if len(pool) == 0:
            return unmatched
        cols = frame.free_high
        similarity = iou_matrix(
            buffered_boxes(self.kf.boxes(table.mean[pool, :4]), buffer),
            buffered_boxes(frame.dets.boxes[cols], buffer),
        )
        if frame.score_weight is not None:
            similarity *= frame.score_weight[cols]
        overlapping = frame.same_class[pool[:, None], cols] & (
            1.0 - similarity <= self._max_iou_distance
        )
        if not overlapping.any():  # the common case: nothing close enough, even buffered
            return unmatched
        candidates = np.zeros((table.n, len(frame.dets)), dtype=bool)
        candidates[pool[:, None], cols] = overlapping
        feasible = self._motion_gate_pairs(frame.measured, candidates)[pool[:, None], cols]
        result = self._iou_assignment(similarity, self._max_iou_distance, feasible)
        self._take(frame, pool, result, appearance=True)
        still = np.ones(table.n, dtype=bool)
        still[pool[result.matches[:, 0]]] = False
        return unmatched[still[unmatched]]

    def _match_low_score(self, frame: _Frame, unmatched: IntArray) -> IntArray:
        """ByteTrack's second pass: confirmed tracks missed only in this frame against the
        low-score detections, on IoU. Their appearance is not learnt (it may be occluded)."""
        if len(frame.low) == 0:
            return unmatched
        table = self.tracks
        pool = unmatched[(table.states[unmatched] == CONFIRMED) & (table.misses[unmatched] == 1)]
        if len(pool) == 0:
            return unmatched
        result = self._assign_iou(
            pool, frame.low, frame, frame.same_class, self.config.low_score_iou_distance
        )
        matched = pool[result.matches[:, 0]]
        frame.matches.add(matched, frame.low[result.matches[:, 1]], False)
        still = np.ones(table.n, dtype=bool)
        still[matched] = False
        return unmatched[still[unmatched]]

    def _drop_departed(self, missed: IntArray) -> None:
        """``min_inside_image``: delete the ``missed`` confirmed tracks whose predicted box
        has mostly left the image."""
        share, size = self.config.min_inside_image, self._image_size
        if share == 0.0 or size is None or len(missed) == 0:
            return
        self.tracks.mark_departed(missed, self.kf.uses_aspect, size, share)

    def _align_with_camera(self, dets: Detections, measured: NDArray[np.float64]) -> None:
        """``camera_alignment``: move the predictions by the shift the steady tracks (matched
        in the previous frame) share with the confident detections (``measured``: all of
        ``dets`` as measurements), if most share one."""
        table = self.tracks
        n = table.n
        if n < MIN_CAMERA_PAIRS or len(dets) < MIN_CAMERA_PAIRS:
            return
        steady = (table.states[:n] == CONFIRMED) & (table.misses[:n] == 1)
        confident = dets.scores >= self.config.high_score
        self._camera.align(table.mean[:n], steady, measured[confident])

    def _learn_camera_velocity(self, frame: _Frame, rows: IntArray, cols: IntArray) -> None:
        """``camera_velocity_gain``: correct the camera's image velocity by the residual
        shift of the steady pairs among this frame's matches (``rows``, ``cols``), confirmed
        tracks matched in this frame and the previous one (a track back from a gap carries
        its own drift)."""
        if self._camera.gain == 0.0 or len(rows) < MIN_CAMERA_PAIRS:
            return
        table = self.tracks
        residuals, spread = steady_residuals(
            rows, cols, table.states, table.misses, CONFIRMED, table.mean, table.cov,
            frame.measured, self.kf.noise.kernel_table, float(self.kf.noise.min_height),
        )  # fmt: skip
        self._camera.learn(residuals, spread)

    def _update_matched(
        self, frame: _Frame, rows: IntArray, cols: IntArray, with_appearance: NDArray[np.bool_]
    ) -> None:
        """Correct the matched tracks (``rows``) with their detections (``cols``) and learn
        the appearance of those whose stage allows it (``with_appearance``)."""
        table, cfg, dets = self.tracks, self.config, frame.dets
        if len(rows) == 0:
            return
        if self._report_misses > 0 and cfg.coast_min_iou > 0:  # only its report reads it
            table.learn_prediction_fit(rows, dets.boxes, cols, self.kf.uses_aspect)
        if self._report_misses > 0 and cfg.coast_max_scale > 0:
            table.seen_height[rows] = frame.measured[cols, 3]
        merged = self._merges(frame, rows, cols)
        if cfg.observation_reupdate:
            measurements = frame.measured[cols]
            mean, cov = self._reupdate(rows, measurements, table.mean[rows], table.cov[rows])
            if merged.any():
                prior_mean, prior_cov = mean[merged], cov[merged]
            mean, cov = self.kf.update(mean, cov, measurements)
            if merged.any():
                mean[merged], cov[merged] = self._merge_kf.update(
                    prior_mean, prior_cov, measurements[merged]
                )
        else:  # the kernel reads the rows from the table
            n = table.n
            mean, cov = self.kf.update_rows(
                table.mean[:n], table.cov[:n], rows, frame.measured, cols
            )
            if merged.any():
                mean[merged], cov[merged] = self._merge_kf.update_rows(
                    table.mean[:n], table.cov[:n], rows[merged], frame.measured, cols[merged]
                )
        table.mark_hit(rows, mean, cov, dets.scores[cols], dets.index[cols], cfg.n_init)
        if cfg.observation_reupdate:  # the anchor is read by the re-update only
            table.remember_observation(rows, measurements)
        if (
            dets.features is not None
            and table.feature_dim is not None
            and frame.has_appearance is not None
        ):
            with_appearance &= frame.has_appearance[cols]  # a zero row teaches nothing
            feature_rows, feature_cols = rows[with_appearance], cols[with_appearance]
            if cfg.appearance == "ema":
                table.blend_features(feature_rows, dets.features[feature_cols], cfg.ema_momentum)
            else:
                table.push_features(feature_rows, dets.features[feature_cols])

    def _merges(self, frame: _Frame, rows: IntArray, cols: IntArray) -> NDArray[np.bool_]:
        """``merge_width``: which matched pairs' detection (``cols``) is wider than its track's
        prediction (``rows``) by the factor and overlaps another confirmed track's."""
        width = self.config.merge_width
        if width == 0:
            return np.zeros(len(rows), dtype=bool)
        table = self.tracks
        return _merged_pairs(
            rows, cols, table.mean, self.kf.uses_aspect, frame.dets.boxes, frame.iou,
            table.states, width, MERGE_IOU,
        )  # fmt: skip

    def _reupdate(
        self,
        rows: IntArray,
        measurements: NDArray[np.float64],
        mean: NDArray[np.float64],
        cov: NDArray[np.float64],
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """OC-SORT's ORU: the predicted state of tracks that come back after a gap, re-run
        from their last observation through boxes interpolated towards the new one.

        Returns the prior for the new measurement (the update itself is the caller's). The
        loop runs over the steps of the longest gap, not over tracks."""
        table = self.tracks
        gap = table.misses[rows]  # frames since the last observation, >= 1
        back = gap >= 2
        if not back.any():
            return mean, cov
        mean, cov = mean.copy(), cov.copy()
        idx = _flatnonzero(back)
        g = gap[idx].astype(np.float64)
        start = table.observation[rows[idx]]
        m, c = table.observed_mean[rows[idx]].copy(), table.observed_cov[rows[idx]].copy()
        for step in range(1, int(g.max())):
            active = step < g
            m_pred, c_pred = self._predict_states(m[active], c[active])
            fraction = (step / g[active])[:, None]
            virtual = start[active] + (measurements[idx[active]] - start[active]) * fraction
            m[active], c[active] = self.kf.update(m_pred, c_pred, virtual)
        mean[idx], cov[idx] = self._predict_states(m, c)
        return mean, cov

    def _predict_states(
        self,
        mean: NDArray[np.float64],
        cov: NDArray[np.float64],
        out: tuple[NDArray[np.float64], NDArray[np.float64]] | None = None,
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """One Kalman step; a box shrinking to nothing stops its size change instead (as
        SORT does), so every predicted box stays valid. ``out``: as ``kf.predict``'s."""
        return self.kf.predict(mean, cov, stop_shrinking=True, out=out)

    def _start_tracks(self, frame: _Frame) -> None:
        """One tentative track per confident detection no stage matched."""
        free = frame.free_high
        if len(free) == 0:
            return
        chosen = free[frame.dets.scores[free] >= self.config.new_track_min_score]
        dets = frame.dets.subset(chosen)
        k = len(dets)
        if k == 0:
            return
        mean, cov = self.kf.initiate(frame.measured[chosen])
        ids = np.arange(self._next_id, self._next_id + k, dtype=np.int64)
        self._next_id += k
        features = dets.features if self.tracks.feature_dim is not None else None
        first_frame = self._frames_seen == 0 and self.config.confirm_first_frame
        n_init = 1 if first_frame else self.config.n_init
        self.tracks.add(ids, mean, cov, dets.classes, dets.scores, dets.index, features, n_init)

    def _report(self, dets: Detections) -> Tracks:
        """The tracks to report; ``dets`` are this frame's (``report_detection_weight``)."""
        table = self.tracks
        n = table.n
        boxes = self.kf.boxes(table.mean[:n, :4])
        occluded_only = self.config.coast_report == "occluded" and self._report_misses > 0
        # at 0 every prediction is trusted, even one never matched (the fit is not learnt)
        min_fit = self.config.coast_min_iou if self.config.coast_min_iou > 0 else -np.inf
        rows = _reported_rows(
            table.states[:n], table.misses[:n], self._report_misses, boxes, occluded_only,
            table.prediction_fit[:n], min_fit, table.seen_height[:n], self.config.coast_max_scale,
        )  # fmt: skip
        reported = boxes[rows]  # indexing with an array already copies
        weight = self.config.report_detection_weight
        if weight is None and len(rows):
            _blend_learnt(
                reported, rows, table.last_detection, dets.index, dets.boxes, table.residual,
                table.residual_frame, self._frames_seen, self._residual_sums,
                1.0 - 1.0 / RESIDUAL_MEMORY,
            )  # fmt: skip
        elif weight and len(rows):
            _blend_detections(reported, table.last_detection[rows], dets.index, dets.boxes, weight)
        return Tracks(
            ids=table.ids[rows],
            boxes=reported,
            scores=table.scores[rows],
            classes=table.classes[rows],
            ages=table.age[rows],
            detection_index=table.last_detection[rows],
        )

    # -- gates, costs, assignment ----------------------------------------------------------

    def _class_gate(self, dets: Detections) -> NDArray[np.bool_]:
        n = self.tracks.n
        if not self.config.class_aware:
            return np.ones((n, len(dets)), dtype=bool)
        return self.tracks.classes[:n, None] == dets.classes[None, :]

    def _motion_gate(self, measured: NDArray[np.float64]) -> NDArray[np.bool_]:
        table, threshold = self.tracks, self.config.gating_threshold
        n = table.n
        if threshold is None or n == 0 or len(measured) == 0:
            return np.ones((n, len(measured)), dtype=bool)
        return self.kf.gate(table.mean[:n], table.cov[:n], measured, threshold)

    def _motion_gate_pairs(
        self, measured: NDArray[np.float64], candidates: NDArray[np.bool_]
    ) -> NDArray[np.bool_]:
        """``_motion_gate`` evaluated only where ``candidates`` is set (False elsewhere)."""
        table, threshold = self.tracks, self.config.gating_threshold
        if threshold is None:
            return candidates
        n = table.n
        return self.kf.gate_pairs(table.mean[:n], table.cov[:n], measured, candidates, threshold)

    def _take(self, frame: _Frame, rows: IntArray, result: Assignment, appearance: bool) -> None:
        """Record a stage's matches and remove its detections from the free pool."""
        cols = frame.free_high
        frame.matches.add(rows[result.matches[:, 0]], cols[result.matches[:, 1]], appearance)
        frame.free_high = cols[result.unmatched_cols]

    def _assign_confirmed(self, rows: IntArray, frame: _Frame) -> Assignment:
        cfg, table, dets = self.config, self.tracks, frame.dets
        cols = frame.free_high
        if len(rows) == 0 or len(cols) == 0:
            return Assignment.empty(len(rows), len(cols))
        pairs = (rows[:, None], cols)
        sub_iou = frame.iou[pairs]
        # The costs see the score-weighted IoU; the appearance-skip test keeps the raw one
        # (``detections_needing_appearance`` decided on it).
        match_iou = sub_iou if frame.score_weight is None else sub_iou * frame.score_weight[cols]
        sub_feasible = frame.plausible[pairs]
        if dets.features is None or table.feature_dim is None:
            if frame.score_weight is None:
                # ``plausible`` holds the IoU gate here (``_affinities``): ``iou_cost`` in
                # two calls.
                cost = np.where(sub_feasible, 1.0 - sub_iou, INFEASIBLE)
            else:  # the weighted IoU must pass the gate too
                cost = iou_cost(match_iou, self._max_iou_distance, sub_feasible)
            limit = self._max_iou_distance
        else:
            appearance = self._appearance_distance(rows, dets.features[cols], sub_feasible)
            if cfg.appearance_fusion == "reliability":
                has_appearance = (
                    None if frame.has_appearance is None else frame.has_appearance[cols]
                )
                cost, decisive, judged = reliability_cost(
                    match_iou, appearance, sub_feasible, has_appearance, cfg.appearance_gate,
                    self._max_iou_distance, APPEARANCE_SEPARATION,
                    min_weight=self._reliability(), gate_margin=True,
                )  # fmt: skip
                self._decisive += decisive
                self._judged += judged
                limit = 1.0
            else:
                cost = fused_cost(
                    match_iou, appearance, appearance_weight=cfg.appearance_weight,
                    max_appearance_distance=cfg.appearance_gate,
                    max_iou_distance=None, feasible=sub_feasible,
                )  # fmt: skip
                w = cfg.appearance_weight
                limit = w * cfg.appearance_gate + (1.0 - w)
            if cfg.appearance_skip_iou is not None and frame.has_appearance is not None:
                _motion_cost_without_appearance(
                    cost, sub_iou, sub_feasible, frame.has_appearance[cols], limit,
                    cfg.appearance_skip_iou,
                )  # fmt: skip
        return self._assign(cost, limit, rows)

    def _reliability(self) -> float:
        """Share of decisive separations in this stream so far (``reliability`` fusion),
        with ``appearance_weight`` as the prior worth ``RELIABILITY_PRIOR_COUNT`` of them."""
        prior = self.config.appearance_weight * RELIABILITY_PRIOR_COUNT
        return (self._decisive + prior) / (self._judged + RELIABILITY_PRIOR_COUNT)

    def _assign(self, cost: NDArray[np.float64], limit: float, rows: IntArray) -> Assignment:
        """The main stage's assignment: cascade by time since update, or one global one."""
        cfg = self.config
        limit = min(limit + 1e-9, INFEASIBLE / 2)
        if cfg.cascade:
            return matching_cascade(cost, self.tracks.misses[rows], limit, cfg.assignment_backend)
        return min_cost_assignment(cost, limit, cfg.assignment_backend)

    def _appearance_distance(
        self, rows: IntArray, det_features: NDArray[np.float32], feasible: NDArray[np.bool_]
    ) -> NDArray[np.float64]:
        """Cosine distance of tracks ``rows`` to the detections' features."""
        table = self.tracks
        if self.config.appearance == "ema":
            return 1.0 - (table.smooth_feature[rows] @ det_features.T).astype(np.float64)
        # Only pairs that pass the gates can match: skip the gallery for the rest.
        return gallery_distance(table.gallery, table.gallery_count, det_features, rows, feasible)

    def _assign_iou(
        self,
        rows: IntArray,
        cols: IntArray,
        frame: _Frame,
        feasible: NDArray[np.bool_],
        max_distance: float,
        score_weighted: bool = False,
    ) -> Assignment:
        """IoU-only assignment; ``score_weighted`` applies ``score_fusion``'s weights."""
        if len(rows) == 0 or len(cols) == 0:
            return Assignment.empty(len(rows), len(cols))
        pairs = (rows[:, None], cols)
        iou = frame.iou[pairs]
        if score_weighted and frame.score_weight is not None:
            iou = iou * frame.score_weight[cols]
        return self._iou_assignment(iou, max_distance, feasible[pairs])

    def _iou_assignment(
        self, iou: NDArray[np.float64], max_distance: float, feasible: NDArray[np.bool_]
    ) -> Assignment:
        """Assignment on ``1 - iou`` where ``feasible`` and within ``max_distance``."""
        cost = iou_cost(iou, max_distance, feasible)
        return min_cost_assignment(cost, max_distance + 1e-9, self.config.assignment_backend)


@kernel
def _merged_pairs(
    rows: IntArray,
    cols: IntArray,
    mean: NDArray[np.float64],
    aspect: bool,
    boxes: NDArray[np.float64],
    iou: NDArray[np.float64],
    states: NDArray[np.int8],
    width: float,
    min_iou: float,
) -> NDArray[np.bool_]:
    """``merge_width``'s test for each matched pair: the detection ``boxes[cols[k]]`` is
    more than ``width`` times as wide as track ``rows[k]``'s predicted box (``mean``, xyah
    when ``aspect``) and overlaps another confirmed track's prediction by
    ``iou >= min_iou``."""
    predicted = to_xyxy(mean[rows], aspect)  # reads the first four columns only
    merged = np.zeros(len(rows), np.bool_)
    for k in range(len(rows)):
        row, col = rows[k], cols[k]
        if boxes[col, 2] - boxes[col, 0] <= width * (predicted[k, 2] - predicted[k, 0]):
            continue
        for other in range(iou.shape[0]):
            if other != row and states[other] == CONFIRMED and iou[other, col] >= min_iou:
                merged[k] = True
                break
    return merged


@kernel
def _reported_rows(
    states: NDArray[np.int8],
    misses: NDArray[np.int32],
    report_misses: int,
    boxes: NDArray[np.float64],
    occluded_only: bool,
    prediction_fit: NDArray[np.float64],
    min_fit: float,
    seen_height: NDArray[np.float64],
    max_scale: float,
) -> IntArray:
    """The confirmed tracks seen in this frame, and those missed for at most
    ``report_misses`` frames whose ``prediction_fit`` reaches ``min_fit`` and whose
    predicted height is within ``max_scale`` of ``seen_height`` (0: any); with
    ``occluded_only``, a missed one only while a box of a track seen in this frame covers at
    least ``OCCLUSION_COVER`` of its own. Which of the two is in front does not matter: a
    person behind another is hidden, one in front is often suppressed by the detector's NMS
    (requiring the occluder's bottom edge to be lower cost 0.18 of mean objective at 0.2 s
    of coasting; results/loso_notes.md)."""
    n = len(states)
    reported = np.zeros(n, np.bool_)
    for i in range(n):
        if states[i] != CONFIRMED or misses[i] > report_misses:
            continue
        if misses[i] > 0 and prediction_fit[i] < min_fit:
            continue
        if misses[i] > 0 and max_scale > 0:
            height = boxes[i, 3] - boxes[i, 1]
            if height > max_scale * seen_height[i] or height * max_scale < seen_height[i]:
                continue
        if misses[i] == 0 or not occluded_only:
            reported[i] = True
            continue
        need = OCCLUSION_COVER * ((boxes[i, 2] - boxes[i, 0]) * (boxes[i, 3] - boxes[i, 1]))
        for j in range(n):
            if misses[j] == 0 and overlap_area(boxes[i], boxes[j]) >= need:
                reported[i] = True
                break
    return np.flatnonzero(reported)


@kernel
def _blend_detections(
    boxes: NDArray[np.float64],
    detection: IntArray,
    index: IntArray,
    detection_boxes: NDArray[np.float64],
    weight: float,
) -> None:
    """``report_detection_weight``, in place: the rows of ``boxes`` whose track was matched
    in this frame (``detection``: the caller's input index, -1 for a coasting track) move
    ``weight`` of the way to their detection's box. Matched tracks' detections are among
    this frame's (``index``, increasing, and ``detection_boxes``)."""
    for i in range(len(detection)):
        if detection[i] < 0:
            continue
        row = np.searchsorted(index, detection[i])
        for c in range(4):
            boxes[i, c] += weight * (detection_boxes[row, c] - boxes[i, c])


@kernel
def _learnt_weights(sums: NDArray[np.float64]) -> NDArray[np.float64]:
    """Per coordinate, the correlation of consecutive residuals that ``sums`` hold
    (``_blend_learnt``), clipped to [0, 1]; 0 before any pair."""
    weight = np.zeros(4)
    for c in range(4):
        spread = np.sqrt(sums[1, c] * sums[2, c])
        if spread > 0.0:
            weight[c] = min(max(sums[0, c] / spread, 0.0), 1.0)
    return weight


@kernel
def _blend_learnt(
    boxes: NDArray[np.float64],
    rows: IntArray,
    last_detection: IntArray,
    index: IntArray,
    detection_boxes: NDArray[np.float64],
    residual: NDArray[np.float64],
    residual_frame: IntArray,
    frame: int,
    sums: NDArray[np.float64],
    forget: float,
) -> None:
    """``report_detection_weight`` None, in place: learn from this frame's matched tracks
    (``rows`` of the table, ``boxes`` their filtered boxes as reported) and blend. Each
    residual is the detection's centre and size minus the filtered box's, over its height;
    a track whose residual was also taken in the previous frame (``residual_frame``) adds
    the pair to ``sums`` (previous x current, previous squared, current squared, each
    forgetting by ``forget`` per pair); each coordinate then moves the correlation of its
    pairs, clipped to [0, 1], of the way to the detection."""
    k = len(rows)
    filtered = np.empty((k, 4))
    measured = np.empty((k, 4))
    matched = np.zeros(k, np.bool_)
    for i in range(k):
        row = rows[i]
        if last_detection[row] < 0:
            continue
        det = np.searchsorted(index, last_detection[row])
        matched[i] = True
        for box, out in ((boxes[i], filtered[i]), (detection_boxes[det], measured[i])):
            out[0] = 0.5 * (box[0] + box[2])
            out[1] = 0.5 * (box[1] + box[3])
            out[2] = box[2] - box[0]
            out[3] = box[3] - box[1]
        height = max(filtered[i, 3], 1.0)
        pair = residual_frame[row] == frame - 1
        for c in range(4):
            now = (measured[i, c] - filtered[i, c]) / height
            if pair:
                before = residual[row, c]
                sums[0, c] = forget * sums[0, c] + before * now
                sums[1, c] = forget * sums[1, c] + before * before
                sums[2, c] = forget * sums[2, c] + now * now
            residual[row, c] = now
        residual_frame[row] = frame
    weight = _learnt_weights(sums)
    for i in range(k):
        if not matched[i]:
            continue
        cx = filtered[i, 0] + weight[0] * (measured[i, 0] - filtered[i, 0])
        cy = filtered[i, 1] + weight[1] * (measured[i, 1] - filtered[i, 1])
        w = filtered[i, 2] + weight[2] * (measured[i, 2] - filtered[i, 2])
        h = filtered[i, 3] + weight[3] * (measured[i, 3] - filtered[i, 3])
        boxes[i, 0] = cx - 0.5 * w
        boxes[i, 1] = cy - 0.5 * h
        boxes[i, 2] = cx + 0.5 * w
        boxes[i, 3] = cy + 0.5 * h


def _motion_cost_without_appearance(
    cost: NDArray[np.float64],
    iou: NDArray[np.float64],
    feasible: NDArray[np.bool_],
    has_appearance: NDArray[np.bool_],
    limit: float,
    min_iou: float,
) -> None:
    """Detections the caller did not embed (zero rows, ``appearance_skip_iou``) are matched
    on IoU, in place: ``(1 - IoU) * limit`` where IoU reaches ``min_iou`` and the gates hold,
    else never. The caller left them out because exactly one track wanted them, so this cost
    only decides whether that pair is taken."""
    missing = ~has_appearance
    if not missing.any():
        return
    sub_iou = iou[:, missing]
    allowed = feasible[:, missing] & (sub_iou >= min_iou)
    cost[:, missing] = np.where(allowed, (1.0 - sub_iou) * limit, INFEASIBLE)
