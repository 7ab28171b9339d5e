"""Pages fetched by URL (from a WARC or a Scrapy crawl): parsed like files, kept track of by URL.

A fetched page goes through the same decoding, detection and parsers as a file, with two
additions: the server's charset informs decoding, and a record that names no URL of its
own (no canonical link) takes the page's URL, and its id from it. The store remembers
each URL with a hash of what was fetched, so a page unchanged since the last ingest of
that URL is not parsed again, wherever it now lies; a changed page replaces the records
the URL gave before, and one that turned bad keeps them (as a file does).
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from typing import Iterable
from urllib.parse import urlsplit

from healthqa.ingest.decode import decode_bytes
from healthqa.ingest.detect import parse_document
from healthqa.ingest.errors import RejectedInput
from healthqa.ingest.fill import AnswerFill
from healthqa.ingest.pipeline import Parsed, Summary
from healthqa.ingest.record import QAPage, derive_id
from healthqa.ingest.store import FetchedState, Store
from healthqa.ingest.warc import Fetched

_PLACEHOLDER_SOURCES = {"html", "text"}  # what parsers call the source when they know no URL


def body_hash(page: Fetched) -> str:
    """What decides that a page is unchanged: its bytes and the charset they were sent with."""
    digest = hashlib.sha1(page.body)
    digest.update(b"\0" + (page.charset or "").encode("ascii", "replace"))
    return digest.hexdigest()


def parse_fetched(page: Fetched) -> Parsed:
    """Decode and parse one fetched page. Never raises for bad content: ``reason`` says why.

    ``Parsed.path`` is the page's origin; rejection reasons start with its URL.
    """
    try:
        return _parse_fetched(page)
    except Exception as exc:  # why: whatever one page does (a codec that misbehaves), the crawl goes on
        first = (str(exc).strip().splitlines() or [""])[0][:200]
        return Parsed(page.origin, "", reason=f"{page.url}: unexpected error: {type(exc).__name__}: {first}")


def _parse_fetched(page: Fetched) -> Parsed:
    if page.problem:
        return Parsed(page.origin, "", reason=f"{page.url}: {page.problem}")
    digest = body_hash(page)
    try:
        text, _encoding = decode_bytes(page.body, page.origin, http_charset=page.charset)
        fmt, pages = parse_document(text, page.origin)
    except RejectedInput as exc:
        return Parsed(page.origin, digest, reason=f"{page.url}: {exc.reason}")
    return Parsed(page.origin, digest, fmt, with_url(pages, page.url))


def with_url(pages: list[QAPage], url: str) -> tuple[QAPage, ...]:
    """Records that name no URL take the page's; a single such record takes its id from it.

    A canonical URL in the markup wins: records that have one keep it.
    """
    single = len(pages) == 1
    return tuple(page if page.url else _located(page, url, single) for page in pages)


def _located(page: QAPage, url: str, single: bool) -> QAPage:
    host = (urlsplit(url).hostname or "").removeprefix("www.")
    source = host if page.source in _PLACEHOLDER_SOURCES and host else page.source
    page_id = derive_id(page.question, page.topic, url) if single else page.id
    return replace(page, id=page_id, url=url, source=source, content_hash="")


class FetchedStore:
    """Stores parsed fetched pages by URL into ``store`` (call inside its ``transaction()``)."""

    def __init__(self, store: Store, summary: Summary, fill: AnswerFill | None = None):
        self.store = store
        self.summary = summary
        self.fill = fill

    def unchanged(self, page: Fetched) -> bool:
        """Whether ``page`` need not be parsed: same bytes as last time, and its records still stored."""
        if self.fill is not None or page.problem:
            return False  # filling answers changes records of unchanged pages, so they are parsed again
        state = self.store.fetched_state(page.url)
        return state is not None and state.body_hash == body_hash(page) and self.store.has_ids(state.ids)

    def keep_unchanged(self, page: Fetched) -> None:
        """Count an unchanged page; when it now lies elsewhere (a new crawl file), point its records there."""
        state = self.store.fetched_state(page.url)
        assert state is not None  # unchanged() said so
        self.summary.pages += 1
        if state.status == "rejected":
            self.summary.rejected.append((page.origin, state.reason or f"{page.url}: rejected"))
        else:
            self.summary.unchanged += len(state.ids)
        if state.origin != page.origin:
            self._move(state, page.origin)

    def put(self, page: Fetched, parsed: Parsed) -> None:
        """Store what parsing ``page`` gave: its records, or its rejection."""
        state = self.store.fetched_state(page.url)
        kept = state.ids if state else ()
        self.summary.pages += 1
        if parsed.reason is not None:
            self.summary.rejected.append((page.origin, parsed.reason))
            # A page that turned bad keeps the records it gave before: nothing is lost.
            self._remember(page, parsed, kept, "rejected", parsed.reason, state)
            return
        pages = [self.fill.apply(p) for p in parsed.pages] if self.fill else list(parsed.pages)
        for record in pages:
            self.summary.count(self.store.put(record).kind)
            self.summary.warnings.extend((page.origin, w) for w in record.warnings)
        ids = tuple(dict.fromkeys(p.id for p in pages))
        self.summary.deleted += self.store.delete(sorted(set(kept) - set(ids)))
        self._remember(page, parsed, ids, "ok", None, state)

    def _remember(self, page: Fetched, parsed: Parsed, ids: Iterable[str], status: str, reason: str | None,
                  state: FetchedState | None) -> None:
        ids = tuple(ids)
        if state and state.origin != page.origin:
            self._move(state, page.origin)
        self.store.remember_fetched(FetchedState(page.url, parsed.file_hash, page.origin, ids, status, reason))
        self.store.remember_file(page.origin, parsed.file_hash, status, reason, format=parsed.format,
                                 records=len(ids))

    def _move(self, state: FetchedState, origin: str) -> None:
        """Point the records of ``state`` at ``origin``, and forget the old origin unless another page sits there."""
        for record_id in state.ids:
            record = self.store.find(record_id)
            if record is not None and record.origin != origin:
                self.store.put(replace(record, origin=origin))
        old = self.store.file_state(state.origin)
        if not self.store.origin_claimed(state.origin, state.url):
            self.store.forget_file_row(state.origin)
        if old is not None:
            self.store.remember_file(origin, old.file_hash, old.status, old.reason, old.format, old.records)
        self.store.remember_fetched(replace(state, origin=origin))

