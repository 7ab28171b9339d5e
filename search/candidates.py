"""A few candidate pages seen as an index, so :class:`healthqa.search.rank.Ranker` reranks them.

The ranker reads postings and field lengths (topic, synonyms, answers); a search cluster
returns only its top candidates and their engine scores, so these are built from the
candidates' records: the same rank steps run on a handful of pages instead of the whole index.

>>> from healthqa.ingest.record import QAPage
>>> pages = [QAPage("a", "s", "f", "What is gout?", "o", topic="Gout")]
>>> Candidates(pages).get("topic", "gout").docs.tolist(), Candidates(pages).lengths("answer").tolist()
([0], [0.0])
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from healthqa.index.schema import text_analyzer
from healthqa.ingest.record import QAPage
from healthqa.search.engine import Posting

_ANALYZER = text_analyzer()


def _field_terms(page: QAPage, field: str) -> list[str]:
    text = {"topic": page.topic or "", "synonyms": "\n".join(page.synonyms),
            "answer": "\n\n".join(a.text for a in page.answers)}[field]
    return [t.text for t in _ANALYZER(text)]


class Candidates:
    """Postings and field lengths of ``pages`` (document n is ``pages[n]``), every one live."""

    def __init__(self, pages: Sequence[QAPage]):
        self.pages = pages
        self.size = len(pages)
        self.live = np.ones(self.size, dtype=bool)
        self.live_count = self.size
        self._terms: dict[str, list[list[str]]] = {}

    def _of(self, field: str) -> list[list[str]]:
        if field not in self._terms:
            self._terms[field] = [_field_terms(page, field) for page in self.pages]
        return self._terms[field]

    def lengths(self, field: str) -> np.ndarray:
        return np.array([len(terms) for terms in self._of(field)], dtype=np.float32)

    def average_length(self, field: str) -> float:
        lengths = self.lengths(field)
        return float(lengths.mean()) if len(lengths) and lengths.mean() else 1.0

    def get(self, field: str, text: str) -> Posting:
        counts = [(n, terms.count(text)) for n, terms in enumerate(self._of(field)) if text in terms]
        return Posting(np.array([n for n, _ in counts], dtype=np.int32),
                       np.array([c for _, c in counts], dtype=np.float32))

    def values(self, read) -> tuple[np.ndarray, list[str]]:
        """Each page's value of ``read(page)`` as ids into a sorted list of names (-1: none)."""
        names = sorted({v for v in map(read, self.pages) if v})
        index = {name: i for i, name in enumerate(names)}
        return np.array([index.get(read(p), -1) if read(p) else -1 for p in self.pages], dtype=np.int32), names


class GivenScores:
    """A scorer that returns the scores the engine gave (the ranker's first step)."""

    def __init__(self, scores: np.ndarray):
        self.scores = scores

    def score(self, terms) -> np.ndarray:
        return self.scores.astype(np.float32).copy()
