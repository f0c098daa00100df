"""Per-frame values waiting for the frame's answer (send times, frames kept for drawing).

Answers come back in frame order, so when frame ``k`` is answered every older id still
waiting was dropped by the server: it is forgotten then. That keeps the map bounded under
policy ``latest`` without any timer. The sending and the receiving thread share it.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Generic, TypeVar

T = TypeVar("T")


class InFlight(Generic[T]):
    """Values keyed by frame id, popped in send order."""

    def __init__(self) -> None:
        self._values: OrderedDict[int, T] = OrderedDict()
        self._lock = threading.Lock()

    def add(self, frame_id: int, value: T) -> None:
        with self._lock:
            self._values[frame_id] = value

    def pop(self, frame_id: int) -> T | None:
        """The value of ``frame_id``, forgetting it and every older one (dropped frames)."""
        with self._lock:
            while self._values:
                key, value = self._values.popitem(last=False)
                if key == frame_id:
                    return value
        return None

    def __len__(self) -> int:
        with self._lock:
            return len(self._values)
