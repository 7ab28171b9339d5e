"""Question understanding: the focus (with where it was found), lay -> clinical expansion,
the type asked; and what ranking makes of them."""

from __future__ import annotations

import pathlib
from typing import Iterator

import pytest

from healthqa.search.searcher import Searcher
from healthqa.search.settings import RankingSettings, SearchSettings
from tests.search import understand_corpus

WITHOUT = RankingSettings(focus_match_weight=0.0, expansion_weight=0.0, type_weight=0.0, unanswered_factor=1.0,
                         stubs_below_answers=False)


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    return understand_corpus.build(tmp_path_factory.mktemp("understand") / "data")


@pytest.fixture(scope="module")
def searcher(data_dir: pathlib.Path) -> Iterator[Searcher]:
    with Searcher(str(data_dir)) as opened:
        yield opened


def ids(searcher: Searcher, query: str, limit: int = 10) -> list[str]:
    return [hit.id for hit in searcher.search(query, limit=limit).hits]


# -- understanding ------------------------------------------------------------------------

def test_a_lay_name_is_found_with_its_clinical_name_and_topic(searcher: Searcher) -> None:
    understood = searcher.understand("is pink eye contagious")
    (focus,) = understood.focus
    assert (focus.text, focus.source, focus.topic, focus.canonical) == (
        "pink eye", "disease vocabulary", "Conjunctivitis", "conjunctivitis")
    assert understood.expansions == ("conjunctivitis",)


def test_a_brand_name_brings_its_generic_name(searcher: Searcher) -> None:
    understood = searcher.understand("how much tylenol can I take")
    assert [(f.text, f.source, f.topic) for f in understood.focus] == [("tylenol", "drug vocabulary", "Acetaminophen")]
    assert understood.expansions == ("acetaminophen",)


def test_an_indexed_topic_is_a_focus_and_two_foci_are_both_found(searcher: Searcher) -> None:
    understood = searcher.understand("can i take ibuprofen with high blood pressure")
    assert [(f.text, f.source) for f in understood.focus] == [("ibuprofen", "index topic"),
                                                              ("high blood pressure", "index topic")]


def test_everyday_words_and_question_words_are_no_focus(searcher: Searcher) -> None:
    assert searcher.understand("what are the side effects").focus == ()
    assert searcher.understand("is it bad to sit all day").focus == ()


def test_the_type_comes_with_a_confidence(searcher: Searcher) -> None:
    qtype = searcher.understand("what are the side effects of tylenol").qtype
    assert qtype is not None and qtype.name == "side effects" and qtype.confidence > 0.3
    assert "side effect" in qtype.cues
    assert searcher.understand("how is pink eye treated").qtype.name == "treatment"


def test_understanding_has_a_json_shape(searcher: Searcher) -> None:
    data = searcher.understand("is pink eye contagious").to_dict()
    assert set(data) == {"question", "focus", "expansions", "type", "asks", "asking_words"}
    assert set(data["focus"][0]) == {"text", "source", "topic", "canonical", "kind"}
    assert set(data["type"]) == {"type", "confidence", "cues", "alternatives"}
    assert data["asks"]["type"] == "SUSCEPTIBILITY" and data["asks"]["cues"] == ["contagious"]
    assert data["asking_words"] == ["contagious"]


def test_the_consumer_type_uses_what_the_focus_is(searcher: Searcher) -> None:
    # "Does X cause Y?" asks what X leads to: for a drug, a side effect.
    understood = searcher.understand("can ibuprofen cause high blood pressure")
    assert understood.focus[0].kind == "drug"
    assert understood.asks.name == "SIDE_EFFECT"
    assert searcher.understand("can high blood pressure cause a stroke").asks.name == "COMPLICATION"


def test_a_rare_word_of_a_longer_topic_is_a_focus(searcher: Searcher) -> None:
    understood = searcher.understand("what is the success rate of heart ablation")
    assert [(f.text, f.source) for f in understood.focus] == [("ablation", "index topic word")]


def test_a_commoner_topic_word_is_a_focus_only_when_nothing_else_is(searcher: Searcher) -> None:
    assert [f.text for f in searcher.understand("how much urine does a bladder hold").focus] == ["urine"]
    assert [f.text for f in searcher.understand("urine and high blood pressure").focus] == ["high blood pressure"]


# -- ranking ------------------------------------------------------------------------------

def test_the_focus_outranks_pages_sharing_incidental_words(data_dir: pathlib.Path, searcher: Searcher) -> None:
    with Searcher(str(data_dir), SearchSettings(ranking=WITHOUT)) as before:
        assert ids(before, "chicken pox in adults")[0].startswith("rickettsialpox")  # "pox" three times
    assert ids(searcher, "chicken pox in adults")[0].startswith("chickenpox")


def test_a_lay_name_finds_the_clinical_topic_first(data_dir: pathlib.Path, searcher: Searcher) -> None:
    with Searcher(str(data_dir), SearchSettings(ranking=WITHOUT)) as before:
        assert not ids(before, "pink eye contagious")[0].startswith("conj")
    assert ids(searcher, "pink eye contagious")[0].startswith("conj")


def test_the_type_asked_ranks_first_on_the_focus(searcher: Searcher) -> None:
    assert ids(searcher, "what are the side effects of tylenol")[0] == "acetaminophen-side"


