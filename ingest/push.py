"""Pages sent to the server (``POST /v1/pages``) rather than read from files.

A pushed page is raw bytes and, optionally, the URL it was scraped from. It goes
through the same decoding, detection and parsing as a file (:func:`parse_bytes`) and is
stored the same way (:func:`store_parsed`). Its origin is ``pushed:<url>`` (or
``pushed:sha1:<hash>`` without a URL), so sending a changed page for the same URL
updates its records in place, and a record it no longer yields is removed.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace

from healthqa.ingest.normalise import clean_url
from healthqa.ingest.pipeline import DEFAULT_MAX_BYTES, Options, Parsed, Summary, parse_bytes, store_parsed
from healthqa.ingest.record import QAPage, derive_id
from healthqa.ingest.store import Store

ORIGIN_PREFIX = "pushed:"


@dataclass(frozen=True)
class PushedPage:
    """One scraped page as a client sent it."""

    data: bytes
    url: str | None = None


def origin_of(page: PushedPage) -> str:
    """Where the records of ``page`` say they came from.

    >>> origin_of(PushedPage(b"...", "https://example.org/q/1"))
    'pushed:https://example.org/q/1'
    """
    if page.url:
        return ORIGIN_PREFIX + page.url
    return f"{ORIGIN_PREFIX}sha1:{hashlib.sha1(page.data).hexdigest()}"


def parse_pushed(page: PushedPage, max_bytes: int = DEFAULT_MAX_BYTES) -> Parsed:
    """Parse one pushed page; a bad page gives a ``reason``, never an exception."""
    origin = origin_of(page)
    if len(page.data) > max_bytes:
        return Parsed(origin, "", reason=f"page too large ({len(page.data):,} bytes; the limit is {max_bytes:,})")
    parsed = parse_bytes(page.data, origin)
    if parsed.reason is not None or not page.url or len(parsed.pages) != 1:
        return parsed
    return replace(parsed, pages=(_with_url(parsed.pages[0], page.url),))


def _with_url(record: QAPage, url: str) -> QAPage:
    """A record that does not know its own URL takes the one it was sent with (and its id from it)."""
    if record.url:
        return record
    return replace(record, id=derive_id(record.question, record.topic, url), url=url, content_hash="")


def check_url(url: str | None) -> str | None:
    """The URL cleaned, or ``None`` if none was given; raises ``ValueError`` for one that is not http(s)."""
    if url is None or url == "":
        return None
    cleaned = clean_url(url)
    if cleaned is None:
        raise ValueError(f"url {url[:200]!r} is not an http(s) URL")
    return cleaned


def ingest_pushed(pages: list[PushedPage], store: Store, options: Options = Options()) -> tuple[Summary, list[Parsed]]:
    """Parse and store ``pages`` in one transaction: the summary, and each page's parse in order.

    >>> import pathlib, tempfile
    >>> page = PushedPage(pathlib.Path("raw/sharecare_back-pain_foot-problems.txt").read_bytes(), "https://example.org/q/1")
    >>> with Store.open(tempfile.mkdtemp()) as store:
    ...     summary, _ = ingest_pushed([page], store)
    >>> [(c.id, str(c.kind)) for c in summary.changes]
    [('https://example.org/q/1', 'new')]
    """
    parsed = [parse_pushed(page, options.max_bytes) for page in pages]
    return store_parsed(store, parsed, options), parsed
