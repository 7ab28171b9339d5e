"""Build a whole index at once: one Whoosh segment written from arrays, not one posting at a time.

Whoosh's writer handles a posting at a time in Python (analysis, an external sort, then one
pickled block per term), about 400 documents a second here. A rebuild knows every document
up front, so this writer collects each field's terms with :mod:`index.terms`, sorts them
with numpy, and writes the posting blocks, term table, field lengths and stored fields in
Whoosh's own segment format (codec W3, the files Whoosh's writer makes) through Whoosh's
own segment, codec and commit. Searching, incremental updates and merges then treat it as
any segment. ``tests/index/test_bulk.py`` checks it against Whoosh's writer field by field.

Relies on the internals of whoosh-reloaded 2.7.5 (pinned in ``setup.cfg``).
"""

from __future__ import annotations

import pickle
import struct
import zlib
from typing import Callable, Iterable, Mapping

import numpy as np
from whoosh import formats
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, WHOOSH3_HEADER_MAGIC, W3TermInfo, _lenfield
from whoosh.fields import FieldType, UnknownFieldError
from whoosh.filedb.filetables import _lengths as _KEY_VALUE_LENGTHS
from whoosh.system import pack_ushort
from whoosh.util.numeric import _length_byte_cache

from index.terms import FieldTerms, Filtered, Tokens, supports

BLOCK = 128  # postings a block, as Whoosh's codec writes them
COMPRESSION = 1  # zlib level of posting blocks (Whoosh uses 3; the reader takes any, or none)
COMPRESS_FROM = 512  # bytes of block data below which compressing saves little and costs a call
_LENGTH_STEPS = np.array(_length_byte_cache, dtype=np.int64)
_INT = struct.Struct("!i")


def length_bytes(lengths: np.ndarray) -> np.ndarray:
    """Whoosh's one-byte field lengths (``length_to_byte``) of an array of lengths."""
    return np.minimum(np.searchsorted(_LENGTH_STEPS, lengths, side="left"), 255).astype(np.uint8)


class _SlowTerms:
    """A field whose analyzer :mod:`index.terms` cannot reproduce: Whoosh analyses each value."""

    def __init__(self, field: FieldType):
        self._field = field
        self.postings: list[tuple[bytes, int, float, bytes]] = []
        self.lengths: list[int] = []

    def add(self, value: object) -> None:
        doc, length = len(self.lengths), 0
        if value is not None:
            for btext, freq, weight, vbytes in self._field.index(value):
                self.postings.append((btext, doc, weight, vbytes))
                length += freq
        self.lengths.append(length if self._field.scorable else 0)


def write_documents(writer, documents: Iterable[Mapping[str, object]],
                    progress: Callable[[int], None] | None = None) -> int:
    """Add ``documents`` to a new, empty Whoosh ``SegmentWriter`` as one segment; returns the count.

    The caller commits (``writer.commit()``) or cancels. The writer must belong to an index
    with no documents: document numbers start at 0.
    """
    if writer.docnum != 0 or writer.segments:
        raise ValueError("write_documents builds a first segment: the index must be empty")
    schema = writer.schema
    names = sorted(schema.names())
    collectors = _collectors(schema, names)
    stored = [(name, schema[name]) for name in names if schema[name].stored]
    columns = [(name, schema[name]) for name in names if schema[name].column_type]
    known = frozenset(names)
    perdoc = writer.perdocwriter
    count = 0
    for count, fields in enumerate(documents, start=1):
        _add_document(perdoc, schema, known, collectors, stored, columns, fields, count - 1)
        if progress and count % 1000 == 0:
            progress(count)
    for name, collector in collectors.items():
        if isinstance(collector, FieldTerms):
            _write_field(writer, name, schema[name], collector.tokens(), count)
        else:
            _write_slow_field(writer, name, schema[name], collector, count)
    writer.docnum = count
    writer._added = count > 0
    return count


