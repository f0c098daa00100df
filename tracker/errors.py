"""Errors a user can fix (bad file, bad flag, bad input arrays, missing weights).

The CLI prints their message and exits with status 2, without a traceback; everything else is
a bug and keeps its traceback. The input errors also subclass ``ValueError``, so callers that
already catch ``ValueError`` around a reader or ``DeepSort.update`` keep working.
"""


class TrackerError(Exception):
    """A problem with the user's input or environment, described well enough to fix it."""


class InputFormatError(TrackerError, ValueError):
    """A file that does not follow its format; the message names the file and line."""


class InvalidDetectionsError(TrackerError, ValueError):
    """One frame's arrays that the tracker cannot take; the message names the row and why.

    Raised by ``Detections.from_arrays`` (so by ``DeepSort.update``) before any tracker state
    changes: the tracker is still usable afterwards.
    """
