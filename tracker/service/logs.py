"""Structured logging for the server: JSON lines (for log shippers) or plain text.

Fields passed as ``extra={...}`` become JSON keys, so a session's stream id and counts can be
searched without parsing message text. Anything a client sent (stream ids, model names, error
texts that quote its input) goes through ``safe_text`` first, and the text format escapes
control characters once more, so no client can forge or split a log line. ``TracebackLimiter``
keeps a failure that repeats on every frame from flooding the log with tracebacks.
"""

from __future__ import annotations

import json
import logging
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}
ID_LIMIT = 64
"""Client-supplied names are cut to this many characters in logs and messages."""


def safe_text(text: str, limit: int = ID_LIMIT) -> str:
    """``text`` cut to ``limit`` characters, control and other non-printable characters
    escaped (``\\n``, ``\\x1b``, ``\\u202e``); the cut is marked with the characters left out."""
    cut = text[:limit]
    if not cut.isprintable():
        cut = "".join(c if c.isprintable() else c.encode("unicode_escape").decode() for c in cut)
    if len(text) > limit:
        cut += f"...(+{len(text) - limit} chars)"
    return cut


def _escaped(value: object) -> str:
    text = str(value)
    return text if text.isprintable() else safe_text(text, len(text))


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update({k: v for k, v in vars(record).items() if k not in _STANDARD})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)  # escapes control characters itself


class TextFormatter(logging.Formatter):
    """``time level logger: message key=value ...``, one line per record (a traceback, if
    any, follows on its own lines as Python prints it)."""

    def format(self, record: logging.LogRecord) -> str:
        extras = {k: v for k, v in vars(record).items() if k not in _STANDARD}
        line = (
            f"{self.formatTime(record)} {record.levelname} {record.name}: "
            f"{_escaped(record.getMessage())}"
            + "".join(f" {k}={_escaped(v)}" for k, v in extras.items())
        )
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


def configure_logging(log_format: str, verbose: bool = False) -> None:
    """Replace the root handler (the CLI installs a plain one) with the chosen format."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.DEBUG if verbose else logging.INFO)


class TracebackLimiter:
    """Log an unexpected error with its traceback once per ``period_s`` per distinct error;
    count the repeats in between and report the count with the next traceback.

    Two errors are the same if they have the same type and were raised at the same line, so a
    hostile stream that makes every frame fail the same way costs one traceback a minute, not
    one per frame. Thread-safe: the model thread and the event loop both report through it.
    """

    def __init__(self, period_s: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.period_s = period_s
        self._clock = clock
        self._lock = threading.Lock()
        self._seen: dict[tuple[str, str, int], list[float]] = {}  # key -> [last time, repeats]

    def error(
        self, logger: logging.Logger, message: str, error: BaseException, **extra: Any
    ) -> bool:
        """Log ``message`` for ``error``; True if its traceback was logged this time."""
        key = _error_key(error)
        now = self._clock()
        with self._lock:
            seen = self._seen.get(key)
            if seen is not None and now - seen[0] < self.period_s:
                seen[1] += 1
                return False
            repeats = int(seen[1]) if seen is not None else 0
            if seen is None and len(self._seen) >= 1024:  # bounded: forget the oldest
                self._seen.pop(next(iter(self._seen)))
            self._seen[key] = [now, 0]
        if repeats:
            extra["repeats_without_traceback"] = repeats
        logger.error(message, exc_info=error, extra=extra)
        return True


def _error_key(error: BaseException) -> tuple[str, str, int]:
    tb = error.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    if tb is None:
        return type(error).__qualname__, "", 0
    return type(error).__qualname__, tb.tb_frame.f_code.co_filename, tb.tb_lineno