def _collectors(schema, names: list[str]) -> dict[str, FieldTerms | _SlowTerms]:
    """A term collector for each indexed field; fields with one analyzer share its word table."""
    collectors: dict[str, FieldTerms | _SlowTerms] = {}
    shared: dict[int, Filtered] = {}
    for name in names:
        field = schema[name]
        if not field.indexed:
            continue
        if supports(field):
            filtered = shared.setdefault(id(field.analyzer), Filtered(field))
            collectors[name] = FieldTerms(field, filtered)
        else:
            collectors[name] = _SlowTerms(field)
    return collectors


def _add_document(perdoc, schema, known: frozenset[str], collectors: dict, stored_fields: list, column_fields: list,
                  fields: Mapping[str, object], docnum: int) -> None:
    if not known.issuperset(fields):
        unknown = sorted(set(fields) - known)
        raise UnknownFieldError(f"no field named {unknown[0]!r} in {schema}")
    perdoc.start_doc(docnum)
    for name, collector in collectors.items():
        collector.add(fields.get(name))
    stored = perdoc._storedfields  # what add_field(name, field, value, length) keeps; lengths come at the end
    for name, field in stored_fields:
        value = fields.get(name)
        if value is not None:
            stored[name] = value
    for name, field in column_fields:
        value = fields.get(name)
        if value is not None:
            perdoc.add_column_value(name, field.column_type, field.to_column_value(value))
    perdoc.finish_doc()


def _write_lengths(writer, name: str, lengths: np.ndarray) -> np.ndarray:
    """Record a field's lengths as the per-document writer would; returns them as Whoosh reads them back."""
    encoded = length_bytes(lengths)
    total = int(lengths.sum())
    if total:
        perdoc = writer.perdocwriter
        perdoc._fieldlengths[name] += total
        column_name = _lenfield(name)
        perdoc._create_column(column_name, LENGTHS_COLUMN)
        column = perdoc._get_column(column_name)
        column._dbfile.write(encoded.tobytes())  # one byte a document, 0 where absent
        column._count = len(encoded)
    return encoded


def _write_field(writer, name: str, field: FieldType, tokens: Tokens, count: int) -> None:
    encoded_lengths = _write_lengths(writer, name, tokens.lengths)
    vocabulary = tokens.vocabulary
    if not len(tokens.terms):
        return
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
    postings = _Postings(terms[starts], docs[starts], freqs.astype(np.float64), values,
                         encoded_lengths[docs[starts]] if field.scorable else None)
    _write_terms(writer, name, field, [vocabulary[i].encode("utf-8") for i in by_text], postings)


def _write_slow_field(writer, name: str, field: FieldType, collector: _SlowTerms, count: int) -> None:
    encoded_lengths = _write_lengths(writer, name, np.array(collector.lengths, dtype=np.int64))
    if not collector.postings:
        return
    collector.postings.sort(key=lambda p: (p[0], p[1]))
    texts = sorted({p[0] for p in collector.postings})
    index = {text: i for i, text in enumerate(texts)}
    terms = np.array([index[p[0]] for p in collector.postings], dtype=np.int64)
    docs = np.array([p[1] for p in collector.postings], dtype=np.int64)
    weights = np.array([p[2] for p in collector.postings], dtype=np.float64)
    fixed = field.format.fixed_value_size()
    values = [p[3] for p in collector.postings] if fixed is None or fixed < 0 else \
        b"".join(p[3] for p in collector.postings) if fixed > 0 else None
    postings = _Postings(terms, docs, weights, values, encoded_lengths[docs] if field.scorable else None)
    _write_terms(writer, name, field, texts, postings)


class _Postings:
    """A field's postings sorted by term then document, as parallel arrays."""

    def __init__(self, terms: np.ndarray, docs: np.ndarray, weights: np.ndarray,
                 values: list[bytes] | bytes | None, length_bytes: np.ndarray | None):
        self.terms, self.docs, self.weights, self.values = terms, docs, weights, values
        self.length_bytes = length_bytes if length_bytes is not None else np.zeros(len(docs), dtype=np.uint8)


def _values(format_: formats.Format, freqs: np.ndarray, positions: np.ndarray,
            starts: np.ndarray) -> list[bytes] | bytes | None:
    """Each posting's encoded value, as the field's format encodes it."""
    if type(format_) is formats.Positions:
        return positions_values(freqs, positions, starts)
    if type(format_) is formats.Frequency:
        return freqs.astype(">u4").tobytes()  # pack_uint(freq), fixed size: one string for all
    if type(format_) is formats.Existence:
        return None
    raise ValueError(f"no bulk encoding for the posting format {type(format_).__name__}")


