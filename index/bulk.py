"""Build a whole index at once: one Whoosh segment written from arrays, not one posting at a time.

Whoosh's writer handles a posting at a time in Python (analysis, an external sort, then one
pickled block per term), about 400 documents a second here. A rebuild knows every document
up front, so this writer collects each field's terms with :mod:`healthqa.index.terms`, sorts them
with numpy, and writes the posting blocks, term table, field lengths and stored fields in
Whoosh's own segment format (codec W3, the files Whoosh's writer makes) through Whoosh's
own segment, codec and commit. Searching, incremental updates and merges then treat it as
any segment. ``tests/index/test_bulk.py`` checks it against Whoosh's writer field by field.

Relies on the internals of whoosh-reloaded 2.7.5 (pinned in ``setup.cfg``), all reached through
:mod:`healthqa.index.whoosh_internals`; with any other Whoosh version, Whoosh's own writer adds
the documents instead.
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
import struct
from dataclasses import dataclass
from typing import Callable, ContextManager, Iterable, Iterator, Mapping

import numpy as np
from whoosh import formats
from whoosh.fields import FieldType, Schema, UnknownFieldError

from healthqa.index import blocks, whoosh_internals
from healthqa.index.terms import FieldTerms, Filtered, Tokens, supports
from healthqa.index.whoosh_internals import length_bytes
from healthqa.ingest.lock import worker_start


class _SlowTerms:
    """A field whose analyzer :mod:`healthqa.index.terms` cannot reproduce: Whoosh analyses each value."""

    def __init__(self, field: FieldType):
        self._field = field
        self.postings: list[tuple[bytes, int, float, bytes]] = []
        self.lengths: list[int] = []

    def add_many(self, values: list[object]) -> None:
        for value in values:
            self.add(value)

    def add(self, value: object) -> None:
        doc, length = len(self.lengths), 0
        if value is not None:
            for btext, freq, weight, vbytes in self._field.index(value):
                self.postings.append((btext, doc, weight, vbytes))
                length += freq
        self.lengths.append(length if self._field.scorable else 0)


@dataclass(frozen=True)
class Encoded:
    """One field ready to write: its lengths, posting file bytes and term table rows."""

    lengths: np.ndarray  # per document
    data: bytes  # the field's part of the posting file
    texts: list[bytes]  # terms in order
    infos: list[tuple]  # each term's W3TermInfo fields, offsets relative to ``data``


def write_documents(writer, documents: Iterable[Mapping[str, object]],
                    progress: Callable[[int], None] | None = None, workers: int = 2,
                    forked_fields: Iterable[str] | None = None) -> int:
    """Add ``documents`` to a new Whoosh ``SegmentWriter`` as one segment; returns the count.

    The caller commits (``writer.commit(merge=False)``: Whoosh's own merge would rewrite
    segments a posting at a time) or cancels. The writer must have no documents yet: its
    segment's document numbers start at 0. Documents are read once, ``BATCH`` at
    a time. If there is more than one batch (and ``workers`` > 1, and ``fork`` is
    available) a forked process collects and encodes ``forked_fields`` (by default the
    field with the most text in the first batch) as the batches come, while this process
    writes the stored fields; it does the other fields once every batch is sent, so
    that the forked process is never kept waiting.
    """
    if writer.docnum != 0:
        raise ValueError("write_documents builds a new segment: the writer must have no documents yet")
    if not whoosh_internals.enabled():
        return whoosh_internals.add_with_whoosh(writer, documents, progress)
    segment = _Segment(writer, workers, forked_fields)
    try:
        for batch in _batches(documents, BATCH):
            segment.add(batch)
            if progress:
                progress(segment.count)
        segment.write_fields()
    finally:
        segment.close()
    whoosh_internals.finish_documents(writer, segment.count)
    return segment.count


def write_segments(open_writer: Callable[[], ContextManager], schema: Schema,
                   documents: Iterable[Mapping[str, object]], memory_mb: float,
                   progress: Callable[[int], None] | None = None, workers: int = 2,
                   forked_fields: Iterable[str] | None = None) -> int:
    """Add ``documents`` to an index of ``schema`` as as many segments as keep the build within ``memory_mb``.

    The bulk writer holds a segment's terms in memory until it writes them, about
    ``BYTES_PER_CHAR`` bytes for each character of indexed text; so each segment takes
    documents until their indexed text reaches :func:`segment_chars` of the budget, and is
    committed (``open_writer()`` gives a context manager yielding a writer that commits on
    exit) before the next one starts. Documents are read once, as they come. Returns the count.

    >>> segment_chars(512) > segment_chars(128) > 0
    True
    """
    count = 0
    indexed = frozenset(name for name in schema.names() if schema[name].indexed)
    for part in _parts(documents, segment_chars(memory_mb), indexed):
        with open_writer() as writer:
            count += write_documents(writer, part, _after(progress, count), workers, forked_fields)
    return count


# A segment's peak memory (the process and its forked encoder, PSS) is about BASE_MB plus
# BYTES_PER_CHAR for each character of its indexed text. Measured on MedQuAD segments of 5
# and 10 million characters: ~16 bytes a character over ~140 MB for the page index, ~26
# over ~120 MB for the answer index (its text is nearly all one positions field, encoded at
# once by the forked process); the larger, rounded up, holds for both.
BYTES_PER_CHAR = 28
BASE_MB = 140


def segment_chars(memory_mb: float) -> int:
    """Characters of text a segment may hold to build within ``memory_mb`` (at least one document's)."""
    return max(1, int((memory_mb - BASE_MB) * 1_048_576 / BYTES_PER_CHAR))


def _parts(documents: Iterable[Mapping[str, object]], limit: int,
           indexed: frozenset[str]) -> Iterator[Iterator[Mapping[str, object]]]:
    """``documents`` cut into consecutive runs of about ``limit`` characters of ``indexed``
    fields' text (each run read before the next starts)."""
    iterator = iter(documents)
    for first in iterator:
        yield _part(first, iterator, limit, indexed)


def _part(first: Mapping[str, object], rest: Iterator[Mapping[str, object]], limit: int,
          indexed: frozenset[str]) -> Iterator[Mapping[str, object]]:
    size = 0
    document: Mapping[str, object] | None = first
    while document is not None:
        yield document
        size += sum(len(value) for name, value in document.items() if name in indexed and isinstance(value, str))
        document = next(rest, None) if size < limit else None


def _after(progress: Callable[[int], None] | None, done: int) -> Callable[[int], None] | None:
    return None if progress is None else (lambda count: progress(done + count))


class _Segment:
    """One segment being built: stored fields as batches come, each indexed field at the end
    (some of them collected and encoded by a forked process meanwhile)."""

    def __init__(self, writer, workers: int, forked_fields: Iterable[str] | None):
        self._writer, self._workers, self._forked_fields = writer, workers, forked_fields
        self._schema = schema = writer.schema
        names = sorted(schema.names())
        self._indexed = [name for name in names if schema[name].indexed]
        shared: dict[int, Filtered] = {}  # fields with one analyzer share its word table
        self._collectors = {name: _collector(schema[name], shared) for name in self._indexed}
        self._values: dict[str, list[object]] = {name: [] for name in self._collectors}  # of the fields kept here
        self._perdoc = _PerDocument(writer.perdocwriter, schema, names)
        self._forked: _Forked | None = None
        self.count = 0

    def add(self, batch: list[Mapping[str, object]]) -> None:
        """One batch of documents: its values go to the forked process first, then stored fields here."""
        if self.count == 0 and len(batch) == BATCH and self._workers > 1 and \
                "fork" in multiprocessing.get_all_start_methods():
            self._fork(list(self._forked_fields or [_biggest(batch, self._indexed)]))
        if self._forked is not None:
            self._forked.send([[fields.get(name) for fields in batch] for name in self._forked.names])
        self._perdoc.add(batch, self.count)
        self.count += len(batch)
        for name, kept in self._values.items():
            kept += [fields.get(name) for fields in batch]

    def _fork(self, names: list[str]) -> None:
        self._forked = _Forked(self._schema, names)
        for name in names:
            del self._collectors[name], self._values[name]

    def write_fields(self) -> None:
        """Every indexed field: this process's while the forked process encodes its own, then those."""
        schema, writer = self._schema, self._writer
        if self._forked is not None:
            self._forked.send(None)  # no more documents: it encodes while this process does its fields
        for name, collector in self._collectors.items():
            collector.add_many(self._values.pop(name))
            _write_encoded(writer, name, schema[name], _encode(schema[name], collector))
        if self._forked is not None:
            for name, encoded in self._forked.results().items():
                _write_encoded(writer, name, schema[name], encoded)

    def close(self) -> None:
        if self._forked is not None:
            self._forked.close()


BATCH = 2_000  # documents read at a time
STORED_COMPRESSION = 0


def _batches(documents: Iterable[Mapping[str, object]], size: int) -> Iterator[list[Mapping[str, object]]]:
    iterator = iter(documents)
    while batch := list(itertools.islice(iterator, size)):
        yield batch


def _biggest(documents: list[Mapping[str, object]], names: list[str]) -> str:
    """The indexed field with the most text in ``documents``."""
    return max(names, key=lambda name: sum(len(v) for d in documents if isinstance(v := d.get(name), str)))


def _collector(field: FieldType, shared: dict[int, Filtered] | None = None) -> FieldTerms | _SlowTerms:
    if not supports(field):
        return _SlowTerms(field)
    if shared is None:
        return FieldTerms(field)
    return FieldTerms(field, shared.setdefault(id(field.analyzer), Filtered(field)))


class _PerDocument:
    """Stored fields and columns, a document at a time, as Whoosh's writer adds them (lengths come later)."""

    def __init__(self, perdoc, schema, names: list[str]):
        self._perdoc, self._schema, self._known = perdoc, schema, frozenset(names)
        # Stored fields kept as zlib data without compression (level 0): compressing them took
        # a seventh of a rebuild, for 16 MB of 37 on MedQuAD; the reader decompresses either.
        whoosh_internals.keep_stored_uncompressed(perdoc, STORED_COMPRESSION)
        self._stored = [name for name in names if schema[name].stored]
        self._columns = [(name, schema[name]) for name in names if schema[name].column_type]

    def add(self, documents: list[Mapping[str, object]], first: int) -> None:
        perdoc, known = self._perdoc, self._known
        for docnum, fields in enumerate(documents, start=first):
            if not known.issuperset(fields):
                raise UnknownFieldError(f"no field named {sorted(set(fields) - known)[0]!r} in {self._schema}")
            perdoc.start_doc(docnum)
            kept = whoosh_internals.stored_fields(perdoc)
            for name in self._stored:
                if (value := fields.get(name)) is not None:
                    kept[name] = value
            for name, field in self._columns:
                if (value := fields.get(name)) is not None:
                    perdoc.add_column_value(name, field.column_type, field.to_column_value(value))
            perdoc.finish_doc()


class _Forked:
    """Fields collected and encoded by a forked process, fed their values a batch at a time."""

    def __init__(self, schema, names: list[str]):
        self.names = names
        context = multiprocessing.get_context("fork")
        self._connection, theirs = context.Pipe()
        self._process = context.Process(target=_forked_main, args=(schema, names, theirs, os.getpid()),
                                         daemon=True)
        self._process.start()
        theirs.close()

    def send(self, values: list[list[object]] | None) -> None:
        """A batch's values of the forked fields, or None after the last batch."""
        try:
            self._connection.send(values)
        except OSError:  # it stopped: it failed, and sent why before it ended
            self.results()
            raise RuntimeError(f"the process encoding {', '.join(self.names)} stopped early") from None

    def results(self) -> dict[str, Encoded]:
        try:
            result = self._connection.recv()
        except EOFError:
            raise RuntimeError(f"the process encoding {', '.join(self.names)} ended without a result "
                               f"(exit code {self._process.exitcode})") from None
        if isinstance(result, BaseException):
            raise result
        return result

    def close(self) -> None:
        self._connection.close()
        self._process.join(5)
        if self._process.is_alive():
            self._process.kill()
            self._process.join()


def _forked_main(schema, names: list[str], connection, parent: int) -> None:
    worker_start(parent)
    try:
        collectors = {name: _collector(schema[name]) for name in names}
        while (values := connection.recv()) is not None:
            for name, field_values in zip(names, values):
                collectors[name].add_many(field_values)
        result: object = {name: _encode(schema[name], collectors.pop(name)) for name in names}
    except EOFError:  # the parent stopped (it failed, and says why)
        return
    except Exception as exc:  # reported to the parent, which raises it
        result = exc
    try:
        connection.send(result)
    except OSError:
        pass


def _encode(field: FieldType, collector: FieldTerms | _SlowTerms) -> Encoded:
    if isinstance(collector, FieldTerms):
        tokens = collector.tokens()
        lengths = tokens.lengths
        postings, texts = _postings(field, tokens, length_bytes(lengths)) if len(tokens.terms) else (None, [])
    else:
        lengths = np.array(collector.lengths, dtype=np.int64)
        postings, texts = _slow_postings(field, collector, length_bytes(lengths)) if collector.postings else (None, [])
    if postings is None:
        return Encoded(lengths, b"", [], [])
    data, term_at, term_length = whoosh_internals.encode_postings(postings)
    return Encoded(lengths, data, texts, _term_infos(postings, term_at.tolist(), term_length.tolist()))


def _write_encoded(writer, name: str, field: FieldType, encoded: Encoded) -> None:
    """Field lengths as the per-document writer records them, then postings and term table."""
    whoosh_internals.write_field_lengths(writer, name, encoded.lengths)
    if encoded.texts:
        whoosh_internals.write_postings(writer, name, field, encoded.data, encoded.texts, encoded.infos)


def _postings(field: FieldType, tokens: Tokens, encoded_lengths: np.ndarray) -> tuple[blocks.Field, list[bytes]]:
    vocabulary = tokens.vocabulary
    rank = np.empty(len(vocabulary), dtype=np.int64)
    by_text = sorted(range(len(vocabulary)), key=vocabulary.__getitem__)  # code point order is UTF-8 order
    rank[by_text] = np.arange(len(vocabulary))
    order = np.argsort(rank[tokens.terms], kind="stable")  # terms, then documents, then positions
    terms, docs, positions = rank[tokens.terms][order], tokens.docs[order], tokens.positions[order]
    first = np.ones(len(terms), dtype=bool)
    first[1:] = (terms[1:] != terms[:-1]) | (docs[1:] != docs[:-1])
    starts = np.flatnonzero(first)
    freqs = np.diff(np.append(starts, len(terms)))
    values = _values(field.format, freqs, positions, starts)
    term_of = terms[starts]
    term_starts = np.flatnonzero(np.diff(term_of, prepend=-1) != 0)
    postings = blocks.Field(term_starts, docs[starts], freqs.astype(np.float32),
                            encoded_lengths[docs[starts]] if field.scorable else np.zeros(len(starts), np.uint8),
                            **values)
    return postings, [vocabulary[by_text[t]].encode("utf-8") for t in term_of[term_starts].tolist()]


def _slow_postings(field: FieldType, collector: _SlowTerms,
                   encoded_lengths: np.ndarray) -> tuple[blocks.Field, list[bytes]]:
    collector.postings.sort(key=lambda p: (p[0], p[1]))
    texts = [p[0] for p in collector.postings]
    term_starts = np.array([i for i, text in enumerate(texts) if i == 0 or text != texts[i - 1]], dtype=np.int64)
    docs = np.array([p[1] for p in collector.postings], dtype=np.int64)
    fixed = field.format.fixed_value_size()
    values: dict[str, object] = {}
    if fixed is None or fixed < 0:
        values["raw"] = [p[3] for p in collector.postings]
    elif fixed > 0:  # the frequency format is the one fixed size Whoosh has
        values["frequencies"] = np.array([struct.unpack("!I", p[3])[0] for p in collector.postings], dtype=np.int64)
    postings = blocks.Field(term_starts, docs, np.array([p[2] for p in collector.postings], dtype=np.float32),
                            encoded_lengths[docs] if field.scorable else np.zeros(len(docs), np.uint8), **values)
    return postings, [texts[i] for i in term_starts.tolist()]


def _values(format_: formats.Format, freqs: np.ndarray, positions: np.ndarray, starts: np.ndarray) -> dict:
    """How each posting's value is encoded, as the field's format encodes it."""
    if type(format_) is formats.Positions:
        return {"positions": blocks.Positions(freqs, positions, starts)}
    if type(format_) is formats.Frequency:
        return {"frequencies": freqs}
    if type(format_) is formats.Existence:
        return {}
    raise ValueError(f"no bulk encoding for the posting format {type(format_).__name__}")


def _term_infos(postings: blocks.Field, offsets: list[int], lengths: list[int]) -> list[tuple]:
    """The fields of each term's ``W3TermInfo.to_bytes()``: statistics over its postings, then where they are."""
    starts = postings.term_starts
    weights = postings.weights.astype(np.float32)
    ends = np.append(starts[1:], len(postings.docs))
    length_bytes = postings.length_bytes
    columns = (np.add.reduceat(weights.astype(np.float64), starts).tolist(), (ends - starts).tolist(),
               np.minimum.reduceat(length_bytes, starts).tolist(), np.maximum.reduceat(length_bytes, starts).tolist(),
               np.maximum.reduceat(weights, starts).tolist(), postings.docs[starts].tolist(),
               postings.docs[ends - 1].tolist(), offsets, lengths)
    return [(0, *row) for row in zip(*columns)]
