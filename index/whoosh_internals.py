"""Every use of Whoosh's private internals, in one place, for one Whoosh version.

Two speed-ups reach below Whoosh's public API: the bulk writer (:mod:`healthqa.index.bulk`)
fills a segment writer's private state and lays out posting blocks in the W3 format itself
(:mod:`healthqa.index.blocks`), and the numpy scorer (:mod:`healthqa.search.engine`) reads
posting blocks and one-byte field lengths straight from a segment. Both rely on the
internals of whoosh-reloaded 2.7.5. This module is the only one that touches them.

The installed version is checked at import. On any other version :func:`enabled` is false,
this is said once (a log line), and every function here takes the slower, public road:
Whoosh's own writer adds the documents, and its own matchers and readers give postings and
lengths. Results are the same either way (``tests/index/test_whoosh_internals.py``).
"""

from __future__ import annotations

import bisect
import hashlib
import io
import itertools
import logging
import mmap
import os
import pickle
import struct
import zlib
import types
import weakref
from functools import cached_property
from typing import Callable, Iterable, Mapping

import numpy as np
import whoosh

SUPPORTED_VERSION = (2, 7, 5)
INSTALLED_VERSION = tuple(whoosh.__version__)
_log = logging.getLogger("healthqa")


def _check(installed: tuple) -> bool:
    if installed[:3] == SUPPORTED_VERSION:
        return True
    _log.warning("whoosh-reloaded %s is installed, healthqa's fast index paths are written for %s: "
                 "using Whoosh's own writer and matchers (slower, same results)",
                 ".".join(map(str, installed)), ".".join(map(str, SUPPORTED_VERSION)))
    return False


_ENABLED = _check(INSTALLED_VERSION)


def enabled() -> bool:
    """True when the installed Whoosh is the version whose internals this module knows."""
    return _ENABLED


if _ENABLED:
    from whoosh.codec.whoosh3 import LENGTHS_COLUMN, STORED_COLUMN, WHOOSH3_HEADER_MAGIC, W3TermInfo, _lenfield
    from whoosh.filedb.filetables import _lengths as _KEY_VALUE_LENGTHS, _pointer as _POINTER, md5_hash
    from whoosh.system import pack_ushort

    from healthqa.index import blocks

    # flags .. max id of ``W3TermInfo.to_bytes()``, then the postings' offset and length
    _TERM_INFO = struct.Struct(W3TermInfo._struct.format + "qi")
    _TERM_HEAD = W3TermInfo._struct  # flags, weight, doc frequency, ..., max id: then inlined postings or where
    _EXTENT = struct.Struct("!qi")
    _BLOCK_LENGTH = struct.Struct("!i")  # a block's bytes after this: its pickled info, then its data


# -- field lengths: one byte a document ---------------------------------------------------

from whoosh.util.numeric import byte_to_length  # noqa: E402  (public)

# Whoosh keeps a field's length in a document as one byte: the length each byte stands for
# (rising), so that a length's byte is where it falls in this table (``length_to_byte``).
_LENGTH_STEPS = np.array([byte_to_length(b) for b in range(256)], dtype=np.int64)
LENGTH_OF_BYTE = _LENGTH_STEPS.astype(np.float32)


def length_bytes(lengths: np.ndarray) -> np.ndarray:
    """Whoosh's one-byte field lengths (``length_to_byte``) of an array of lengths.

    >>> from whoosh.util.numeric import length_to_byte
    >>> length_bytes(np.array([0, 1, 5, 1000, 10**6])).tolist() == [length_to_byte(n) for n in (0, 1, 5, 1000, 10**6)]
    True
    >>> LENGTH_OF_BYTE[[0, 1, 5]].tolist()
    [0.0, 1.0, 5.0]
    """
    return np.minimum(np.searchsorted(_LENGTH_STEPS, lengths, side="left"), 255).astype(np.uint8)


# -- the write side (used by healthqa.index.bulk, only when enabled()) --------------------

