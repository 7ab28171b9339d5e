"""The search API as a program uses it: filters, facets, the query language, did-you-mean,
pagination, the JSON shape, and an index that changes or is missing."""

from __future__ import annotations

import math
import pathlib
import re

import pytest

from corpus_index import build_index, corpus_pages
from healthqa.index.writer import rebuild, sync
from healthqa.ingest.errors import IndexMissingError, QueryError
from healthqa.ingest.record import Answer, QAPage
from healthqa.ingest.store import Store
from healthqa.search.searcher import Filters, Searcher
from healthqa.search.settings import RankingSettings, SearchSettings


def ids(results) -> list[str]:
    return [hit.id for hit in results.hits]


def words_of(page: QAPage) -> set[str]:
    """Lower-case words of every searched field of a page (enough for this corpus)."""
    text = " ".join([page.question, page.topic or "", *page.synonyms, *page.related,
                     *(a.text for a in page.answers), *(a.role or "" for a in page.answers)])
    return set(re.findall(r"\w+", text.lower()))


PAGES = corpus_pages()
BY_ID = {page.id: page for page in PAGES}


# -- filters ------------------------------------------------------------------------------


def test_role_filter_keeps_pages_answered_by_that_role_and_shows_that_answer(searcher: Searcher) -> None:
    everything = searcher.search("exercise", limit=50)
    fitness = searcher.search("exercise", Filters(roles=("fitness",)), limit=50)  # any case
    assert set(ids(fitness)) == {hit.id for hit in everything.hits if "Fitness" in hit.roles}
    # The filtered role weighs in: a page gains when its Fitness answer itself says "exercise".
    said = {p.id for p in PAGES if any(a.role == "Fitness" and "exercise" in a.text.lower() for a in p.answers)}
    before = {hit.id: hit.score for hit in everything.hits}
    assert said == {"asthma-exercise", "pneumonia-recovery"}
    for hit in fitness.hits:
        assert hit.score > before[hit.id] if hit.id in said else math.isclose(hit.score, before[hit.id], rel_tol=1e-6)
    assert {"diabetes-exercise", "asthma-exercise", "heart-attack-recovery"} <= set(ids(fitness))
    assert "cholesterol-level" in ids(everything) and "cholesterol-level" not in ids(fitness)
    for hit in fitness.hits:
        assert hit.answers and {answer.role for answer in hit.answers} == {"Fitness"}
    asthma = next(hit for hit in fitness.hits if hit.id == "asthma-exercise")
    assert asthma.roles == ("Pulmonology", "Fitness")  # the page's roles, though only one answer is shown
    assert "Swimming" in asthma.answers[0].snippet.plain()


def test_several_roles_keep_pages_with_any_of_them(searcher: Searcher) -> None:
    results = searcher.search("heart", Filters(roles=("CARDIOLOGY", "psychiatry")), limit=50)
    assert set(ids(results)) == {"heart-attack-signs", "heart-attack-women", "heart-attack-recovery", "panic-attack"}


def test_topic_and_source_filters_ignore_case(searcher: Searcher) -> None:
    asthma = searcher.search("exercise", Filters(topic="asthma"), limit=50)
    assert asthma.hits and {hit.topic for hit in asthma.hits} == {"Asthma"}
    assert "asthma-exercise" in ids(asthma)
    cdc = searcher.search("pneumonia", Filters(source="cdc"), limit=50)
    assert set(ids(cdc)) == {"pneumonia-vaccine", "pneumonia-prevent"}
    both = searcher.search("pneumonia", Filters(roles=("Fitness",), topic="Pneumonia", source="sharecare"))
    assert ids(both) == ["pneumonia-recovery"]


@pytest.mark.parametrize(("filters", "note"), [
    (Filters(roles=("Astrology",)), "no page has role 'Astrology'"),
    (Filters(topic="Gardening"), "no page has topic 'Gardening'"),
    (Filters(source="nowhere.example"), "no page has source 'nowhere.example'"),
])
def test_unknown_filter_value_gives_no_results_and_a_note(searcher: Searcher, filters: Filters, note: str) -> None:
    results = searcher.search("exercise", filters)
    assert (results.total, results.hits) == (0, ())
    assert note in results.notes


# -- facets -------------------------------------------------------------------------------


