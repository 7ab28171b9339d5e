"""BM25F scored in vectorised form over Whoosh's own postings.

Whoosh stays the index: postings, field lengths, columns and stored fields are all
read from it. What changes is how a query's score is summed: instead of Whoosh's
matcher tree, one posting list at a time is read into arrays (and cached), and each
field's BM25 contribution is added to a dense score array with numpy. The formula
is per-field BM25 (each field normalised by its own length), summed with field
weights, times a bonus for matching more of the query's words. Postings and field lengths
are read through :mod:`healthqa.index.whoosh_internals` (Whoosh's own readers on a Whoosh
version it does not know).
"""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass
from itertools import groupby
from operator import attrgetter
from typing import NamedTuple

import numpy as np

from healthqa.index import whoosh_internals
from healthqa.search.settings import RankingSettings


@dataclass(frozen=True)
class Posting:
    """One term's posting list in one field, over the whole index."""

    docs: np.ndarray      # int32 document numbers
    freqs: np.ndarray     # float32 term frequencies
    left_out: int = 0     # postings of deleted documents not in ``docs`` (Whoosh's public reader drops them)

    @property
    def doc_frequency(self) -> int:
        """Documents holding the term, deleted ones included (as Whoosh counts them)."""
        return len(self.docs) + self.left_out


class Postings:
    """Reads and caches posting lists and field lengths of one Whoosh reader."""

    def __init__(self, reader, cache_terms: int = 20_000):
        self.reader = reader
        self.size = reader.doc_count_all()
        # Whoosh's reader of an empty index has no segments to read.
        self.leaves = [(leaf, offset) for leaf, offset in reader.leaf_readers()] if self.size else []
        # One term look-up a segment per new (field, term), in memory (whoosh_internals.TermTable).
        self._terms = [(whoosh_internals.TermTable(leaf), offset) for leaf, offset in self.leaves]
        self._cache: OrderedDict[tuple[str, str], Posting] = OrderedDict()
        self._cache_terms = cache_terms
        self._lengths: dict[str, np.ndarray] = {}
        self._average: dict[str, float] = {}
        self.live = self._live_mask()
        self.live_count = int(self.live.sum())

    def _live_mask(self) -> np.ndarray:
        live = np.ones(self.size, dtype=bool)
        for leaf, offset in self.leaves:
            if leaf.has_deletions():
                deleted = np.fromiter(leaf.deleted_docs_set, dtype=np.int64)
                live[deleted + offset] = False
        return live

    def lengths(self, field: str) -> np.ndarray:
        """Length of ``field`` in every document (float32, 0 where absent)."""
        if field not in self._lengths:
            out = np.zeros(self.size, dtype=np.float32)
            for leaf, offset in self.leaves:
                lengths = whoosh_internals.field_lengths(leaf, field)
                out[offset:offset + len(lengths)] = lengths
            self._lengths[field] = out
            live_lengths = out[self.live]
            self._average[field] = float(live_lengths.mean()) if len(live_lengths) else 1.0
        return self._lengths[field]

    def average_length(self, field: str) -> float:
        self.lengths(field)
        return self._average[field] or 1.0

    def get(self, field: str, text: str) -> Posting:
        key = (field, text)
        found = self._cache.get(key)
        if found is not None:
            self._cache.move_to_end(key)
            return found
        posting = self._read(field, text)
        self._cache[key] = posting
        if len(self._cache) > self._cache_terms:
            self._cache.popitem(last=False)
        return posting

    def doc_frequency(self, field: str, text: str) -> int:
        """Documents holding a term in a field, deleted ones included (``reader.doc_frequency``)."""
        return sum(terms.doc_frequency(field, text) for terms, _ in self._terms)

    def lexicon(self, field: str) -> list[bytes]:
        """Every term of a field, in order, each once (``reader.lexicon``): with
        :meth:`doc_frequency`, what spelling reads."""
        if len(self._terms) == 1:
            return self._terms[0][0].terms(field)
        return sorted(set().union(*(terms.terms(field) for terms, _ in self._terms)))

    def close(self) -> None:
        """Let go of the segments' term tables (the reader's own files are closed with it)."""
        for terms, _ in self._terms:
            terms.close()

    def _read(self, field: str, text: str) -> Posting:
        docs: list[np.ndarray] = []
        freqs: list[np.ndarray] = []
        left_out = 0
        for terms, offset in self._terms:
            found = terms.postings(field, text)
            if found is None:
                continue
            ids, weights, dropped = found
            docs.append(ids + offset)
            freqs.append(weights)
            left_out += dropped
        if not docs:
            return Posting(np.empty(0, np.int32), np.empty(0, np.float32))
        return Posting(np.concatenate(docs).astype(np.int32), np.concatenate(freqs).astype(np.float32), left_out)


