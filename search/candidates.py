"""A few candidate pages seen as an index, so :class:`healthqa.search.rank.Ranker` reranks them.

The ranker reads postings and field lengths (topic, synonyms, answers); a search cluster
returns only its top candidates, their engine scores and, as attributes, what reranking
needs: each candidate's topic and synonyms as index terms and its answer count. The same
rank steps then run on a handful of pages instead of the whole index.

>>> c = Candidates({"topic": [["gout"], ["heart", "attack"]], "synonyms": [[], []]}, [0, 2])
>>> c.get("topic", "heart").docs.tolist(), c.lengths("topic").tolist(), c.lengths("answer").tolist()
([1], [1.0, 2.0], [0.0, 2.0])
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np

from healthqa.search.engine import Posting


class Candidates:
    """Postings and field lengths of candidate pages (document n is the n-th), every one live.

    ``terms`` holds each page's terms per field; the ``answer`` field's "length" is the page's
    answer count, which is all the ranker reads of it (a page without answers is a stub).
    """

    def __init__(self, terms: Mapping[str, Sequence[Sequence[str]]], answers: Sequence[int]):
        self._fields = {name: [list(t) for t in pages] for name, pages in terms.items()}
        self._answers = np.array(answers, dtype=np.float32)
        self.size = len(answers)
        self.live = np.ones(self.size, dtype=bool)
        self.live_count = self.size

    def lengths(self, field: str) -> np.ndarray:
        if field == "answer":
            return self._answers
        return np.array([len(terms) for terms in self._fields[field]], dtype=np.float32)

    def average_length(self, field: str) -> float:
        lengths = self.lengths(field)
        return float(lengths.mean()) if self.size and lengths.mean() else 1.0

    def get(self, field: str, text: str) -> Posting:
        counts = [(n, terms.count(text)) for n, terms in enumerate(self._fields[field]) if text in terms]
        return Posting(np.array([n for n, _ in counts], dtype=np.int32),
                       np.array([c for _, c in counts], dtype=np.float32))


def value_ids(values: Sequence[str]) -> tuple[np.ndarray, list[str]]:
    """Each candidate's value as an id into the sorted list of names (-1: none).

    >>> ids, names = value_ids(["b", "", "a", "b"])
    >>> ids.tolist(), names
    ([1, -1, 0, 1], ['a', 'b'])
    """
    names = sorted({v for v in values if v})
    index = {name: i for i, name in enumerate(names)}
    return np.array([index.get(v, -1) for v in values], dtype=np.int32), names


class GivenScores:
    """A scorer that returns the scores the engine gave (the ranker's first step)."""

    def __init__(self, scores: np.ndarray):
        self.scores = scores

    def score(self, terms) -> np.ndarray:
        return self.scores.astype(np.float32).copy()

    def matching(self, terms) -> tuple[np.ndarray, np.ndarray]:
        """The documents with a positive score given, and those scores (as :meth:`Scorer.matching`)."""
        scores = self.score(terms)
        docs = np.flatnonzero(scores > 0)
        return docs, scores[docs]
