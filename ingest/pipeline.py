"""The ingest pipeline: files -> bytes -> text -> records -> store.

Each file is read, decoded by detection, parsed by the parser its content calls for,
and its records stored. Unchanged files (same bytes) are not parsed again; a file's
records that it no longer yields are removed. Writes are committed in batches, so an
interrupted run keeps every batch before the interruption and the next run finishes
the job. One bad file is reported and skipped; it never stops the batch.
"""

from __future__ import annotations

import hashlib
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Callable, Iterable, Iterator

from healthqa.ingest.decode import decode_bytes
from healthqa.ingest.defaults import WORKERS
from healthqa.ingest.detect import parse_document
from healthqa.ingest.errors import EmptyDocument, RejectedInput, StoreError, one_line_reason
from healthqa.ingest.fill import AnswerFill
from healthqa.ingest.lock import worker_start
from healthqa.ingest.record import QAPage
from healthqa.ingest.select import Exclusions, not_a_page
from healthqa.ingest.store import Change, ChangeKind, Store
from healthqa.ingest.walk import Entry, iter_entries

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
_BATCH_FILES = 400
_PARALLEL_FROM = 200  # below this many files a process pool costs more than it saves


@dataclass(frozen=True)
class Parsed:
    """One file after reading and parsing: records, or the reason there are none."""

    path: str
    file_hash: str
    format: str | None = None
    pages: tuple[QAPage, ...] = ()
    reason: str | None = None
    skipped: bool = False