class WeightedTerm(NamedTuple):
    """A query word in one field, with the weight of that field (and any user boost).

    A named tuple, not a frozen dataclass: a question makes a hundred or more of them, and a
    tuple is made in half the time (no ``object.__setattr__`` per field)."""

    field: str
    text: str
    weight: float
    word: str  # the word it stands for, shared by its copies in other fields


_word_of = attrgetter("word")


@dataclass(frozen=True)
class _WordPostings:
    """One query word's terms (its copies in several fields) as flat arrays."""

    docs: np.ndarray    # each term's postings one after another (intp, for ``np.add.at``)
    scores: np.ndarray  # each posting's BM25 contribution at its term's weight (float32)
    held: np.ndarray    # the documents holding any of the terms, once each (int32: counted, not indexed)


class Scorer:
    """Scores a bag of weighted terms over every document at once."""

    def __init__(self, postings: Postings, settings: RankingSettings, cache_postings: int = 1_500_000):
        self.postings = postings
        self.settings = settings
        self.size = postings.size
        # A word's terms at their weights give the same arrays in every query that has them:
        # kept (the most recently used, up to ``cache_postings`` postings in all, 16 bytes each
        # at most) for the live mask they were read with.
        self._words: OrderedDict[tuple, _WordPostings] = OrderedDict()
        self._words_postings = 0
        self._cache_postings = cache_postings
        self._words_live: np.ndarray | None = None
        self._dead: tuple[np.ndarray, np.ndarray] | None = None

    def idf(self, field: str, text: str) -> float:
        # Posting lists still hold replaced (deleted) documents until segments merge, so
        # df and N both count every document: counting only live ones in N made the idf
        # of a word on every page negative after updates.
        df = self.postings.get(field, text).doc_frequency
        n = self.postings.size
        return math.log(1.0 + (n - df + 0.5) / (df + 0.5))

    def _denominator(self, term: WeightedTerm, posting: Posting) -> np.ndarray:
        """BM25's ``tf + k1 * (1 - b + b * length / average)`` over a term's postings."""
        k1, b = self.settings.k1, self.settings.field_b.get(term.field, self.settings.b)
        lengths = self.postings.lengths(term.field)[posting.docs]
        norm = k1 * ((1 - b) + b * lengths / self.postings.average_length(term.field))
        return posting.freqs + norm

    def _contribution(self, term: WeightedTerm, posting: Posting) -> np.ndarray:
        """A term's BM25 over its postings at its weight."""
        k1 = self.settings.k1
        return term.weight * self.idf(term.field, term.text) * posting.freqs * (k1 + 1) / self._denominator(term, posting)

    def _word(self, terms: tuple[WeightedTerm, ...]) -> _WordPostings:
        """The flat postings of one word's terms, in their order (remembered)."""
        if self._words_live is not self.postings.live:  # the live documents changed: start again
            self._words.clear()
            self._words_postings = 0
            self._words_live = self.postings.live
        key = terms  # named tuples: field, text, weight (and the word, the same for all)
        found = self._words.get(key)
        if found is not None:
            self._words.move_to_end(key)
            return found
        postings = [(t, self.postings.get(t.field, t.text)) for t in terms]
        postings = [(t, p) for t, p in postings if len(p.docs)]
        if not postings:
            empty = np.empty(0, np.intp)
            found = _WordPostings(empty, np.empty(0, np.float32), np.empty(0, np.int32))
        else:
            docs = np.concatenate([p.docs for _, p in postings]).astype(np.intp)
            scores = np.concatenate([self._contribution(t, p) for t, p in postings]).astype(np.float32, copy=False)
            held = np.unique(np.concatenate([p.docs for _, p in postings])) if len(postings) > 1 else postings[0][1].docs
            found = _WordPostings(docs, scores, held)
        self._words[key] = found
        self._words_postings += len(found.docs)
        while self._words_postings > self._cache_postings and len(self._words) > 1:
            self._words_postings -= len(self._words.popitem(last=False)[1].docs)
        return found

    def score(self, terms: list[WeightedTerm]) -> np.ndarray:
        """BM25F scores of all documents (0 for documents matching no term)."""
        docs, scores = self.matching(terms)
        out = np.zeros(self.size, dtype=np.float32)
        out[docs] = scores
        return out

    def matching(self, terms: list[WeightedTerm]) -> tuple[np.ndarray, np.ndarray]:
        """The documents with a positive BM25F score, in order, and their scores."""
        # Words in sorted order, each word's terms in query order (a stable sort): each
        # document's float32 sum is added up in that order (``np.add.at`` adds one posting at
        # a time, in order).
        words = [self._word(tuple(group)) for _, group in groupby(sorted(terms, key=_word_of), key=_word_of)]
        scores = np.zeros(self.size, dtype=np.float32)
        for word in words:
            np.add.at(scores, word.docs, word.scores)
        scores[self._deleted()] = 0.0
        docs = np.flatnonzero(scores > 0)
        scores = scores.take(docs)  # ``take``: a gather without fancy indexing's checks and set-up
        if len(words) > 1 and self.settings.or_bonus:
            # More of the query's words matched, higher the score (a coordination factor, at
            # least 1: only the documents scored need it). Counted in 2 bytes a document (a query
            # has far fewer words than 65,536): ``np.bincount``'s 8 cost more to clear and write.
            held = np.concatenate([w.held for w in words])
            matched = np.zeros(self.size, dtype=np.uint16)
            np.add.at(matched, held, np.ones(len(held), dtype=np.uint16))
            scores *= self._bonus(matched.take(docs), len(words))
        return docs, scores

    def _bonus(self, matched: np.ndarray, words: int) -> np.ndarray:
        """The coordination factor ``1 + or_bonus * matched / words`` of documents matching
        ``matched`` of ``words`` query words, in float32 step by step (a look-up table indexed by
        2-byte counts would go through numpy's slow path for indices of another type)."""
        factor = matched.astype(np.float32)
        factor /= words
        factor *= self.settings.or_bonus
        factor += 1.0
        return factor

    def _deleted(self) -> np.ndarray:
        """Documents not live (deleted ones' postings stay until segments merge), listed once
        for each live mask (the answer index narrows its mask once, to the answers seen)."""
        live = self.postings.live
        if self._dead is None or self._dead[0] is not live:
            self._dead = (live, np.flatnonzero(~live))
        return self._dead[1]


