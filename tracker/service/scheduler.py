"""The shared scheduler: batches frames of all sessions for the models, off the event loop.

One loop task collects up to ``max_batch`` frames round-robin over the sessions (waiting at
most ``max_wait`` seconds for a batch to fill) and hands each response, with what the model
thread reported about it, to its session, on the loop. The event loop only moves messages, so
slow model work never delays reading or writing streams.

A batch runs in two halves on two threads, so both cores work: the front thread decodes and
detects (``BatchRunner.prepare``, which touches no tracker) while the model thread embeds
and tracks the previous batch (``BatchRunner.finish``). Finishes run in the order the
batches were collected, so every stream's frames reach its tracker in order and the results
are those of running the batches one at a time. At most two batches are in flight. Without
a front executor both halves run on the model thread, one batch at a time.
"""

from __future__ import annotations

import asyncio
import logging
import time
from concurrent.futures import ThreadPoolExecutor

from tracker._proto import tracker_pb2 as pb
from tracker.service.batch import BatchRunner
from tracker.service.metrics import ServiceMetrics
from tracker.service.session import FrameJob, FrameOutcome, Session

log = logging.getLogger(__name__)


class Scheduler:
    def __init__(
        self,
        runner: BatchRunner,
        max_batch: int,
        max_wait_s: float,
        metrics: ServiceMetrics,
        executor: ThreadPoolExecutor,
        front_executor: ThreadPoolExecutor | None = None,
    ) -> None:
        self.runner = runner
        self.max_batch = max_batch
        self.max_wait_s = max_wait_s
        self.metrics = metrics
        self.sessions: list[Session] = []
        self.executor = executor  # the server's model thread: embed + track, in batch order
        self.front_executor = front_executor  # decode + detect of the next batch, or None
        self._slots = asyncio.Semaphore(2 if front_executor is not None else 1)
        self._finishing: asyncio.Task[None] | None = None  # the newest batch in flight
        self._wake = asyncio.Event()
        self._next = 0  # round-robin start, so no stream always goes first
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._loop(), name="scheduler")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        if self._finishing is not None:  # after a drain it is done; else answer it anyway
            await asyncio.gather(self._finishing, return_exceptions=True)

    def add(self, session: Session) -> None:
        self.sessions.append(session)

    def remove(self, session: Session) -> None:
        if session in self.sessions:
            self.sessions.remove(session)

    def notify(self) -> None:
        self._wake.set()

    async def _loop(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            await self._slots.acquire()  # released when a batch in flight is answered
            batch = self._collect(self.max_batch)
            if not batch:
                self._slots.release()
                continue
            try:
                deadline = time.monotonic() + self.max_wait_s
                while (
                    len(batch) < self.max_batch
                    and self._others_may_join(batch)
                    and (left := deadline - time.monotonic()) > 0
                ):
                    try:
                        await asyncio.wait_for(self._wake.wait(), left)
                    except asyncio.TimeoutError:
                        break
                    self._wake.clear()
                    batch += self._collect(self.max_batch - len(batch))
                self._finishing = asyncio.get_running_loop().create_task(
                    self._run(batch, self._finishing), name="batch"
                )
            except BaseException:
                self._slots.release()
                raise
            finally:
                del batch  # do not keep the last frames (and their sessions) alive while idle
            if any(s.eligible for s in self.sessions):
                self._wake.set()

    def _others_may_join(self, batch: list[FrameJob]) -> bool:
        """Is waiting worth it? Only for a session not in the batch that could send a frame.

        Waiting for the batch to fill serves streams that have not contributed yet; a stream
        already in the batch, or one held back by unsent responses, cannot add a frame that
        would otherwise miss this batch, and waiting for it would only add latency (a single
        stream would wait ``max_wait`` on every batch).
        """
        present = {id(job.session) for job in batch}
        return any(
            id(s) not in present and not s.closed and s.backlog < s.queue_size
            for s in self.sessions
        )

    def _collect(self, limit: int) -> list[FrameJob]:
        """Round-robin: one frame per eligible session per pass, until ``limit``."""
        batch: list[FrameJob] = []
        sessions = self.sessions[self._next :] + self.sessions[: self._next]
        if self.sessions:
            self._next = (self._next + 1) % len(self.sessions)
        while len(batch) < limit:
            taken = 0
            for session in sessions:
                if len(batch) >= limit:
                    break
                jobs = session.take(1) if session.eligible else []
                batch += jobs
                taken += len(jobs)
            if not taken:
                break
        return batch

    async def _run(self, batch: list[FrameJob], previous: asyncio.Task[None] | None) -> None:
        """Prepare ``batch`` (front thread), wait for the batch before it to be answered,
        then finish it (model thread) and deliver the answers."""
        try:
            await self._answer(batch, previous)
        finally:
            self._slots.release()
            self._wake.set()  # a slot is free; sessions may have frames waiting

    async def _answer(self, batch: list[FrameJob], previous: asyncio.Task[None] | None) -> None:
        self.metrics.batch_size.observe(len(batch))
        loop = asyncio.get_running_loop()
        try:
            if self.front_executor is None:
                answers = await loop.run_in_executor(self.executor, self.runner.run, batch)
            else:
                prepared = await loop.run_in_executor(
                    self.front_executor, self.runner.prepare, batch
                )
                if previous is not None:  # finishes stay in batch order
                    await asyncio.gather(previous, return_exceptions=True)
                answers = await loop.run_in_executor(self.executor, self.runner.finish, prepared)
        except Exception as error:  # BatchRunner catches model errors; this is a bug path
            self.runner.errors.error(log, f"a batch of {len(batch)} frames failed", error)
            answers = [
                (
                    pb.TrackResponse(
                        frame_id=job.frame_id, timestamp=job.timestamp, error="server error"
                    ),
                    FrameOutcome(),
                )
                for job in batch
            ]
        created = 0
        for job, (response, outcome) in zip(batch, answers, strict=True):
            created += job.session.deliver(response, outcome)
        if created:
            self.metrics.tracks_created.inc(created)
        self.metrics.active_tracks.set(sum(s.live_tracks for s in self.sessions))
