"""Answers matched one by one, over the answer index (:mod:`healthqa.index.answers`).

The page ranking stays on the page index. This module answers the questions that need
answers apart: which answers *by a role* match a query (a role filter keeps a page only
then), where a phrase in the answers really is (never across two answers), which answers
a listing shows (``healthqa search --answers``), and the expert signals of the answers
that match (accepted, votes).

An answer matches a query as a document made of that one answer (its text and role) and
its page's other fields (question, detail, topic, synonyms, source, ...) would: the words of
the page's *other* answers do not count. So "vertical load" matches a Fitness answer that
says it, not a Physical Therapy answer beside it; "heart" matches every answer on a page
that asks about the heart.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from whoosh import query as wq

from healthqa.index.answers import fold, open_answers
from healthqa.index.whoosh_internals import int64_column
from healthqa.search.engine import Postings, Scorer, WeightedTerm
from healthqa.search.matching import match_mask
from healthqa.search.settings import AnswerSettings, RankingSettings

# Page-index fields and the answer-index field the same words are in.
ANSWER_FIELDS = {"answer": "text", "role_text": "role_text"}


def answer_part(node: wq.Query) -> wq.Query | None:
    """The part of a page query that can match inside one answer (None: no such part).

    >>> answer_part(wq.Or([wq.Term("question", "foot"), wq.Term("answer", "foot")]))
    Or([Term('text', 'foot')])
    """
    if isinstance(node, wq.Term):
        field = ANSWER_FIELDS.get(node.fieldname)
        return wq.Term(field, node.text, boost=node.boost) if field else None
    if isinstance(node, wq.Phrase):
        field = ANSWER_FIELDS.get(node.fieldname)
        return wq.Phrase(field, list(node.words), slop=node.slop, boost=node.boost) if field else None
    if isinstance(node, wq.Not):
        return None  # exclusions are page conditions
    if isinstance(node, (wq.AndNot, wq.AndMaybe)):
        return answer_part(node.a)
    if isinstance(node, wq.Require):
        return _combine(wq.And, [answer_part(node.a), answer_part(node.b)])
    if isinstance(node, wq.And):
        return _combine(wq.And, [answer_part(c) for c in node.children()])
    if isinstance(node, (wq.Or, wq.DisjunctionMax)):
        return _combine(wq.Or, [answer_part(c) for c in node.children()])
    return None


def _combine(kind, parts: list[wq.Query | None]) -> wq.Query | None:
    kept = [p for p in parts if p is not None]
    return kind(kept) if kept else None


def answer_terms(terms: list[WeightedTerm]) -> list[WeightedTerm]:
    """Weighted page terms that score inside an answer, in the answer index's fields."""
    return [WeightedTerm(ANSWER_FIELDS[t.field], t.text, t.weight, t.word) for t in terms if t.field in ANSWER_FIELDS]


class _AnswerPostings(Postings):
    """Postings of the answer index, whose live documents can be narrowed to the answers seen."""

    def restrict(self, seen: np.ndarray) -> None:
        """From now on only answers in ``seen`` are live (average lengths are over them)."""
        self.live = self.live & seen
        self.live_count = int(self.live.sum())
        self._average.clear()
        self._lengths.clear()


class _AnswerScorer(Scorer):
    """BM25 of answers one by one, with each word's idf taken from the page index.

    The answer index may hold answers of page versions a searcher does not see (a sync adds
    the new ones before the pages change, drops the old ones after); the page index's
    statistics are those of exactly the pages seen, so scores do not depend on when a sync ran.
    """

    def __init__(self, postings: Postings, settings: RankingSettings, pages: Postings):
        super().__init__(postings, settings)
        self.pages = pages

    def idf(self, field: str, text: str) -> float:
        page_field = {v: k for k, v in ANSWER_FIELDS.items()}[field]
        df = len(self.pages.get(page_field, text).docs)
        return math.log(1.0 + (self.pages.size - df + 0.5) / (df + 0.5))


@dataclass(frozen=True)
class RoleMatch:
    """What a role filter keeps: pages, their best score by a matching answer of the role,
    and the matching answers (answer-index document numbers)."""

    pages: np.ndarray  # bool per page document
    page_scores: np.ndarray  # float32 per page document
    answers: np.ndarray  # answer docnums, best first


