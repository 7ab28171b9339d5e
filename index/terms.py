"""The terms of many documents at once, exactly as a field's Whoosh analyzer makes them.

Whoosh analyses a value token by token through a chain of Python generators, about two
microseconds a token. Every filter in the chains healthqa uses (lower case, stop words,
stemming, accent folding) turns one token into one term or into nothing, whatever its
neighbours are. So a field's terms are its tokenizer's matches, each looked up in a table
that runs the field's own filters once per distinct word. Positions follow Whoosh: a
token's index among the matches, or, after a renumbering ``StopFilter``, the index of the
value's first kept token plus the number of kept tokens before it.

Fields whose analyzer has any other part are not supported (:func:`supports`); the bulk
writer then asks Whoosh itself for their terms.
"""

from __future__ import annotations

import array
import itertools
import re
from dataclasses import dataclass
from typing import Callable

import numpy as np
from whoosh.analysis import (CharsetFilter, CompositeAnalyzer, IDTokenizer, LowercaseFilter, RegexTokenizer,
                             StemFilter, StopFilter, Token)
from whoosh.fields import FieldType

PENDING = 100_000  # tokens held before they are looked up together
CHUNK = 2_000  # documents split at a time by add_many

# Filters that map each token on its own to one term or to none.
ONE_TO_ONE_FILTERS = (LowercaseFilter, StopFilter, StemFilter, CharsetFilter)

# Whoosh's default token pattern, ``[\w\*]+(\.?[\w\*]+)*``, read faster: after a maximal run
# of word characters the group can only go on with a dot, so ``(?:\.[\w\*]+)*`` matches the
# same spans, and without a capturing group findall returns whole matches.
_DEFAULT = RegexTokenizer().expression
_DEFAULT_FINDALL = re.compile(_DEFAULT.pattern.replace("(\\.?", "(?:\\."), _DEFAULT.flags)


def _parts(field: FieldType) -> tuple[object, list[object]]:
    analyzer = field.analyzer
    if isinstance(analyzer, CompositeAnalyzer):
        return analyzer.items[0], list(analyzer.items[1:])
    return analyzer, []


def supports(field: FieldType) -> bool:
    """True if :class:`FieldTerms` reproduces this field's analyzer exactly."""
    if not field.indexed or field.analyzer is None or field.separate_spelling() or field.vector:
        return False
    tokenizer, filters = _parts(field)
    tokenizer_ok = isinstance(tokenizer, IDTokenizer) or (isinstance(tokenizer, RegexTokenizer) and not tokenizer.gaps)
    return tokenizer_ok and all(type(f) in ONE_TO_ONE_FILTERS for f in filters)


def _splitter(tokenizer: object) -> Callable[[str], list[str]]:
    if isinstance(tokenizer, IDTokenizer):
        return lambda value: [value]
    expression = tokenizer.expression
    if expression.pattern == _DEFAULT.pattern and expression.flags == _DEFAULT.flags and not _DEFAULT_FINDALL.groups:
        return _DEFAULT_FINDALL.findall
    if expression.groups == 0:
        return expression.findall
    return lambda value: [m.group(0) for m in expression.finditer(value)]


class Filtered(dict):
    """Raw token -> its term after an analyzer's filters (None if stopped), computed once a word.

    Fields that share an analyzer can share one of these.
    """

    def __init__(self, field: FieldType):
        super().__init__()
        self._filters = _parts(field)[1]

    def fill(self, raws: list[str]) -> None:
        """Run the filters once over many new words, one token each, as one stream."""
        tokens = []
        for raw in raws:
            # removestops=False: a stop word stays in the stream, marked, so outputs pair with inputs
            token = Token(positions=True, removestops=False, mode="index")
            token.text, token.pos, token.boost, token.stopped = raw, 0, 1.0, False
            tokens.append(token)
        stream = iter(tokens)
        for step in self._filters:
            stream = step(stream)
        out = list(stream)
        if len(out) != len(raws) or any(a is not b for a, b in zip(out, tokens)):
            raise ValueError("the filters did not keep one token for each word: not a one-to-one filter chain")
        self.update((raw, None if t.stopped else t.text) for raw, t in zip(raws, out))

    def __missing__(self, raw: str) -> str | None:
        self.fill([raw])
        return self[raw]


