"""Answers one by one through a search cluster: expert signals and ``search --answers``.

The engine indexes pages, not answers: it returns candidate pages. Which of a candidate's
answers match, and how each scores, is worked out here from the page in the store, as the
Whoosh answer index does it: an answer matches as a document made of that one answer and
its page's other fields (question, detail, topic, synonyms, related), so a query word in
the question makes every answer match, a word in one answer that answer only. Its score is
its BM25 (:func:`healthqa.search.answer_hits.answer_score`) times its expert signals
(accepted, votes: :func:`healthqa.search.answers.signal_factor`); a page's signal factor is
the best among its matching answers, as on the Whoosh index.

>>> from healthqa.search.cluster import ClusterSearcher                     # doctest: +SKIP
>>> with ClusterSearcher("healthqa-data", "healthqa-data/cluster") as s:     # doctest: +SKIP
...     s.search_answers("heel pain").answers[0].role
'Physical Therapy'
"""

from __future__ import annotations

from typing import Callable, Iterable

import numpy as np

from healthqa.index.answers import fold
from healthqa.index.cluster.engine_config import FIELDS
from healthqa.index.writer import document
from healthqa.ingest.errors import QueryError
from healthqa.ingest.record import QAPage
from healthqa.search.answer_hits import answer_score
from healthqa.search.answer_results import AnswerListing, AnswerResults
from healthqa.search.answers import signal_factor
from healthqa.search.settings import AnswerSettings
from healthqa.search.snippets import make_snippet

# The page's fields that make every answer on it match (the answers' own are scored apart).
PAGE_FIELDS = tuple(f for f in FIELDS if f not in ("answer", "role_text"))


class AnswerMatcher:
    """The answers of a page that match a query's ``terms``, each with its own score."""

    def __init__(self, terms: frozenset[str], analyzer, idf: Callable[[str], float], average_length: float,
                 settings: AnswerSettings):
        self.terms, self.analyzer, self.idf = terms, analyzer, idf
        self.average_length, self.settings = average_length, settings

    def on_page(self, page: QAPage) -> bool:
        """Whether a query word is in the page's own fields (then every answer matches)."""
        fields = document(page)
        text = "\n".join(str(fields.get(name) or "") for name in PAGE_FIELDS)
        return any(t.text in self.terms for t in self.analyzer(text))

    def answers(self, page: QAPage, roles: Iterable[str] = ()) -> list[tuple[int, float]]:
        """``(position, score)`` of each matching answer (by one of ``roles``, if given)."""
        wanted = {fold(r) for r in roles}
        every = None
        found = []
        for n, answer in enumerate(page.answers):
            if wanted and fold(answer.role or "") not in wanted:
                continue
            score = answer_score(answer, self.terms, self.analyzer, self.idf, self.average_length)
            if score <= 0:
                every = self.on_page(page) if every is None else every
                if not every:
                    continue
            found.append((n, score * self.factor(answer)))
        return found

    def factor(self, answer) -> float:
        return float(signal_factor(self.settings, np.array([bool(answer.accepted)]),
                                   np.array([float(answer.votes or 0)]))[0])

    def page_factor(self, page: QAPage) -> float:
        """The best signal factor among the page's matching answers (1.0: none has a signal)."""
        signalled = [a for a in page.answers if a.accepted or a.votes]
        if not signalled:
            return 1.0
        every = self.on_page(page)
        factors = [self.factor(a) for a in signalled
                   if every or answer_score(a, self.terms, self.analyzer, self.idf, self.average_length) > 0]
        return max([1.0, *factors])


def search_answers(searcher, text: str, filters, limit: int = 10, page: int = 1) -> AnswerResults:
    """Each matching answer of the pages the head returns (a ``ClusterSearcher``'s candidates,
    reranked), best first by its own score, then its page's, as ``Searcher.search_answers``.

    The engine counts pages: ``total`` counts the answers on the pages it returned, and a
    note says so when it found more pages than it returned.
    """
    if limit < 1 or page < 1:
        raise QueryError("limit and page must be 1 or more")
    if not searcher.analyzer_terms(text):
        return AnswerResults(text, text, 0, page, limit, (), ("no words to search for (only common words or symbols)",))
    found = searcher.found(text, filters, searcher.candidates, facets=False)
    matcher = searcher.answer_matcher(found.text, found.answer)
    ranked = [(p, score) for p, score in ((searcher.page(c.id), score) for c, score in found.ranked) if p is not None]
    rows = [(own, score, p.id, n, p) for p, score in ranked for n, own in matcher.answers(p, filters.roles)]
    rows.sort(key=lambda r: (-r[0], -r[1], r[2], r[3]))
    shown = [_listing((page - 1) * limit + i + 1, row, matcher, searcher.settings.snippet_chars)
             for i, row in enumerate(rows[(page - 1) * limit:page * limit])]
    notes = searcher.partial_note(found.answer.missing)
    if found.corrections:
        notes.append("also searched " + ", ".join(f"'{w}' as '{c}'" for w, c in found.corrections))
    if found.answer.total > len(found.answer.candidates):
        notes.append(f"answers of the best {len(found.answer.candidates)} of {found.answer.total} matching pages "
                     "(the cluster finds pages, then their answers)")
    return AnswerResults(text, found.text, len(rows), page, limit, tuple(shown), tuple(notes))


def _listing(rank: int, row: tuple[float, float, str, int, QAPage], matcher: AnswerMatcher,
             snippet_chars: int) -> AnswerListing:
    """One answer as a listing shows it."""
    own, _, _, n, page = row
    answer = page.answers[n]
    return AnswerListing(rank, own, page.id, page.question, page.topic, page.source, page.url, answer.role,
                         answer.author, answer.votes, bool(answer.accepted),
                         make_snippet(answer.text or "", matcher.terms, matcher.analyzer, snippet_chars))
