"""Writing the index: records in, Whoosh documents out; incremental sync and full rebuild.

Only one process writes an index at a time (``index.lock`` in the data directory,
released by the OS if the writer dies). Whoosh commits atomically; if a commit fails
the writer is cancelled and its lock released, so a failure never leaves the index
locked or half-written. The index notes the record-store sequence number it is in
step with, so ``sync`` only applies what changed since.
"""

from __future__ import annotations

import os
import sqlite3
import time
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Callable, Iterable, Iterator

from whoosh import index as whoosh_index
from whoosh.reading import SegmentReader
from whoosh.writing import LockError

from healthqa.index import answers as answer_index
from healthqa.index import lay_names, vocabulary
from healthqa.index.bulk import write_segments
from healthqa.index.generations import collect, discard
from healthqa.index.schema import ROLE_SEPARATOR, build_schema
from healthqa.index.stored import encode_answers
from healthqa.index.store import (CHECK_THE_DISK, IndexMeta, current_generation, link_path, new_generation, open_index,
                                  read_meta, swap_in, write_error, write_meta)
from healthqa.ingest.defaults import INDEX_MEMORY_MB, WAIT_SECONDS
from healthqa.ingest.errors import IndexBusyError, IndexMissingError, StoreBusyError
from healthqa.ingest.datadir import locked
from healthqa.ingest.record import QAPage
from healthqa.ingest.store import Store

LOCK_NAME = "index.lock"
DEFAULT_WAIT = WAIT_SECONDS


@dataclass(frozen=True)
class SyncReport:
    """What bringing the index up to date did."""

    added_or_updated: int
    deleted: int
    documents: int
    seconds: float
    rebuilt: bool = False


def document(page: QAPage) -> dict[str, object]:
    """The Whoosh fields of one record."""
    roles = page.roles
    return {
        "id": page.id,
        "question": page.question,
        "detail": page.detail or "",
        "answer": "\n\n".join(a.text for a in page.answers),
        "role_text": " ".join(roles),
        "topic": page.topic or "",
        "synonyms": "\n".join(page.synonyms),
        "related": "\n".join(page.related),
        "role": ROLE_SEPARATOR.join(roles),
        "topic_exact": page.topic or "",
        "source": page.source,
        "qtype": page.question_type or "",
        "spell": " ".join([page.question, page.topic or "", *page.synonyms, *roles]),
        "url": page.url,
        "answers": encode_answers(page.answers),
        "related_stored": list(page.related),
        "key": answer_index.page_key(page.id, page.content_hash),
        **({"signal": "1"} if any(a.accepted or a.votes for a in page.answers) else {}),
    }


@contextmanager
def _index_lock(data_dir: str, wait: float) -> Iterator[None]:
    """Hold the index writer lock, or say the index is busy."""
    try:
        with locked(data_dir, LOCK_NAME, wait, "index writer"):
            collect(data_dir)  # what killed writes left, and generations no searcher holds any more
            yield
    except StoreBusyError as exc:
        raise IndexBusyError(f"the search index is busy: {exc}") from None


@contextmanager
def _writing(ix: whoosh_index.Index, wait: float, again: str, compound: bool = True, merge: bool = True,
             memory_mb: float = INDEX_MEMORY_MB) -> Iterator[object]:
    """A Whoosh writer, committed when the block ends; cancelled on any failure.

    ``again`` names the command that retries after a failed commit. ``merge=False`` leaves
    the segments as they are (Whoosh's merge rewrites them a posting at a time); otherwise
    small segments merge as :func:`merge_small` says.
    """
    try:
        writer = ix.writer(timeout=wait, limitmb=_pool_mb(memory_mb), compound=compound)
    except LockError:
        raise IndexBusyError("the search index is busy: another process is writing to it") from None
    except OSError as exc:
        raise write_error(exc, CHECK_THE_DISK) from None
    try:
        yield writer
        writer.commit(optimize=False, merge=merge, mergetype=merge_small if merge else None)
    except OSError as exc:
        _cancel(writer)
        raise write_error(exc, _as_before(again)) from None
    except BaseException:
        _cancel(writer)
        raise


