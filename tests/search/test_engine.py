"""The numpy BM25F scorer over the search corpus: its arithmetic, its bonus, its live mask, its cache.

(That its postings, lengths and scores equal Whoosh's own is ``tests/index/test_whoosh_internals.py``.)
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from healthqa.search.engine import Postings, Scorer, WeightedTerm, top_k
from healthqa.search.rank import weighted_terms
from healthqa.search.searcher import Searcher
from healthqa.search.settings import RankingSettings


def term(field: str, word: str, weight: float = 1.0) -> WeightedTerm:
    return WeightedTerm(field, word, weight, word)


def test_one_word_in_one_field_scores_by_the_bm25_formula(searcher: Searcher) -> None:
    postings = searcher.postings
    settings = RankingSettings()
    scores = Scorer(postings, settings).score([term("question", "pneumonia", 2.0)])
    posting = postings.get("question", "pneumonia")
    n, df = postings.size, posting.doc_frequency
    idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
    lengths = postings.lengths("question")[posting.docs]
    norm = settings.k1 * (1 - settings.b + settings.b * lengths / postings.average_length("question"))
    expected = 2.0 * idf * posting.freqs * (settings.k1 + 1) / (posting.freqs + norm)
    assert len(posting.docs) >= 4  # the corpus has five pneumonia pages
    assert scores[posting.docs] == pytest.approx(expected, rel=1e-6)
    assert np.count_nonzero(scores) == len(posting.docs)


def test_matching_more_of_the_words_earns_the_or_bonus(searcher: Searcher) -> None:
    words = [term("answer", "insulin"), term("answer", "blood")]
    plain = Scorer(searcher.postings, RankingSettings(or_bonus=0.0)).score(words)
    bonus = Scorer(searcher.postings, RankingSettings(or_bonus=0.9)).score(words)
    insulin = set(searcher.postings.get("answer", "insulin").docs.tolist())
    blood = set(searcher.postings.get("answer", "blood").docs.tolist())
    assert insulin & blood and insulin ^ blood  # pages with both words and pages with one
    for doc in insulin | blood:
        share = ((doc in insulin) + (doc in blood)) / 2
        assert bonus[doc] == pytest.approx(plain[doc] * (1 + 0.9 * share), rel=1e-6)


def test_a_word_no_page_has_scores_nothing(searcher: Searcher) -> None:
    scores = Scorer(searcher.postings, RankingSettings()).score([term("answer", "zzyzx")])
    assert not scores.any() and searcher.postings.get("answer", "zzyzx").doc_frequency == 0


def test_top_k_is_best_first_ties_by_document_and_skips_zero_and_masked() -> None:
    scores = np.array([0.0, 3.0, 1.0, 3.0, 2.0], dtype=np.float32)
    assert top_k(scores, 3) == [(1, 3.0), (3, 3.0), (4, 2.0)]
    assert top_k(scores, 10) == [(1, 3.0), (3, 3.0), (4, 2.0), (2, 1.0)]
    assert top_k(scores, 2, mask=np.array([True, False, True, True, False])) == [(3, 3.0), (2, 1.0)]


def test_top_k_of_many_pages_is_the_best_in_order_with_or_without_ties() -> None:
    # Thousands of pages, scores repeating (duplicate pages score alike): the k best are those a
    # full sort gives, whichever way the k best are found.
    scores = np.random.default_rng(7).choice(np.linspace(0.5, 50.0, 300), 6000).astype(np.float32)
    scores[::9] = 0.0
    ranked = sorted((-float(s), d) for d, s in enumerate(scores.tolist()) if s > 0)
    for k in (1, 10, 40, 700, 10_000):
        got = top_k(scores, k)
        assert [s for _, s in got] == [-s for s, _ in ranked[:k]]
        assert all(d1 < d2 for (d1, s1), (d2, s2) in zip(got, got[1:]) if s1 == s2)


def test_the_posting_cache_keeps_the_most_recent_terms(corpus_dir) -> None:
    with Searcher(str(corpus_dir)) as opened:
        postings = Postings(opened.postings.reader, cache_terms=2)
        first = postings.get("question", "pneumonia")
        postings.get("question", "heart")
        assert postings.get("question", "pneumonia") is first  # still cached, now the most recent
        postings.get("question", "diabetes")  # evicts "heart", the least recent
        assert postings.get("question", "pneumonia") is first
        assert list(postings._cache) == [("question", "diabetes"), ("question", "pneumonia")]


def test_a_queries_scores_add_each_words_fields_in_order_whatever_the_word_cache_holds(searcher: Searcher) -> None:
    # A long question, each word in every text field: every page's float32 sum is the same as
    # adding the terms one at a time (sorted words, each word's fields in query order), then the
    # OR bonus (a float64 sum, or another order, rounds some pages differently).
    text = "my mother has high blood pressure and diabetes, she takes insulin for her blood sugar and pills for her heart"
    words = weighted_terms(searcher.parse(text).query)
    settings = RankingSettings(or_bonus=0.9)
    expected = np.zeros(searcher.postings.size, dtype=np.float32)
    held = np.zeros(searcher.postings.size, dtype=np.float32)
    for word in sorted({t.word for t in words}):
        alone = [Scorer(searcher.postings, settings).score([t]) for t in words if t.word == word]
        for scores in alone:
            expected += scores
        held += np.logical_or.reduce([scores > 0 for scores in alone])
    expected *= 1.0 + 0.9 * (held / len({t.word for t in words}))
    assert np.count_nonzero(held >= 3) and np.count_nonzero(held == 1)  # pages with many of the words and with one
    roomy = Scorer(searcher.postings, settings)
    tiny = Scorer(searcher.postings, settings, cache_postings=1)  # keeps one word at a time
    for scorer in (roomy, tiny, roomy, tiny):  # a second time from the cache (or read again)
        assert np.array_equal(scorer.score(words), expected)
