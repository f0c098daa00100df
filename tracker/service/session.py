"""One Track call: its tracker state, its bounded frame queue, and its outgoing responses.

Backpressure lives here. Policy ``latest`` drops the oldest queued frame when a new one
arrives to a full queue (counted, reported); policy ``all`` makes ``put`` wait, so the call
stops reading and HTTP/2 flow control slows the client. The scheduler takes frames only from
sessions whose unsent responses are below the queue size, so a client that reads slowly
cannot make the server pile up results either: memory per session is bounded both ways.

A Session belongs to the event loop: only loop code reads or writes it. The model thread
reads a job's ``spec`` and ``state`` (set when the session opens, never reassigned; the state
is the model thread's own) and reports back through ``FrameOutcome``, which ``deliver``
applies on the loop.
"""

from __future__ import annotations

import asyncio
import collections
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import grpc
import numpy as np
from numpy.typing import NDArray

from tracker._proto import tracker_pb2 as pb
from tracker.pipeline import StreamState
from tracker.service.wire import FramePayload, StreamSpec

END = None  # sentinel in the response queue: everything the client sent has been answered


@dataclass
class FrameJob:
    """A received frame on its way through the scheduler."""

    session: Session
    frame_id: int
    timestamp: float
    received: float  # time.perf_counter() when it arrived
    payload: FramePayload | None
    error: str = ""

    @property
    def spec(self) -> StreamSpec:
        return self.session.spec

    @property
    def state(self) -> StreamState:
        return self.session.state


@dataclass(frozen=True)
class FrameOutcome:
    """What the model thread reports about a frame besides its response, for the loop."""

    live_tracks: int | None = None
    """The stream's live tracks after this frame (None: the frame was not tracked)."""
    track_ids: NDArray[np.int64] | None = None
    """Ids reported for this frame (None: the frame was not tracked)."""


@dataclass(frozen=True)
class Failure:
    """Why a call ends with an error status after its frames were answered."""

    code: grpc.StatusCode
    details: str


@dataclass(eq=False)  # identity semantics: sessions are dict keys
class Session:
    spec: StreamSpec
    state: StreamState
    queue_size: int
    on_ready: Callable[[], None]
    """Called whenever the session may have become eligible for the scheduler."""
    on_drop: Callable[[], None] = lambda: None
    queue: collections.deque[FrameJob] = field(default_factory=collections.deque)
    responses: asyncio.Queue[pb.TrackResponse | None] = field(default_factory=asyncio.Queue)
    in_flight: int = 0
    dropped: int = 0
    received: int = 0
    answered: int = 0
    highest_track_id: int = 0
    live_tracks: int = 0
    closed: bool = False
    input_done: bool = False
    failure: Failure | None = None
    last_activity: float = field(default_factory=time.monotonic)
    _ended: bool = False
    _space: asyncio.Event = field(default_factory=asyncio.Event)

    def __post_init__(self) -> None:
        self._space.set()

    # -- reader side (the Track call reading requests) ---------------------------------

    def touch(self) -> None:
        self.last_activity = time.monotonic()

    async def put(self, job: FrameJob) -> None:
        """Queue a frame, dropping the oldest (``latest``) or waiting for room (``all``)."""
        self.received += 1
        if self.spec.policy == "all":
            while len(self.queue) >= self.queue_size and not self.closed:
                self._space.clear()
                await self._space.wait()
        elif len(self.queue) >= self.queue_size:
            self.queue.popleft()
            self.dropped += 1
            self.on_drop()
        if self.closed:
            return
        self.queue.append(job)
        self.on_ready()

    def finish_input(self, failure: Failure | None = None) -> None:
        """The client half-closed, the server drains, or the input broke (``failure``, the
        status the call ends with): answer what is queued, then end."""
        if failure is not None and self.failure is None:
            self.failure = failure
        self.input_done = True
        self._maybe_end()

    # -- scheduler side ------------------------------------------------------------------

    @property
    def backlog(self) -> int:
        """Frames taken but not yet sent to the client."""
        return self.in_flight + self.responses.qsize()

    def take(self, limit: int) -> list[FrameJob]:
        """Up to ``limit`` queued frames, if the client keeps up with its responses."""
        room = min(limit, self.queue_size - self.backlog, len(self.queue))
        jobs = [self.queue.popleft() for _ in range(max(room, 0))]
        self.in_flight += len(jobs)
        if jobs:
            self._space.set()
        return jobs

    @property
    def eligible(self) -> bool:
        return not self.closed and bool(self.queue) and self.backlog < self.queue_size

    def deliver(self, response: pb.TrackResponse, outcome: FrameOutcome | None = None) -> int:
        """Queue a frame's response; apply what the model thread reported about it. Returns
        the number of track ids reported for the first time (for the metrics)."""
        self.in_flight -= 1
        if self.closed:
            return 0
        created = 0
        if outcome is not None and outcome.track_ids is not None and len(outcome.track_ids):
            new = outcome.track_ids > self.highest_track_id
            created = int(np.count_nonzero(new))
            if created:
                self.highest_track_id = int(outcome.track_ids.max())
        if outcome is not None and outcome.live_tracks is not None:
            self.live_tracks = outcome.live_tracks
        response.frames_dropped = self.dropped
        self.answered += 1
        self.responses.put_nowait(response)
        self._maybe_end()
        return created

    def response_sent(self) -> None:
        """A response went out: the session may take more frames now."""
        if self.eligible:
            self.on_ready()

    def close(self) -> None:
        """Free everything at once (client gone, call over); safe to call twice."""
        self.closed = True
        self.queue.clear()
        self._space.set()

    def _maybe_end(self) -> None:
        if self.input_done and not self.queue and self.in_flight == 0 and not self._ended:
            self._ended = True
            self.responses.put_nowait(END)
