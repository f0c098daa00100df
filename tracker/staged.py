"""Stages that overlap: each function of a chain runs in its own thread, joined by bounded
queues, so while item ``t`` is in the last stage item ``t+1`` is in the one before.

``track_source(..., overlap=True)`` uses it for decode | detect | embed + associate: on a
2-core machine the sequential path leaves one core idle while the other detects, then embeds.
The model runtimes (ONNX Runtime, OpenVINO, torch ops) and JPEG decoding release the GIL, so
the stages really run in parallel. Items keep their order, and each stage makes exactly the
calls the sequential path makes, so the results are identical.

A failure in any stage is raised in the consumer; a consumer that stops early (an exception,
``max_frames``, Ctrl-C) stops every stage thread before the generator returns.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

QUEUE_SIZE = 4
"""Items in flight between two stages: enough to absorb jitter, bounded so a fast decoder
cannot fill memory with frames."""

_DONE = object()


@dataclass(frozen=True)
class _Failed:
    error: BaseException


class _Stage(threading.Thread):
    """Runs ``work(item)`` on each item of ``items()`` and puts the results in ``outbox``;
    forwards the end marker and the first failure downstream."""

    def __init__(
        self,
        name: str,
        outbox: queue.Queue[Any],
        stop: threading.Event,
        items: Callable[[], Iterable[Any]],
        work: Callable[[Any], Any],
    ) -> None:
        super().__init__(name=f"tracker-{name}", daemon=True)
        self.outbox, self.stop, self.items, self.work = outbox, stop, items, work

    def run(self) -> None:
        try:
            for item in self.items():
                if item is _DONE or isinstance(item, _Failed):
                    self._put(item)
                    return
                if not self._put(self.work(item)):
                    return
            self._put(_DONE)
        except BaseException as error:  # handed to the consumer, which re-raises it
            self._put(_Failed(error))

    def _put(self, item: object) -> bool:
        while not self.stop.is_set():
            try:
                self.outbox.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False


def _drain(inbox: queue.Queue[Any], stop: threading.Event) -> Iterator[Any]:
    while not stop.is_set():
        try:
            item = inbox.get(timeout=0.1)
        except queue.Empty:
            continue
        yield item
        if item is _DONE or isinstance(item, _Failed):
            return


def _reader(inbox: queue.Queue[Any], stop: threading.Event) -> Callable[[], Iterator[Any]]:
    return lambda: _drain(inbox, stop)


def _same(item: object) -> object:
    return item


def run_stages(
    items: Iterable[Any],
    stages: Sequence[Callable[[Any], Any]],
    queue_size: int = QUEUE_SIZE,
    names: Sequence[str] = (),
) -> Iterator[Any]:
    """``stages[-1](... stages[0](item))`` for every item, in order; producing the items is
    a stage of its own (a decoding generator runs in its own thread)."""
    stop = threading.Event()
    inbox: queue.Queue[Any] = queue.Queue(queue_size)
    threads = [_Stage("source", inbox, stop, lambda: items, _same)]
    for k, work in enumerate(stages):
        outbox: queue.Queue[Any] = queue.Queue(queue_size)
        upstream = inbox
        name = names[k] if k < len(names) else f"stage{k}"
        threads.append(_Stage(name, outbox, stop, _reader(upstream, stop), work))
        inbox = outbox
    for thread in threads:
        thread.start()
    try:
        for item in _drain(inbox, stop):
            if item is _DONE:
                return
            if isinstance(item, _Failed):
                raise item.error
            yield item
    finally:
        stop.set()
        for thread in threads:
            thread.join()
