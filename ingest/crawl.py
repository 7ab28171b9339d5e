"""Files that hold many pages or records: WARC crawls and JSONL record imports.

The walker finds files; this module picks out, by content, those that are containers
rather than one page each, and ingests them beside the loose files: a WARC page by page
(:mod:`healthqa.ingest.warc`, :mod:`healthqa.ingest.fetched`), a JSONL file of records
line by line (:mod:`healthqa.ingest.records_import`). Each reports what it held in the
summary's notes; one bad page, record or file never stops the batch.
"""

from __future__ import annotations

import os
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import ExitStack
from typing import Callable, Iterator

from healthqa.ingest.fetched import FetchedStore, parse_fetched
from healthqa.ingest.fill import AnswerFill
from healthqa.ingest.lock import worker_start
from healthqa.ingest.pipeline import Options, Parsed, Summary
from healthqa.ingest.records_import import import_records, looks_like_records
from healthqa.ingest.store import Store
from healthqa.ingest.walk import Entry
from healthqa.ingest.warc import Fetched, WarcReport, is_warc, read_head, read_warc

_BATCH_PAGES = 64  # pages parsed (in parallel) and committed together
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
                pool.append(stack.enter_context(ProcessPoolExecutor(
                    options.workers, initializer=worker_start, initargs=(os.getpid(),))))
            return pool[0]

        for kind, path in containers:
            if kind == "warc":
                ingest_warc(path, store, options, summary, progress, parallel)
            else:
                import_records(path, store, summary, options.max_bytes)


def ingest_warc(path: str, store: Store, options: Options, summary: Summary, progress: Progress = None,
                parallel: Callable[[], Executor | None] = lambda: None) -> WarcReport:
    """Ingest the pages of one WARC file; its report goes into ``summary.notes``."""
    report = WarcReport(path)
    keeper = FetchedStore(store, summary, options.fill)
    try:
        for batch in _batches(read_warc(path, report, options.max_bytes)):
            _ingest_batch(batch, keeper, parallel if len(batch) >= _BATCH_PAGES else lambda: None, progress)
    except OSError as exc:
        report.stopped = f"cannot read: {exc.strerror or exc}"
    summary.files += 1
    summary.notes.append((path, report.describe()))
    if report.stopped:
        reason = f"WARC {report.stopped}; the {report.pages} pages before it were read"
        summary.rejected.append((path, reason))
        with store.transaction():
            store.remember_file(path, "", "rejected", reason, format="warc", records=report.pages)
    else:
        with store.transaction():
            store.remember_file(path, "", "ok", format="warc", records=report.pages)
    return report


def _batches(pages: Iterator[Fetched]) -> Iterator[list[Fetched]]:
    batch: list[Fetched] = []
    for page in pages:
        batch.append(page)
        if len(batch) >= _BATCH_PAGES:
            yield batch
            batch = []
    if batch:
        yield batch


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
    _ingest_batch(pages, FetchedStore(store, summary, fill), lambda: None, None)


def _ingest_batch(batch: list[Fetched], keeper: FetchedStore, parallel: Callable[[], Executor | None],
                  progress: Progress) -> None:
    """Parse what changed in ``batch`` (outside any transaction), then store the batch at once."""
    unchanged = [keeper.unchanged(page) for page in batch]
    changed = [page for page, same in zip(batch, unchanged) if not same]
    pool = parallel() if changed else None
    parsed = iter(pool.map(parse_fetched, changed, chunksize=8) if pool else map(parse_fetched, changed))
    with keeper.store.transaction():
        for page, same in zip(batch, unchanged):
            if same:
                keeper.keep_unchanged(page)
                result = Parsed(page.origin, "")
            else:
                result = next(parsed)
                keeper.put(page, result)
            if progress:
                progress(result)