def test_facets_count_every_match_not_just_the_page_shown(searcher: Searcher) -> None:
    results = searcher.search("heart", limit=1)
    matching = [page for page in PAGES if "heart" in words_of(page)]
    assert len(results.hits) == 1 and results.total == len(matching) == 7
    roles: dict[str, int] = {}
    for page in matching:
        for role in page.roles:
            roles[role] = roles.get(role, 0) + 1
    assert results.facets["role"] == roles == {"Cardiology": 3, "Fitness": 1, "Psychiatry": 1}
    assert results.facets["topic"] == {"Heart Attack": 5, "Anxiety": 1, "Stroke": 1}
    assert results.facets["source"] == {"sharecare": 4, "NHLBI": 3}
    assert list(results.facets["topic"]) == ["Heart Attack", "Anxiety", "Stroke"]  # most common first


def test_facets_follow_the_filters(searcher: Searcher) -> None:
    results = searcher.search("heart", Filters(roles=("Cardiology",)), limit=1)
    assert results.total == 3
    assert results.facets["role"] == {"Cardiology": 3, "Fitness": 1}
    assert results.facets["source"] == {"sharecare": 3}


# -- the query language -------------------------------------------------------------------


def test_quoted_phrase_matches_only_the_adjacent_words(searcher: Searcher) -> None:
    phrase = searcher.search('"heart attack"', limit=50)
    words = searcher.search("heart attack", limit=50)
    assert "panic-attack" in ids(words)  # "panic attack ... your heart races"
    assert set(ids(phrase)) == set(ids(words)) - {"panic-attack"}
    assert phrase.total == 6


@pytest.mark.parametrize(("query", "expected"), [
    ('question:"heart attack"', {"heart-attack-signs", "heart-attack-women", "heart-attack-recovery",
                                 "heart-attack-aspirin", "heart-attack-causes", "stroke-or-heart-attack"}),
    ('topic:"heart attack"', {"heart-attack-signs", "heart-attack-women", "heart-attack-recovery",
                              "heart-attack-aspirin", "heart-attack-causes"}),
    ('answer:"blood clot"', {"heart-attack-causes"}),
    ('role:"physical therapy"', {"back-feet", "back-mattress"}),
    ("source:CDC", {"pneumonia-vaccine", "pneumonia-prevent"}),
    ("source:cdc", {"pneumonia-vaccine", "pneumonia-prevent"}),
    ("type:symptoms", {"pneumonia-symptoms", "diabetes-signs"}),
])
def test_field_value_searches_that_field_only(searcher: Searcher, query: str, expected: set[str]) -> None:
    results = searcher.search(query, limit=50)
    assert set(ids(results)) == expected
    assert results.notes == ()


@pytest.fixture(scope="module")
def no_spread(corpus_dir: pathlib.Path):
    """Default settings but for topic spread (which lends scores to pages on a matching page's topic)."""
    settings = SearchSettings(ranking=RankingSettings(topic_spread=0.0))
    with Searcher(str(corpus_dir), settings) as opened:
        yield opened


@pytest.mark.parametrize(("query", "expected"), [
    ("question:vaccine", {"pneumonia-vaccine"}),
    ("answer:inhaler", {"asthma-inhaler"}),
    ("role:cardiology", {"heart-attack-signs", "heart-attack-women", "heart-attack-recovery"}),
    ("topic:asthma", {"asthma-inhaler", "asthma-exercise"}),
    ("q:aspirin", {"heart-attack-aspirin"}),
])
def test_field_word_searches_that_field_only(no_spread: Searcher, query: str, expected: set[str]) -> None:
    assert set(ids(no_spread.search(query, limit=50))) == expected


def test_field_word_with_default_settings_searches_that_field_only(searcher: Searcher) -> None:
    results = searcher.search("question:vaccine", limit=50)
    assert ids(results) == ["pneumonia-vaccine"]  # today: all five pneumonia pages


def test_total_and_facets_count_only_pages_with_the_word(searcher: Searcher) -> None:
    results = searcher.search("cough")  # on one page only
    assert (results.total, ids(results)) == (1, ["pneumonia-symptoms"])  # today: 5 pages, 4 without "cough"
    assert results.facets["topic"] == {"Pneumonia": 1}


@pytest.mark.parametrize(("query", "expected"), [
    ("pneumonia -vaccine", {"pneumonia-symptoms", "pneumonia-walking", "pneumonia-recovery"}),
    ("pneumonia NOT vaccine", {"pneumonia-symptoms", "pneumonia-walking", "pneumonia-recovery"}),
    ("pneumonia AND NOT vaccine", {"pneumonia-symptoms", "pneumonia-walking", "pneumonia-recovery"}),
    ("+insulin diabetes", {"diabetes-insulin", "diabetes-exercise"}),
    ("diab*", {"diabetes-signs", "diabetes-diet", "diabetes-insulin", "diabetes-exercise", "diabetes-feet"}),
    ("insolin~", {"diabetes-insulin", "diabetes-exercise"}),
])
def test_operators(searcher: Searcher, query: str, expected: set[str]) -> None:
    assert set(ids(searcher.search(query, limit=50))) == expected


