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
from healthqa.ingest.errors import RejectedInput, StoreError, one_line_reason
from healthqa.ingest.fill import AnswerFill
from healthqa.ingest.lock import worker_start
from healthqa.ingest.record import QAPage
from healthqa.ingest.store import ChangeKind, Store
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

    def count(self, kind: ChangeKind) -> None:
        """Count one stored record by what storing it did."""
        if kind == ChangeKind.NEW:
            self.new += 1
        elif kind == ChangeKind.UPDATED:
            self.updated += 1
        else:
            self.unchanged += 1


@dataclass(frozen=True)
class Options:
    """Settings of one ingest run."""

    max_bytes: int = DEFAULT_MAX_BYTES
    follow_links: bool = False
    prune: bool = False
    workers: int = WORKERS
    fill: AnswerFill | None = None
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
    file_hash = hashlib.sha1(data).hexdigest()
    if known_hash == file_hash:
        return Parsed(path, file_hash)
    try:
        text, _encoding = decode_bytes(data, path)
        # Profiles only when given: the two-argument call is the one callers and tests know.
        fmt, pages = parse_document(text, path, profiles) if profiles else parse_document(text, path)
    except RejectedInput as exc:
        return Parsed(path, file_hash, reason=exc.reason)
    return Parsed(path, file_hash, fmt, tuple(pages))


def _size(n: int) -> str:
    """Bytes for a person: ``"2.5 MB"``, ``"40.0 KB"``, ``"900 bytes"``."""
    if n >= 1_048_576:
        return f"{n / 1_048_576:.1f} MB"
    return f"{n / 1024:.1f} KB" if n >= 1024 else f"{n} bytes"


def _parse_job(job: tuple[str, int, str | None, tuple]) -> Parsed:
    return read_and_parse(*job)


def ingest(paths: Iterable[str], store: Store, options: Options = Options(),
           progress: Callable[[Parsed], None] | None = None) -> Summary:
    """Ingest every file under ``paths`` into ``store`` and say what changed.

    >>> import tempfile
    >>> from healthqa.ingest.store import Store
    >>> with Store.open(tempfile.mkdtemp()) as store:
    ...     ingest(["raw/sharecare_back-pain_foot-problems.txt"], store).new
    1
    """
    summary = Summary()
    entries = list(iter_entries(paths, options.follow_links, exclude=[os.path.dirname(store.path)]))
    batch: list[Parsed] = []
    for parsed in _parse_all(entries, store, options):
        batch.append(parsed)
        if len(batch) >= _BATCH_FILES:
            _commit(store, batch, summary, options)
            batch = []
        if progress:
            progress(parsed)
    _commit(store, batch, summary, options)
    if options.prune:
        summary.deleted += prune(store, paths)
    return summary


def _parse_all(entries: list[Entry], store: Store, options: Options) -> Iterator[Parsed]:
    jobs = []
    for entry in entries:
        if entry.problem:
            yield Parsed(entry.path, "", reason=entry.problem, skipped=entry.skipped)
            continue
        state = store.file_state(entry.path)
        # Filling answers or a profile changes records of unchanged files, so those are parsed again.
        known = state.file_hash if state and not options.fill and not options.profiles else None
        jobs.append((entry.path, options.max_bytes, known, options.profiles))
    if options.workers > 1 and len(jobs) >= _PARALLEL_FROM:
        # Chunks amortise the hand-over; small enough that every worker gets several.
        chunksize = max(1, min(64, len(jobs) // (options.workers * 8)))
        with ProcessPoolExecutor(options.workers, initializer=worker_start, initargs=(os.getpid(),)) as pool:
            yield from pool.map(_parse_job, jobs, chunksize=chunksize)
    else:
        yield from map(_parse_job, jobs)


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
        summary.count(store.put(page).kind)
        summary.warnings.extend((parsed.path, w) for w in page.warnings)
    stale = store.ids_from(parsed.path) - {p.id for p in pages}
    summary.deleted += store.delete(sorted(stale))
    store.remember_file(parsed.path, parsed.file_hash, "ok", format=parsed.format, records=len(pages))


def prune(store: Store, paths: Iterable[str]) -> int:
    """Remove the records of files under ``paths`` that no longer exist."""
    roots = [os.path.abspath(p) for p in paths]
    gone = [
        origin for origin in store.origins()
        if any(origin == r or origin.startswith(r.rstrip(os.sep) + os.sep) for r in roots)
        and not os.path.exists(origin)
    ]
    removed = 0
    with store.transaction():
        for origin in gone:
            removed += store.forget_file(origin)
    return removed