def _write(ix: whoosh_index.Index, pages: Callable[[], Iterable[QAPage]], deleted: list[str], wait: float,
           progress: Callable[[int], None] | None = None, memory_mb: float = INDEX_MEMORY_MB) -> tuple[int, int]:
    """Apply updates and deletions in one commit, a document at a time (Whoosh's writer).

    ``pages()`` gives the changed records, read again for each of the three steps rather
    than held: Whoosh's writer spills its postings to disk past its share of ``memory_mb``.
    The answer index changes around the page index's commit (:mod:`healthqa.index.answers`):
    the new versions' answers before it, the old versions' and deleted pages' after. If a step
    fails the index meta is not advanced and the next sync applies them all again.
    """
    written = removed = 0
    answers_ix = answer_index.open_answers(os.path.realpath(ix.storage.folder))
    with _writing(answers_ix, wait, "healthqa index", memory_mb=memory_mb) as answers:
        answer_index.add_versions(answers, pages())
    with _writing(ix, wait, "healthqa index", memory_mb=memory_mb) as writer:
        for record_id in deleted:
            removed += writer.delete_by_term("id", record_id)
        for page in pages():
            writer.update_document(**document(page))
            written += 1
            if progress and written % 1000 == 0:
                progress(written)
    with _writing(answers_ix, wait, "healthqa index", memory_mb=memory_mb) as answers:
        answer_index.drop_other_versions(answers, pages(), deleted)
    return written, removed


# Whoosh merges a posting at a time: 1.8 ms of CPU a MedQuAD page, 0.8 ms an answer (x1,
# 85 s and 40 s); a commit merges at most this many documents of older segments, ~20 s,
# once there are MERGE_SEGMENTS segments smaller than that (Whoosh's own policy waits for 5).
MERGE_DOCS = 10_000
MERGE_SEGMENTS = 5


def merge_small(writer, segments: list) -> list:
    """The merge policy of a commit: once ``MERGE_SEGMENTS`` segments hold under ``MERGE_DOCS``
    documents each, the smallest join the new one while they hold at most ``MERGE_DOCS``
    together. Returns the segments it keeps as they are.

    Whoosh's own policy (``MERGE_SMALL``) merges once there are enough segments for its
    Fibonacci bound, whatever their size: after a rebuild within a budget (26 segments for
    474,570 records) the first ``healthqa index`` would rewrite 24 of them (375,691 pages),
    about 11 minutes of CPU. Here incremental writes' segments coalesce into ones of about
    ``MERGE_DOCS`` documents, and a rebuild's segments stay as they are.
    """
    by_size = sorted(segments, key=lambda segment: segment.doc_count_all())
    if sum(segment.doc_count_all() < MERGE_DOCS for segment in by_size) < MERGE_SEGMENTS:
        return segments
    total, taken = writer.docnum, 0  # the new segment's documents count too
    for segment in by_size:
        total += segment.doc_count_all()
        if total > MERGE_DOCS:
            break
        taken += 1
    if taken + (writer.docnum > 0) < 2:  # nothing to join, or one segment with itself
        return segments
    for segment in by_size[:taken]:
        reader = SegmentReader(writer.storage, writer.schema, segment)
        writer.add_reader(reader)
        reader.close()
    return by_size[taken:]


def _pool_mb(memory_mb: float) -> float:
    """The share of the budget Whoosh's writer keeps postings in before it spills them to disk
    (it counts them low: its pool takes about twice what it counts, the documents the rest)."""
    return max(8.0, memory_mb / 3)


def _write_all(ix: whoosh_index.Index, pages: Iterable[QAPage], wait: float,
               progress: Callable[[int], None] | None = None, memory_mb: float = INDEX_MEMORY_MB) -> int:
    """Write every record into an empty index, built from arrays (:mod:`healthqa.index.bulk`),
    as as many segments as keep the build within ``memory_mb``."""
    # Separate files, not one compound file: Whoosh copies each part of a compound segment
    # into memory when it opens it, a tenth of a second for MedQuAD in every new process.
    def segment():
        return _writing(ix, wait, "healthqa reindex", compound=False, merge=False, memory_mb=memory_mb)

    # The answers hold most of the text: a second process indexes them, and the spelling
    # words, which balanced the two best on MedQuAD.
    return write_segments(segment, ix.schema, (document(page) for page in pages), memory_mb, progress,
                          forked_fields=["answer", "spell"])


def _write_all_answers(generation: str, pages: Iterable[QAPage], wait: float,
                       memory_mb: float = INDEX_MEMORY_MB) -> int:
    """The answer index of a new generation, one document per answer, in segments as :func:`_write_all`."""
    ix = answer_index.create(generation)

    def segment():
        return _writing(ix, wait, "healthqa reindex", compound=False, merge=False, memory_mb=memory_mb)

    return write_segments(segment, ix.schema, answer_index.documents_of(pages), memory_mb, forked_fields=["text"])


def _as_before(again: str) -> str:
    return f"the index is as it was before; fix the cause and run '{again}'"


def _cancel(writer) -> None:
    """Cancel a writer and make sure its lock goes (Whoosh 2.7 can keep it after a failed commit)."""
    try:
        writer.cancel()
    except Exception:
        pass
    lock = getattr(writer, "writelock", None)
    if lock is not None:
        try:
            lock.release()
        except Exception:
            pass


