"""The search API: a :class:`Searcher` built once with its settings, asked many queries.

>>> from healthqa.search.searcher import Searcher, Filters  # doctest: +SKIP
>>> with Searcher("healthqa-data") as s:                    # doctest: +SKIP
...     results = s.search("foot pain", Filters(roles=("Fitness",)), limit=5)
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, replace
from functools import cached_property, lru_cache

import numpy as np

from healthqa.index import whoosh_internals
from healthqa.index.generations import Lease
from healthqa.index.lay_names import LayNames
from healthqa.index.schema import text_analyzer
from healthqa.index.stored import StoredPage
from healthqa.index.store import current_generation, open_index
from healthqa.ingest.errors import IndexMissingError, QueryError
from healthqa.ingest.normalise import question_key
from healthqa.search import answer_hits, facets
from healthqa.search.answer_results import AnswerListing, AnswerResults
from healthqa.search.answers import AnswerIndex, RoleMatch
from healthqa.search.columns import Values, cached, from_column, from_postings
from healthqa.search.consumer_types import TO_MEDQUAD
from healthqa.search.engine import Postings, WeightedTerm, best_of
from healthqa.search.matching import match_mask
from healthqa.search.memo import Memo
from healthqa.search.phrases import IndexPhrases
from healthqa.search.query import ParsedQuery, QueryReader, highlight_terms
from healthqa.search.rank import Asked, Ranker, is_plain, weighted_terms
from healthqa.search.results import Hit, Results
from healthqa.search.settings import SearchSettings
from healthqa.search.snippets import make_snippet
from healthqa.search.spelling import Speller
from healthqa.search.understand import QuestionReader, Understanding


@dataclass(frozen=True)
class _Scored:
    """Which documents match one query and their scores, and the spelling corrections used."""

    docs: np.ndarray  # the documents that match, ascending
    doc_scores: np.ndarray  # their scores (all positive)
    size: int  # documents in the index
    corrections: tuple[tuple[str, str], ...]
    typed_found: bool  # whether the words as typed match any document
    terms: tuple[WeightedTerm, ...] = ()  # the words scored, corrections included

    @cached_property
    def scores(self) -> np.ndarray:
        """The score of every document (0: no match)."""
        out = np.zeros(self.size, dtype=self.doc_scores.dtype)
        out[self.docs] = self.doc_scores
        return out

    @cached_property
    def matched(self) -> np.ndarray:
        """Whether each document matches."""
        out = np.zeros(self.size, dtype=bool)
        out[self.docs] = True
        return out


# Pages' questions recur across queries: each is normalised once.
_question_key = lru_cache(maxsize=100_000)(question_key)


def _apply(text: str, corrections: tuple[tuple[str, str], ...]) -> str:
    for word, correction in corrections:
        text = re.sub(rf"\b{re.escape(word)}\b", correction, text, flags=re.I)
    return text


@dataclass(frozen=True)
class Filters:
    """Keep only pages with an answer by one of ``roles`` that matches the query (roles and topic
    in any case or spacing), on ``topic``, from ``source``."""

    roles: tuple[str, ...] = ()
    topic: str | None = None
    source: str | None = None


class Searcher:
    """Searches one index. Holds the index open: close it, or use ``with``."""

    def __init__(self, data_dir: str, settings: SearchSettings | None = None, generation: str | None = None):
        self.data_dir = data_dir
        self.settings = settings = settings or SearchSettings()
        # Held until close: no reindex removes the generation this searcher reads.
        self._lease = Lease(lambda: generation or current_generation(data_dir))
        try:
            self._open(self._lease.generation)
            self._reader = self._searcher.reader()
            self.postings = Postings(self._reader)
            self.answers = self._open_answers()
            self._stored_fields = whoosh_internals.StoredFields(self._reader)
        except BaseException:
            self._lease.close()
            raise
        self._queries = QueryReader(self._ix.schema, settings)
        self._analyzer = text_analyzer()
        # Stored fields read lately (collapsing reads a hit's fields, showing it reads them again),
        # and the pages shown lately, decoded (a page's answers are read from their JSON once).
        self._fields = Memo(4096, self._stored_fields)
        self._pages = Memo(1024, lambda docnum: StoredPage.from_fields(self._fields[docnum]))
        # The word lists are kept in the generation (the index writer puts them there).
        self._speller = Speller(self.postings, rare=settings.spell_rare, ratio=settings.spell_ratio,
                                min_length=settings.spell_min_length, real_words=settings.spell_real_words,
                                cache_dir=self._generation)

    def _open(self, generation: str) -> None:
        self._ix, self.meta = open_index(self.data_dir, generation)
        # The generation opened, not the link read again: a reindex may swap it in between.
        self._generation = os.path.realpath(self._ix.storage.folder)
        try:
            self._searcher = self._ix.searcher()
        except Exception as exc:  # open_index read only the table of contents; a segment is damaged
            raise IndexMissingError(f"search index {self._generation!r} is damaged ({type(exc).__name__}: "
                                    f"{exc}): run 'healthqa reindex'") from None

    @property
    def generation(self) -> str:
        """The index generation this searcher reads (held open for it)."""
        return self._generation

    def close(self) -> None:
        self.answers.close()
        self.postings.close()
        if "lay_names" in self.__dict__:  # connected to only if a question was read
            self.lay_names.close()
        self._searcher.close()
        self._lease.close()

    def __enter__(self) -> "Searcher":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def doc_count(self) -> int:
        return self._reader.doc_count()

    def is_current(self) -> bool:
        """False once the index changed (a sync committed, or a rebuild swapped in)."""
        try:
            return current_generation(self.data_dir) == self._generation and self._searcher.up_to_date()
        except Exception:
            return False

    @cached_property
    def values(self) -> dict[str, Values]:
        """Values for filters and facets: roles and topics folded, one value whatever the case
        or spacing (:mod:`healthqa.search.facets`)."""
        raw = self._values
        return {"role": facets.folded(raw["role"]), "topic": facets.folded(raw["topic"]), "source": raw["source"]}

    @cached_property
    def _values(self) -> dict[str, Values]:
        """Values as the pages write them (the ranking's topics are these)."""
        if self.postings.size == 0:  # Whoosh's empty reader has no columns to read
            empty = Values([], np.zeros(0, dtype=np.int32))
            return {"role": Values([], empty.ids, []), "topic": empty, "source": empty}
        # Keyed by Whoosh's commit generation: any commit to the index invalidates it.
        key = f"{self._ix.latest_generation()}:{self.postings.size}"
        cache = os.path.join(self._generation, "topics.cache.npz")
        return {"role": from_postings(self.postings, "role", multi=True),
                "topic": cached(cache, key, lambda: from_column(self.postings, "topic_exact")),
                "source": from_postings(self.postings, "source")}

    def _open_answers(self, tries: int = 5) -> AnswerIndex:
        """The answer index, opened right after the pages: if the page index has not changed
        since, the answers of every page this searcher sees are there (index/answers.py)."""
        for attempt in range(tries):
            try:
                answers = AnswerIndex(self._generation, self.postings, self._searcher, self.settings.ranking,
                                      self.settings.answers)
            except Exception as exc:  # a missing or damaged answer index: the generation must be rebuilt
                self.postings.close()
                self._searcher.close()
                raise IndexMissingError(f"search index {self._generation!r}: the answer index cannot be read "
                                        f"({type(exc).__name__}: {exc}): run 'healthqa reindex'") from None
            opened = self._reader.generation()  # None for an index with no segments yet
            if attempt == tries - 1 or opened is None or self._ix.latest_generation() == opened:
                return answers
            answers.close()  # a sync committed in between: open both again
            self.postings.close()
            self._searcher.close()
            self._searcher = self._ix.searcher()
            self._reader = self._searcher.reader()
            self.postings = Postings(self._reader)
        raise AssertionError("unreachable: the last try returns")

    @cached_property
    def ranker(self) -> Ranker:
        ranking = self.settings.ranking
        qtypes = from_postings(self.postings, "qtype") if ranking.qtype_weight else None
        topics = self._values["topic"].ids if ranking.topic_spread or ranking.unanswered_factor != 1.0 \
            or ranking.stubs_below_answers else None

        def load_qtypes() -> tuple[np.ndarray, list[str]]:
            values = from_postings(self.postings, "qtype")
            return values.ids, values.names

        return Ranker(self.postings, ranking, qtypes.ids if qtypes else None,
                      qtypes.names if qtypes else None, topics, load_qtypes if ranking.type_weight else None)

    @property
    def analyzer(self):
        return self._analyzer

    def page(self, docnum: int) -> StoredPage:
        """What the index stores of one document (remembered)."""
        return self._pages[docnum]

    def docnum(self, record_id: str) -> int | None:
        """The live document number of a record id, or ``None`` if it is not indexed."""
        docs = self.postings.get("id", record_id).docs
        live = [int(d) for d in docs if self.postings.live[d]]
        return live[0] if live else None

    @cached_property
    def question_reader(self) -> QuestionReader:
        """Reads questions against this index's topics and synonyms (built on first use)."""
        return QuestionReader(self.phrases.topic_named, self.phrases.synonym_phrase, self._generation,
                              topic_word=self.phrases.topic_word, word_fields=self.phrases.word_fields,
                              lay_names=self.lay_names)

    @cached_property
    def lay_names(self) -> LayNames:
        """This generation's mined lay names (connected to on first use, let go by :meth:`close`)."""
        return LayNames(self._generation)

    @cached_property
    def phrases(self) -> IndexPhrases:
        """What this index's topics and synonyms say of a question's phrases (remembered)."""
        return IndexPhrases(self.postings, self._analyzer, lambda: self.values["topic"])

    def _terms(self, text: str) -> tuple[str, ...]:
        return self.phrases.terms(text)

    def understand(self, text: str) -> Understanding:
        """What ``text`` is understood to ask: focus (with its source), expansions, type.

        >>> searcher.understand("pink eye contagious").focus[0].topic   # doctest: +SKIP
        'Conjunctivitis'
        """
        suggestion = self._speller.suggest(text) if self.settings.suggest else None
        return self.question_reader.understand(suggestion or text)

    def _asked(self, understood: Understanding) -> Asked:
        focus = tuple(tuple(dict.fromkeys(self._terms(name) for name in (f.text, f.topic, f.canonical) if name))
                      for f in understood.focus)
        qtype = understood.qtype
        if self.settings.ranking.type_from == "consumer" and understood.asks:
            qtype = replace(understood.asks, name=TO_MEDQUAD.get(understood.asks.name, "information"))
        asking = frozenset(t for word in understood.asking for t in self.phrases.word_terms(word))
        lead = _drug_lead(understood, focus)
        if qtype is None or not qtype.cues or qtype.confidence < self.settings.ranking.type_min_confidence:
            return Asked(focus, asking=asking, lead=lead)
        return Asked(focus, qtype.name, qtype.confidence, asking, lead)

    def _uses_understanding(self) -> bool:
        ranking = self.settings.ranking
        return bool(ranking.focus_match_weight or ranking.expansion_weight or ranking.type_weight)

    def _expansions(self, understood: Understanding, terms: list[WeightedTerm]) -> list[WeightedTerm]:
        """Terms for the clinical names of lay words, at the expansion weight, in the fields
        the query's words are searched in."""
        share = self.settings.ranking.expansion_weight
        expanded = [f for f in understood.focus if f.canonical and f.canonical in understood.expansions]
        if not expanded:  # most questions: no lay name
            return []
        fields = {field: weight for field, _, weight, _ in terms}
        extra = []
        for focus in expanded:
            typed = self._terms(focus.text) or (focus.canonical,)
            # The clinical name stands for every word of the lay phrase: a page with it counts
            # as matching each of them, at a share of their weight.
            for stem in self._terms(focus.canonical):
                if stem not in typed:
                    extra += [WeightedTerm(field, stem, weight * share / len(typed), word)
                              for field, weight in fields.items() for word in typed]
        return extra

    def parse(self, text: str) -> ParsedQuery:
        return self._queries.parse(text, self._reader)

    def scores(self, parsed: ParsedQuery) -> tuple[np.ndarray, np.ndarray]:
        """Scores of every document and the mask of documents that match the query."""
        scored = self._scored(parsed)
        return scored.scores, scored.matched

    def _scored(self, parsed: ParsedQuery) -> "_Scored":
        terms = parsed.weighted_terms()
        typed_found = any(len(self.postings.get(t.field, t.text).docs) for t in terms)
        corrections: list[tuple[str, str]] = []
        if self.settings.ranking.fuzzy_weight:
            extra, corrections = self._corrections(parsed.text, terms)
            terms += extra
        asked = None
        if terms and self._uses_understanding():
            # Only the corrections the search applies (and says so): no silent rewrite here.
            # Ranking by the consumer type reads no MedQuAD type (_asked): it is not predicted.
            understood = self.question_reader.understand(_apply(parsed.text, tuple(corrections)),
                                                         medquad_type=self.settings.ranking.type_from != "consumer")
            if self.settings.ranking.expansion_weight:
                terms += self._expansions(understood, terms)
            asked = self._asked(understood)
        docs, scores = self._rank(parsed, terms, asked)
        return _Scored(docs, scores, self.postings.size, tuple(corrections), typed_found, tuple(terms))

    def _rank(self, parsed: ParsedQuery, terms: list[WeightedTerm],
              asked: Asked | None = None) -> tuple[np.ndarray, np.ndarray]:
        """The documents that match (ascending) and their scores."""
        if terms:
            docs, scores = self.ranker.matching(terms, parsed.text, asked)
        else:
            docs, scores = np.empty(0, np.intp), np.empty(0, np.float32)
        if is_plain(parsed.query):
            return docs, scores
        every = np.zeros(self.postings.size, dtype=scores.dtype)
        every[docs] = scores
        # A phrase in the answers must lie inside one answer: the answer index says where.
        docs = np.flatnonzero(match_mask(parsed.query, self.postings, self._searcher, self._answer_phrase))
        # Matches with no scoring word (e.g. source:GARD alone) still rank, in index order.
        return docs, np.maximum(every[docs], 1e-6)

    def _answer_phrase(self, node) -> np.ndarray | None:
        if type(node).__name__ != "Phrase" or node.fieldname != "answer":
            return None
        return self.answers.phrase_pages(node)

    def _corrections(self, text: str, terms: list[WeightedTerm]) -> tuple[list[WeightedTerm], list[tuple[str, str]]]:
        """Terms for the nearest indexed spelling of words that no document has,
        and the ``(word, correction)`` pairs they came from."""
        known: set[str] = set()
        indexed = self._indexed
        for field, term, _, word in terms:  # a word found in one field needs no look-up in the others
            if word not in known and indexed[field, term]:
                known.add(word)
        share = self.settings.ranking.fuzzy_weight
        extra: list[WeightedTerm] = []
        pairs: list[tuple[str, str]] = []
        if self._speller.is_foreign(text):
            return extra, pairs
        for word in dict.fromkeys(re.findall(r"[^\W\d_]{4,}", text.lower())):
            stems = self.phrases.word_terms(word)
            if not stems or not known.isdisjoint(stems):
                continue
            correction = self._speller.word(word)
            if correction is None:
                continue
            added = [WeightedTerm(t.field, stem, t.weight * share, stem)
                     for stem in self.phrases.word_terms(correction) for t in terms if t.word == stems[0]]
            if added:
                extra += added
                pairs.append((word, correction))
        return extra, pairs

    @cached_property
    def _indexed(self) -> Memo:
        """Whether some document holds a term in a field, by ``(field, term)``, remembered for
        this index (50,000 terms: 8 MB at most)."""
        return Memo(50_000, lambda key: bool(len(self.postings.get(*key).docs)))

    def ranked_ids(self, text: str, limit: int = 10, collapse: bool = False) -> list[tuple[str, float]]:
        """Just the ranking: ``(id, score)`` of the first ``limit`` pages, no snippets or facets.

        Duplicates are kept (each judged page is its own document in an evaluation) unless
        ``collapse`` asks for the list as ``search`` shows it, one hit per question.
        """
        parsed = self.parse(text)
        if parsed.is_empty:
            return []
        scored = self._scored(parsed)
        ranked = self._collapsed(scored.docs, scored.doc_scores, limit, collapse)
        return [(self.page(d).id, s) for d, s, _ in ranked]

    def _collapsed(self, docs: np.ndarray, scores: np.ndarray, count: int,
                   collapse: bool = True) -> list[tuple[int, float, tuple]]:
        """The best ``count`` of the documents ``docs`` (ascending) scored ``scores``, as
        ``(docnum, score, also_in)``: with collapsing on, the same normalised question on the
        same topic is one hit, and ``also_in`` holds the ``(id, source)`` of the others found
        among the candidates looked at."""
        if not (collapse and self.settings.collapse_duplicates):
            return [(d, s, ()) for d, s in best_of(docs, scores, count)]
        candidates = best_of(docs, scores, count * max(1, self.settings.collapse_window))
        kept: dict[tuple[str, str], list] = {}
        keys = self._collapse_keys
        for docnum, score in candidates:
            key, where = keys[docnum]
            found = kept.get(key)
            if found is not None:
                found[2].append(where)
            elif len(kept) < count:
                kept[key] = [docnum, score, []]
        return [(d, s, tuple(also)) for d, s, also in kept.values()]

    @cached_property
    def _collapse_keys(self) -> Memo:
        """Per document looked at: its key for collapsing (normalised question, topic) and its
        ``(id, source)``, worked out once (the same pages are candidates for many questions)."""
        def key(docnum: int) -> tuple[tuple[str, str], tuple[str, str]]:
            # The raw stored fields: a hit's answers are decoded only for the hits shown.
            fields = self._fields[docnum]
            return ((_question_key(fields["question"]), (fields.get("topic") or "").casefold()),
                    (fields["id"], fields.get("source", "")))
        return Memo(4096, key)

    def search(self, text: str, filters: Filters = Filters(), limit: int = 10, page: int = 1) -> Results:
        """One page of results for ``text``; falls back to the did-you-mean suggestion when
        the query as typed finds nothing."""
        if limit < 1 or page < 1:
            raise QueryError("limit and page must be 1 or more")
        results = self._search(text, filters, limit, page)
        if results.total == 0 and results.suggestion:
            retry = self._search(results.suggestion, filters, limit, page)
            if retry.total:
                return Results(**{**retry.__dict__, "query": text, "corrected_from": text,
                                  "suggestion": results.suggestion, "notes": results.notes + retry.notes})
        return results

    def _search(self, text: str, filters: Filters, limit: int, page: int) -> Results:
        parsed = self.parse(text)
        suggestion = self._speller.suggest(parsed.text) if self.settings.suggest else None
        notes = list(parsed.notes)
        if parsed.is_empty:
            notes.append("no words to search for (only common words or symbols)")
            return Results(text, parsed.text, 0, page, limit, (), {}, suggestion, None, tuple(notes))
        scored = self._scored(parsed)
        docs, scores = scored.docs, scored.doc_scores  # the matching documents only, from here on
        searched, corrected_from = parsed.text, None
        if scored.corrections:
            fixed = _apply(parsed.text, scored.corrections)
            if not scored.typed_found and len(docs):
                # The words as typed match nothing: these are results for the correction.
                searched, corrected_from, suggestion = fixed, text, fixed
            else:
                notes.append("also searched " + ", ".join(f"'{w}' as '{c}'" for w, c in scored.corrections))
        if filters.roles or filters.topic or filters.source:
            kept = self._filter_mask(filters, notes)[docs]
            docs, scores = docs[kept], scores[kept]
        role = self._role_match(parsed, scored, filters) if filters.roles and len(docs) else None
        if role is not None:
            if not role.pages.any():
                notes.append(f"no answer by {' or '.join(map(repr, filters.roles))} matches the query")
            kept = role.pages[docs]
            scores = (scores + self.settings.answers.role_weight * role.page_scores[docs])[kept]
            docs = docs[kept]
        scores = self._with_signals(parsed, docs, scores)
        # With a role filter a hit stands for its answers by that role: two pages with the
        # same question have different ones, so both are shown.
        ranked = self._collapsed(docs, scores, page * limit, not filters.roles)[(page - 1) * limit:]
        terms = highlight_terms(parsed.query)
        hits = tuple(self._hit((page - 1) * limit + i + 1, score, self.page(doc), terms, self._role_answers(role, doc),
                               also_in) for i, (doc, score, also_in) in enumerate(ranked))
        counted = {name: facets.counts(values, None, self.settings.facet_limit, docs)
                   for name, values in self.values.items()}
        return Results(text, searched, len(docs), page, limit, hits,
                       {name: shown for name, (shown, _) in counted.items()}, suggestion, corrected_from,
                       tuple(notes), {name: more for name, (_, more) in counted.items() if more})

    def search_answers(self, text: str, filters: Filters = Filters(), limit: int = 10, page: int = 1) -> AnswerResults:
        """Answers rather than pages: each answer that matches (with its page's other fields),
        best first by its own score (BM25 over that answer, times its expert signals).

        >>> searcher.search_answers("foot pain", Filters(roles=("Physical Therapy",)))  # doctest: +SKIP
        """
        if limit < 1 or page < 1:
            raise QueryError("limit and page must be 1 or more")
        parsed = self.parse(text)
        notes = list(parsed.notes)
        if parsed.is_empty:
            notes.append("no words to search for (only common words or symbols)")
            return AnswerResults(text, parsed.text, 0, page, limit, (), tuple(notes))
        scored = self._scored(parsed)
        pages = scored.matched & self._filter_mask(filters, notes)
        answers = self.answers
        wanted = answers.matches(self._answer_query(parsed, scored)) & pages[answers.page_of.clip(0)]
        if filters.roles:
            wanted &= answers.role_mask(filters.roles)
        docs = np.flatnonzero(wanted)
        own = answers.scores(list(scored.terms))[docs]
        order = np.lexsort((docs, -scored.scores[answers.page_of[docs]], -own))
        terms = highlight_terms(parsed.query)
        shown = [self._listing((page - 1) * limit + i + 1, int(docs[at]), float(own[at]), terms)
                 for i, at in enumerate(order[(page - 1) * limit:page * limit].tolist())]
        return AnswerResults(text, parsed.text, len(docs), page, limit, tuple(shown), tuple(notes))

    def _listing(self, rank: int, docnum: int, score: float, terms: frozenset[str]) -> AnswerListing:
        shown = self.answers.shown(docnum)
        stored = self.page(int(self.answers.page_of[docnum]))
        answer = stored.answers[shown["n"]]
        return AnswerListing(rank, score, stored.id, shown["question"], shown.get("topic"), shown.get("source", ""),
                             shown.get("url"), shown.get("role"), shown.get("author"), shown.get("votes"),
                             bool(shown.get("accepted")),
                             make_snippet(answer.text, terms, self._analyzer, self.settings.snippet_chars))

    def _role_match(self, parsed: ParsedQuery, scored: "_Scored", filters: Filters) -> RoleMatch:
        """Pages with an answer by a filtered role that matches the query's answer part."""
        return self.answers.role_match(self._answer_query(parsed, scored), list(scored.terms), filters.roles)

    @staticmethod
    def _answer_query(parsed: ParsedQuery, scored: "_Scored"):
        """The query answers are matched with: words added by spelling correction count too."""
        from whoosh import query as wq

        extra = [wq.Term(t.field, t.text) for t in scored.terms[len(weighted_terms(parsed.query)):]]
        return wq.Or([parsed.query, *extra]) if extra else parsed.query

    def _role_answers(self, role: RoleMatch | None, doc: int) -> list[int] | None:
        """Positions on page ``doc`` of the role filter's matching answers, best first."""
        if role is None:
            return None
        mine = role.answers[self.answers.page_of[role.answers] == doc]
        return [self.answers.shown(int(a))["n"] for a in mine]

    def _with_signals(self, parsed: ParsedQuery, docs: np.ndarray, scores: np.ndarray) -> np.ndarray:
        """The ``scores`` of pages ``docs`` times the best expert-signal factor of each page's
        matching answers."""
        if not self._has_signals:
            return scores
        factors = self.answers.page_factors(parsed.query)
        return scores if factors is None else scores * factors[docs]

    @cached_property
    def _has_signals(self) -> bool:
        """Whether any page has an accepted or voted answer (the answer index is opened only then)."""
        return bool(len(self.postings.get("signal", "1").docs))

    def _answer_idf(self, term: str) -> float:
        return self.ranker.scorer.idf("answer", term)

    def _filter_mask(self, filters: Filters, notes: list[str]) -> np.ndarray:
        mask = np.ones(self.postings.size, dtype=bool)
        if filters.roles:
            either = np.zeros_like(mask)
            for role in filters.roles:
                either |= self._value_mask("role", role, notes)
            mask &= either
        for name, value in (("topic", filters.topic), ("source", filters.source)):
            if value:
                mask &= self._value_mask(name, value, notes)
        return mask

    def _value_mask(self, name: str, value: str, notes: list[str]) -> np.ndarray:
        """Documents with ``value`` in field ``name``, matched without regard to case."""
        values = self.values[name]
        exact = facets.names_for(values, value)  # any spelling reaches every spelling
        if exact is None:
            notes.append(f"no page has {name} {value!r}")
            return np.zeros(self.postings.size, dtype=bool)
        return values.mask(exact)

    def _hit(self, rank: int, score: float, stored: StoredPage, terms: frozenset[str],
             only: list[int] | None = None, also_in: tuple[tuple[str, str], ...] = ()) -> Hit:
        width = self.settings.snippet_chars
        shown = answer_hits.choose(stored.answers, terms, self._analyzer, self._answer_idf,
                                   self.postings.average_length("answer"), self.settings.answers,
                                   self.settings.answers_per_hit, width, only)
        snippet = shown[0].snippet if shown else make_snippet(stored.question, terms, self._analyzer, width)
        return Hit(
            rank=rank, id=stored.id, score=score, question=stored.question, topic=stored.topic,
            source=stored.source, url=stored.url, question_type=stored.question_type, roles=stored.roles,
            snippet=snippet, answers=shown, also_in=also_in,
        )


# Consumer types asking whether a drug may be taken with something else.
_TAKEN_WITH = frozenset({"INTERACTION", "CONTRAINDICATION"})


def _drug_lead(understood: Understanding, focus: tuple) -> tuple[tuple[str, ...], ...]:
    """The index terms of the drug focus when the question asks whether that drug goes with
    something else it names (two foci, one a drug, the other not); else none."""
    if not understood.asks or understood.asks.name not in _TAKEN_WITH or len(understood.focus) < 2:
        return ()
    drugs = [terms for f, terms in zip(understood.focus, focus) if f.kind == "drug"]
    others = [f for f in understood.focus if f.kind != "drug"]
    return drugs[0] if len(drugs) == 1 and others else ()
