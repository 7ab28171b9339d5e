"""A field's posting file in Whoosh's W3 block format, every block of every term at once, with numpy.

Whoosh's ``W3PostingsWriter`` writes, for each term, the tag ``W3Bl`` and then blocks of up
to 128 postings. A block is its length as a big-endian int (negative for the term's last
block), a pickled info tuple ``(count, last id, max weight, compression, min length byte,
max length byte)`` and a pickled data tuple ``(id gaps, weights, values)``; the reader
unpickles both. Here every pickle is laid out directly as opcodes: ``MARK ... TUPLE`` for
tuples, ``K``/``M``/``J`` for integers, ``G`` for floats, ``N`` for None, ``C``/``B`` for
bytes. ``pickle.loads`` reads them as the same tuples Whoosh's own pickles give (blocks are
left uncompressed, which the block info says and the reader allows).

Values by posting format: positions (``formats.Positions.encode``: the count as a
big-endian uint, then a pickled list of position gaps), frequencies (one string of
big-endian uints a block), nothing (existence), or given bytes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

BLOCK = 128  # postings a block, as Whoosh's codec writes them
MAGIC = b"W3Bl"  # whoosh.codec.whoosh3.WHOOSH3_HEADER_MAGIC
PROTO = b"\x80\x02"
_K, _M, _J = ord("K"), ord("M"), ord("J")


def int_widths(values: np.ndarray) -> np.ndarray:
    """Bytes of each non-negative int as a pickle opcode: K (< 256), M (< 65536) or J."""
    if len(values) and values.max() >= 2**31:
        raise ValueError("an int over 2**31 - 1 in a posting block")
    return np.where(values < 256, 2, np.where(values < 65536, 3, 5))


def put_ints(out: np.ndarray, at: np.ndarray, values: np.ndarray, widths: np.ndarray) -> None:
    out[at] = np.where(widths == 2, _K, np.where(widths == 3, _M, _J))
    for k in range(4):  # little-endian bytes after the opcode
        wide = widths > k + 1
        out[at[wide] + 1 + k] = (values[wide] >> (8 * k)) & 0xFF


def put_bytes(out: np.ndarray, at: np.ndarray, const: bytes) -> None:
    for k, byte in enumerate(const):
        out[at + k] = byte


def put_packed(out: np.ndarray, at: np.ndarray, values: np.ndarray, dtype: str) -> None:
    """Each value packed as ``dtype`` (e.g. ``>f8``) at its offset."""
    if not len(values):
        return
    raw = np.ascontiguousarray(values.astype(dtype)).view(np.uint8).reshape(len(values), -1)
    for k in range(raw.shape[1]):
        out[at + k] = raw[:, k]


def put_floats(out: np.ndarray, at: np.ndarray, values: np.ndarray) -> None:
    out[at] = ord("G")
    put_packed(out, at + 1, values, ">f8")


def bytes_header_widths(lengths: np.ndarray) -> np.ndarray:
    return np.where(lengths < 256, 2, 5)


def put_bytes_headers(out: np.ndarray, at: np.ndarray, lengths: np.ndarray) -> None:
    short = lengths < 256
    out[at[short]] = ord("C")
    out[at[short] + 1] = lengths[short]
    out[at[~short]] = ord("B")
    put_packed(out, at[~short] + 1, lengths[~short], "<u4")


def within(sizes: np.ndarray, group_starts: np.ndarray, group_of: np.ndarray) -> np.ndarray:
    """Exclusive running sum of ``sizes`` restarting at each group."""
    running = np.cumsum(sizes) - sizes
    return running - running[group_starts][group_of]


@dataclass
class Positions:
    """Posting values of the positions format: ``freqs`` postings' tokens' ``positions``."""

    freqs: np.ndarray
    positions: np.ndarray  # by posting, ascending within one
    token_starts: np.ndarray  # index of each posting's first token

    def sizes(self) -> np.ndarray:
        self._gaps = self.positions.astype(np.int64).copy()
        self._gaps[1:] -= self.positions[:-1]
        self._gaps[self.token_starts] = self.positions[self.token_starts]
        self._widths = int_widths(self._gaps)
        return 8 + np.add.reduceat(self._widths, self.token_starts) + 2 if len(self.freqs) else self.freqs

    def write(self, out: np.ndarray, at: np.ndarray, sizes: np.ndarray) -> None:
        put_packed(out, at, self.freqs, ">u4")
        put_bytes(out, at + 4, PROTO + b"](")
        posting_of = np.repeat(np.arange(len(self.freqs)), self.freqs)
        put_ints(out, at[posting_of] + 8 + within(self._widths, self.token_starts, posting_of), self._gaps,
                 self._widths)
        put_bytes(out, at + sizes - 2, b"e.")


def encode_positions(freqs: np.ndarray, positions: np.ndarray, token_starts: np.ndarray) -> list[bytes]:
    """``formats.Positions.encode`` of each posting (for checks; the writer writes them in place).

    >>> import pickle
    >>> [value] = encode_positions(np.array([3]), np.array([5, 300, 70000]), np.array([0]))
    >>> value[:4], pickle.loads(value[4:])
    (b'\\x00\\x00\\x00\\x03', [5, 295, 69700])
    """
    values = Positions(freqs, positions, token_starts)
    sizes = values.sizes()
    at = np.cumsum(sizes) - sizes
    out = np.zeros(int(sizes.sum()), dtype=np.uint8)
    values.write(out, at, sizes)
    data = out.tobytes()
    return [data[a:a + s] for a, s in zip(at.tolist(), sizes.tolist())]


@dataclass(frozen=True)
class Field:
    """A field's postings sorted by term then document, and how their values are kept."""

    term_starts: np.ndarray  # index of each term's first posting
    docs: np.ndarray
    weights: np.ndarray  # float32, as Whoosh keeps them
    length_bytes: np.ndarray  # one-byte field length of each posting's document
    positions: Positions | None = None
    frequencies: np.ndarray | None = None  # fixed-size values: the frequency format
    raw: list[bytes] | None = None  # any other variable-size values, as given