def sync(data_dir: str, store: Store, wait: float = DEFAULT_WAIT,
         progress: Callable[[int], None] | None = None, memory_mb: float = INDEX_MEMORY_MB) -> SyncReport:
    """Bring the index up to date with the store: add, update and delete what changed.

    With no index yet this builds one (a rebuild). ``memory_mb`` bounds the writing's peak
    memory (the ``index_memory_mb`` setting), however many records there are.
    """
    started = time.monotonic()
    with _index_lock(data_dir, wait):
        if not os.path.lexists(link_path(data_dir)):
            return _rebuild(data_dir, store, wait, progress, started, memory_mb)
        generation = current_generation(data_dir)
        ix, meta = open_index(data_dir)
        target = store.seq()
        if meta.store_seq > target:  # the store was replaced: nothing to be in step with
            return _rebuild(data_dir, store, wait, progress, started, memory_mb)
        if target == meta.store_seq:
            return SyncReport(0, 0, ix.doc_count(), time.monotonic() - started)
        deleted = store.deleted_since(meta.store_seq)
        if _rebuild_is_faster(store.count(since=meta.store_seq) + len(deleted), store.count()):
            return _rebuild(data_dir, store, wait, progress, started, memory_mb)
        written, removed = _write(ix, lambda: store.pages(since=meta.store_seq), deleted, wait, progress, memory_mb)
        with suppress(OSError, sqlite3.Error):  # a generation written before it was built here; if
            _provide_vocabulary(generation)     # this fails, a search builds it (no write is lost)
        lay_names.write(generation, store.pages(since=meta.store_seq), extend=True)
        count = ix.doc_count()
        write_meta(generation, IndexMeta(store_seq=target, built_at=meta.built_at, documents=count))
        return SyncReport(written, removed, count, time.monotonic() - started)


REBUILD_FROM = 5_000  # changes from which a sync rebuilds instead, if they are also a fifth of the store


def _rebuild_is_faster(changes: int, records: int) -> bool:
    """Whoosh's writer adds ~400 documents a second, a rebuild ~5,000: many changes go faster rebuilt."""
    return changes >= REBUILD_FROM and changes * 5 >= records


def rebuild(data_dir: str, store: Store, wait: float = DEFAULT_WAIT,
            progress: Callable[[int], None] | None = None, memory_mb: float = INDEX_MEMORY_MB) -> SyncReport:
    """Build a fresh index from the store in a new directory and swap it in atomically.

    Records are read from the store as they are written, and the index is written as as
    many segments as keep the build's peak memory within ``memory_mb``.
    """
    started = time.monotonic()
    with _index_lock(data_dir, wait):
        return _rebuild(data_dir, store, wait, progress, started, memory_mb)


def _rebuild(data_dir: str, store: Store, wait: float, progress: Callable[[int], None] | None,
             started: float, memory_mb: float = INDEX_MEMORY_MB) -> SyncReport:
    try:
        generation = new_generation(data_dir)
    except OSError as exc:
        raise write_error(exc, CHECK_THE_DISK, data_dir) from None
    try:
        ix = whoosh_index.create_in(generation, build_schema())
        target = store.seq()  # read first: changes after this are picked up by the next sync
        written = _write_all(ix, store.pages(), wait, progress, memory_mb)
        _write_all_answers(generation, store.pages(), wait, memory_mb)
        _provide_vocabulary(generation, _previous(data_dir))
        lay_names.write(generation, store.pages())
        write_meta(generation, IndexMeta(store_seq=target, built_at=time.time(), documents=ix.doc_count()))
        swap_in(data_dir, generation)
    except OSError as exc:
        discard(data_dir, generation)
        raise write_error(exc, _as_before("healthqa reindex")) from None
    except BaseException:
        discard(data_dir, generation)
        raise
    return SyncReport(written, 0, written, time.monotonic() - started, rebuilt=True)


def _previous(data_dir: str) -> str | None:
    try:
        return current_generation(data_dir) if os.path.lexists(link_path(data_dir)) else None
    except Exception:  # a damaged link: nothing to reuse
        return None


def _provide_vocabulary(generation: str, previous: str | None = None) -> None:
    """The word lists and vocabularies searches read, in the generation (built here, at index
    time, so that no search pays for it): reused from the previous generation or from
    ``$HEALTHQA_VOCABULARY_DIR`` (built there once) when either is current."""
    shared = os.environ.get("HEALTHQA_VOCABULARY_DIR")
    if shared:
        vocabulary.provide(shared)
    vocabulary.provide(generation, [previous, shared])


def index_status(data_dir: str, store: Store) -> dict[str, object]:
    """How the index stands against the store (for ``healthqa index --status``)."""
    try:
        meta = read_meta(current_generation(data_dir))
    except IndexMissingError:
        return {"index": "missing", "store_seq": store.seq()}
    return {"index": "present", "documents": meta.documents, "index_seq": meta.store_seq, "store_seq": store.seq()}
