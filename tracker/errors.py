"""Errors a user can fix (bad file, bad flag, missing weights).

The CLI prints their message and exits with status 2, without a traceback; everything else is
a bug and keeps its traceback.
"""


class TrackerError(Exception):
    """A problem with the user's input or environment, described well enough to fix it."""


class InputFormatError(TrackerError, ValueError):
    """A file that does not follow its format; the message names the file and line."""
