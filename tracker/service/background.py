"""A TrackerServer on its own event loop in a background thread.

For callers that are not async themselves: ``tracker demo`` (server and client in one
process), the benchmarks and the tests. ``tracker serve`` runs the server on the main loop.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine
from concurrent.futures import Future
from types import TracebackType
from typing import Any, TypeVar

from tracker.service.server import PipelineSource, TrackerServer
from tracker.service.settings import ServerSettings

T = TypeVar("T")


class BackgroundServer:
    """Starts on construction; ``target`` is ``host:port``.

    With ``wait_ready`` (the default) the constructor returns once the models are loaded and
    health is SERVING; without, as soon as the port listens.
    """

    def __init__(
        self,
        pipeline: PipelineSource,
        settings: ServerSettings,
        ready_timeout: float = 600,
        wait_ready: bool = True,
    ) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(
            target=self.loop.run_forever, name="tracker-server", daemon=True
        )
        self.thread.start()
        try:
            self.server: TrackerServer = self.call(
                self._start(pipeline, settings, ready_timeout if wait_ready else None),
                ready_timeout + 30,
            )
        except BaseException:
            self._close_loop()
            raise
        host = "127.0.0.1" if settings.host in ("0.0.0.0", "") else settings.host
        self.target = f"{host}:{self.server.port}"

    @staticmethod
    async def _start(
        pipeline: PipelineSource, settings: ServerSettings, ready_timeout: float | None
    ) -> TrackerServer:
        server = TrackerServer(pipeline, settings)
        await server.start()
        if ready_timeout is None:
            return server
        try:
            await server.wait_ready(ready_timeout)
        except BaseException:
            await server.stop(grace=0)
            raise
        return server

    def call(self, coro: Coroutine[Any, Any, T], timeout: float = 60) -> T:
        """Run ``coro`` on the server's loop and wait for its result."""
        future: Future[T] = asyncio.run_coroutine_threadsafe(coro, self.loop)
        return future.result(timeout)

    def on_loop(self, fn: Callable[[], T]) -> T:
        """Call ``fn`` on the server's loop (to read server state without races)."""

        async def run() -> T:
            return fn()

        return self.call(run())

    def stop(self, grace: float = 10) -> None:
        try:
            self.call(self.server.stop(grace=grace), grace + 30)
        finally:
            self._close_loop()

    def _close_loop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        if not self.thread.is_alive():
            self.loop.close()

    def __enter__(self) -> BackgroundServer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