def positions_values(freqs: np.ndarray, positions: np.ndarray, starts: np.ndarray) -> list[bytes]:
    """``formats.Positions.encode`` of every posting at once.

    A value is the count as an unsigned big-endian int, then a pickle of the list of position
    gaps. The pickle is built directly: ``PROTO 2, EMPTY_LIST, MARK``, each gap as ``K`` (one
    byte), ``M`` (two) or ``J`` (four, signed), ``APPENDS, STOP``; ``pickle.loads`` reads it
    as the same list Whoosh's own encoding gives.

    >>> [value] = positions_values(np.array([3]), np.array([5, 300, 70000]), np.array([0]))
    >>> value == formats.Positions().encode([5, 300, 70000]) or pickle.loads(value[4:])
    [5, 295, 69700]
    """
    posting_of = np.repeat(np.arange(len(freqs)), freqs)
    gaps = positions.astype(np.int64).copy()
    gaps[1:] -= positions[:-1]
    gaps[starts] = positions[starts]
    width = np.where(gaps < 256, 2, np.where(gaps < 65536, 3, 5))
    token_start = np.cumsum(width) - width
    sizes = 8 + np.add.reduceat(width, starts) + 2 if len(starts) else np.zeros(0, dtype=np.int64)
    offsets = np.cumsum(sizes) - sizes
    out = np.zeros(int(sizes.sum()), dtype=np.uint8)
    for k in range(4):
        out[offsets + k] = (freqs >> (8 * (3 - k))) & 0xFF
    out[offsets + 4], out[offsets + 5], out[offsets + 6], out[offsets + 7] = 0x80, 0x02, ord("]"), ord("(")
    at = offsets[posting_of] + 8 + (token_start - token_start[starts][posting_of])
    out[at] = np.where(width == 2, ord("K"), np.where(width == 3, ord("M"), ord("J")))
    for k in range(4):
        wide = width > k + 1
        out[at[wide] + 1 + k] = (gaps[wide] >> (8 * k)) & 0xFF
    ends = offsets + sizes
    out[ends - 2], out[ends - 1] = ord("e"), ord(".")
    data = out.tobytes()
    return [data[a:b] for a, b in zip(offsets.tolist(), ends.tolist())]


def _write_terms(writer, name: str, field: FieldType, texts: list[bytes], postings: _Postings) -> None:
    """Write every term's posting blocks and its entry in the term table."""
    fieldwriter = writer.fieldwriter
    fieldwriter.start_field(name, field)
    postfile, field_id = fieldwriter._postfile, pack_ushort(fieldwriter._fieldid)
    count = len(postings.terms)
    term_starts = np.flatnonzero(np.diff(postings.terms, prepend=-1) != 0)
    term_sizes = np.diff(np.append(term_starts, count))
    index_in_term = np.arange(count) - np.repeat(term_starts, term_sizes)
    block_starts = np.flatnonzero(index_in_term % BLOCK == 0)
    encode = _Blocks(postings, block_starts, field.format).encode
    block_bounds = np.append(np.searchsorted(block_starts, term_starts), len(block_starts)).tolist()
    base = postfile.tell()
    parts, offsets, lengths, at = [], [], [], base
    for t in range(len(term_starts)):
        first, last = block_bounds[t], block_bounds[t + 1] - 1
        term = [WHOOSH3_HEADER_MAGIC]
        for b in range(first, last + 1):
            term += encode(b, b == last)
        data = b"".join(term)
        parts.append(data)
        offsets.append(at)
        lengths.append(len(data))
        at += len(data)
    postfile.write(b"".join(parts))
    infos = _term_infos(postings, term_starts, offsets, lengths)
    _add_to_table(fieldwriter._tindex, [field_id + texts[term] for term in postings.terms[term_starts].tolist()], infos)
    fieldwriter.finish_field()