def encode_postings(field: "blocks.Field") -> tuple[bytes, np.ndarray, np.ndarray]:
    """A field's posting file in the W3 block format: its bytes, each term's offset and length."""
    return blocks.encode(field)


def keep_stored_uncompressed(perdoc, level: int) -> None:
    """Set the zlib level of the stored fields the per-document writer writes."""
    perdoc._colwriters["_stored"]._child._level = level


def stored_fields(perdoc) -> dict:
    """The dict in which the per-document writer keeps the current document's stored fields
    (what ``add_field(name, field, value, length)`` fills), between ``start_doc`` and ``finish_doc``."""
    return perdoc._storedfields


def finish_documents(writer, count: int) -> None:
    """Tell a segment writer that ``count`` documents were added behind its back."""
    writer.docnum = count
    writer._added = count > 0


def write_field_lengths(writer, name: str, lengths: np.ndarray) -> None:
    """A field's length in every document, as the per-document writer records them."""
    total = int(lengths.sum())
    if not total:
        return
    perdoc = writer.perdocwriter
    perdoc._fieldlengths[name] += total
    column_name = _lenfield(name)
    perdoc._create_column(column_name, LENGTHS_COLUMN)
    column = perdoc._get_column(column_name)
    column._dbfile.write(length_bytes(lengths).tobytes())  # one byte a document, 0 where absent
    column._count = len(lengths)


def write_postings(writer, name: str, field, data: bytes, texts: list[bytes], infos: list[tuple]) -> None:
    """A field's posting file part and term table rows (offsets in ``infos`` relative to ``data``)."""
    fieldwriter = writer.fieldwriter
    fieldwriter.start_field(name, field)
    postfile = fieldwriter._postfile
    base = postfile.tell()
    postfile.write(data)
    pack = _TERM_INFO.pack
    packed = [pack(*info[:-2], info[-2] + base, info[-1]) for info in infos]
    field_id = pack_ushort(fieldwriter._fieldid)
    _add_to_table(fieldwriter._tindex, [field_id + text for text in texts], packed)
    fieldwriter.finish_field()


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
    table._write_hashes = types.MethodType(_write_hashes, table)


def _write_hashes(table) -> None:
    """``HashWriter._write_hashes`` with one write a bucket instead of one a slot (same bytes)."""
    dbfile, null = table.dbfile, (0, 0)
    for entries in table.buckets:
        numslots = 2 * len(entries)
        table.directory.append((dbfile.tell(), numslots))
        hashtable = [null] * numslots
        for hashval, position in entries:
            slot = (hashval >> 8) % numslots
            while hashtable[slot] != null:
                slot = (slot + 1) % numslots
            hashtable[slot] = (hashval, position)
        dbfile.write(b"".join(itertools.starmap(_POINTER.pack, hashtable)))


def add_with_whoosh(writer, documents: Iterable[Mapping[str, object]],
                    progress: Callable[[int], None] | None = None) -> int:
    """The public road for the bulk writer: each document through Whoosh's own writer."""
    count = 0
    for fields in documents:
        writer.add_document(**fields)
        count += 1
        if progress and count % 1000 == 0:
            progress(count)
    if progress and count % 1000:
        progress(count)
    return count


# -- the read side (used by healthqa.search.engine) ----------------------------------------

def field_lengths(leaf, field: str) -> np.ndarray:
    """One segment's length of ``field`` in each of its documents (float32, 0 where absent)."""
    if not _ENABLED:
        count = leaf.doc_count_all()
        return np.array([leaf.doc_field_length(d, field) or 0 for d in range(count)], dtype=np.float32)
    return LENGTH_OF_BYTE[_length_bytes(leaf, field)]


