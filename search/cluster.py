"""Searching through a cluster's head: the engine finds and scores, healthqa reranks and shows.

The head ``searchd`` fans the query out to one live replica of every shard and merges their
top matches (scored by the engine's BM25F with healthqa's field weights and word-coverage
bonus), their totals and their facet counts. healthqa then reranks the merged top
``candidates`` with its own steps (:class:`healthqa.search.rank.Ranker`: topic focus, the
understood focus and question type, unanswered pages below answered ones, topic spread),
read from the candidates' records in the store, and builds snippets from the store.
When a shard has no live replica the results say so (``missing_shards`` and a note).

>>> from healthqa.search.cluster import ClusterSearcher     # doctest: +SKIP
>>> with ClusterSearcher("healthqa-data", "healthqa-data/cluster") as s:   # doctest: +SKIP
...     s.search("heart attack signs").missing_shards
()
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from healthqa.index.cluster import engine_config
from healthqa.index.cluster.engine_config import Paths
from healthqa.index.cluster.layout import NODES_FILE, Layout, read_layout
from healthqa.index.cluster.sphinxql import cursor
from healthqa.index.schema import TEXT_FIELDS, text_analyzer
from healthqa.index.stored import StoredAnswer, StoredPage
from healthqa.ingest.errors import ClusterError, QueryError
from healthqa.ingest.record import QAPage
from healthqa.ingest.store import Store
from healthqa.search import answer_hits
from healthqa.search.answer_results import AnswerResults
from healthqa.search.candidates import Candidates, GivenScores, value_ids
from healthqa.search.cluster_answers import AnswerMatcher, search_answers
from healthqa.search.cluster_head import Candidate, EngineAnswer, Head
from healthqa.search.cluster_spelling import SpellCounts, apply, corrections
from healthqa.search.rank import Asked, Ranker
from healthqa.search.results import Hit, Results
from healthqa.search.searcher import Filters
from healthqa.search.settings import SearchSettings
from healthqa.search.snippets import make_snippet
from healthqa.search.spelling import Speller
from healthqa.search.understand import QuestionReader
from healthqa.search.engine import WeightedTerm

# Candidates reranked per query. The rank steps move pages a long way (a page on the question's
# focus gains up to 3x): on the LiveQA dev half, 100 candidates held half of the Whoosh index's
# top 10, 1,000 held 0.88 of it (bench/cluster.py).
CANDIDATES = 1000


@dataclass(frozen=True)
class Found:
    """A query's reranked candidates: ``text`` is what was searched (the corrections applied),
    ``typed_found`` whether any word as typed is on a page."""

    text: str
    answer: EngineAnswer
    ranked: list
    corrections: tuple[tuple[str, str], ...]
    typed_found: bool


class ClusterSearcher:
    """Searches through a cluster's head; pages, snippets and rerank features come from the store."""

    def __init__(self, data_dir: str, cluster_dir: str, settings: SearchSettings | None = None,
                 candidates: int = CANDIDATES):
        self.data_dir = data_dir
        self.paths = Paths(cluster_dir)
        self.layout: Layout = read_layout(os.path.join(cluster_dir, NODES_FILE))
        self.settings = settings or SearchSettings()
        self.candidates = candidates
        try:
            with open(self.paths.vocabulary, encoding="utf-8") as handle:
                self.vocabulary = json.load(handle)
        except (OSError, ValueError):
            raise ClusterError(f"{cluster_dir}: the cluster was never built: run 'healthqa cluster build'") from None
        self._store = Store.open(data_dir, readonly=True)
        self._analyzer = text_analyzer()
        self.head = Head(self.layout, self.vocabulary, self.settings)
        self._pages: dict[str, QAPage | None] = {}
        self._state_stamp = self._stamp()
        self._speller = Speller(SpellCounts(self.vocabulary.get("spell", {})), rare=self.settings.spell_rare,
                                ratio=self.settings.spell_ratio, min_length=self.settings.spell_min_length,
                                real_words=self.settings.spell_real_words, cache_dir=self.paths.root)

    @property
    def generation(self) -> str:
        """What the server reports as its index generation: the cluster's directory."""
        return self.paths.root

    def is_current(self) -> bool:
        """False once a build or sync has changed the cluster since this searcher opened (its
        page counts and remembered pages are then out of date)."""
        return self._state_stamp == self._stamp()

    def _stamp(self) -> int:
        try:
            return os.stat(self.paths.state).st_mtime_ns
        except OSError:
            return 0

    def close(self) -> None:
        self.head.close()
        self._store.close()

    def __enter__(self) -> "ClusterSearcher":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _terms(self, text: str) -> tuple[str, ...]:
        return tuple(dict.fromkeys(t.text for t in self._analyzer(text)))

    analyzer_terms = _terms

    @property
    def analyzer(self):
        return self._analyzer

    def understand(self, text: str):
        """What ``text`` is understood to ask, read against the cluster's vocabulary (spelling corrected)."""
        suggestion = self._speller.suggest(text) if self.settings.suggest else None
        return self.question_reader.understand(suggestion or text)

    def docnum(self, record_id: str) -> str | None:
        """What a page is found by here (its record id, as :meth:`Searcher.docnum` gives a
        document number), or ``None`` if it is not stored."""
        return record_id if self.page(record_id) is not None else None

    def page(self, record_id: str) -> QAPage | None:
        """The stored record ``record_id``, or None (remembered: related questions read a page often)."""
        found = self._pages.get(record_id)
        if found is None:
            if len(self._pages) > 10_000:
                self._pages.clear()
            found = self._pages[record_id] = self._store.find(record_id)
        return found

    def health(self) -> dict:
        """Each node's health (:func:`healthqa.index.cluster.status.health`) and the shards with no live replica."""
        from healthqa.index.cluster.status import health

        nodes = health(self.layout, self.paths)
        missing = [s for s in range(len(self.layout.shards)) if not any(n.up for n in nodes if n.shard == s)]
        return {"nodes": [n.to_dict() for n in nodes], "missing_shards": missing}

    def stats(self) -> dict:
        """What the cluster holds, as of its last build or sync, and pages per source through the head."""
        from healthqa.index.cluster.build import read_state

        state = read_state(self.paths)
        with cursor(self.layout.head) as cur:
            cur.execute(f"SELECT source, COUNT(*) AS n FROM {engine_config.HEAD_INDEX} GROUP BY source "
                        "ORDER BY n DESC LIMIT 1000")
            sources = {str(source): int(n) for source, n in cur.fetchall()}
        return {"documents": self.page_count, "index_seq": state.get("delta_seq", 0),
                "built_at": state.get("built_at", 0.0), "roles": len(self.vocabulary["roles"]),
                "topics": len(self.vocabulary["topics"]), "sources": sources}

    def missing_shards(self) -> tuple[int, ...]:
        """Shards none of whose replicas answers now."""
        return self.head.missing_shards()

    def engine(self, text: str, filters: Filters = Filters(), count: int | None = None,
               extra: tuple[str, ...] = (), ranker: str | None = None, facets: bool = True) -> EngineAnswer:
        """The head's answer for ``text`` and the ``extra`` words (:meth:`Head.ask`)."""
        return self.head.ask(" ".join((text, *extra)), filters, count or self.candidates, ranker, facets)

    @cached_property
    def question_reader(self) -> QuestionReader:
        """Reads questions against the cluster's topics and synonyms (the vocabulary a build writes)."""
        return QuestionReader(list(self.vocabulary["topics"].values()), self._synonym_phrase, self.data_dir)

    @cached_property
    def _synonym_terms(self) -> dict[str, set[int]]:
        index: dict[str, set[int]] = {}
        for n, synonym in enumerate(self.vocabulary["synonyms"]):
            for term in self._terms(synonym):
                index.setdefault(term, set()).add(n)
        return index

    def _synonym_phrase(self, text: str) -> bool:
        terms = self._terms(text)
        found = [self._synonym_terms.get(t, set()) for t in terms]
        return bool(terms) and bool(set.intersection(*found))

    def _understood(self, text: str) -> tuple[Asked | None, tuple[str, ...]]:
        """What ranking needs of the question (as :meth:`Searcher._asked`) and the clinical names
        of its lay words, searched too (as the Whoosh searcher's expansions)."""
        ranking = self.settings.ranking
        if not (ranking.focus_match_weight or ranking.type_weight or ranking.expansion_weight):
            return None, ()
        understood = self.question_reader.understand(text)
        extra = tuple(f.canonical for f in understood.focus
                      if ranking.expansion_weight and f.canonical and f.canonical in understood.expansions)
        focus = tuple(tuple(dict.fromkeys(self._terms(name) for name in (f.text, f.topic, f.canonical) if name))
                      for f in understood.focus)
        qtype = understood.qtype
        if qtype is None or not qtype.cues or qtype.confidence < ranking.type_min_confidence:
            return Asked(focus), extra
        return Asked(focus, qtype.name, qtype.confidence), extra

    def rerank(self, text: str, answer: EngineAnswer, asked: Asked | None = None) -> list[tuple[Candidate, float]]:
        """The engine's candidates reordered by healthqa's rank steps, best first."""
        found = answer.candidates
        if not found:
            return []
        ranker = self.candidate_ranker(answer)
        weights = self.settings.ranking.weights
        terms = [WeightedTerm(field, term, weights[field], term) for term in self._terms(text)
                 for field in TEXT_FIELDS if weights.get(field)]
        scores, _ = ranker.scores(terms, text, asked)
        if any(c.signals for c in found):  # expert signals: the best factor of each page's matching answers
            matcher = self.answer_matcher(text, answer)
            for n in (n for n, c in enumerate(found) if c.signals and self.page(c.id) is not None):
                scores[n] *= matcher.page_factor(self.page(found[n].id))
        order = sorted(range(len(found)), key=lambda n: (-scores[n], n))
        return [(found[n], float(scores[n])) for n in order]

    def answer_matcher(self, text: str, answer: EngineAnswer) -> AnswerMatcher:
        """Matches and scores answers one by one for ``text``, its words' idf from the head's counts."""
        return AnswerMatcher(frozenset(self._terms(text)), self._analyzer, self.idf(answer), self._average_answer,
                             self.settings.answers)

    def idf(self, answer: EngineAnswer):
        """A word's idf from the head's count of its pages (BM25's, over the pages at the last sync)."""
        total = self.page_count or 1

        def idf(term: str) -> float:
            df = answer.keyword_docs.get(term, 0)
            return math.log(1.0 + (total - df + 0.5) / (df + 0.5))

        return idf

    def candidate_ranker(self, answer: EngineAnswer) -> Ranker:
        """A ranker over the engine's candidates, its first step their engine scores."""
        found = answer.candidates
        candidates = Candidates({"topic": [c.topic_terms.split() for c in found],
                                 "synonyms": [c.synonym_terms.split() for c in found]}, [c.answers for c in found])
        topics, _ = value_ids([c.topic for c in found])
        qtypes, qtype_names = value_ids([c.qtype for c in found])
        ranker = Ranker(candidates, self.settings.ranking, qtypes, qtype_names, topics)
        ranker.scorer = GivenScores(np.array([c.weight for c in found]) / 1e6)  # a fresh ranker per query
        return ranker

    def _collapsed(self, ranked: list[tuple[Candidate, float]], count: int, collapse: bool):
        """As :meth:`Searcher._collapsed`: one hit per normalised question and topic, the others in ``also_in``."""
        if not (collapse and self.settings.collapse_duplicates):
            return [(found, score, ()) for found, score in ranked[:count]]
        kept: dict[tuple[str, str], list] = {}
        for found, score in ranked:
            key = (found.qkey, found.topic.casefold())
            if key in kept:
                kept[key][2].append((found.id, found.source))
            elif len(kept) < count:
                kept[key] = [found, score, []]
        return [(found, score, tuple(also)) for found, score, also in kept.values()]

    def ranked_ids(self, text: str, limit: int = 10, collapse: bool = False) -> list[tuple[str, float]]:
        """Just the ranking, as :meth:`Searcher.ranked_ids` gives it (for evaluation)."""
        if not self._terms(text):
            return []
        found = self.found(text, Filters(), self.candidates, facets=False)
        return [(c.id, score) for c, score, _ in self._collapsed(found.ranked, limit, collapse)]

    def found(self, text: str, filters: Filters, count: int, facets: bool = True) -> Found:
        """The head's answer for ``text`` reranked; a word on no page is also searched as its
        did-you-mean correction (``corrections``), as the Whoosh searcher's fuzzy terms are.
        The engine takes no per-word weights: the correction counts in full there."""
        asked, extra = self._understood(text)
        answer = self.engine(text, filters, count, extra, facets=facets)
        fixes = corrections(self._speller, text, self._terms, answer.keyword_docs) \
            if self.settings.ranking.fuzzy_weight else ()
        if not fixes:
            return Found(text, answer, self.rerank(text, answer, asked), (), True)
        typed_found = any(answer.keyword_docs.get(t, 0) for t in self._terms(text))
        fixed = apply(text, fixes)
        asked, extra = self._understood(fixed)
        answer = self.engine(text, filters, count, (*extra, *(c for _, c in fixes)), facets=facets)
        return Found(fixed, answer, self.rerank(fixed, answer, asked), fixes, typed_found)

    def search(self, text: str, filters: Filters = Filters(), limit: int = 10, page: int = 1) -> Results:
        """One page of results for ``text`` (as :meth:`Searcher.search`), with the shards that were
        missing; falls back to the did-you-mean suggestion when the query as typed finds nothing."""
        if limit < 1 or page < 1:
            raise QueryError("limit and page must be 1 or more")
        results = self._search(text, filters, limit, page)
        if results.total == 0 and results.suggestion:
            retry = self._search(results.suggestion, filters, limit, page)
            if retry.total:
                return dataclasses.replace(retry, query=text, corrected_from=text, suggestion=results.suggestion,
                                           notes=results.notes + retry.notes)
        return results

    def _search(self, text: str, filters: Filters, limit: int, page: int) -> Results:
        suggestion = self._speller.suggest(text) if self.settings.suggest else None
        if not self._terms(text):
            return Results(text, text, 0, page, limit, (), {}, suggestion, notes=(
                "no words to search for (only common words or symbols)",), missing_shards=())
        found = self.found(text, filters, max(self.candidates, page * limit * self.settings.collapse_window))
        answer, searched, corrected_from, notes = found.answer, text, None, self.partial_note(found.answer.missing)
        if found.corrections and not found.typed_found and answer.total:
            searched, corrected_from, suggestion = found.text, text, found.text  # results for the correction
        elif found.corrections:
            notes.append("also searched " + ", ".join(f"'{w}' as '{c}'" for w, c in found.corrections))
        ranked = self._collapsed(found.ranked, page * limit, not filters.roles)[(page - 1) * limit:]
        highlight = frozenset(self._terms(found.text))
        shown = [(self._store.find(c.id), score, also) for c, score, also in ranked]
        hits = tuple(self._hit((page - 1) * limit + i + 1, score, record, highlight, answer, also)
                     for i, (record, score, also) in enumerate(r for r in shown if r[0] is not None))
        return Results(text, searched, answer.total, page, limit, hits,
                       {name: shown for name, (shown, _) in answer.facets.items()}, suggestion, corrected_from,
                       tuple(notes), {name: more for name, (_, more) in answer.facets.items() if more},
                       missing_shards=answer.missing)

    def partial_note(self, missing: tuple[int, ...]) -> list[str]:
        return [f"partial results: shard {', '.join(map(str, missing))} of {len(self.layout.shards)} "
                "has no live replica; its pages are missing"] if missing else []

    def search_answers(self, text: str, filters: Filters = Filters(), limit: int = 10,
                       page: int = 1) -> AnswerResults:
        """Answers rather than pages (as :meth:`Searcher.search_answers`), from the pages the head
        returns: :func:`healthqa.search.cluster_answers.search_answers`."""
        return search_answers(self, text, filters, limit, page)

    def record_ids(self) -> list[str]:
        """The ids of the records the cluster was last synced with (the store must not be ahead of it)."""
        if self._store.seq() != self.synced_seq:
            raise ClusterError(f"{self.paths.root}: the cluster is behind the records: run 'healthqa cluster sync' first")
        return self._store.ids()

    @property
    def synced_seq(self) -> int:
        """The record-store sequence number the cluster was last built or synced at."""
        from healthqa.index.cluster.build import read_state

        return int(read_state(self.paths).get("delta_seq", 0))

    @property
    def page_count(self) -> int:
        """Pages in the cluster at its last build or sync."""
        return sum(self._state_counts)

    def _hit(self, rank: int, score: float, page: QAPage, terms: frozenset[str], answer: EngineAnswer,
             also_in: tuple) -> Hit:
        stored = StoredPage(page.id, page.question, page.topic, page.source, page.url, page.question_type,
                            tuple(StoredAnswer(a.text, a.role, a.author, a.votes, a.accepted) for a in page.answers),
                            page.related)
        width = self.settings.snippet_chars
        shown = answer_hits.choose(stored.answers, terms, self._analyzer, self.idf(answer), self._average_answer,
                                   self.settings.answers, self.settings.answers_per_hit, width)
        snippet = shown[0].snippet if shown else make_snippet(stored.question, terms, self._analyzer, width)
        return Hit(rank=rank, id=page.id, score=score, question=page.question, topic=page.topic, source=page.source,
                   url=page.url, question_type=page.question_type, roles=page.roles, snippet=snippet,
                   answers=shown, also_in=also_in)

    @cached_property
    def _state_counts(self) -> list[int]:
        try:
            with open(self.paths.state, encoding="utf-8") as handle:
                return list(json.load(handle).get("per_shard", []))
        except (OSError, ValueError):
            return []

    @property
    def _average_answer(self) -> float:
        """Answers' average length in words at the last build (for scoring answers one by one)."""
        return float(self.vocabulary.get("average_answer") or 200.0)
