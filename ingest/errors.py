"""The one error hierarchy of healthqa.

Every error a person can act on derives from :class:`HealthQAError`; the CLI turns
them into one-line messages. It lives in ``ingest`` because every other package
depends on ``ingest`` and never the other way round.
"""

from __future__ import annotations


def one_line_reason(exc: BaseException) -> str:
    """An exception nobody foresaw, in one line: its type and the first line of its message.

    >>> one_line_reason(ValueError("bad value\\nmore detail"))
    'ValueError: bad value'
    """
    lines = str(exc).strip().splitlines()
    return type(exc).__name__ + (f": {lines[0][:200]}" if lines else "")


class HealthQAError(Exception):
    """Base of every error healthqa raises on purpose."""


class RejectedInput(HealthQAError):
    """An input file cannot become records; ``reason`` says why in a few words."""

    def __init__(self, reason: str, origin: str | None = None):
        self.reason = reason
        self.origin = origin
        super().__init__(f"{origin}: {reason}" if origin else reason)


class DecodeError(RejectedInput):
    """The bytes are binary, empty or in an encoding we cannot read."""


class ParseError(RejectedInput):
    """The text decoded but holds no question-and-answer page."""


class NotQAPage(ParseError):
    """The page is readable but is not a Q&A page (an article, a listing)."""


class EmptyDocument(ParseError):
    """A well-formed document of a Q&A format that holds no question: nothing to fix, so an
    ingest skips it (and lists it) rather than rejecting it."""


class DataDirError(HealthQAError):
    """The data directory is not healthqa's (or of another format): nothing is written there."""


class ProfileError(HealthQAError):
    """An extraction profile file (``--profile``) that cannot be used."""


class StoreError(HealthQAError):
    """The record store cannot be opened or written."""


class StoreBusyError(StoreError):
    """Another process holds the store for writing longer than we wait."""


class RecordNotFound(HealthQAError):
    """No record has the id that was asked for."""


class IndexMissingError(HealthQAError):
    """There is no search index where one was expected."""


class IndexVersionError(HealthQAError):
    """The index was built by another schema version."""


class IndexBusyError(HealthQAError):
    """Another process is writing to the index."""


class IndexWriteError(HealthQAError):
    """The index could not be written (disk full, permissions); it is left as it was."""


class QueryError(HealthQAError):
    """A search query cannot be read."""


class ClusterError(HealthQAError):
    """A search cluster (``healthqa cluster``) cannot be set up, built, synced or reached."""