def _length_bytes(leaf, field: str) -> np.ndarray:
    """One segment's encoded field lengths, read as one block of bytes."""
    column = leaf._perdoc._cached_reader(_lenfield(field), LENGTHS_COLUMN)
    if column is None:
        return np.zeros(0, dtype=np.uint8)
    count = min(column._count, leaf.doc_count_all())
    if getattr(column, "_fixedlen", None) == 1 and hasattr(column, "_dbfile"):
        return np.frombuffer(column._dbfile.get(column._basepos, count), dtype=np.uint8)
    return np.frombuffer(column.load(), dtype=np.uint8)[:count]  # another codec: the slow way


def int64_column(leaf, field: str) -> np.ndarray:
    """One segment's values of a ``NumericColumn("q")`` column field (0 where a document has none).

    The fast road reads the column as one block of big-endian int64s (iterating it costs a
    microsecond a document: 80 ms for MedQuAD's keys, against under one).
    """
    count = leaf.doc_count_all()
    column = leaf.column_reader(field, translate=False)
    if _ENABLED and getattr(column, "_fixedlen", None) == 8 and hasattr(column, "_dbfile"):
        out = np.zeros(count, dtype=np.int64)
        stored = min(column._count, count)
        out[:stored] = np.frombuffer(column._dbfile.get(column._basepos, stored * 8), dtype=">i8")
        return out
    return np.fromiter(column, dtype=np.int64, count=count)


class TermTable:
    """One segment's term look-ups: whether it holds a term, its document frequency, its postings.

    The fast road probes the segment's term table (Whoosh's on-disk hash file) in memory: the
    file is mapped (shared with the page cache, not copied), and a term is found with one probe
    whose entry gives both its frequency and where its postings are, where Whoosh probes through
    seeks and reads once to tell that a term is there and again to read its postings; the
    postings are then read with one ``pread`` and their blocks decoded here. Otherwise
    (another Whoosh version, a compound segment) Whoosh's public reader answers.
    """

    def __init__(self, leaf):
        self.leaf = leaf
        self._map = _mapped(getattr(getattr(leaf, "_terms", None), "_tindex", None)) if _ENABLED else None
        self._posts = _posting_file(leaf._terms._postfile) if self._map is not None else None
        if self._posts is not None:  # our own descriptor, let go with this table (or when it is dropped)
            self._release = weakref.finalize(self, os.close, self._posts)
        else:
            self._map = None  # the term table mapped and the posting file read directly, or Whoosh's reader
        if self._map is not None:
            table = leaf._terms._tindex
            self._tables = table.tables
            self._hash = _md5_low32 if table.hashfn is md5_hash else table.hashfn
            self._fields = {name: pack_ushort(number) for name, number in leaf._terms._fieldmap.items()
                            if name in leaf.schema}

    def close(self) -> None:
        if self._map is not None:
            self._map.close()
            self._release()
            self._posts = -1  # a read after close fails, never reads a descriptor opened since

    def _info(self, field: str, text: str) -> bytes | None:
        """The term table's entry of a term (a ``W3TermInfo``'s bytes), or None if absent."""
        prefix = self._fields.get(field)
        if prefix is None:
            return None
        key = prefix + self.leaf.schema[field].to_bytes(text)
        code = self._hash(key)
        start, slots = self._tables[code & 255]
        data, slot = self._map, (code >> 8) % slots if slots else 0
        for _ in range(slots):
            slot_code, at = _POINTER.unpack_from(data, start + slot * _POINTER.size)
            if not at:
                return None
            if slot_code == code:
                key_length, value_length = _KEY_VALUE_LENGTHS.unpack_from(data, at)
                at += _KEY_VALUE_LENGTHS.size
                if key_length == len(key) and data[at:at + key_length] == key:
                    return data[at + key_length:at + key_length + value_length]
            slot = (slot + 1) % slots
        return None

    def terms(self, field: str) -> list[bytes]:
        """Every term of a field in this segment, in order (``leaf.lexicon``, read from the
        mapped table: a key a microsecond, not Whoosh's reads of each key)."""
        if self._map is None:
            return list(self.leaf.lexicon(field)) if field in self.leaf.schema else []
        prefix = self._fields.get(field)
        table = self.leaf._terms._tindex
        at = table.closest_key_pos(prefix) if prefix is not None else None
        data, end, head = self._map, table.endofdata, _KEY_VALUE_LENGTHS
        out = []
        while at is not None and at < end:
            key_length, value_length = head.unpack_from(data, at)
            key = data[at + head.size:at + head.size + key_length]
            if key[:2] != prefix:
                break
            out.append(key[2:])
            at += head.size + key_length + value_length
        return out

    def doc_frequency(self, field: str, text: str) -> int:
        """Documents of this segment holding the term (deleted ones included, as Whoosh counts)."""
        if self._map is None:
            return self.leaf.doc_frequency(field, text) if field in self.leaf.schema else 0
        info = self._info(field, text)
        return 0 if info is None else _TERM_HEAD.unpack_from(info)[2]

    def postings(self, field: str, text: str) -> tuple[np.ndarray, np.ndarray, int] | None:
        """As :func:`postings`, or None if this segment does not hold the term."""
        if self._map is None:
            return postings(self.leaf, field, text) if (field, text) in self.leaf else None
        info = self._info(field, text)
        if info is None:
            return None
        if _TERM_HEAD.unpack_from(info)[0]:  # flags: a short posting list is kept in the term table (pickled)
            ids, weights, _ = pickle.loads(info[_TERM_HEAD.size:])
            # as Whoosh's ListMatcher: no weights mean 1.0 each
            return (np.asarray(ids, dtype=np.int64),
                    np.asarray(weights, dtype=np.float32) if weights else np.ones(len(ids), np.float32), 0)
        at, length = _EXTENT.unpack_from(info, _TERM_HEAD.size)
        # One read of all the term's blocks (pread: no shared file position), not Whoosh's
        # seek and read of each block's header and data; not mapped: a long posting list read
        # for the first time would cost a page fault every 4 KB.
        ids, weights = _decode_blocks(os.pread(self._posts, length, at))
        return ids, weights, 0