@dataclass
class Summary:
    """What one ingest run did, for the report at its end."""

    files: int = 0
    files_unchanged: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    rejected: list[tuple[str, str]] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    warnings: list[tuple[str, str]] = field(default_factory=list)
    excluded: int = 0            # files passed over by --exclude or .healthqaignore
    found: int = 0               # files found under the paths given, before exclusions
    interrupted: bool = False    # stopped early at a batch boundary (``stop``); the rest not read
    changes: list[Change] = field(default_factory=list)  # each record stored, and what storing it did
    pages: int = 0  # pages read out of crawl files (WARC) and lines out of record imports
    notes: list[tuple[str, str]] = field(default_factory=list)  # per crawl file: what it held, where it stopped

    @property
    def ok(self) -> bool:
        return not self.rejected

    def add(self, other: "Summary") -> None:
        """Count ``other`` (one file's summary) into this one."""
        for name in ("files", "files_unchanged", "new", "updated", "unchanged", "deleted"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.rejected += other.rejected
        self.skipped += other.skipped
        self.warnings += other.warnings
        self.changes += other.changes
        self.pages += other.pages
        self.notes += other.notes

    def count(self, kind: ChangeKind) -> None:
        """Count one stored record by what storing it did."""
        if kind == ChangeKind.NEW:
            self.new += 1
        elif kind == ChangeKind.UPDATED:
            self.updated += 1
        else:
            self.unchanged += 1

    def to_dict(self) -> dict[str, object]:
        """The ``ingest --json`` shape (documented in the README)."""
        def listed(pairs: list[tuple[str, str]], key: str) -> list[dict[str, str]]:
            return [{"path": path, key: text} for path, text in pairs]

        return {"files": self.files, "new": self.new, "updated": self.updated, "unchanged": self.unchanged,
                "deleted": self.deleted, "excluded": self.excluded, "rejected": listed(self.rejected, "reason"),
                "skipped": listed(self.skipped, "reason"), "warnings": listed(self.warnings, "warning"),
                "pages": self.pages, "notes": listed(self.notes, "note"), "interrupted": self.interrupted}


@dataclass(frozen=True)
class Options:
    """Settings of one ingest run."""

    max_bytes: int = DEFAULT_MAX_BYTES
    follow_links: bool = False
    prune: bool = False
    workers: int = WORKERS
    fill: AnswerFill | None = None
    exclude: tuple[str, ...] = ()  # glob patterns of files and folders not to read
    profiles: tuple = ()  # extraction profiles (healthqa.ingest.html_profile.Profile) for HTML pages


def read_and_parse(path: str, max_bytes: int = DEFAULT_MAX_BYTES, known_hash: str | None = None,
                   profiles: tuple = ()) -> Parsed:
    """Read one file and parse it. Never raises for bad content: ``reason`` says what is wrong.

    When the file's hash equals ``known_hash`` it is not parsed (``format`` is ``None``).
    An unexpected exception at any stage (a bug, a codec that misbehaves) rejects this
    file with the exception's one-line reason: one file never stops the batch.
    """
    try:
        return _read_and_parse(path, max_bytes, known_hash, profiles)
    except Exception as exc:  # why: whatever one file does, the batch goes on
        return Parsed(path, "", reason=unexpected(exc))


def unexpected(exc: BaseException) -> str:
    """The one-line reason given for an exception nobody foresaw."""
    return f"unexpected error: {one_line_reason(exc)}"


def _read_and_parse(path: str, max_bytes: int, known_hash: str | None, profiles: tuple) -> Parsed:
    try:
        size = os.path.getsize(path)
        if size > max_bytes:
            return Parsed(path, "", reason=f"file too large ({_size(size)}; the limit is {_size(max_bytes)}, see --max-size)")
        with open(path, "rb") as handle:
            data = handle.read(max_bytes + 1)
    except OSError as exc:
        return Parsed(path, "", reason=f"cannot read: {exc.strerror or exc}")
    return parse_bytes(data, path, known_hash, profiles)


def parse_bytes(data: bytes, origin: str, known_hash: str | None = None, profiles: tuple = ()) -> Parsed:
    """Decode and parse the bytes of one page read from ``origin`` (a file, or a page sent
    to the server). Never raises for bad content: ``reason`` says what is wrong."""
    file_hash = hashlib.sha1(data).hexdigest()
    if known_hash == file_hash:
        return Parsed(origin, file_hash)
    try:
        text, _encoding = decode_bytes(data, origin)
        # Profiles only when given: the two-argument call is the one callers and tests know.
        fmt, pages = parse_document(text, origin, profiles) if profiles else parse_document(text, origin)
    except RejectedInput as exc:
        return Parsed(origin, file_hash, reason=exc.reason, skipped=isinstance(exc, EmptyDocument))
    return Parsed(origin, file_hash, fmt, tuple(pages))


def _size(n: int) -> str:
    """Bytes for a person: ``"2.5 MB"``, ``"40.0 KB"``, ``"900 bytes"``."""
    if n >= 1_048_576:
        return f"{n / 1_048_576:.1f} MB"
    return f"{n / 1024:.1f} KB" if n >= 1024 else f"{n} bytes"


def _parse_job(job: tuple[str, int, str | None, tuple]) -> Parsed:
    return read_and_parse(*job)


def ingest(paths: Iterable[str], store: Store, options: Options = Options(),
           progress: Callable[[Parsed], None] | None = None, *,
           total: Callable[[int], None] | None = None, stop: Callable[[], bool] | None = None) -> Summary:
    """Ingest every file under ``paths`` into ``store`` and say what changed.

    ``total`` is told how many files will be read once they are counted, ``progress`` is
    told of each file read. When ``stop()`` turns true the files read so far are committed
    and the run ends (``Summary.interrupted``); the next run reads the rest.

    >>> import tempfile
    >>> from healthqa.ingest.store import Store
    >>> with Store.open(tempfile.mkdtemp()) as store:
    ...     ingest(["raw/sharecare_back-pain_foot-problems.txt"], store).new
    1
    """
    from healthqa.ingest.crawl import ingest_containers, split_containers  # a cycle otherwise: they use Parsed

    paths = list(paths)
    summary = Summary()
    entries, containers = split_containers(_selected(paths, store, options, summary))
    if total:
        total(len(entries))
    batch: list[Parsed] = []
    parsing = _parse_all(entries, store, options)
    try:
        for parsed in parsing:
            batch.append(parsed)
            if len(batch) >= _BATCH_FILES:
                _commit(store, batch, summary, options)
                batch = []
            if progress:
                progress(parsed)
            if stop and stop():
                summary.interrupted = True
                break
    finally:
        parsing.close()  # stops the workers' queued files before the last commit
    _commit(store, batch, summary, options)
    if not summary.interrupted:
        ingest_containers(containers, store, options, summary, progress)
    if options.prune and not summary.interrupted:
        summary.deleted += prune(store, paths)
    return summary


def _selected(paths: list[str], store: Store, options: Options, summary: Summary) -> list[Entry]:
    """The files to read: excluded ones left out, plainly-not-pages marked as skipped."""
    exclusions = Exclusions.build(paths, options.exclude)
    selected = []
    for entry in iter_entries(paths, options.follow_links, exclude=[os.path.dirname(store.path)]):
        summary.found += 1
        if exclusions.patterns and exclusions.excludes(entry.path):
            summary.excluded += 1
        elif not entry.problem and (kind := not_a_page(entry.path)):
            selected.append(Entry(entry.path, f"not a page: {kind}", skipped=True))
        else:
            selected.append(entry)
    return selected


def _parse_all(entries: list[Entry], store: Store, options: Options) -> Iterator[Parsed]:
    jobs = []
    for entry in entries:
        if entry.problem:
            yield Parsed(entry.path, "", reason=entry.problem, skipped=entry.skipped)
            continue
        state = store.file_state(entry.path)
        # Filling answers or a profile changes records of unchanged files, so those are parsed again;
        # so are files rejected before (few, and a newer healthqa may read or skip them now).
        known = state.file_hash if state and state.status == "ok" and not options.fill and not options.profiles \
            else None
        jobs.append((entry.path, options.max_bytes, known, options.profiles))
    if options.workers > 1 and len(jobs) >= _PARALLEL_FROM:
        # Chunks amortise the hand-over; small enough that every worker gets many and the
        # workers finish together (with 8 a worker, one sat idle for up to a chunk at the end).
        chunksize = max(1, min(64, len(jobs) // (options.workers * 32)))
        pool = parser_pool(options.workers)
        try:
            yield from pool.map(_parse_job, jobs, chunksize=chunksize)
        finally:
            # A run stopped early must not wait for every queued file (leaving the pool's
            # 'with' block would): queued chunks are dropped, running ones finish.
            pool.shutdown(wait=True, cancel_futures=True)
    else:
        yield from map(_parse_job, jobs)


def parser_pool(workers: int) -> ProcessPoolExecutor:
    """A pool of ``workers`` parsing processes. The HTML parser (bs4, lxml: a fifth of a second
    to import) is loaded here first, so that the workers forked from this process share it
    instead of each loading it again."""
    import healthqa.ingest.html  # noqa: F401

    return ProcessPoolExecutor(workers, initializer=worker_start, initargs=(os.getpid(),))


def store_parsed(store: Store, batch: list[Parsed], options: Options = Options()) -> Summary:
    """Store pages already parsed (as :func:`ingest` does, in one transaction) and say what changed."""
    summary = Summary()
    _commit(store, batch, summary, options)
    return summary


def _commit(store: Store, batch: list[Parsed], summary: Summary, options: Options) -> None:
    with store.transaction():
        for parsed in batch:
            _store_isolated(store, parsed, summary, options)


def _store_one_file(store: Store, parsed: Parsed, options: Options) -> Summary:
    one = Summary()
    _store_one(store, parsed, one, options)
    return one


def _store_isolated(store: Store, parsed: Parsed, summary: Summary, options: Options) -> None:
    """Store one file's records, or none of them: an unexpected failure rejects that file only.

    Errors of the store itself (disk full, a damaged database) still end the batch, which is
    rolled back as a whole: they would fail every file after it too.
    """
    try:
        with store.savepoint():
            one = _store_one_file(store, parsed, options)
    except StoreError:
        raise
    except Exception as exc:  # why: a record that cannot be stored costs its file, not the batch
        rejected = replace(parsed, pages=(), format=None, reason=unexpected(exc))
        try:
            with store.savepoint():
                one = _store_one_file(store, rejected, options)
        except StoreError:
            raise
        except Exception:  # even the rejection cannot be remembered: it is still reported
            one = Summary(files=1, rejected=[(parsed.path, rejected.reason or "")])
    summary.add(one)


def _store_one(store: Store, parsed: Parsed, summary: Summary, options: Options) -> None:
    summary.files += 1
    if parsed.skipped:
        summary.skipped.append((parsed.path, parsed.reason or "skipped"))
        _forget_old_reject(store, parsed.path)
        return
    if parsed.reason is not None:
        # A file that turned bad keeps the records it gave before: nothing is lost.
        # Files never read (too large, a link loop) are remembered too, with no hash, so
        # that ``records rejects`` lists every rejection; no hash means "read it again".
        # A path that does not exist (a typo on the command line) is reported, not kept.
        summary.rejected.append((parsed.path, parsed.reason))
        if parsed.file_hash or os.path.lexists(parsed.path):
            previous = store.file_state(parsed.path)
            store.remember_file(parsed.path, parsed.file_hash, "rejected", parsed.reason,
                                records=previous.records if previous else 0)
        return
    if parsed.format is None:
        summary.files_unchanged += 1
        state = store.file_state(parsed.path)
        if state and state.status == "rejected":
            summary.rejected.append((parsed.path, state.reason or "rejected"))
        else:
            summary.unchanged += state.records if state else 0
        return
    pages = [options.fill.apply(p) for p in parsed.pages] if options.fill else list(parsed.pages)
    for page in pages:
        change = store.put(page)
        summary.changes.append(change)
        summary.count(change.kind)
        summary.warnings.extend((parsed.path, w) for w in page.warnings)
    stale = store.ids_from(parsed.path) - {p.id for p in pages}
    summary.deleted += store.delete(sorted(stale))
    store.remember_file(parsed.path, parsed.file_hash, "ok", format=parsed.format, records=len(pages))


def _forget_old_reject(store: Store, path: str) -> None:
    """A file now skipped (a licence) that an earlier run rejected is no longer listed as a reject."""
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return  # a name the store cannot hold was never stored
    previous = store.file_state(path)
    if previous and previous.status == "rejected" and not previous.records:
        store.forget_file(path)


def prune(store: Store, paths: Iterable[str]) -> int:
    """Remove the records of files under ``paths`` that no longer exist."""
    from healthqa.ingest.warc import container_of

    roots = [os.path.abspath(p) for p in paths]
    gone = [
        origin for origin in store.origins()
        if any(origin == r or origin.startswith(r.rstrip(os.sep) + os.sep) for r in roots)
        and not os.path.exists(container_of(origin))  # a record of a WARC lies in the WARC file
    ]
    removed = 0
    with store.transaction():
        for origin in gone:
            removed += store.forget_file(origin)
    return removed