def test_fuzzy_operator_finds_what_the_misspelling_alone_does_not(searcher: Searcher) -> None:
    assert searcher.search("insolin").total == 0
    assert searcher.search("insolin~").total == 2


def test_matches_are_marked_in_snippets(searcher: Searcher) -> None:
    hit = searcher.search("aspirin").hits[0]
    assert hit.id == "heart-attack-aspirin"
    assert "<em>aspirin</em>" in hit.snippet.html()
    assert hit.answers[0].snippet.matches == 1


# -- did you mean -------------------------------------------------------------------------


@pytest.mark.parametrize(("typed", "suggestion", "topic"), [
    ("pnuemonia", "pneumonia", "Pneumonia"),
    ("diabetis", "diabetes", "Diabetes"),
    ("haert atack", "heart attack", "Heart Attack"),
])
def test_misspelled_query_gets_a_suggestion_and_results_for_it(searcher: Searcher, typed: str, suggestion: str,
                                                               topic: str) -> None:
    results = searcher.search(typed)
    assert results.suggestion == suggestion
    assert results.hits and results.hits[0].topic == topic


@pytest.fixture(scope="module")
def no_fuzzy(corpus_dir: pathlib.Path):
    """Default settings but for the fuzzy reading of unknown words: a typo then finds nothing as typed."""
    with Searcher(str(corpus_dir), SearchSettings(ranking=RankingSettings(fuzzy_weight=0.0))) as opened:
        yield opened


@pytest.mark.parametrize(("typed", "suggestion", "total"), [("pnuemonia", "pneumonia", 5),
                                                             ("haert atack", "heart attack", 7)])
def test_query_finding_nothing_falls_back_to_the_suggestion(no_fuzzy: Searcher, typed: str, suggestion: str,
                                                            total: int) -> None:
    results = no_fuzzy.search(typed)
    assert (results.query, results.corrected_from, results.searched) == (typed, typed, suggestion)
    assert results.total == total
    assert ids(results) == ids(no_fuzzy.search(suggestion))


def test_correct_words_and_structured_queries_get_no_suggestion(searcher: Searcher) -> None:
    assert searcher.search("pneumonia").suggestion is None
    assert searcher.search('"haert atack"').suggestion is None  # phrases are not rewritten


def test_hyphenated_word_does_not_stop_suggestions(searcher: Searcher) -> None:
    assert searcher.search("type-2 diabetis").suggestion == "type-2 diabetes"


def test_suggestion_for_a_very_long_query_covers_only_what_was_searched(searcher: Searcher) -> None:
    results = searcher.search("pnuemonia " * 1000)
    assert "query cut to its first 2,000 characters" in results.notes
    assert results.suggestion is not None and len(results.suggestion) <= 2000


# -- pagination ---------------------------------------------------------------------------


def test_pages_continue_each_other_without_overlap(searcher: Searcher) -> None:
    whole = searcher.search("pneumonia diabetes", limit=50)
    assert whole.total >= 7
    pages = [searcher.search("pneumonia diabetes", limit=3, page=n) for n in range(1, 4)]
    assert [p.total for p in pages] == [whole.total] * 3
    assert [p.pages for p in pages] == [math.ceil(whole.total / 3)] * 3
    shown = [hit.id for p in pages for hit in p.hits]
    assert shown == ids(whole)[:9] and len(set(shown)) == len(shown)
    assert [hit.rank for p in pages for hit in p.hits] == list(range(1, len(shown) + 1))


def test_page_past_the_end_has_no_hits(searcher: Searcher) -> None:
    results = searcher.search("pain", limit=5, page=40)
    assert results.hits == () and results.total > 0 and results.page == 40


@pytest.mark.parametrize(("limit", "page"), [(0, 1), (10, 0)])
def test_limit_and_page_below_one_are_refused(searcher: Searcher, limit: int, page: int) -> None:
    with pytest.raises(QueryError, match="limit and page must be 1 or more"):
        searcher.search("pain", limit=limit, page=page)


# -- every question is found by its own text ----------------------------------------------


def test_every_indexed_question_is_found_by_its_own_text(searcher: Searcher) -> None:
    missed = {page.id: searcher.ranked_ids(page.question, 3) for page in PAGES}
    missed = {pid: ranked for pid, ranked in missed.items() if pid not in [doc for doc, _ in ranked]}
    assert not missed