def _decode_blocks(data: bytes) -> tuple[np.ndarray, np.ndarray]:
    """A term's W3 posting blocks from their bytes: what ``W3LeafMatcher`` reads through seeks
    and reads (each block: its length, negative for the last; its pickled info, whose fourth
    item says whether the data is zlib-compressed; its pickled data)."""
    if data[:4] != WHOOSH3_HEADER_MAGIC:
        raise ValueError("not a term's W3 posting blocks")
    at = 4
    ids: list = []
    weights: list = []
    last = False
    while not last:
        (length,) = _BLOCK_LENGTH.unpack_from(data, at)
        last, length = length < 0, abs(length)
        block = io.BytesIO(data[at + 4:at + 4 + length])
        info = pickle.load(block)
        body = block.read()
        gaps, block_weights, _ = pickle.loads(zlib.decompress(body) if info[3] else body)
        ids.extend(itertools.accumulate(gaps))
        if block_weights is None or isinstance(block_weights, float):
            weights.extend(itertools.repeat(1.0 if block_weights is None else block_weights, len(gaps)))
        else:
            weights.extend(block_weights)
        at += 4 + length
    return np.asarray(ids, dtype=np.int64), np.asarray(weights, dtype=np.float32)


class StoredFields:
    """``reader.stored_fields(docnum)`` (the same dict) from each segment's stored column
    directly, without Whoosh's reader layers (a third of the time a page not read before
    costs); Whoosh's own reader on the public road."""

    def __init__(self, reader):
        self.reader = reader
        self._names = frozenset(reader.schema.names())

    @cached_property
    def _columns(self) -> tuple[list[int], list] | None:
        """Each segment's first document number and its stored column (read on first use)."""
        if not _ENABLED or not self.reader.doc_count_all():
            return None
        leaves = list(self.reader.leaf_readers())
        columns = [leaf._perdoc._cached_reader("_stored", STORED_COLUMN) for leaf, _ in leaves]
        return None if any(c is None for c in columns) else ([offset for _, offset in leaves], columns)

    def __call__(self, docnum: int) -> dict:
        found = self._columns
        if found is None:
            return self.reader.stored_fields(docnum)
        starts, columns = found
        at = bisect.bisect_right(starts, docnum) - 1
        fields = columns[at][docnum - starts[at]] or {}
        # as Whoosh's reader: only the fields the schema still has
        return fields if fields.keys() <= self._names else {k: v for k, v in fields.items() if k in self._names}


