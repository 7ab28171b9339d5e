"""The ranking's parts: the words a query scores by, what a question asks, focus and topic spread."""

from __future__ import annotations

import numpy as np
import pytest
from whoosh import query as wq

from healthqa.search.engine import WeightedTerm
from healthqa.search.rank import Ranker, asked_types, is_plain, weighted_terms
from healthqa.search.searcher import Searcher
from healthqa.search.settings import RankingSettings


def test_weighted_terms_keep_positive_text_words_with_their_boosts() -> None:
    query = wq.AndNot(wq.Or([wq.Term("question", "gout", boost=2.0), wq.Term("source", "CDC"),
                             wq.Phrase("answer", ["red", "meat"], boost=0.5)], boost=3.0),
                      wq.Term("question", "diet"))
    assert weighted_terms(query) == [WeightedTerm("question", "gout", 6.0, "gout"),
                                     WeightedTerm("answer", "red", 1.5, "red"),
                                     WeightedTerm("answer", "meat", 1.5, "meat")]
    assert weighted_terms(wq.Not(wq.Term("question", "gout"))) == []


def test_plain_queries_are_ors_of_text_words() -> None:
    assert is_plain(wq.Or([wq.Term("question", "gout"), wq.Term("answer", "meat")]))
    assert not is_plain(wq.Or([wq.Term("question", "gout"), wq.Term("source", "CDC")]))
    assert not is_plain(wq.And([wq.Term("question", "gout"), wq.Term("answer", "meat")]))


def test_what_a_question_asks() -> None:
    assert asked_types("How is gout treated?") == {"treatment"}
    assert "causes" in asked_types("Why do I get gout?")
    assert asked_types("gout") == set()


def test_focus_is_the_share_of_a_pages_topic_the_query_names(searcher: Searcher) -> None:
    ranker = Ranker(searcher.postings, RankingSettings())
    lengths = searcher.postings.lengths("topic")
    topic = [WeightedTerm("question", "heart", 1.0, "heart"), WeightedTerm("question", "attack", 1.0, "attack")]
    focus = ranker.focus(topic)
    on_topic = searcher.postings.get("topic", "attack").docs
    assert len(on_topic) and (focus[on_topic] == np.minimum(2 / lengths[on_topic], 1)).all()
    assert (focus[lengths == 0] == 0).all() and focus.max() <= 1


def test_a_page_gains_the_best_score_on_its_topic(searcher: Searcher) -> None:
    topics = np.array([0, 0, 1, -1, 1])
    ranker = Ranker(searcher.postings, RankingSettings(), doc_topics=topics)
    best = ranker.topic_best(np.array([1.0, 4.0, 2.0, 9.0, 0.0], dtype=np.float32))
    assert best.tolist() == [4.0, 4.0, 2.0, 0.0, 2.0]


def test_a_stub_falls_below_the_lowest_answered_page_on_its_topic() -> None:
    from healthqa.search.candidates import Candidates

    # Pages 0, 3, 4 and 5 have no answers; 0 shares topic 0 with answered pages 1 and 2.
    pages = Candidates({"topic": [["a"]] * 6, "synonyms": [[]] * 6}, [0, 2, 1, 0, 0, 0])
    ranker = Ranker(pages, RankingSettings(), doc_topics=np.array([0, 0, 0, 1, 1, -1], dtype=np.int32))
    scores = np.array([9.0, 3.0, 5.0, 4.0, 2.0, 7.0], dtype=np.float32)
    out = ranker.stubs_below_answers(scores)
    assert out[0] < out[1] < out[2] and out[0] == pytest.approx(3.0 * 0.999)
    assert out[1:].tolist() == scores[1:].tolist()  # answered pages, and stubs with nothing to yield to
    # Scored over some pages only (the matching ones), the lowest answered page is among those.
    some = ranker.stubs_below_answers(scores[[0, 2, 3]], np.array([0, 2, 3]))
    assert some[0] == pytest.approx(5.0 * 0.999) and some[1:].tolist() == [5.0, 4.0]


def test_focus_over_some_pages_is_focus_over_every_page_there(searcher: Searcher) -> None:
    ranker = Ranker(searcher.postings, RankingSettings())
    words = [WeightedTerm("question", w, 1.0, w) for w in ("heart", "attack", "blood", "pressure")]
    every = ranker.focus(words)
    some = np.flatnonzero(np.arange(searcher.postings.size) % 3 != 1)
    assert np.count_nonzero(every[some]) and np.array_equal(ranker.focus(words, docs=some), every[some])