def encode(field: Field) -> tuple[bytes, np.ndarray, np.ndarray]:
    """The field's posting file: its bytes, and each term's offset and length in it."""
    if not len(field.docs):
        return b"", np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    layout = _Layout.of(field)
    info = _Info.of(field, layout)
    gaps = field.docs.copy()  # a block's ids are kept as gaps, the first from 0
    gaps[1:] -= field.docs[:-1]
    gaps[layout.starts] = field.docs[layout.starts]
    id_widths = int_widths(gaps)
    weights = field.weights.astype(np.float32)
    weights_size = np.where(info.weight_mode == 0, 1, np.where(info.weight_mode == 1, 9, 2 + 9 * layout.n))
    value_sizes, values_size = _value_sizes(field, layout.starts, layout.n, layout.block_of)
    id_size = np.add.reduceat(id_widths, layout.starts)
    data_size = 4 + id_size + 1 + weights_size + values_size + 2  # PROTO ( ( ids t weights values t .
    total = 4 + info.size + data_size + 4 * layout.first  # length int, info, data; the tag before a term
    at = np.cumsum(total) - total + 4 * layout.first  # each block's length int

    out = np.zeros(int(total.sum()), dtype=np.uint8)
    put_bytes(out, at[layout.first] - 4, MAGIC)
    put_packed(out, at, np.where(layout.last, -1, 1) * (info.size + data_size), ">i4")
    o = info.write(out, at + 4)
    put_bytes(out, o, PROTO + b"((")
    put_ints(out, o[layout.block_of] + 4 + within(id_widths, layout.starts, layout.block_of), gaps, id_widths)
    o = o + 4 + id_size
    put_bytes(out, o, b"t")
    o = o + 1
    _put_weights(out, o, weights, info.weight_mode, layout.starts, layout.block_of)
    o = o + weights_size
    _put_values(out, o, field, value_sizes, layout.starts, layout.n, layout.block_of)
    put_bytes(out, o + values_size, b"t.")

    term_blocks = np.flatnonzero(layout.first)
    term_at = at[term_blocks] - 4
    term_length = np.add.reduceat(total, term_blocks) if len(term_blocks) else term_blocks
    return out.tobytes(), term_at, term_length


@dataclass(frozen=True)
class _Layout:
    """How a field's postings fall into blocks: up to ``BLOCK`` postings of one term each."""

    starts: np.ndarray  # each block's first posting
    n: np.ndarray  # postings in each block
    block_of: np.ndarray  # each posting's block
    first: np.ndarray  # whether a block is its term's first
    last: np.ndarray  # whether a block is its term's last

    @classmethod
    def of(cls, field: Field) -> "_Layout":
        count = len(field.docs)
        term_sizes = np.diff(np.append(field.term_starts, count))
        index_in_term = np.arange(count) - np.repeat(field.term_starts, term_sizes)
        starts = np.flatnonzero(index_in_term % BLOCK == 0)
        n = np.diff(np.append(starts, count))
        first = index_in_term[starts] == 0
        return cls(starts, n, np.repeat(np.arange(len(starts)), n), first, np.append(first[1:], True))


