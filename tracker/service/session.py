"""One Track call: its tracker state, its bounded frame queue, and its outgoing responses.

Backpressure lives here. Policy ``latest`` drops the oldest queued frame when a new one
arrives to a full queue (counted, reported); policy ``all`` makes ``put`` wait, so the call
stops reading and HTTP/2 flow control slows the client. The scheduler takes frames only from
sessions whose unsent responses are below the queue size, so a client that reads slowly
cannot make the server pile up results either: memory per session is bounded both ways.
"""

from __future__ import annotations

import asyncio
import collections
import time
from collections.abc import Callable
from dataclasses import dataclass, field

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

    def finish_input(self) -> None:
        """The client half-closed (or the server drains): answer what is queued, then end."""
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

    def deliver(self, response: pb.TrackResponse) -> None:
        self.in_flight -= 1
        if self.closed:
            return
        self.answered += 1
        self.responses.put_nowait(response)
        self._maybe_end()

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