def top_k(scores: np.ndarray, k: int, mask: np.ndarray | None = None) -> list[tuple[int, float]]:
    """The ``k`` best (docnum, score) pairs with a positive score, best first."""
    positive = np.flatnonzero(scores > 0 if mask is None else mask & (scores > 0))
    return best_of(positive, scores[positive], k)


def best_of(docs: np.ndarray, scores: np.ndarray, k: int) -> list[tuple[int, float]]:
    """The ``k`` best (docnum, score) pairs of documents ``docs`` (ascending) scored ``scores``,
    those with a positive score only, best first (ties: the lower docnum first)."""
    positive = scores > 0
    if not positive.all():
        docs, scores = docs[positive], scores[positive]
    if len(docs) > k > 0:
        # Only the few scores at or above a bound of the k-th best can be among the best: those
        # are sorted, not all of them partitioned.
        near = np.flatnonzero(scores >= _kth_bound(scores, k))
        chosen = near[np.lexsort((docs[near], -scores[near]))]
        if len(chosen) == k or scores[chosen[k - 1]] != scores[chosen[k]]:
            return list(zip(docs[chosen[:k]].tolist(), scores[chosen[:k]].tolist()))
        # A tie at the k-th place: the tied pages kept are argpartition's choice, as they always were.
        part = np.argpartition(-scores, k - 1)[:k]
        docs, scores = docs[part], scores[part]
    order = np.lexsort((docs, -scores))
    return list(zip(docs[order].tolist(), scores[order].tolist()))


def _kth_bound(scores: np.ndarray, k: int) -> float:
    """A value the ``k``-th largest of ``scores`` (more than ``k`` of them) is at least: the
    ``k``-th largest of every 4th score (or of all, when they are few)."""
    some = scores[::4] if len(scores) >= 16 * k else scores
    return float(np.partition(some, len(some) - k)[len(some) - k])