@dataclass(frozen=True)
class _Info:
    """Each block's info tuple: (count, last id, max weight, compression, min length byte, max length byte)."""

    layout: _Layout
    last_id: np.ndarray
    max_weight: np.ndarray
    weight_mode: np.ndarray  # 0: every weight 1.0 (kept as None), 1: all the same (one float), 2: each
    min_length: np.ndarray
    max_length: np.ndarray

    @classmethod
    def of(cls, field: Field, layout: _Layout) -> "_Info":
        starts = layout.starts
        weights = field.weights.astype(np.float32)
        max_weight = np.maximum.reduceat(weights, starts)
        min_weight = np.minimum.reduceat(weights, starts)
        mode = np.where((max_weight == 1.0) & (min_weight == 1.0), 0, np.where(max_weight == min_weight, 1, 2))
        return cls(layout, field.docs[starts + layout.n - 1], max_weight, mode,
                   np.minimum.reduceat(field.length_bytes, starts).astype(np.int64),
                   np.maximum.reduceat(field.length_bytes, starts).astype(np.int64))

    @property
    def _ints(self) -> tuple[np.ndarray, ...]:
        return self.layout.n, self.last_id, self.min_length, self.max_length

    @property
    def size(self) -> np.ndarray:
        """Bytes of each block's pickled info: PROTO ( count last G... K\x00 min max t ."""
        n_w, last_w, min_w, max_w = map(int_widths, self._ints)
        return 3 + n_w + last_w + 9 + 2 + min_w + max_w + 2

    def write(self, out: np.ndarray, at: np.ndarray) -> np.ndarray:
        """Lay out each block's info at ``at``; returns where each block's data goes."""
        put_bytes(out, at, PROTO + b"(")
        o = at + 3
        n, last_id, min_length, max_length = self._ints
        for values in (n, last_id):
            widths = int_widths(values)
            put_ints(out, o, values, widths)
            o = o + widths
        put_floats(out, o, self.max_weight)
        put_bytes(out, o + 9, b"K\x00")  # compression: none
        o = o + 11
        for values in (min_length, max_length):
            widths = int_widths(values)
            put_ints(out, o, values, widths)
            o = o + widths
        put_bytes(out, o, b"t.")
        return o + 2


def _value_sizes(field: Field, starts: np.ndarray, n: np.ndarray, block_of: np.ndarray):
    """Each posting's value size within a block's values tuple, and each block's values size."""
    if field.positions is not None or field.raw is not None:
        if field.positions is not None:
            lengths = field.positions.sizes()
        else:
            lengths = np.array([len(v) for v in field.raw], dtype=np.int64)
        sizes = bytes_header_widths(lengths) + lengths
        return (lengths, sizes), 2 + np.add.reduceat(sizes, starts)
    if field.frequencies is not None:
        return None, bytes_header_widths(4 * n) + 4 * n
    return None, np.ones(len(starts), dtype=np.int64)  # None: existence keeps no values


def _put_weights(out: np.ndarray, o: np.ndarray, weights: np.ndarray, mode: np.ndarray, starts: np.ndarray,
                 block_of: np.ndarray) -> None:
    out[o[mode == 0]] = ord("N")
    single = mode == 1
    put_floats(out, o[single], weights[starts[single]])
    listed = mode == 2
    put_bytes(out, o[listed], b"(")
    in_listed = listed[block_of]
    index = np.arange(len(weights)) - starts[block_of]
    put_floats(out, (o[block_of] + 1 + 9 * index)[in_listed], weights[in_listed])
    ends = np.append(starts[1:], len(weights))
    put_bytes(out, o[listed] + 1 + 9 * (ends - starts)[listed], b"t")


def _put_values(out: np.ndarray, o: np.ndarray, field: Field, value_sizes, starts: np.ndarray, n: np.ndarray,
                block_of: np.ndarray) -> None:
    if value_sizes is not None:  # a tuple of byte strings
        lengths, sizes = value_sizes
        put_bytes(out, o, b"(")
        at = o[block_of] + 1 + within(sizes, starts, block_of)
        put_bytes_headers(out, at, lengths)
        body = at + bytes_header_widths(lengths)
        if field.positions is not None:
            field.positions.write(out, body, lengths)
        else:
            for position, value in zip(body.tolist(), field.raw):
                out[position:position + len(value)] = np.frombuffer(value, dtype=np.uint8)
        put_bytes(out, o + 1 + np.add.reduceat(sizes, starts), b"t")
    elif field.frequencies is not None:  # one byte string a block
        put_bytes_headers(out, o, 4 * n)
        body = o + bytes_header_widths(4 * n)
        index = np.arange(len(field.frequencies)) - starts[block_of]
        put_packed(out, body[block_of] + 4 * index, field.frequencies, ">u4")
    else:
        out[o] = ord("N")