class _Lookup(dict):
    """Raw token -> term id in one field (-1 for a stopped token)."""

    def __init__(self, filtered: Filtered, vocabulary: list[str]):
        super().__init__()
        self._filtered = filtered
        self._vocabulary = vocabulary
        self._ids: dict[str, int] = {}

    def fill(self, raws: set[str]) -> None:
        """Add words not seen before (in this field)."""
        filtered = self._filtered
        filtered.fill([raw for raw in raws if raw not in filtered])
        ids, vocabulary = self._ids, self._vocabulary
        for raw in raws:
            term = filtered[raw]
            term_id = -1
            if term is not None:
                term_id = ids.get(term, -1)
                if term_id < 0:
                    term_id = ids[term] = len(vocabulary)
                    vocabulary.append(term)
            self[raw] = term_id


@dataclass(frozen=True)
class Tokens:
    """One field's kept tokens over documents ``0..n-1``, in document and position order."""

    vocabulary: list[str]  # term text by id
    terms: np.ndarray  # term id of each token
    docs: np.ndarray  # document of each token
    positions: np.ndarray  # position of each token, as Whoosh numbers it
    lengths: np.ndarray  # kept tokens per document (the field length Whoosh records)


class FieldTerms:
    """Collects one field's tokens, a document at a time, in document order.

    >>> from whoosh.fields import TEXT
    >>> from whoosh.analysis import StemmingAnalyzer
    >>> terms = FieldTerms(TEXT(analyzer=StemmingAnalyzer()))
    >>> terms.add("The cats are sleeping"); terms.add(None); terms.add("a cat")
    >>> tokens = terms.tokens()
    >>> [tokens.vocabulary[t] for t in tokens.terms], tokens.docs.tolist(), tokens.positions.tolist()
    (['cat', 'sleep', 'cat'], [0, 0, 2], [1, 2, 1])
    """

    def __init__(self, field: FieldType, filtered: Filtered | None = None):
        if not supports(field):
            raise ValueError(f"{field!r}: its analyzer is not a tokenizer with one-to-one filters")
        tokenizer, filters = _parts(field)
        self._split = _splitter(tokenizer)
        self._renumber = any(isinstance(f, StopFilter) and f.renumber for f in filters)
        self._scorable = field.scorable
        self.vocabulary: list[str] = []
        self._lookup = _Lookup(filtered if filtered is not None else Filtered(field), self.vocabulary)
        self._ids = array.array("i")  # term id of each token, -1 for a stop word
        self._counts = array.array("i")  # tokens a document
        self._pending: list[str] = []

    def add(self, value: str | None) -> None:
        """The next document's value (None: the document has no such field)."""
        if value is None:
            self._counts.append(0)
            return
        raw = self._split(value)
        self._pending += raw
        self._counts.append(len(raw))
        if len(self._pending) >= PENDING:
            self._flush()

    def add_many(self, values: list[str | None]) -> None:
        """The next documents' values, a chunk at a time (faster than one call a document)."""
        split = self._split
        for at in range(0, len(values), CHUNK):
            raws = [split(v) if v is not None else [] for v in values[at:at + CHUNK]]
            self._counts.extend(map(len, raws))
            self._pending += itertools.chain.from_iterable(raws)
            if len(self._pending) >= PENDING:
                self._flush()

    def _flush(self) -> None:
        """Words to term ids, new words through the filters together."""
        pending, lookup = self._pending, self._lookup
        new = set(pending).difference(lookup)
        if new:
            lookup.fill(new)
        self._ids.extend(map(lookup.__getitem__, pending))
        self._pending = []

    def tokens(self) -> Tokens:
        self._flush()
        ids = np.frombuffer(self._ids, dtype=np.int32).astype(np.int64)
        counts = np.frombuffer(self._counts, dtype=np.int32).astype(np.int64)
        docs = np.repeat(np.arange(len(counts), dtype=np.int64), counts)
        starts = np.cumsum(counts) - counts
        kept = np.flatnonzero(ids >= 0)
        terms, docs = ids[kept], docs[kept]
        positions = kept - starts[docs]  # index among the value's matches
        if self._renumber and len(kept):
            first = np.searchsorted(docs, docs, side="left")  # the document's first kept token
            positions = positions[first] + (np.arange(len(kept)) - first)
        lengths = np.bincount(docs, minlength=len(counts)) if self._scorable else np.zeros(len(counts), np.int64)
        return Tokens(self.vocabulary, terms, docs, positions, lengths)
