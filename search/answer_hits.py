"""Which answers a hit shows, best first, scored one by one from the hit's stored answers.

A hit holds few answers, so they are scored here in Python rather than over the answer
index: each answer's BM25 over the query words it holds (the word's idf taken from the
index), times its expert signals (accepted, votes: :class:`AnswerSettings`). An answer
counts as matching when it holds a query word or its role does.
"""

from __future__ import annotations

from typing import Callable, Iterable, Sequence

import numpy as np

from healthqa.index.stored import StoredAnswer
from healthqa.search.answers import signal_factor
from healthqa.search.results import AnswerHit
from healthqa.search.settings import AnswerSettings
from healthqa.search.snippets import Snippet, make_snippet, stems, term_word_spans

K1, B = 1.2, 0.75


def word_counts(texts: Iterable[str], terms: frozenset[str], analyzer) -> dict[str, int]:
    """How often each query term occurs in ``texts`` (words that analyse to it)."""
    found: dict[str, int] = {}
    for text in texts:
        for word, spans in term_word_spans(text, terms).items():
            for term in terms.intersection(stems(analyzer, word)):
                found[term] = found.get(term, 0) + len(spans)
    return found


def answer_score(answer: StoredAnswer, terms: frozenset[str], analyzer, idf: Callable[[str], float],
                 average_length: float) -> float:
    """BM25 of one answer (text and role) for the query ``terms``."""
    text = answer.text or ""
    counts = word_counts((text, answer.role or ""), terms, analyzer)  # the stored text, whose words are remembered
    length = max(1, len(text.split()))
    norm = K1 * ((1 - B) + B * length / max(average_length, 1.0))
    return sum(idf(term) * tf * (K1 + 1) / (tf + norm) for term, tf in counts.items())


def choose(answers: Sequence[StoredAnswer], terms: frozenset[str], analyzer, idf: Callable[[str], float],
           average_length: float, settings: AnswerSettings, count: int, width: int,
           only: Sequence[int] | None = None) -> tuple[AnswerHit, ...]:
    """The answers a hit shows: those that match, best first (the first answer if none does).

    ``only``: positions of the answers that may be shown, best first (a role filter's
    matching answers); they are shown in that order.
    """
    if only is None and len(answers) < 2:  # nothing to order (MedQuAD's pages): shown whether it matched or not
        return tuple([_shown(answer, terms, analyzer, width) for answer in answers[:count]])
    if only is not None:
        order = [n for n in only if 0 <= n < len(answers)]
    else:
        scores = [answer_score(a, terms, analyzer, idf, average_length) for a in answers]
        factors = signal_factor(settings, np.array([bool(a.accepted) for a in answers]),
                                np.array([float(a.votes or 0) for a in answers]))
        ranked = sorted((n for n, s in enumerate(scores) if s > 0), key=lambda n: (-scores[n] * factors[n], n))
        order = ranked or list(range(min(1, len(answers))))
    return tuple(_shown(answers[n], terms, analyzer, width) for n in order[:count])


def _shown(answer: StoredAnswer, terms: frozenset[str], analyzer, width: int) -> AnswerHit:
    snippet: Snippet = make_snippet(answer.text or "", terms, analyzer, width)
    return AnswerHit(answer.role, answer.author, snippet, votes=answer.votes, accepted=answer.accepted)