class AnswerIndex:
    """The answer index of one generation, read beside a page index. Close it with the searcher."""

    def __init__(self, generation: str, pages: Postings, page_searcher, ranking: RankingSettings,
                 settings: AnswerSettings):
        self._ix = open_answers(generation)
        self._page_searcher = page_searcher
        self._searcher = self._ix.searcher()
        self.reader = self._searcher.reader()
        self._pages = pages
        self.postings = _AnswerPostings(self.reader)
        self.scorer = _AnswerScorer(self.postings, ranking, pages)
        self.settings = settings

    def close(self) -> None:
        self.postings.close()  # its term tables' mapping and descriptors, now rather than when collected
        self._searcher.close()

    @cached_property
    def page_of(self) -> np.ndarray:
        """Page document number of every answer document (-1 for answers of pages not seen).

        Computed once, before any matching or scoring: answers of page versions this searcher
        does not see count as deleted from then on.
        """
        page_keys = _keys(self._pages.reader, self._pages.size)
        live_pages = np.flatnonzero(self._pages.live)
        order = live_pages[np.argsort(page_keys[live_pages], kind="stable")]
        sorted_keys = page_keys[order]
        keys = _keys(self.reader, self.postings.size)
        at = np.searchsorted(sorted_keys, keys).clip(0, max(len(order) - 1, 0))
        found = (sorted_keys[at] == keys) & self.postings.live if len(order) else np.zeros(len(keys), bool)
        page_of = np.where(found, order[at] if len(order) else -1, -1).astype(np.int64)
        self.postings.restrict(page_of >= 0)  # average lengths over the answers seen
        return page_of

    def to_pages(self, answers: np.ndarray) -> np.ndarray:
        """Page mask of the pages holding any of the ``answers`` (a mask over answer documents)."""
        out = np.zeros(self._pages.size, dtype=bool)
        pages = self.page_of[answers]
        out[pages[pages >= 0]] = True
        return out

    def matches(self, query: wq.Query) -> np.ndarray:
        """Answer documents that match a page query, each with its page's other fields."""
        self.page_of  # noqa: B018 -- first: it settles which answers are seen
        return match_mask(query, self.postings, self._searcher, self._leaf) & (self.page_of >= 0)

    def _leaf(self, node: wq.Query) -> np.ndarray | None:
        """A query word or phrase: in the answer itself, or on its page (any field but the answers)."""
        if isinstance(node, (wq.Term, wq.Phrase)) and node.fieldname in ANSWER_FIELDS:
            return match_mask(answer_part(node), self.postings, self._searcher)
        if isinstance(node, (wq.Term, wq.Phrase)) or not isinstance(node, (wq.CompoundQuery, wq.Not, wq.BinaryQuery)):
            pages = match_mask(node, self._pages, self._page_searcher)
            return np.where(self.page_of >= 0, pages[self.page_of.clip(0)], False) if len(pages) else pages
        return None

    def role_mask(self, roles: tuple[str, ...]) -> np.ndarray:
        """Answers by any of ``roles`` (case and whitespace folded)."""
        self.page_of  # noqa: B018 -- first: it settles which answers are seen
        out = np.zeros(self.postings.size, dtype=bool)
        for role in roles:
            out[self.postings.get("role", fold(role)).docs] = True
        return out & self.postings.live

    def phrase_pages(self, node: wq.Query) -> np.ndarray | None:
        """Pages where a phrase in the answers is inside one answer (None: not such a phrase)."""
        if not isinstance(node, wq.Phrase) or node.fieldname not in ANSWER_FIELDS:
            return None
        self.page_of  # noqa: B018 -- first: it settles which answers are seen
        return self.to_pages(match_mask(answer_part(node), self.postings, self._searcher))

    def scores(self, terms: list[WeightedTerm]) -> np.ndarray:
        """BM25 of every answer on its own, times its signals (0 where no term matches)."""
        self.page_of  # noqa: B018 -- first: it settles which answers are seen
        scored = answer_terms(terms)
        scores = self.scorer.score(scored) if scored else np.zeros(self.postings.size, np.float32)
        return scores * self.factors

    @cached_property
    def factors(self) -> np.ndarray:
        """Each answer's signal factor: accepted, votes (1.0 for most answers)."""
        out = np.ones(self.postings.size, dtype=np.float32)
        docs = self.postings.get("signal", "1").docs
        if not len(docs):
            return out
        accepted = np.zeros(self.postings.size, dtype=bool)
        accepted[self.postings.get("accepted", "1").docs] = True
        column = self.reader.column_reader("votes")
        if len(docs) * 20 > self.postings.size:  # many: one pass over the column beats lookups
            votes = np.fromiter(column, dtype=np.float64, count=self.postings.size)[docs]
        else:
            votes = np.array([column[int(d)] for d in docs], dtype=np.float64)
        out[docs] = signal_factor(self.settings, accepted[docs], votes)
        return out

    def role_match(self, query: wq.Query, terms: list[WeightedTerm], roles: tuple[str, ...]) -> RoleMatch:
        """Pages with an answer by one of ``roles`` that matches the query."""
        answers = self.role_mask(roles) & self.matches(query)
        docs = np.flatnonzero(answers)
        scores = self.scores(terms)[docs]
        page_scores = np.zeros(self._pages.size, dtype=np.float32)
        np.maximum.at(page_scores, self.page_of[docs], scores)
        order = docs[np.lexsort((docs, -scores))]
        return RoleMatch(self.to_pages(answers), page_scores, order)

    def page_factors(self, query: wq.Query) -> np.ndarray | None:
        """Per page, the best signal factor among its answers that match (None: no signals here)."""
        signalled = self.postings.get("signal", "1").docs
        if not len(signalled):
            return None
        docs = signalled[self.matches(query)[signalled]]
        out = np.ones(self._pages.size, dtype=np.float32)
        np.maximum.at(out, self.page_of[docs], self.factors[docs])
        return out

    def shown(self, docnum: int) -> dict:
        """What a listing shows of one answer (role, author, votes, page question, ...)."""
        return self.reader.stored_fields(docnum)["shown"]


def signal_factor(settings: AnswerSettings, accepted: np.ndarray, votes: np.ndarray) -> np.ndarray:
    """``1 + accepted_weight`` for an accepted answer, times a votes factor that grows with the
    logarithm of the votes and stops growing at ``votes_full`` (negative votes count as none).

    >>> signal_factor(AnswerSettings(accepted_weight=0.5, votes_weight=0.0), np.array([True]), np.array([0.0]))
    array([1.5])
    """
    share = np.log1p(np.clip(votes, 0, None)) / math.log1p(settings.votes_full)
    return (1.0 + settings.accepted_weight * accepted) * (1.0 + settings.votes_weight * share.clip(0, 1))


def _keys(reader, size: int) -> np.ndarray:
    """The ``key`` column of an index, one int64 a document (0 where a document has none)."""
    out = np.zeros(size, dtype=np.int64)
    if not size:
        return out
    for leaf, offset in reader.leaf_readers():
        values = int64_column(leaf, "key")
        out[offset:offset + len(values)] = values
    return out
