"""Files that hold many pages or records: WARC crawls and JSONL record imports.

The walker finds files; this module picks out, by content, those that are containers
rather than one page each, and ingests them beside the loose files: a WARC page by page
(:mod:`healthqa.ingest.warc`, :mod:`healthqa.ingest.fetched`), a JSONL file of records
line by line (:mod:`healthqa.ingest.records_import`). Each reports what it held in the
summary's notes; one bad page, record or file never stops the batch.
"""

from __future__ import annotations

import itertools
from collections import deque
from concurrent.futures import Executor, Future
from contextlib import ExitStack
from typing import Callable, Iterator

from healthqa.ingest.fetched import FetchedStore, parse_fetched
from healthqa.ingest.fill import AnswerFill
from healthqa.ingest.pipeline import Options, Parsed, Summary, parser_pool
from healthqa.ingest.records_import import import_records, looks_like_records
from healthqa.ingest.store import Store
from healthqa.ingest.walk import Entry
from healthqa.ingest.warc import Fetched, WarcReport, is_warc, last_captures, read_head, read_warc

_BATCH_PAGES = 64  # pages committed together
_PARALLEL_FROM = 8  # a WARC's pages from this one on are parsed by a process pool (a tiny crawl is not worth one)
_WINDOW = 64  # pages parsed ahead of the one being stored
Progress = Callable[[Parsed], None] | None


def container_kind(path: str) -> str | None:
    """``"warc"``, ``"records"`` (JSONL as ``records export`` writes it) or ``None`` for a loose page."""
    head = read_head(path)
    if is_warc(head):
        return "warc"
    if head.lstrip()[:1] == b"{" and looks_like_records(path):
        return "records"
    return None


def split_containers(entries: list[Entry]) -> tuple[list[Entry], list[tuple[str, str]]]:
    """The loose files, and the containers as ``(kind, path)``, both in the order given."""
    files, containers = [], []
    for entry in entries:
        kind = None if entry.problem else container_kind(entry.path)
        if kind:
            containers.append((kind, entry.path))
        else:
            files.append(entry)
    return files, containers


def ingest_containers(containers: list[tuple[str, str]], store: Store, options: Options, summary: Summary,
                      progress: Progress = None) -> None:
    """Ingest every WARC and record file of ``containers`` into ``store``."""
    with ExitStack() as stack:
        pool: list[Executor] = []  # made on the first full batch: small crawls are parsed in this process

        def parallel() -> Executor | None:
            if options.workers < 2:
                return None
            if not pool:
                pool.append(stack.enter_context(parser_pool(options.workers)))
            return pool[0]

        # The last capture of a URL over all the WARCs given wins: reading them again gives the same.
        latest = last_captures([path for kind, path in containers if kind == "warc"])
        for kind, path in containers:
            if kind == "warc":
                ingest_warc(path, store, options, summary, progress, parallel, latest)
            else:
                import_records(path, store, summary, options.max_bytes)


def ingest_warc(path: str, store: Store, options: Options, summary: Summary, progress: Progress = None,
                parallel: Callable[[], Executor | None] = lambda: None,
                latest: dict[str, str] | None = None) -> WarcReport:
    """Ingest the pages of one WARC file; its report goes into ``summary.notes``."""
    report = WarcReport(path)
    keeper = FetchedStore(store, summary, options.fill)
    pages = read_warc(path, report, options.max_bytes, latest)
    try:
        for batch in _batches(_parsed_in_order(pages, keeper, parallel)):
            _store_batch(batch, keeper, progress)
    except OSError as exc:
        report.stopped = f"cannot read: {exc.strerror or exc}"
    summary.files += 1
    summary.notes.append((path, report.describe()))
    status, reason = "ok", None
    if report.stopped:
        status, reason = "rejected", f"WARC {report.stopped}; the {report.pages} pages before it were read"
        summary.rejected.append((path, reason))
    with store.transaction():
        store.remember_file(path, "", status, reason, format="warc", records=report.pages)
    return report


Result = tuple[Fetched, "Parsed | Future[Parsed] | None"]  # None: unchanged, not parsed


def _parsed_in_order(pages: Iterator[Fetched], keeper: FetchedStore,
                     parallel: Callable[[], Executor | None]) -> Iterator[tuple[Fetched, Parsed | None]]:
    """Each page with what parsing it gave (``None`` when unchanged), in the WARC's order.

    Past the first few, pages are parsed by the process pool, up to ``_WINDOW`` ahead of
    the one being stored, so the workers stay busy while the store writes.
    """
    window: deque[Result] = deque()
    for n, page in enumerate(pages):
        if keeper.unchanged(page):
            window.append((page, None))
        else:
            pool = parallel() if n >= _PARALLEL_FROM else None
            window.append((page, pool.submit(parse_fetched, page) if pool else parse_fetched(page)))
        if len(window) > _WINDOW:
            yield _resolved(window.popleft())
    while window:
        yield _resolved(window.popleft())


def _resolved(item: Result) -> tuple[Fetched, Parsed | None]:
    page, parsed = item
    return page, parsed.result() if isinstance(parsed, Future) else parsed


def _batches(items: Iterator[tuple[Fetched, Parsed | None]]) -> Iterator[list[tuple[Fetched, Parsed | None]]]:
    while batch := list(itertools.islice(items, _BATCH_PAGES)):
        yield batch


def _store_batch(batch: list[tuple[Fetched, Parsed | None]], keeper: FetchedStore, progress: Progress) -> None:
    with keeper.store.transaction():
        for page, parsed in batch:
            if parsed is None:
                keeper.keep_unchanged(page)
                parsed = Parsed(page.origin, "")
            else:
                keeper.put(page, parsed)
            if progress:
                progress(parsed)


def ingest_pages(pages: list[Fetched], store: Store, summary: Summary, fill: AnswerFill | None = None) -> None:
    """Ingest pages fetched by a crawler (a Scrapy pipeline) into ``store``, in one transaction.

    >>> import pathlib, tempfile
    >>> body = pathlib.Path("raw/sharecare_back-pain_foot-problems.txt").read_bytes()
    >>> with Store.open(tempfile.mkdtemp()) as store:
    ...     summary = Summary()
    ...     page = Fetched("https://example.org/q", body, origin="https://example.org/q")
    ...     ingest_pages([page], store, summary)
    ...     (summary.new, store.ids())
    (1, ['https://example.org/q'])
    """
    keeper = FetchedStore(store, summary, fill)
    _store_batch(list(_parsed_in_order(iter(pages), keeper, lambda: None)), keeper, None)