def _term_infos(postings: _Postings, starts: np.ndarray, offsets: list[int], lengths: list[int]) -> list[bytes]:
    """Each term's ``W3TermInfo.to_bytes()``: statistics over its postings, then where they are."""
    weights = postings.weights.astype(np.float32)
    ends = np.append(starts[1:], len(postings.docs))
    length_bytes = postings.length_bytes
    columns = (np.add.reduceat(weights.astype(np.float64), starts).tolist(), (ends - starts).tolist(),
               np.minimum.reduceat(length_bytes, starts).tolist(), np.maximum.reduceat(length_bytes, starts).tolist(),
               np.maximum.reduceat(weights, starts).tolist(), postings.docs[starts].tolist(),
               postings.docs[ends - 1].tolist(), offsets, lengths)
    pack = _TERM_INFO.pack
    return [pack(0, *row) for row in zip(*columns)]


_TERM_INFO = struct.Struct(W3TermInfo._struct.format + "qi")  # flags .. max id, then offset and length


def _add_to_table(table, keys: list[bytes], values: list[bytes]) -> None:
    """``OrderedHashWriter.add`` of many keys at once (keys in increasing order)."""
    if not keys:
        return
    if keys[0] <= table.lastkey or any(a >= b for a, b in zip(keys, keys[1:])):
        raise ValueError(f"terms out of order near {keys[0]!r}")
    at = table.dbfile.tell()
    records, positions = [], []
    pack = _KEY_VALUE_LENGTHS.pack
    for key, value in zip(keys, values):
        record = pack(len(key), len(value)) + key + value
        records.append(record)
        positions.append(at)
        at += len(record)
    table.dbfile.write(b"".join(records))
    hashfn, buckets = table.hashfn, table.buckets
    for key, position in zip(keys, positions):
        h = hashfn(key)
        buckets[h & 255].append((h, position))
    table.index.extend(positions)
    table.lastkey = keys[-1]


class _Blocks:
    """Posting blocks of up to ``BLOCK`` postings, encoded as Whoosh's ``W3PostingsWriter`` writes them."""

    def __init__(self, postings: _Postings, starts: np.ndarray, format_: formats.Format):
        ends = np.append(starts[1:], len(postings.docs))
        self.starts, self.ends = starts.tolist(), ends.tolist()
        gaps = postings.docs.copy()
        gaps[1:] -= postings.docs[:-1]
        gaps[starts] = postings.docs[starts]  # each block's ids: the first whole, then gaps
        self.gaps = gaps.tolist()
        weights = postings.weights.astype(np.float32)  # Whoosh keeps weights in an array("f")
        self.weights = weights.tolist()
        self.max_weight = np.maximum.reduceat(weights, starts).tolist()
        self.min_weight = np.minimum.reduceat(weights, starts).tolist()
        self.last_id = postings.docs[ends - 1].tolist()
        self.min_length = np.minimum.reduceat(postings.length_bytes, starts).tolist()
        self.max_length = np.maximum.reduceat(postings.length_bytes, starts).tolist()
        self.values = postings.values
        fixed = format_.fixed_value_size()
        self.value_size = fixed if fixed is not None else -1

    def encode(self, b: int, last: bool) -> tuple[bytes, bytes, bytes]:
        """Block ``b``: its length (negative for a term's last block), info tuple and data."""
        a, z = self.starts[b], self.ends[b]
        if self.max_weight[b] == 1.0 and self.min_weight[b] == 1.0:
            weights = None
        elif self.max_weight[b] == self.min_weight[b]:
            weights = self.weights[a]
        else:
            weights = tuple(self.weights[a:z])
        values = self.values
        if self.value_size < 0:
            values = tuple(values[a:z])
        elif self.value_size > 0:
            values = values[a * self.value_size:z * self.value_size]
        data = pickle.dumps((tuple(self.gaps[a:z]), weights, values), 2)
        compression = COMPRESSION if len(data) >= COMPRESS_FROM else 0
        if compression:
            data = zlib.compress(data, compression)
        info = pickle.dumps((z - a, self.last_id[b], self.max_weight[b], compression,
                             self.min_length[b], self.max_length[b]), 2)
        size = len(info) + len(data)
        return _INT.pack(-size if last else size), info, data