def test_a_page_without_answers_ranks_below_answered_pages_on_its_focus(searcher: Searcher) -> None:
    ranked = ids(searcher, "what causes conjunctivitis")
    answered = [i for i in ranked if i.startswith("conj") and i != "conj-causes-stub"]
    assert ranked.index("conj-causes-stub") > max(ranked.index(i) for i in answered)


def test_the_words_that_ask_name_no_topic(searcher: Searcher) -> None:
    # "bad for" asks about an effect: "bad" names half of the topic Bad Breath, yet it is not
    # what the question is about, so it earns that page no topic share.
    from healthqa.search.engine import WeightedTerm

    assert searcher.understand("is coffee bad for your heart").asking == ("bad", "for")
    terms = [WeightedTerm("question", word, 1.0, word) for word in ("coffe", "bad", "heart")]
    bad_breath = searcher.docnum("bad-breath")
    assert searcher.ranker.focus(terms)[bad_breath] == 0.5
    assert searcher.ranker.focus(terms, frozenset({"bad"}))[bad_breath] == 0.0
    assert ids(searcher, "is coffee bad for your heart")[0] == "green-coffee"


def test_a_page_without_answers_still_shows_when_nothing_else_answers(data_dir: pathlib.Path) -> None:
    # Only the stub has "causes" and the topic: nothing on its focus answers, so it stays first.
    with Searcher(str(data_dir)) as searcher:
        assert searcher.search("conjunctivitis", limit=10).total >= 4
        results = searcher.search('"What causes Conjunctivitis"')
    assert [h.id for h in results.hits] == ["conj-causes-stub"]


# -- duplicates ---------------------------------------------------------------------------

def test_the_same_question_from_several_sources_is_one_hit(searcher: Searcher) -> None:
    hits = searcher.search("what is high blood pressure").hits
    questions = [h.question for h in hits]
    assert questions.count("What is (are) High Blood Pressure ?") == 1
    first = next(h for h in hits if h.question == "What is (are) High Blood Pressure ?")
    assert len(first.also_in) == 2 and {s for _, s in first.also_in} | {first.source} == {
        "NHLBI", "NIHSeniorHealth", "MPlusHealthTopics"}
    assert first.to_dict()["also_in"] == [{"id": i, "source": s} for i, s in first.also_in]


def test_collapsing_can_be_turned_off(data_dir: pathlib.Path) -> None:
    with Searcher(str(data_dir), SearchSettings(collapse_duplicates=False)) as searcher:
        hits = searcher.search("what is high blood pressure").hits
    assert [h.question for h in hits].count("What is (are) High Blood Pressure ?") == 3
    assert all(h.also_in == () for h in hits)


def test_collapsed_pages_fill_the_page(searcher: Searcher) -> None:
    results = searcher.search("blood pressure", limit=3)
    assert len(results.hits) == 3 and len({h.question for h in results.hits}) == 3


# -- related questions ---------------------------------------------------------------------

def test_related_questions_follow_the_focus_named_in_lay_words(searcher: Searcher) -> None:
    from healthqa.search.related import RelatedFinder

    suggestions = RelatedFinder(searcher).for_question("does advil have side effects", k=3)
    assert suggestions[0].id == "ibuprofen-side"
    assert "ibuprofen-info" in [s.id for s in suggestions]  # still diverse: the other pick is another drug's


def test_related_questions_for_a_page_stay_on_its_focus(searcher: Searcher) -> None:
    from healthqa.search.related import RelatedFinder

    suggestions = RelatedFinder(searcher).for_id("acetaminophen-side", k=3)
    assert suggestions[0].id == "acetaminophen-dose"


def test_a_shared_focus_makes_a_pair_more_related(searcher: Searcher) -> None:
    from healthqa.search.related import RelatedFinder

    finder = RelatedFinder(searcher)
    same = finder.pair_score("tylenol side effects", "What are the side effects or risks of Acetaminophen ?")
    other = finder.pair_score("tylenol side effects", "What are the side effects or risks of Ibuprofen ?")
    assert same > other


def test_related_questions_collapse_the_same_question_with_also_in(searcher: Searcher) -> None:
    from healthqa.search.related import RelatedFinder

    suggestions = RelatedFinder(searcher).for_question("what is high blood pressure exactly", k=5)
    same = [s for s in suggestions if s.question == "What is (are) High Blood Pressure ?"]
    assert len(same) == 1 and len(same[0].also_in) == 2
    assert same[0].to_dict()["also_in"] == [{"id": i, "source": src} for i, src in same[0].also_in]


def test_a_question_about_a_name_no_page_holds_gets_no_drifting_suggestions(searcher: Searcher) -> None:
    from healthqa.search.related import RelatedFinder

    finder = RelatedFinder(searcher)
    assert finder.for_question("cbd oil", k=3) == []  # not diesel oil, which shares only "oil"
    assert [s.id for s in finder.for_question("diesel oil fumes", k=3)][:1] == ["diesel-oil"]


def test_the_quick_rejection_of_phrases_changes_no_understanding(searcher: Searcher) -> None:
    from healthqa.search.understand import QuestionReader

    # The same reader without the quick test looks every phrase up: both must read alike.
    slow = QuestionReader(searcher.phrases.topic_named, searcher.phrases.synonym_phrase, searcher.generation,
                          topic_word=searcher.phrases.topic_word)
    for question in ("is pink eye contagious in toddlers and can tylenol help the fever",
                     "my mother has high blood pressure and heart disease what diet is best",
                     "side effects of metformin with kidney disease", "xyzzy plugh frobnicate"):
        assert searcher.question_reader.understand(question) == slow.understand(question)