# -- roles with a comma -------------------------------------------------------------------


def test_role_holding_a_comma_can_be_filtered_by_its_name(tmp_path: pathlib.Path) -> None:
    page = QAPage(id="night-sweats", source="sharecare", format="text", origin="x", topic="Sleep",
                  question="Why do night sweats wake me?",
                  answers=(Answer("Around menopause night sweats are common.", role="Obstetrics, Gynecology"),))
    with Searcher(str(build_index(tmp_path / "data", [page]))) as searcher:
        results = searcher.search("night sweats", Filters(roles=("Obstetrics, Gynecology",)))
        assert ids(results) == ["night-sweats"]
        assert results.facets["role"] == {"Obstetrics, Gynecology": 1}


# -- an index that changes under a searcher ----------------------------------------------


def test_changes_after_a_searcher_opened_are_seen_by_a_new_searcher(tmp_path: pathlib.Path) -> None:
    data = build_index(tmp_path / "data", PAGES)
    new_page = QAPage(id="gout", source="NIDDK", format="medquad", origin="x", topic="Gout",
                      question="What foods trigger gout?", answers=(Answer("Red meat, shellfish and beer."),))
    with Searcher(str(data)) as before:
        assert before.is_current()
        with Store.open(str(data)) as store:
            with store.transaction():
                store.put(new_page)
                store.delete(["sleep-waking"])
            sync(str(data), store)
        assert not before.is_current()
        assert before.search("gout").total == 0  # it keeps the index it opened
        assert ids(before.search("wake")) == ["sleep-waking"]
    with Searcher(str(data)) as after:
        assert after.is_current()
        assert ids(after.search("gout")) == ["gout"]
        assert after.search("wake").total == 0


def test_updated_page_is_listed_once(tmp_path: pathlib.Path) -> None:
    data = build_index(tmp_path / "data", PAGES)
    old = BY_ID["pneumonia-walking"]
    new = QAPage(**{**old.__dict__, "content_hash": "", "answers": (Answer("Mycoplasma feels like a bad cold."),)})
    with Store.open(str(data)) as store:
        with store.transaction():
            store.put(new)
        sync(str(data), store)
    with Searcher(str(data)) as searcher:
        results = searcher.search("pneumonia", limit=50)
        assert sorted(ids(results)) == sorted(page.id for page in PAGES if page.topic == "Pneumonia")
        assert results.total == 5  # today: 6, "pneumonia-walking" twice


def test_word_on_every_page_is_still_found_after_pages_were_updated(tmp_path: pathlib.Path) -> None:
    def cold(n: int, answer: str) -> QAPage:
        return QAPage(id=f"cold-{n}", source="sharecare", format="text", origin="x", topic=f"Colds {n}",
                      question=f"How do I get over cold number {n}?", answers=(Answer(answer),))

    data = build_index(tmp_path / "data", [cold(n, "Rest and fluids.") for n in (1, 2, 3)])
    with Store.open(str(data)) as store:
        with store.transaction():
            store.put(cold(1, "Zinc lozenges."))
            store.put(cold(2, "Honey and lemon."))
        sync(str(data), store)
    with Searcher(str(data)) as searcher:
        assert sorted(ids(searcher.search("cold"))) == ["cold-1", "cold-2", "cold-3"]  # today: nothing


def test_searcher_opened_before_a_rebuild_keeps_working(tmp_path: pathlib.Path) -> None:
    data = build_index(tmp_path / "data", PAGES)
    with Searcher(str(data)) as before:
        expected = ids(before.search("pneumonia"))
        with Store.open(str(data)) as store:
            rebuild(str(data), store)
            assert not before.is_current()
            rebuild(str(data), store)  # two swaps: the generation it reads has been dropped
        assert ids(before.search("pneumonia")) == expected
        assert before.search("asthma").hits[0].id == "asthma-exercise"


# -- no index, empty index ----------------------------------------------------------------


def test_no_index_says_run_healthqa_index(tmp_path: pathlib.Path) -> None:
    with pytest.raises(IndexMissingError, match=r"no search index in .*: run 'healthqa index'"):
        Searcher(str(tmp_path / "nothing-here"))


def test_empty_index_gives_no_results_and_no_error(tmp_path: pathlib.Path) -> None:
    data = build_index(tmp_path / "data", [])
    with Searcher(str(data)) as searcher:
        assert searcher.doc_count == 0
        results = searcher.search("pneumonia")
        assert (results.total, results.hits) == (0, ())