def _posting_file(postfile) -> int | None:
    """A descriptor of a segment's posting file of its own (a copy of Whoosh's), when it is a file of its own."""
    raw = getattr(postfile, "file", None)
    return os.dup(raw.fileno()) if isinstance(raw, io.BufferedReader) else None


def _mapped(table) -> mmap.mmap | None:
    """A segment's term table or posting file, mapped, when it is a file of its own (not a part
    of a compound file: positions in it are then the file's own)."""
    dbfile = getattr(table, "dbfile", table)
    raw = getattr(dbfile, "file", None)
    if not isinstance(raw, io.BufferedReader) or getattr(table, "startoffset", 0) != 0 or not os.fstat(raw.fileno()).st_size:
        return None
    return mmap.mmap(raw.fileno(), 0, access=mmap.ACCESS_READ)


def _md5_low32(key: bytes) -> int:
    """Whoosh's ``md5_hash`` (the low 32 bits of the key's MD5), without its hex round trip."""
    return int.from_bytes(hashlib.md5(key, usedforsecurity=False).digest()[12:], "big")


def postings(leaf, field: str, text: str) -> tuple[np.ndarray, np.ndarray, int]:
    """One segment's postings of a term: ids (int64), weights (float32), and how many
    postings of deleted documents are left out of them.

    The fast road reads the term table directly and keeps deleted documents (the caller's
    live mask takes care of them); Whoosh's public ``postings()`` leaves them out.
    """
    fieldobj = leaf.schema[field]
    if not _ENABLED:
        matcher = leaf.postings(field, text)
        ids, weights = _read_each(matcher)
        return ids, weights, leaf.doc_frequency(field, text) - len(ids)
    matcher = leaf._terms.matcher(field, fieldobj.to_bytes(text), fieldobj.format)
    ids, weights = _read_blocks(matcher)
    return ids, weights, 0


def _read_blocks(matcher) -> tuple[np.ndarray, np.ndarray]:
    """All ids and weights of a leaf matcher, a block at a time where the codec allows."""
    if not (hasattr(matcher, "_read_data") and hasattr(matcher, "_next_block") and not matcher._byteids):
        return _read_each(matcher)  # inlined short postings and other matchers
    ids: list = []
    weights: list = []
    # A W3 block's data is (id gaps, weights: None for all 1.0, one float for all, or each);
    # expanded here at C speed, not through Whoosh's Python generators.
    while matcher.is_active():
        if matcher._data is None:
            matcher._read_data()
        gaps, block_weights, _ = matcher._data
        ids.extend(itertools.accumulate(gaps))
        if block_weights is None or isinstance(block_weights, float):
            weights.extend(itertools.repeat(1.0 if block_weights is None else block_weights, len(gaps)))
        else:
            weights.extend(block_weights)
        matcher._next_block()
    return np.asarray(ids, dtype=np.int64), np.asarray(weights, dtype=np.float32)


def _read_each(matcher) -> tuple[np.ndarray, np.ndarray]:
    """Whoosh's public matcher protocol, a posting at a time."""
    ids: list = []
    weights: list = []
    while matcher.is_active():
        ids.append(matcher.id())
        weights.append(matcher.weight())
        matcher.next()
    return np.asarray(ids, dtype=np.int64), np.asarray(weights, dtype=np.float32)
