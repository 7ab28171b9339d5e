"""Related questions through a search cluster: the head finds candidates, :mod:`healthqa.search.related` chooses.

The cluster's head returns the best pages for a question's key words, scored by the engine's
BM25F with the related-question field weights (one weight per word: the engine takes no
per-word weights, so the focus's words do not count above the others there). The focus and
type bonuses then run on those candidates with the same code as on a Whoosh index
(:class:`healthqa.search.rank.Ranker` over :class:`healthqa.search.candidates.Candidates`),
and the same steps choose among them: duplicates out, the page's own links first, diversity.
Pages and their answers come from the store. When a shard has no live replica the
suggestions are from the others, and ``missing_shards`` says which were missing.

>>> from healthqa.search.cluster import ClusterSearcher       # doctest: +SKIP
>>> with ClusterSearcher("healthqa-data", "healthqa-data/cluster") as s:     # doctest: +SKIP
...     [x.question for x in ClusterRelatedFinder(s).for_question("is gout hereditary")][:1]
['Is gout inherited?']
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from healthqa.search.candidates import value_ids
from healthqa.search.cluster import ClusterSearcher
from healthqa.search.cluster_head import EngineAnswer, ranker_expression
from healthqa.search.related import Brief, RelatedFinder

# The head returns this many times the candidates the related settings consider: the focus
# and type bonuses (up to 3x) reorder them before the best are kept.
WIDER = 4


class ClusterRelatedFinder(RelatedFinder):
    """:class:`RelatedFinder` whose candidates are record ids from a cluster's head."""

    def brief(self, record_id: str) -> Brief:
        if self.searcher.page(record_id) is None:  # in the cluster, gone from the store since its last sync
            return Brief(record_id, "", None, "", "", "")
        return super().brief(record_id)

    def _engine(self, words: dict[str, float], count: int, weights) -> EngineAnswer:
        ranker = ranker_expression(self.searcher.settings, weights, or_bonus=0.0)
        answer = self.searcher.engine(" ".join(words), count=count, ranker=ranker, facets=False)
        self.missing_shards = tuple(sorted(set(self.missing_shards) | set(answer.missing)))
        return answer

    def _candidates(self, words: dict[str, float], asked: set[str] | None, focus: tuple) -> list[tuple[Any, float]]:
        answer = self._engine(words, WIDER * self.settings.candidates, self.settings.weights)
        found = answer.candidates
        if not found:
            return []
        ranker = self.searcher.candidate_ranker(answer)
        scores = self._bonuses(np.array([c.weight for c in found]) / 1e6, asked, focus, ranker,
                               lambda: value_ids([c.qtype for c in found]))
        order = sorted(range(len(found)), key=lambda n: (-scores[n], n))[:self.settings.candidates]
        return [(found[n].id, float(scores[n])) for n in order if found[n].id]

    def _link_matches(self, words: dict[str, float]) -> list[tuple[Any, float]]:
        answer = self._engine(words, self.settings.link_candidates, {"question": 1.0})
        return [(c.id, c.weight) for c in answer.candidates]

    def _documents(self, found: set[str]) -> dict[str, int]:
        """How many pages hold each of the stems ``found`` (in any field), as the head counts them."""
        if not found:
            return {}
        docs = self._engine({stem: 1.0 for stem in found}, 1, self.settings.weights).keyword_docs
        return {stem: docs.get(stem, 0) for stem in found}

    def _indexed(self, found: set[str]) -> set[str]:
        return {stem for stem, docs in self._documents(found).items() if docs}

    def _answer_idf(self, found: set[str]) -> dict[str, float]:
        # The head counts a word's pages over all fields, not answers alone: the rarest
        # words of the answers still come first.
        total = self.searcher.page_count or 1
        return {stem: math.log(1.0 + (total - df + 0.5) / (df + 0.5)) for stem, df in self._documents(found).items()}
